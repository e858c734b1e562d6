"""The competition context: one competition folder, its spec and its store, and the one place
that scopes a query to this competition (a store may hold several competitions)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, Select, select
from sqlalchemy.orm import Session

from podium.config.layout import CompetitionLayout
from podium.config.spec import (
    SPEC_FILENAME,
    CompetitionSpec,
    competition_tasks,
    higher_is_better,
    load_spec,
    spec_hash,
)
from podium.core.errors import NotFoundError, PodiumError, SpecError
from podium.core.suggest import did_you_mean
from podium.store import create_store_engine, session_factory, upgrade
from podium.store.db import StoreSessions, head_revision, sqlite_url, stored_revision
from podium.store.models import (
    AccessToken,
    Calibration,
    Question,
    ReferenceTiming,
    Run,
    Stage,
    Submission,
    Team,
    Worker,
)
from podium.store.models import Competition as CompetitionRow
from podium.tasks import Task, TaskRegistry, default_registry

STORE_URL_ENV = "PODIUM_STORE_URL"
MIGRATE_COMMAND = "podium migrate"  # what a reader tells a store behind the code to run

Query = TypeVar("Query", bound=Select[*tuple[Any, ...]])
Scope = (
    type[Stage]
    | type[Team]
    | type[AccessToken]
    | type[Calibration]
    | type[ReferenceTiming]
    | type[Worker]
    | type[Question]
)


@dataclass(frozen=True)
class Competition:
    """What every service of one competition shares; frozen, made by `open_competition`."""

    root: Path
    layout: CompetitionLayout
    spec: CompetitionSpec
    spec_text: str
    spec_hash: str
    engine: Engine
    sessions: StoreSessions
    registry: TaskRegistry
    id: int

    @property
    def broker(self) -> str | None:
        """Where runs go when workers evaluate (PODIUM_BROKER, else [workers] broker)."""
        return os.environ.get("PODIUM_BROKER", "").strip() or self.spec.workers.broker

    def scoped(self, stmt: Query, via: Scope = Stage) -> Query:
        """`stmt` limited to this competition, through the table `via` (joined in `stmt`)."""
        return stmt.where(via.competition_id == self.id)

    def stage_row(self, s: Session, name: str) -> Stage:
        stage = s.scalar(self.scoped(select(Stage).where(Stage.name == name)))
        if stage is None:
            raise NotFoundError(
                f"unknown stage {name!r}",
                hint=did_you_mean(name, [st.name for st in self.spec.stages]),
            )
        return stage

    def team_row(self, s: Session, name: str) -> Team:
        team = s.scalar(self.scoped(select(Team).where(Team.name == name), via=Team))
        if team is None:
            names = s.scalars(self.scoped(select(Team.name), via=Team))
            raise NotFoundError(f"unknown team {name!r}", hint=did_you_mean(name, list(names)))
        return team

    def submission_row(self, s: Session, submission_id: int) -> Submission:
        sub = s.scalar(
            self.scoped(select(Submission).join(Stage).where(Submission.id == submission_id))
        )
        if sub is None:
            raise NotFoundError(f"no submission {submission_id}")
        return sub

    def run_row(self, s: Session, run_id: int) -> Run:
        run = s.scalar(
            self.scoped(select(Run).join(Submission).join(Stage).where(Run.id == run_id))
        )
        if run is None:
            raise NotFoundError(f"no run {run_id}")
        return run

    def tasks(self) -> dict[str, Task]:
        """The competition's tasks, from the registry it was opened with."""
        return {t: self.registry.get(t) for t in self.spec.tasks}

    def metrics(self) -> dict[str, str]:
        """The metric that counts, per task."""
        return {t: self.spec.task_metric(t, self.registry) for t in self.spec.tasks}

    def higher_is_better(self) -> bool:
        """Whether a higher overall score ranks first (false when every metric that counts is
        an error, such as rmse)."""
        return higher_is_better(self.spec, self.registry)

    def close(self) -> None:
        self.engine.dispose()


def open_competition(
    root: Path, registry: TaskRegistry | None = None, *, read_only: bool = False
) -> Competition:
    """Read the spec, open (and migrate) the store, and register the competition in it.
    `read_only`: neither migrate nor write; a store behind the code is an error naming the
    command that migrates (a reader answers at once and changes nothing)."""
    root = root.resolve()
    spec = load_spec(root, registry)
    # The competition's own tasks (declared in competition.toml, or presets of `registry`):
    # every service, the harness and the data preparation get exactly these.
    registry = competition_tasks(spec, registry or default_registry())
    spec_text = (root / SPEC_FILENAME).read_text(encoding="utf-8")
    layout = CompetitionLayout(root)
    engine = create_store_engine(store_url(spec, layout))
    sessions = session_factory(engine)
    try:
        if read_only:
            competition_id = _find(engine, sessions, root, spec)
        else:
            upgrade(engine)
            competition_id = _sync(sessions, root, spec, spec_text, layout)
    except BaseException:
        engine.dispose()
        raise
    return Competition(
        root=root,
        layout=layout,
        spec=spec,
        spec_text=spec_text,
        spec_hash=spec_hash(spec_text),
        engine=engine,
        sessions=sessions,
        registry=registry,
        id=competition_id,
    )


def store_url(spec: CompetitionSpec, layout: CompetitionLayout) -> str:
    """`PODIUM_STORE_URL` (a deployment points every command at one server without editing
    competition.toml; the tests point every command at PostgreSQL), else `[store] url`, else
    podium.db in the competition folder."""
    return os.environ.get(STORE_URL_ENV) or spec.store.url or sqlite_url(layout.store_file)


def _find(engine: Engine, sessions: StoreSessions, root: Path, spec: CompetitionSpec) -> int:
    """The competition's id in a store at the code's schema; nothing is written."""
    hint = f"run `{MIGRATE_COMMAND} -c {root}` (it brings the store up to date)"
    stored, head = stored_revision(engine), head_revision()
    if stored is not None and stored > head:
        raise PodiumError(
            f"the store is at schema {stored}, newer than this podium's {head}",
            hint="install the podium that wrote it",
        )
    if stored != head:
        state = "has no podium schema yet" if stored is None else f"is at schema {stored}"
        raise PodiumError(f"the store {state}; this podium reads schema {head}", hint=hint)
    with sessions() as s:
        found = s.scalar(
            select(CompetitionRow.id).where(
                CompetitionRow.name == spec.name, CompetitionRow.root == str(root)
            )
        )
        if found is None:
            raise NotFoundError(
                f"the store holds no competition {spec.name!r} of {root}", hint=hint
            )
        stored_stages = s.execute(
            select(Stage.name, Stage.position, Stage.split).where(Stage.competition_id == found)
        ).all()
    # what _sync would change: a stage added to competition.toml, moved, or given another split
    wanted = {(st.name, position, st.split) for position, st in enumerate(spec.stages)}
    unsynced = sorted(name for name, _, _ in wanted - {tuple(row) for row in stored_stages})
    if unsynced:
        raise PodiumError(
            f"competition.toml's stages changed since the store last saw them: "
            f"{', '.join(unsynced)}",
            hint=hint,
        )
    return found


def _sync(
    sessions: StoreSessions,
    root: Path,
    spec: CompetitionSpec,
    spec_text: str,
    layout: CompetitionLayout,
) -> int:
    """The competition's row (made on first open) and its stages, in the spec's order."""
    with sessions.begin() as s:
        comp = s.scalar(select(CompetitionRow).where(CompetitionRow.name == spec.name))
        if comp is None:
            comp = CompetitionRow(
                name=spec.name, root=str(root), spec_text=spec_text, spec_hash=spec_hash(spec_text)
            )
            s.add(comp)
            s.flush()
        elif comp.root != str(root):
            raise SpecError(
                f"this store already holds a competition named {spec.name!r} in {comp.root}",
                where=str(layout.spec_file),
                hint="give this competition another name",
            )
        comp.spec_text, comp.spec_hash = spec_text, spec_hash(spec_text)
        known = {st.name: st for st in comp.stages}
        for position, stage in enumerate(spec.stages):
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
