"""The facade the CLI, the web app and the workers hold: the competition and its services.

It only holds them (`podium.results.leaderboard(...)`): every use case lives in one service.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from podium.service.boards import Boards
from podium.service.choices import Choices
from podium.service.context import Competition, open_competition
from podium.service.dispatch import Dispatch
from podium.service.environments import Environments
from podium.service.evaluation import Evaluation, RunnerFactory
from podium.service.finals import Finals
from podium.service.huddle import Huddle
from podium.service.job_leases import JobLeases
from podium.service.jobs import Jobs
from podium.service.leasing import Leases
from podium.service.news import News
from podium.service.photo_finish import PhotoFinish
from podium.service.questions import Questions
from podium.service.reports import Reports
from podium.service.results import Results
from podium.service.reviews import Reviews
from podium.service.schedule import Schedule
from podium.service.setup import Setup
from podium.service.submissions import Submissions
from podium.service.tokens import Tokens
from podium.service.workers import Workers
from podium.tasks import TaskRegistry

if TYPE_CHECKING:
    from podium.harness.runner import Runner


def _create_runner(name: str) -> Runner:
    """The runner a spec names (the harness's runners load when a run needs one)."""
    from podium.harness.runners import create_runner

    return create_runner(name)


class Podium:
    """One competition folder and its store, and the services around them."""

    def __init__(self, competition: Competition, runner_factory: RunnerFactory) -> None:
        self.competition = competition
        self.news = News(competition)
        self.setup = Setup(competition, self.news)
        # the schedule is applied by the front ends before they submit (every CLI command,
        # the server's ticker and its upload route), so no service calls back up the chain
        self.submissions = Submissions(competition, self.setup)
        self.results = Results(competition, self.setup)
        self.evaluation = Evaluation(competition, self.setup, self.results, runner_factory)
        # the fleet, one concern each: who the workers are, what goes to them, the runs
        # they hold, and what they report
        self.workers = Workers(competition)
        self.dispatch = Dispatch(competition, self.workers)
        self.leases = Leases(competition, self.setup, self.evaluation, self.workers)
        self.reports = Reports(competition, self.setup, self.evaluation, self.leases, self.workers)
        self.photo_finish = PhotoFinish(
            competition, self.results, self.evaluation, self.workers, self.dispatch
        )
        self.finals = Finals(
            competition,
            self.setup,
            self.submissions,
            self.results,
            self.evaluation,
            self.photo_finish,
        )
        self.reviews = Reviews(competition, self.news, self.finals)
        self.schedule = Schedule(competition, self.setup, self.finals)
        self.tokens = Tokens(competition)
        self.choices = Choices(competition)
        self.environments = Environments(competition)
        self.questions = Questions(competition, self.news)
        self.boards = Boards(competition, self.results)
        self.huddle = Huddle(self.boards)
        self.jobs = Jobs(competition)  # training jobs and the budgets they are billed against
        self.job_leases = JobLeases(competition, self.jobs, self.workers)  # jobs on workers

    @classmethod
    def open(
        cls,
        root: Path,
        *,
        runner_factory: RunnerFactory = _create_runner,
        registry: TaskRegistry | None = None,
        read_only: bool = False,
    ) -> Podium:
        """`read_only`: for commands that only read (no migration, nothing written)."""
        return cls(open_competition(root, registry, read_only=read_only), runner_factory)

    def snapshot(self) -> AbstractContextManager[None]:
        """A block whose reads all see one moment of the store (one read transaction): for
        a page made of several answers (the admin page, the huddle)."""
        return self.competition.sessions.snapshot()

    def close(self) -> None:
        self.competition.close()

    def __enter__(self) -> Podium:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
