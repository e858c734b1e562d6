"""What the server and its workers exchange: a worker as the fleet shows it, the lease of a
claimed run, and a worker's report of a run (checked before anything is stored)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from podium.core.errors import PlatformError, PodiumError

if TYPE_CHECKING:
    from podium.harness.evaluate import EvaluationResult
    from podium.harness.runner import ProcessResult


@dataclass(frozen=True)
class WorkerInfo:
    id: int
    name: str
    hardware: str
    fingerprint: Mapping[str, Any]
    alike: bool
    differs: tuple[str, ...]  # the facts that differ from its label's first worker
    last_heartbeat: datetime
    current_run_id: int | None
    runs_done: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "hardware": self.hardware,
            "fingerprint": dict(self.fingerprint),
            "alike": self.alike,
            "differs": list(self.differs),
            "last_heartbeat": self.last_heartbeat.isoformat(),
            "current_run_id": self.current_run_id,
            "runs_done": self.runs_done,
        }


@dataclass(frozen=True)
class Lease:
    """What a worker needs for one claimed run (never a label)."""

    run_id: int
    submission_id: int
    lease: str
    expires_at: datetime
    split: str
    archive_sha256: str
    inputs_sha256: str
    repeats: int
    sandbox: dict[str, Any]
    idle_seconds: float
    heartbeat_seconds: float
    # the competition's [environments] as recipes: a worker builds the same ones by hash
    environments: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "expires_at": self.expires_at.isoformat()}


@dataclass(frozen=True)
class WorkerReport:
    """What a worker says of a run (checked: numbers finite, fields bounded)."""

    status: str  # "produced" (predictions follow) | "failed" (the team's) | "platform_error"
    error: str | None
    log_tail: str
    harness_seconds: float
    enforcement: dict[str, str]
    measurements: Sequence[dict[str, Any]]
    log: Path | None = None  # the run's full log, as uploaded

    def result(self) -> EvaluationResult:
        from podium.harness.evaluate import EvaluationResult

        if self.status == "platform_error":  # the machine failed (download, sandbox): retried
            raise PlatformError(f"the worker failed: {self.error or 'no reason given'}")
        if self.status not in ("produced", "failed"):
            raise PodiumError(f"a worker reported status {self.status!r}")
        measured = [_measurement(raw) for raw in self.measurements]
        if self.status == "produced" and not measured:
            raise PodiumError("a worker reported predictions without measurements")
        return EvaluationResult(
            status="scored" if self.status == "produced" else "failed",
            error=self.error[:10_000] if self.error else None,
            measurements=measured,
            log_tail=self.log_tail[-8000:],
            harness_seconds=max(0.0, float(self.harness_seconds)),
            enforcement={str(k): str(v) for k, v in self.enforcement.items()},
        )


def _measurement(raw: Mapping[str, Any]) -> ProcessResult:
    """One repeat as a worker reported it, every field of the type the store keeps: a bad
    report is the platform's fault (retried), never a row that breaks a leaderboard later."""
    from podium.harness.runner import ProcessResult

    fields = ProcessResult.__dataclass_fields__
    if not isinstance(raw, Mapping) or set(raw) - set(fields):
        raise PodiumError(f"a worker reported unknown measurements: {str(raw)[:200]}")
    for name, value in raw.items():
        kind = str(fields[name].type)
        if value is None and "None" in kind:
            continue
        if kind.startswith("bool"):
            ok = isinstance(value, bool)
        elif kind.startswith("str"):
            ok = isinstance(value, str) and len(value) <= 2000
        elif "int" in kind and "float" not in kind:
            ok = (
                isinstance(value, int) and not isinstance(value, bool) and -(2**31) <= value < 2**63
            )
        else:
            number = isinstance(value, int | float) and not isinstance(value, bool)
            ok = number and math.isfinite(value) and 0 <= value < 1e12
        if not ok:
            raise PodiumError(f"a worker reported {name} = {str(value)[:80]!r}")
    return ProcessResult(**raw)
