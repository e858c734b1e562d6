"""The competition core: store, stages, data, teams and submissions (attempt reservations)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from podium.data.prepare import Manifest, load_manifest, prepare
from podium.data.sources import load_source
from podium.digest import sha256_file
from podium.errors import NotFoundError, PodiumError, RuleError, SpecError
from podium.harness.runner import Runner
from podium.harness.runners import create_runner
from podium.intake import check_archive, incoming_file
from podium.layout import CompetitionLayout
from podium.names import check_name, same_name
from podium.spec import SPEC_FILENAME, CompetitionSpec, load_spec, spec_hash
from podium.store import create_store_engine, session_factory, upgrade
from podium.store.db import StoreSessions, sqlite_url
from podium.store.models import (
    Competition,
    Member,
    Stage,
    Submission,
    Team,
    utcnow,
)
from podium.submission.archive import read_submission
from podium.suggest import did_you_mean
from podium.tasks import Task, TaskRegistry, default_registry


@dataclass(frozen=True)
class SubmitReceipt:
    submission_id: int
    team: str
    stage: str
    attempt: int
    attempts: int
    sha256: str
    queue_position: int


class CompetitionCore:
    """One competition folder and its store; the layers above add use cases."""

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
        self.sessions: StoreSessions = session_factory(engine)
        self.registry = registry
        self._runner = runner
        self._competition_id = self._sync_competition()

    @classmethod
    def open(cls, root: Path, *, runner: Runner | None = None) -> Self:
        root = root.resolve()
        spec = load_spec(root)
        spec_text = (root / SPEC_FILENAME).read_text(encoding="utf-8")
        url = spec.store.url or sqlite_url(CompetitionLayout(root).store_file)
        engine = create_store_engine(url)
        upgrade(engine)
        return cls(root, spec, spec_text, engine, default_registry(), runner)

    @property
    def runner(self) -> Runner:
        """Made when first needed, so a missing sandbox only stops evaluation."""
        if self._runner is None:
            self._runner = create_runner(self.spec.sandbox.runner)
        return self._runner

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
        return prepare(
            spec, self.layout, examples, source_label=label, registry=self.registry, force=force
        )

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
        """A new team; names are checked here, where they are made (they end up in URLs)."""
        check_name(name, "team")
        for member in members:
            check_name(member, "member")
        with self.sessions.begin() as s:
            for existing in s.scalars(
                select(Team).where(Team.competition_id == self._competition_id)
            ):
                if same_name(existing.name, name):
                    raise RuleError(f"a team named {existing.name!r} already exists")
            team = Team(competition_id=self._competition_id, name=name)
            team.members = [Member(name=m) for m in dict.fromkeys(members)]
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
        stage = self.check_can_submit(team, stage)  # before packing or reading anything
        return self.submit_data(
            read_submission(path), team=team, stage=stage, label=label or path.name, where=path
        )

    def submit_data(
        self, data: bytes, *, team: str, stage: str | None = None, label: str, where: Path
    ) -> SubmitReceipt:
        """Archive bytes from a file or folder: refused before an attempt is spent on them."""
        stage_name = self.check_can_submit(team, stage)
        with incoming_file(self.layout.incoming_dir) as archive:
            archive.write_bytes(data)
            return self.submit_file(
                archive, team=team, stage=stage_name, label=label, where=str(where)
            )

    def check_can_submit(self, team: str | None, stage: str | None = None) -> str:
        """The stage a submission would enter, or why it cannot: checked before any byte of
        the archive is read (`team` None: the stage only)."""
        stage_name = stage or self.current_stage()
        if self.spec.stage(stage_name).split == "final":
            raise RuleError(
                "teams do not submit to the final stage",
                hint="the organizer runs it: podium final select / podium final run",
            )
        with self.sessions() as s:
            self._admissible(s, team, stage_name)
        return stage_name

    def submit_file(
        self, archive: Path, *, team: str, stage: str, label: str, where: str
    ) -> SubmitReceipt:
        """An archive in the incoming folder: checked (listing, budgeted extraction,
        podium.toml), then moved into the store with its attempt, or left to be removed."""
        check_archive(archive, where=where, scratch=self.layout.incoming_dir)
        return self._reserve_file(archive, team=team, stage_name=stage, label=label)

    def _admissible(
        self, s: Session, team: str | None, stage_name: str
    ) -> tuple[Stage, Team | None, int]:
        """The open stage, the team and the attempts it has used; RuleError if none is left."""
        stage = self._stage(s, stage_name)
        if stage.status != "open":
            raise RuleError(f"stage {stage_name!r} is {stage.status}, not open")
        if team is None:
            return stage, None, 0
        team_row = self._team(s, team)
        used = (
            s.scalar(
                select(func.count(Submission.id)).where(
                    Submission.team_id == team_row.id, Submission.stage_id == stage.id
                )
            )
            or 0
        )
        attempts = self.spec.stage(stage_name).attempts
        if used >= attempts:
            raise RuleError(
                f"team {team!r} has used all {attempts} attempt(s) of stage {stage_name!r}",
                hint="nothing was stored; the next stage brings new attempts",
            )
        return stage, team_row, used

    def _reserve(
        self,
        data: bytes,
        *,
        team: str,
        stage_name: str,
        label: str,
        source_submission_id: int | None = None,
    ) -> SubmitReceipt:
        with incoming_file(self.layout.incoming_dir) as archive:
            archive.write_bytes(data)
            return self._reserve_file(
                archive,
                team=team,
                stage_name=stage_name,
                label=label,
                source_submission_id=source_submission_id,
            )

    def _reserve_file(
        self,
        archive: Path,
        *,
        team: str,
        stage_name: str,
        label: str,
        source_submission_id: int | None = None,
    ) -> SubmitReceipt:
        """Reserve the attempt and move the archive into the store in one transaction: the
        archive is renamed (never copied under a shared name) just before the commit and
        removed again if the commit fails, so a refusal leaves no file behind."""
        sha = sha256_file(archive)
        self.layout.submissions_dir.mkdir(parents=True, exist_ok=True)
        placed: Path | None = None
        try:
            with self.sessions.begin() as s:
                stage, team_row, used = self._admissible(s, team, stage_name)
                assert team_row is not None
                sub = Submission(
                    team_id=team_row.id,
                    stage_id=stage.id,
                    attempt=used + 1,
                    sha256=sha,
                    archive_path="",
                    label=label[:200],
                    source_submission_id=source_submission_id,
                )
                s.add(sub)
                s.flush()
                target = self.layout.submissions_dir / f"{sub.id}-{sha[:16]}.archive"
                sub.archive_path = str(target.relative_to(self.root))
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
                attempts = self.spec.stage(stage_name).attempts
                receipt = SubmitReceipt(
                    sub.id, team, stage_name, sub.attempt, attempts, sha, queued
                )
                os.chmod(archive, 0o644)  # private while it was checked; stored as before
                os.replace(archive, target)
                placed = target
            placed = None  # committed: the archive belongs to the store now
            return receipt
        except IntegrityError:
            # another writer took the same attempt number first (PostgreSQL path)
            raise RuleError(f"team {team!r} has no attempt left in stage {stage_name!r}") from None
        finally:
            if placed is not None:
                placed.unlink(missing_ok=True)


def check_unpacks(data: bytes, path: Path) -> None:
    """Refuse archives that could never run before an attempt is spent on them."""
    check_archive(data, where=str(path))
