"""Use cases of a competition. The CLI (and later the web app and workers) only call these."""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from podium.data.prepare import Manifest, load_manifest, load_source, prepare, split_inputs_sha256
from podium.errors import NotFoundError, PlatformError, PodiumError, RuleError, SpecError
from podium.harness.evaluate import EvaluationJob, EvaluationResult, evaluate
from podium.harness.fingerprint import machine_fingerprint
from podium.harness.runner import Runner, create_runner
from podium.layout import CompetitionLayout
from podium.leaderboard import Leaderboard, RunFacts, best_per_team, build_leaderboard
from podium.ranking import RerankRule
from podium.spec import SPEC_FILENAME, CompetitionSpec, load_spec, render_default_spec, spec_hash
from podium.store import create_store_engine, session_factory, upgrade
from podium.store.db import sqlite_url
from podium.store.models import (
    Competition,
    HallOfFameEntry,
    Measurement,
    Member,
    Run,
    Score,
    Stage,
    Submission,
    Team,
    utcnow,
)
from podium.submission.archive import read_submission, sha256_file, unpack
from podium.submission.manifest import load_submission_manifest
from podium.submission.predictions import expected_files
from podium.suggest import did_you_mean
from podium.tasks import Task, TaskRegistry, default_registry

MAX_PLATFORM_RETRIES = 3
HALL_OF_FAME_PLACES = 3
Progress = Callable[[str], None]


@dataclass(frozen=True)
class SubmitReceipt:
    submission_id: int
    team: str
    stage: str
    attempt: int
    attempts: int
    sha256: str
    queue_position: int


@dataclass(frozen=True)
class RunOutcome:
    run_id: int
    submission_id: int
    team: str
    stage: str
    attempt: int
    status: str
    error: str | None
    duration: float | None
    overall: float | None


def init_competition(
    root: Path, *, name: str | None = None, source: str = "synthetic", force: bool = False
) -> Path:
    """Write a commented competition.toml with the seed competition's defaults."""
    root.mkdir(parents=True, exist_ok=True)
    target = root / SPEC_FILENAME
    if target.exists() and not force:
        raise SpecError(
            "competition.toml already exists",
            where=str(target),
            hint="edit it, or pass --force to overwrite it",
        )
    target.write_text(render_default_spec(name or "XTREME four-task challenge", source), "utf-8")
    return target


class Podium:
    """One competition folder and its store."""

    def __init__(
        self,
        root: Path,
        spec: CompetitionSpec,
        spec_text: str,
        engine: Engine,
        registry: TaskRegistry,
        runner: Runner | None = None,
    ) -> None:
        self.root = root
        self.layout = CompetitionLayout(root)
        self.spec = spec
        self.spec_text = spec_text
        self.spec_hash = spec_hash(spec_text)
        self.engine = engine
        self.sessions: sessionmaker[Session] = session_factory(engine)
        self.registry = registry
        self.runner = runner or create_runner(spec.sandbox.runner)
        self._competition_id = self._sync_competition()

    @classmethod
    def open(cls, root: Path, *, runner: Runner | None = None) -> Podium:
        root = root.resolve()
        spec = load_spec(root)
        spec_text = (root / SPEC_FILENAME).read_text(encoding="utf-8")
        url = spec.store.url or sqlite_url(CompetitionLayout(root).store_file)
        engine = create_store_engine(url)
        upgrade(engine)
        return cls(root, spec, spec_text, engine, default_registry(), runner)

    def close(self) -> None:
        self.engine.dispose()

    # -- competition and stages -------------------------------------------------------

    def _sync_competition(self) -> int:
        with self.sessions.begin() as s:
            comp = s.scalar(select(Competition).where(Competition.name == self.spec.name))
            if comp is None:
                comp = Competition(
                    name=self.spec.name,
                    root=str(self.root),
                    spec_text=self.spec_text,
                    spec_hash=self.spec_hash,
                )
                s.add(comp)
                s.flush()
            elif comp.root != str(self.root):
                raise SpecError(
                    f"this store already holds a competition named {self.spec.name!r} "
                    f"in {comp.root}",
                    where=str(self.layout.spec_file),
                    hint="give this competition another name",
                )
            comp.spec_text, comp.spec_hash = self.spec_text, self.spec_hash
            known = {st.name: st for st in comp.stages}
            for position, stage in enumerate(self.spec.stages):
                if stage.name in known:
                    known[stage.name].position = position
                    known[stage.name].split = stage.split
                else:
                    s.add(
                        Stage(
                            competition_id=comp.id,
                            name=stage.name,
                            position=position,
                            split=stage.split,
                            status="pending",
                        )
                    )
            return comp.id

    def _stage(self, s: Session, name: str) -> Stage:
        stage = s.scalar(
            select(Stage).where(Stage.competition_id == self._competition_id, Stage.name == name)
        )
        if stage is None:
            raise NotFoundError(
                f"unknown stage {name!r}",
                hint=did_you_mean(name, [st.name for st in self.spec.stages]),
            )
        return stage

    def stages(self) -> list[Stage]:
        with self.sessions() as s:
            return list(
                s.scalars(
                    select(Stage)
                    .where(Stage.competition_id == self._competition_id)
                    .order_by(Stage.position)
                )
            )

    def open_stage(self, name: str) -> None:
        """Open a stage; at most one stage is open at a time."""
        with self.sessions.begin() as s:
            stage = self._stage(s, name)
            if stage.status == "closed":
                raise RuleError(f"stage {name!r} is closed and cannot reopen")
            others = s.scalars(
                select(Stage).where(
                    Stage.competition_id == self._competition_id,
                    Stage.status == "open",
                    Stage.id != stage.id,
                )
            )
            for other in others:
                raise RuleError(
                    f"stage {other.name!r} is still open",
                    hint=f"close it first: podium stage close {other.name}",
                )
            stage.status, stage.opened_at = "open", utcnow()

    def close_stage(self, name: str) -> list[HallOfFameEntry]:
        """Close a stage; declare its winner to the hall of fame if the spec says so."""
        with self.sessions.begin() as s:
            stage = self._stage(s, name)
            if stage.status != "open":
                raise RuleError(f"stage {name!r} is {stage.status}, not open")
            stage.status, stage.closed_at = "closed", utcnow()
        if self.spec.stage(name).declare_winner:
            return self._record_winners(name, places=1)
        return []

    def current_stage(self) -> str:
        with self.sessions() as s:
            stage = s.scalar(
                select(Stage).where(
                    Stage.competition_id == self._competition_id, Stage.status == "open"
                )
            )
            if stage is None:
                raise RuleError(
                    "no stage is open", hint="the organizer opens one with `podium stage open NAME`"
                )
            return stage.name

    # -- data ---------------------------------------------------------------------------

    def prepare_data(self, *, force: bool = False, source: str | None = None) -> Manifest:
        spec = self.spec
        if source is not None:
            spec = spec.model_copy(update={"data": spec.data.model_copy(update={"source": source})})
        if force:
            with self.sessions() as s:
                used = s.scalar(
                    select(func.count(Submission.id))
                    .join(Stage)
                    .where(Stage.competition_id == self._competition_id)
                )
            if used:
                raise RuleError(
                    f"{used} submission(s) exist; re-sealing now would change the "
                    "data they were scored on"
                )
        examples, label = load_source(spec, self.root, self.registry)
        return prepare(spec, self.layout, examples, source_label=label, force=force)

    def manifest(self) -> Manifest:
        return load_manifest(self.layout)

    def export_public(self, out: Path) -> Path:
        self.manifest()  # fails clearly when data was never prepared
        if out.exists() and any(out.iterdir()):
            raise PodiumError("the target folder is not empty", where=str(out))
        shutil.copytree(self.layout.public_dir, out, dirs_exist_ok=True)
        return out

    def _tasks(self) -> dict[str, Task]:
        return {t: self.registry.get(t) for t in self.spec.tasks}

    def metrics(self) -> dict[str, str]:
        return {t: self.spec.task_metric(t, self.registry) for t in self.spec.tasks}

    def split_languages(self, split: str) -> dict[str, list[str]]:
        """Languages that count in a sealed split: in the spec and present in the data."""
        present = self.manifest().languages(split)
        return {
            t: [
                lang
                for lang in self.spec.task_languages(t, self.registry)
                if lang in present.get(t, [])
            ]
            for t in self.spec.tasks
        }

    # -- teams --------------------------------------------------------------------------

    def add_team(self, name: str, members: Sequence[str] = ()) -> Team:
        name = name.strip()
        if not name:
            raise PodiumError("a team needs a name", hint='podium team add "Team name" --member A')
        with self.sessions.begin() as s:
            for existing in s.scalars(
                select(Team).where(Team.competition_id == self._competition_id)
            ):
                if existing.name.casefold() == name.casefold():
                    raise RuleError(f"a team named {existing.name!r} already exists")
            team = Team(competition_id=self._competition_id, name=name)
            team.members = [Member(name=m.strip()) for m in dict.fromkeys(members) if m.strip()]
            s.add(team)
        return team

    def teams(self) -> list[Team]:
        with self.sessions() as s:
            return list(
                s.scalars(
                    select(Team)
                    .options(selectinload(Team.members))
                    .where(Team.competition_id == self._competition_id)
                    .order_by(Team.id)
                )
            )

    def _team(self, s: Session, name: str) -> Team:
        team = s.scalar(
            select(Team).where(Team.competition_id == self._competition_id, Team.name == name)
        )
        if team is None:
            names = s.scalars(select(Team.name).where(Team.competition_id == self._competition_id))
            raise NotFoundError(f"unknown team {name!r}", hint=did_you_mean(name, list(names)))
        return team

    # -- submissions --------------------------------------------------------------------

    def submit(
        self, path: Path, *, team: str, stage: str | None = None, label: str = ""
    ) -> SubmitReceipt:
        """Store the archive and reserve an attempt atomically; nothing is stored on error."""
        data = read_submission(path)
        _check_unpacks(data, path)
        stage_name = stage or self.current_stage()
        stage_spec = self.spec.stage(stage_name)
        if stage_spec.split == "final":
            raise RuleError(
                "teams do not submit to the final stage",
                hint="the organizer runs it: podium final select / podium final run",
            )
        return self._reserve(data, team=team, stage_name=stage_name, label=label or path.name)

    def _store_archive(self, data: bytes) -> tuple[str, Path]:
        import hashlib

        sha = hashlib.sha256(data).hexdigest()
        target = self.layout.submissions_dir / f"{sha}.archive"
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(f".tmp{os.getpid()}")
            tmp.write_bytes(data)
            tmp.replace(target)
        return sha, target

    def _reserve(
        self,
        data: bytes,
        *,
        team: str,
        stage_name: str,
        label: str,
        source_submission_id: int | None = None,
    ) -> SubmitReceipt:
        attempts = self.spec.stage(stage_name).attempts
        sha, target = self._store_archive(data)
        try:
            with self.sessions.begin() as s:
                stage = self._stage(s, stage_name)
                if stage.status != "open":
                    raise RuleError(f"stage {stage_name!r} is {stage.status}, not open")
                team_row = self._team(s, team)
                used = (
                    s.scalar(
                        select(func.count(Submission.id)).where(
                            Submission.team_id == team_row.id, Submission.stage_id == stage.id
                        )
                    )
                    or 0
                )
                if used >= attempts:
                    raise RuleError(
                        f"team {team!r} has used all {attempts} attempt(s) of stage {stage_name!r}"
                    )
                sub = Submission(
                    team_id=team_row.id,
                    stage_id=stage.id,
                    attempt=used + 1,
                    sha256=sha,
                    archive_path=str(target.relative_to(self.root)),
                    label=label[:200],
                    source_submission_id=source_submission_id,
                )
                s.add(sub)
                s.flush()
                queued = (
                    s.scalar(
                        select(func.count(Submission.id))
                        .join(Stage)
                        .where(
                            Stage.competition_id == self._competition_id,
                            Submission.status.in_(("queued", "running")),
                        )
                    )
                    or 0
                )
                return SubmitReceipt(sub.id, team, stage_name, sub.attempt, attempts, sha, queued)
        except IntegrityError:
            # another writer took the same attempt number first (PostgreSQL path)
            raise RuleError(f"team {team!r} has no attempt left in stage {stage_name!r}") from None

    # -- evaluation ---------------------------------------------------------------------

    @contextmanager
    def _evaluator_lock(self) -> Iterator[None]:
        """One evaluator per competition at a time, so durations never share the machine."""
        self.layout.artifacts_dir.mkdir(parents=True, exist_ok=True)
        with (self.layout.artifacts_dir / "evaluate.lock").open("w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise RuleError(
                    "another `podium evaluate` is running for this competition"
                ) from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def evaluate_pending(
        self, *, progress: Progress | None = None, stage: str | None = None
    ) -> list[RunOutcome]:
        """Run queued submissions one at a time, oldest first."""
        outcomes: list[RunOutcome] = []
        with self._evaluator_lock():
            self._recover_interrupted()
            gave_up: set[int] = set()
            while (claimed := self._claim_next(stage, gave_up)) is not None:
                outcome = self._evaluate_claimed(*claimed, progress=progress)
                outcomes.append(outcome)
                if (
                    outcome.status == "platform_error"
                    and self._platform_failures(outcome.submission_id) >= MAX_PLATFORM_RETRIES
                ):
                    gave_up.add(outcome.submission_id)
        return outcomes

    def _recover_interrupted(self) -> None:
        """Runs left 'running' by a killed evaluator are platform faults: release, requeue."""
        with self.sessions.begin() as s:
            for run in s.scalars(
                select(Run)
                .join(Submission)
                .join(Stage)
                .where(Stage.competition_id == self._competition_id, Run.status == "running")
            ):
                run.status, run.finished_at = "platform_error", utcnow()
                run.error = "the evaluator stopped during this run; it will be retried"
                run.submission.status = "queued"

    def _platform_failures(self, submission_id: int) -> int:
        with self.sessions() as s:
            return (
                s.scalar(
                    select(func.count(Run.id)).where(
                        Run.submission_id == submission_id, Run.status == "platform_error"
                    )
                )
                or 0
            )

    def _claim_next(self, stage: str | None, skip: set[int]) -> tuple[int, int] | None:
        with self.sessions.begin() as s:
            query = (
                select(Submission)
                .join(Stage)
                .where(Stage.competition_id == self._competition_id, Submission.status == "queued")
                .order_by(Submission.id)
            )
            if stage is not None:
                query = query.where(Stage.name == stage)
            if skip:
                query = query.where(Submission.id.not_in(skip))
            sub = s.scalars(query.limit(1)).first()
            if sub is None:
                return None
            sub.status = "running"
            run = Run(
                submission_id=sub.id,
                status="running",
                hardware=self.spec.hardware,
                submission_sha256=sub.sha256,
                fingerprint=machine_fingerprint(self.spec_hash),
            )
            s.add(run)
            s.flush()
            return sub.id, run.id

    def _evaluate_claimed(
        self, submission_id: int, run_id: int, *, progress: Progress | None
    ) -> RunOutcome:
        with self.sessions() as s:
            sub = s.get_one(Submission, submission_id)
            team, stage_name, attempt = sub.team.name, sub.stage.name, sub.attempt
            split, archive_path = sub.stage.split, self.root / sub.archive_path
        say = (lambda msg: progress(f"{team} #{attempt}: {msg}")) if progress else None
        result: EvaluationResult | None = None
        inputs_sha = ""
        try:
            if not archive_path.is_file() or sha256_file(archive_path) != sub.sha256:
                raise PlatformError(
                    "the stored archive is missing or damaged", where=str(archive_path)
                )
            manifest = self.manifest()
            inputs_sha = split_inputs_sha256(manifest, split)
            languages = self.split_languages(split)
            tasks = self._tasks()
            job = EvaluationJob(
                archive=archive_path.read_bytes(),
                inputs_dir=self.layout.inputs_dir(split),
                labels_dir=self.layout.labels_dir(split),
                expected=expected_files(self.layout.inputs_dir(split), tasks, languages),
                tasks=tasks,
                run_dir=self.layout.run_dir(run_id),
                runner=self.runner,
                repeats=self.spec.efficiency.repeats,
                timeout_seconds=self.spec.sandbox.timeout_seconds,
                setup_timeout_seconds=self.spec.sandbox.setup_timeout_seconds,
                max_log_bytes=self.spec.sandbox.max_log_bytes,
            )
            result = evaluate(job, progress=say)
        except (PodiumError, OSError) as err:
            return self._record_platform_fault(
                run_id, submission_id, err, team, stage_name, attempt
            )
        return self._record_result(
            run_id, submission_id, result, inputs_sha, team, stage_name, attempt
        )

    def _record_platform_fault(
        self, run_id: int, submission_id: int, err: Exception, team: str, stage: str, attempt: int
    ) -> RunOutcome:
        message = err.message if isinstance(err, PodiumError) else f"{type(err).__name__}: {err}"
        with self.sessions.begin() as s:
            run = s.get_one(Run, run_id)
            run.status, run.finished_at, run.error = "platform_error", utcnow(), message
            s.get_one(Submission, submission_id).status = "queued"  # attempt released
        return RunOutcome(
            run_id, submission_id, team, stage, attempt, "platform_error", message, None, None
        )

    def _record_result(
        self,
        run_id: int,
        submission_id: int,
        result: EvaluationResult,
        inputs_sha: str,
        team: str,
        stage: str,
        attempt: int,
    ) -> RunOutcome:
        with self.sessions.begin() as s:
            run = s.get_one(Run, run_id)
            run.status, run.finished_at = result.status, utcnow()
            run.error, run.log_tail = result.error, result.log_tail
            run.inputs_sha256, run.harness_seconds = inputs_sha, result.harness_seconds
            for i, m in enumerate(result.measurements):
                s.add(
                    Measurement(
                        run_id=run_id,
                        repeat=i,
                        wall_seconds=m.wall_seconds,
                        cpu_user_seconds=m.cpu_user_seconds,
                        cpu_system_seconds=m.cpu_system_seconds,
                        peak_rss_bytes=m.peak_rss_bytes,
                        bytes_written=m.bytes_written,
                        exit_code=m.exit_code,
                        timed_out=m.timed_out,
                    )
                )
            for row in result.scores:
                s.add(
                    Score(
                        run_id=run_id,
                        task=row.task,
                        language=row.language,
                        metric=row.metric,
                        value=row.value,
                        count=row.count,
                    )
                )
            s.get_one(Submission, submission_id).status = result.status
        facts = self._run_facts(run_id) if result.status == "scored" else None
        overall = duration = None
        if facts is not None:
            from podium.leaderboard import aggregate

            agg = aggregate(facts, self.metrics())
            overall, duration = agg.overall, agg.duration
        elif result.measurements:
            duration = result.measurements[-1].wall_seconds
        return RunOutcome(
            run_id,
            submission_id,
            team,
            stage,
            attempt,
            result.status,
            result.error,
            duration,
            overall,
        )

    # -- reading results ----------------------------------------------------------------

    def _facts_query(self) -> Select[Run]:
        return (
            select(Run)
            .join(Submission)
            .join(Stage)
            .options(
                selectinload(Run.scores),
                selectinload(Run.measurements),
                selectinload(Run.submission)
                .selectinload(Submission.team)
                .selectinload(Team.members),
            )
            .where(Stage.competition_id == self._competition_id, Run.status == "scored")
        )

    @staticmethod
    def _to_facts(run: Run) -> RunFacts:
        sub = run.submission
        return RunFacts(
            team=sub.team.name,
            members=tuple(m.name for m in sub.team.members),
            submission_id=sub.id,
            attempt=sub.attempt,
            run_id=run.id,
            submitted_at=sub.created_at,
            scores={(sc.task, sc.language, sc.metric): sc.value for sc in run.scores},
            walls=[m.wall_seconds for m in run.measurements],
            cpu_seconds=sum(m.cpu_user_seconds + m.cpu_system_seconds for m in run.measurements)
            / max(1, len(run.measurements)),
            peak_rss_bytes=max((m.peak_rss_bytes for m in run.measurements), default=0),
            hardware=run.hardware,
            fingerprint=run.fingerprint,
        )

    def _run_facts(self, run_id: int) -> RunFacts | None:
        with self.sessions() as s:
            run = s.scalar(self._facts_query().where(Run.id == run_id))
            return None if run is None else self._to_facts(run)

    def stage_runs(self, stage: str) -> list[RunFacts]:
        """All scored runs of a stage, oldest first (the attempt history)."""
        with self.sessions() as s:
            self._stage(s, stage)
            runs = s.scalars(self._facts_query().where(Stage.name == stage).order_by(Run.id))
            return [self._to_facts(r) for r in runs]

    def leaderboard(self, stage: str | None = None, *, organizer: bool = False) -> Leaderboard:
        """A stage's leaderboard; hidden stages only for organizers until revealed."""
        with self.sessions() as s:
            if stage is None:
                open_or_last = s.scalars(
                    select(Stage)
                    .where(Stage.competition_id == self._competition_id, Stage.status != "pending")
                    .order_by(Stage.position.desc())
                ).first()
                stage = open_or_last.name if open_or_last else self.spec.stages[0].name
            row = self._stage(s, stage)
            status, revealed = row.status, row.revealed
        if self.spec.stage(stage).leaderboard == "hidden" and not revealed and not organizer:
            raise RuleError(
                f"the results of stage {stage!r} are hidden until revealed",
                hint="the organizer reveals them with `podium final reveal`",
            )
        rr = self.spec.reranking
        return build_leaderboard(
            competition=self.spec.name,
            stage=stage,
            status=status,
            runs=self.stage_runs(stage),
            teams=[t.name for t in self.teams()],
            metrics=self.metrics(),
            rule=RerankRule(tuple(rr.bonus_places), rr.max_score_gap, rr.min_efficiency_gain),
            hardware=self.spec.hardware,
        )

    def submissions(self, team: str | None = None) -> list[Submission]:
        with self.sessions() as s:
            query = (
                select(Submission)
                .join(Stage)
                .join(Team)
                .options(
                    selectinload(Submission.runs).selectinload(Run.measurements),
                    selectinload(Submission.team),
                    selectinload(Submission.stage),
                )
                .where(Stage.competition_id == self._competition_id)
                .order_by(Submission.id)
            )
            if team is not None:
                query = query.where(Team.name == team)
            return list(s.scalars(query))

    def run(self, run_id: int) -> Run:
        with self.sessions() as s:
            run = s.scalar(
                select(Run)
                .options(
                    selectinload(Run.measurements),
                    selectinload(Run.scores),
                    selectinload(Run.submission),
                )
                .where(Run.id == run_id)
            )
            if run is None:
                raise NotFoundError(f"no run {run_id}")
            return run

    # -- final, hall of fame, code release -------------------------------------------------

    def _final_stage(self) -> str:
        for stage in self.spec.stages:
            if stage.split == "final":
                return stage.name
        raise SpecError(
            'the competition has no stage with split = "final"', where=str(self.layout.spec_file)
        )

    def select_for_final(self, team: str, submission_id: int) -> None:
        with self.sessions.begin() as s:
            team_row = self._team(s, team)
            sub = s.get(Submission, submission_id)
            if sub is None or sub.team_id != team_row.id or sub.stage.split == "final":
                raise NotFoundError(f"team {team!r} has no evaluation submission {submission_id}")
            if sub.status != "scored":
                raise RuleError(f"submission {submission_id} is {sub.status}; select a scored one")
            for other in s.scalars(select(Submission).where(Submission.team_id == team_row.id)):
                other.selected_for_final = other.id == submission_id

    def final_candidates(self) -> dict[str, int]:
        """Each team's selected submission, or its best scored evaluation submission."""
        chosen: dict[str, int] = {}
        runs = [
            f for st in self.spec.stages if st.split == "eval" for f in self.stage_runs(st.name)
        ]
        for team, (facts, _) in best_per_team(runs, self.metrics()).items():
            chosen[team] = facts.submission_id
        for sub in self.submissions():
            if sub.selected_for_final:
                chosen[sub.team.name] = sub.id
        return chosen

    def run_final(self, *, progress: Progress | None = None) -> list[RunOutcome]:
        """Run each team's chosen submission exactly once on the final set; results stay hidden."""
        final = self._final_stage()
        with self.sessions.begin() as s:
            stage = self._stage(s, final)
            if stage.status != "pending":
                raise RuleError(f"the final stage {final!r} has already run ({stage.status})")
            for other in s.scalars(
                select(Stage).where(
                    Stage.competition_id == self._competition_id, Stage.status == "open"
                )
            ):
                raise RuleError(
                    f"stage {other.name!r} is still open",
                    hint=f"close it first: podium stage close {other.name}",
                )
        candidates = self.final_candidates()
        if not candidates:
            raise RuleError("no team has a scored submission to take to the final")
        self.open_stage(final)
        by_id = {sub.id: sub for sub in self.submissions()}
        for team, sub_id in sorted(candidates.items()):
            src = by_id[sub_id]
            data = (self.root / src.archive_path).read_bytes()
            self._reserve(
                data,
                team=team,
                stage_name=final,
                label=f"final of #{sub_id}",
                source_submission_id=sub_id,
            )
        outcomes = self.evaluate_pending(progress=progress, stage=final)
        with self.sessions.begin() as s:
            stage = self._stage(s, final)
            stage.status, stage.closed_at = "closed", utcnow()
        return outcomes

    def reveal_final(self) -> list[HallOfFameEntry]:
        final = self._final_stage()
        with self.sessions.begin() as s:
            stage = self._stage(s, final)
            if stage.status != "closed":
                raise RuleError("the final has not run yet", hint="podium final run")
            if stage.revealed:
                raise RuleError("the final is already revealed")
            stage.revealed = True
        return self._record_winners(final, places=HALL_OF_FAME_PLACES)

    def _record_winners(self, stage: str, *, places: int) -> list[HallOfFameEntry]:
        board = self.leaderboard(stage, organizer=True)
        entries = [
            HallOfFameEntry(
                competition_name=self.spec.name,
                stage_name=stage,
                place=row.place,
                team_name=row.team,
                members=", ".join(row.members),
                score=row.overall,
                duration_seconds=row.duration,
                run_id=row.run_id,
            )
            for row in board.rows[:places]
        ]
        with self.sessions.begin() as s:
            for entry in entries:
                s.add(entry)
        return entries

    def hall_of_fame(self) -> list[HallOfFameEntry]:
        """Winners of every competition in this store."""
        with self.sessions() as s:
            return list(
                s.scalars(
                    select(HallOfFameEntry).order_by(
                        HallOfFameEntry.recorded_at, HallOfFameEntry.place
                    )
                )
            )

    def export_code(self, stage: str, out: Path) -> list[Path]:
        """Every team's submitted code of a closed stage that releases code."""
        if not self.spec.stage(stage).release_code:
            raise RuleError(f"stage {stage!r} does not release code (release_code = false)")
        with self.sessions() as s:
            if self._stage(s, stage).status != "closed":
                raise RuleError(f"stage {stage!r} releases code only once closed")
        written = []
        for sub in self.submissions():
            if sub.stage.name != stage:
                continue
            target = out / _safe_name(sub.team.name) / f"attempt-{sub.attempt}"
            unpack((self.root / sub.archive_path).read_bytes(), target)
            written.append(target)
        return written


def _safe_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "team"


def _check_unpacks(data: bytes, path: Path) -> None:
    """Refuse archives that could never run before an attempt is spent on them."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="podium-check-") as tmp:
        folder = unpack(data, Path(tmp), label=str(path))
        load_submission_manifest(folder)
