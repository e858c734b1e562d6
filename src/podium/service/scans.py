"""What intake looks for besides a valid archive: sealed text, and code shared across teams.

Both are read from the extracted archive while it is checked (`check_archive(inspect=...)`)
and written as flags in the transaction that reserves the attempt, so a flag never points
at a submission that was refused. Nothing here can refuse a submission: the scan is bounded
(`members.scan_limit`) and a failure of it is logged and leaves the submission unflagged.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from podium.core.digest import sha256_file
from podium.service.context import Competition
from podium.store.models import CodePrint, Stage, Submission, SubmissionFlag, Team

if TYPE_CHECKING:
    from podium.submission.codeprints import Match, Prints
    from podium.submission.sealed import SealedIndex

log = logging.getLogger("podium.scans")
_BATCH = 500  # values per IN (...) of a query


@dataclass
class Findings:
    """What the scan of one archive found (empty when it could not run)."""

    sealed: dict[str, Any] | None = None
    many_sealed: bool = False
    prints: Prints = field(default_factory=dict)


class Scans:
    """The sealed-text index (built once per sealed manifest, kept on disk) and the flags
    intake writes."""

    def __init__(self, competition: Competition) -> None:
        self.c = competition
        self._lock = threading.Lock()
        self._index: tuple[str, SealedIndex] | None = None

    def index(self) -> SealedIndex | None:
        """The index of the sealed inputs as prepared now (None before `data prepare`)."""
        from podium.submission.sealed import INDEX_FORMAT, SealedIndex, build_index

        manifest = self.c.layout.manifest_file
        if not manifest.is_file():
            return None
        key = sha256_file(manifest)[:16]
        with self._lock:
            if self._index is not None and self._index[0] == key:
                return self._index[1]
            cache_file = self.c.layout.sealed_index_dir / f"{key}-v{INDEX_FORMAT}.npz"
            if cache_file.is_file():
                index = SealedIndex.load(cache_file)
            else:
                inputs = self.c.layout.sealed_dir / "inputs"
                index = build_index(sorted(inputs.rglob("*.jsonl")))
                _save(index, cache_file)
            self._index = (key, index)
            return index

    def inspector(self, archive: Path, findings: Findings) -> Callable[[Path], None]:
        """What `check_archive` calls on the extracted folder: fills `findings`."""
        limit_bytes = archive.stat().st_size

        def inspect(folder: Path) -> None:
            try:
                self._inspect(folder, limit_bytes, findings)
            except Exception:  # a scan informs; it never loses a submission
                log.exception("the scan of %s failed; the submission is kept unflagged", archive)

        return inspect

    def _inspect(self, folder: Path, archive_bytes: int, findings: Findings) -> None:
        from podium.submission.codeprints import folder_prints
        from podium.submission.members import ScanBudget, scan_limit
        from podium.submission.sealed import scan_folder

        index = self.index()
        if index is not None and index.texts:
            scan = scan_folder(folder, index, ScanBudget(scan_limit(archive_bytes)))
            findings.sealed, findings.many_sealed = scan.to_dict(), scan.many
        findings.prints = folder_prints(folder)

    def record(self, s: Session, sub: Submission, team_id: int, findings: Findings) -> None:
        """Flags of a new submission, written in its reservation's transaction; a flag for
        another team's submission is mirrored onto it (organizers see both sides)."""
        if findings.many_sealed:
            s.add(SubmissionFlag(submission_id=sub.id, kind="sealed-text", detail=findings.sealed))
        released = self._released_stages(s)
        identical = self._identical(s, sub, team_id, released)
        for other_id, other_team in identical:
            self._pair(s, "identical", sub.id, other_id, other_team, {"sha256": sub.sha256})
        same = {other_id for other_id, _ in identical}  # all its files are the same too
        for other_id, files in self._similar(s, team_id, findings.prints, released).items():
            if other_id in same:
                continue
            other = s.get(Submission, other_id)
            assert other is not None
            detail = {"files": [_match(m) for m in files]}
            self._pair(s, "similar", sub.id, other_id, other.team.name, detail)
        for path, values in findings.prints.items():
            s.add_all(CodePrint(submission_id=sub.id, path=path, value=v) for v in values)

    def _pair(
        self,
        s: Session,
        kind: str,
        sub_id: int,
        other_id: int,
        other_team: str,
        detail: dict[str, Any],
    ) -> None:
        ours = s.get(Submission, sub_id)
        assert ours is not None
        s.add(SubmissionFlag(submission_id=sub_id, kind=kind,
                             detail={"other_submission": other_id, "team": other_team, **detail}))  # fmt: skip
        s.add(SubmissionFlag(submission_id=other_id, kind=kind,
                             detail={"other_submission": sub_id, "team": ours.team.name, **detail}))  # fmt: skip

    def _released_stages(self, s: Session) -> list[int]:
        """Stages whose code podium has released (closed, `release_code = true`)."""
        rows = s.execute(self.c.scoped(select(Stage.id, Stage.name, Stage.status)))
        return [
            stage_id
            for stage_id, name, status in rows
            if status == "closed" and self.c.spec.stage(name).release_code
        ]

    def _identical(
        self, s: Session, sub: Submission, team_id: int, released: list[int]
    ) -> list[tuple[int, str]]:
        """Other teams' submissions with the same archive, unless that archive was released."""
        same = s.execute(
            self.c.scoped(
                select(Submission.id, Submission.stage_id, Team.name)
                .join(Stage)
                .join(Team, Submission.team_id == Team.id)
                .where(Submission.sha256 == sub.sha256, Submission.id != sub.id)
            )
        ).all()
        if any(stage_id in released for _, stage_id, _ in same):
            return []
        own = _team_subs(s, team_id)
        return [(sub_id, name) for sub_id, _, name in same if sub_id not in own]

    def _similar(
        self, s: Session, team_id: int, prints: Prints, released_stages: list[int]
    ) -> dict[int, list[Match]]:
        from podium.submission.codeprints import similar_files

        values = sorted({v for found in prints.values() for v in found})
        if not values:
            return {}
        others: dict[tuple[int, str], set[int]] = {}
        released = set(_shipped_prints())
        for chunk in _batches(values):
            rows = s.execute(
                self.c.scoped(
                    select(CodePrint.submission_id, CodePrint.path, CodePrint.value, Submission.team_id, Submission.stage_id)
                    .join(Submission, CodePrint.submission_id == Submission.id)
                    .join(Stage)
                    .where(CodePrint.value.in_(chunk))
                )
            )  # fmt: skip
            for sub_id, path, value, other_team, stage_id in rows:
                if stage_id in released_stages:
                    released.add(value)
                elif other_team != team_id:
                    others.setdefault((sub_id, path), set()).add(value)
        by_submission: dict[int, list[Match]] = {}
        for match in similar_files(prints, others, frozenset(released)):
            by_submission.setdefault(match.other_submission, []).append(match)
        return by_submission


def _team_subs(s: Session, team_id: int) -> set[int]:
    return set(s.scalars(select(Submission.id).where(Submission.team_id == team_id)))


def _match(m: Match) -> dict[str, Any]:
    return {"path": m.path, "other_path": m.other_path, "share": m.share, "shared": m.shared}


def _batches(values: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(values), _BATCH):
        yield values[start : start + _BATCH]


@cache
def _shipped_prints() -> frozenset[int]:
    """Fingerprints of the examples podium ships: code podium itself gives every team."""
    from podium.submission.codeprints import folder_prints

    shipped = Path(__file__).resolve().parents[1] / "examples"
    return frozenset(v for found in folder_prints(shipped).values() for v in found)


def _save(index: SealedIndex, target: Path) -> None:
    """Written beside its final name and renamed: a reader never sees half an index."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="index-", suffix=".part", dir=target.parent)
    os.close(fd)
    try:
        index.save(Path(name))
        os.replace(name, target)
    finally:
        Path(name).unlink(missing_ok=True)
