"""Setting a competition up: its spec file, its sealed data, its stages and its teams."""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from podium.config.spec import SPEC_FILENAME
from podium.config.template import render_default_spec, set_fields
from podium.core.errors import NotFoundError, PodiumError, RuleError, SpecError
from podium.core.names import check_name, same_name
from podium.core.suggest import did_you_mean
from podium.service.context import Competition
from podium.service.news import News
from podium.service.reads import StageState, TeamInfo, stage_state, team_info
from podium.store.models import AccessToken, Member, Stage, Submission, Team, WebSession, utcnow

if TYPE_CHECKING:
    from podium.data.examples import Example
    from podium.data.prepare import Manifest
    from podium.data.sources import ExampleSource


def resolve_source(source: str) -> str:
    """A folder source relative to where the organizer typed it, not to the competition."""
    from podium.data.huggingface import HUB_PREFIX

    if source == "synthetic" or source.startswith(HUB_PREFIX):
        return source
    return str(Path(source).expanduser().resolve())


def init_competition(
    root: Path,
    *,
    name: str | None = None,
    source: str = "synthetic",
    force: bool = False,
    settings: Sequence[str] = (),
) -> Path:
    """Write a commented competition.toml with the seed competition's defaults, and the
    `section.field=value` settings given (checked before anything is written)."""
    target = root / SPEC_FILENAME
    if target.exists() and not force:
        raise SpecError(
            "competition.toml already exists",
            where=str(target),
            hint="edit it, or pass --force to overwrite it",
        )
    text = render_default_spec(name or "XTREME four-task challenge", resolve_source(source))
    text = set_fields(text, settings) if settings else text
    root.mkdir(parents=True, exist_ok=True)
    target.write_text(text, "utf-8")
    return target


class Setup:
    """Stages, data and teams of one competition."""

    def __init__(self, competition: Competition, news: News) -> None:
        self.c, self.news = competition, news

    # -- stages ---------------------------------------------------------------------------

    def stages(self) -> list[StageState]:
        with self.c.sessions() as s:
            rows = s.scalars(self.c.scoped(select(Stage)).order_by(Stage.position))
            return [stage_state(self.c, row) for row in rows]

    def open_stage(self, name: str, *, announce: bool = True) -> bool:
        """Open a stage; at most one stage is open at a time. False if it already was open
        (nothing changes: a schedule applied by two processes opens it once). Everyone hears
        of it (not of the final opening for its one run: `announce` false)."""
        with self.c.sessions.begin() as s:
            stage = self.c.stage_row(s, name)
            if stage.status == "closed":
                raise RuleError(f"stage {name!r} is closed and cannot reopen")
            if stage.status == "open":
                return False
            self.ensure_none_open(s, but=stage.id)
            if stage.status != "open" and announce:
                self.news.stage_opened(s, name)
            stage.status, stage.opened_at = "open", utcnow()
            return True

    def ensure_none_open(self, s: Session, but: int | None = None) -> None:
        """RuleError naming the open stage, if one is (other than `but`)."""
        query = self.c.scoped(select(Stage).where(Stage.status == "open"))
        for other in s.scalars(query):
            if other.id != but:
                raise RuleError(
                    f"stage {other.name!r} is still open",
                    hint=f"close it first: podium stage close {other.name}",
                )

    def current_stage(self) -> str:
        with self.c.sessions() as s:
            stage = s.scalar(self.c.scoped(select(Stage).where(Stage.status == "open")))
            if stage is None:
                raise RuleError("no stage is open", hint=self._next_opening())
            return stage.name

    def _next_opening(self) -> str:
        """When the next scheduled stage opens, or who opens one."""
        with self.c.sessions() as s:
            pending = set(
                s.scalars(self.c.scoped(select(Stage.name)).where(Stage.status == "pending"))
            )
        timed = [st for st in self.c.spec.stages if st.name in pending and st.opens]
        if not timed:
            return "the organizer opens one with `podium stage open NAME`"
        first = min(timed, key=lambda st: st.opens or 0)
        return f"stage {first.name!r} opens at {first.opens:%Y-%m-%d %H:%M %Z}"

    def final_stage(self) -> str:
        for stage in self.c.spec.stages:
            if stage.split == "final":
                return stage.name
        raise SpecError(
            'the competition has no stage with split = "final"',
            where=str(self.c.layout.spec_file),
        )

    # -- data -----------------------------------------------------------------------------

    def prepare_data(
        self,
        *,
        force: bool = False,
        source: str | None = None,
        examples: Mapping[tuple[str, str], Sequence[Example]] | None = None,
    ) -> Manifest:
        """Split and seal the source's data (again only before any submission).

        `examples` (labelled examples per (task, language), e.g. `GenericExample`s built by a
        script) replace the spec's source. Custom metrics are imported first, so that a
        missing or broken one is the organizer's error now rather than at the first score."""
        from podium.data.prepare import prepare
        from podium.data.sources import PoolSource, open_source

        self.check_metrics()
        spec = self.c.spec
        if source is not None:
            spec = spec.model_copy(update={"data": spec.data.model_copy(update={"source": source})})
        if force:
            with self.c.sessions() as s:
                used = s.scalar(self.c.scoped(select(func.count(Submission.id)).join(Stage)))
            if used:
                raise RuleError(
                    f"{used} submission(s) exist; re-sealing now would change the "
                    "data they were scored on"
                )
        opened: ExampleSource = (
            open_source(spec, self.c.root, self.c.registry)
            if examples is None
            else PoolSource(examples, source or "examples given to prepare_data")
        )
        manifest = prepare(
            spec, self.c.layout, opened, source_label=opened.label, registry=self.c.registry,
            force=force,
        )  # fmt: skip
        from podium.service.scans import Scans

        Scans(self.c).index()  # the sealed-text index: built now, not at the first intake
        return manifest

    def check_metrics(self) -> None:
        """Import every custom ("module:function") metric of the tasks; SpecError if one is
        missing or not callable."""
        from podium.metrics import get_metric, is_custom

        for task in self.c.tasks().values():
            for name in task.metrics:
                if is_custom(name):
                    get_metric(name, search_dir=self.c.root)

    def manifest(self) -> Manifest:
        from podium.data.prepare import load_manifest

        return load_manifest(self.c.layout)

    def export_public(self, out: Path) -> Path:
        from podium.harness.check import TASKS_FILE

        self.manifest()  # fails clearly when data was never prepared
        if out.exists() and any(out.iterdir()):
            raise PodiumError("the target folder is not empty", where=str(out))
        shutil.copytree(self.c.layout.public_dir, out, dirs_exist_ok=True)
        tasks = [task.model_dump(mode="json") for task in self.c.tasks().values()]
        (out / TASKS_FILE).write_text(json.dumps(tasks, indent=1), encoding="utf-8")
        return out

    def split_languages(self, split: str) -> dict[str, list[str]]:
        """Languages that count in a sealed split: in the spec and present in the data."""
        present = self.manifest().languages(split)
        spec, registry = self.c.spec, self.c.registry
        return {
            t: [lang for lang in spec.task_languages(t, registry) if lang in present.get(t, [])]
            for t in spec.tasks
        }

    # -- teams ----------------------------------------------------------------------------

    def add_team(self, name: str, members: Sequence[str] = ()) -> TeamInfo:
        """A new team; names are checked here, where they are made (they end up in URLs)."""
        check_name(name, "team")
        for member in members:
            check_name(member, "member")
        with self.c.sessions.begin() as s:
            for existing in s.scalars(self.c.scoped(select(Team), via=Team)):
                if same_name(existing.name, name):
                    raise RuleError(f"a team named {existing.name!r} already exists")
            team = Team(competition_id=self.c.id, name=name)
            team.members = [Member(name=m) for m in dict.fromkeys(members)]
            s.add(team)
            return team_info(team)

    def teams(self) -> list[TeamInfo]:
        with self.c.sessions() as s:
            query = self.c.scoped(select(Team), via=Team).options(selectinload(Team.members))
            return [team_info(row) for row in s.scalars(query.order_by(Team.id))]

    def remove_member(self, team: str, name: str) -> int:
        """Take a person off a team: their personal tokens are revoked at once (they speak for
        the team no more) and keep the name as their label; their submissions keep it too.
        Returns how many tokens were revoked."""
        with self.c.sessions.begin() as s:
            team_row = self.c.team_row(s, team)
            member = next((m for m in team_row.members if m.name == name), None)
            if member is None:
                known = [m.name for m in team_row.members]
                hint = did_you_mean(name, known) if known else "the team has no members"
                raise NotFoundError(f"team {team!r} has no member {name!r}", hint=hint)
            tokens = list(s.scalars(select(AccessToken).where(AccessToken.member_id == member.id)))
            for token in tokens:
                token.revoked_at = token.revoked_at or utcnow()
                token.member_id = None
                token.label = token.label or name
            ended = [t.id for t in tokens]  # their browsers are signed out at once
            s.execute(delete(WebSession).where(WebSession.token_id.in_(ended)))
            s.flush()
            s.delete(member)
        return len(tokens)
