"""What the server and its workers exchange: a worker as the fleet shows it, the lease of a
claimed run, and a worker's report of a run (checked before anything is stored)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from podium.errors import PlatformError, PodiumError
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
        if self.status == "platform_error":  # the machine failed (download, sandbox): retried
            raise PlatformError(f"the worker failed: {self.error or 'no reason given'}")
        if self.status not in ("produced", "failed"):
            raise PodiumError(f"a worker reported status {self.status!r}")
        fields = set(ProcessResult.__dataclass_fields__)
        measured = []
        for raw in self.measurements:
            if set(raw) - fields:
                raise PodiumError(
                    f"a worker reported unknown measurements {sorted(set(raw) - fields)}"
                )
            measured.append(ProcessResult(**raw))
        for m in measured:
            if not (0 <= m.wall_seconds < 1e7 and 0 <= m.cpu_user_seconds < 1e9):
                raise PodiumError("a worker reported an impossible duration")
        return EvaluationResult(
            status="scored" if self.status == "produced" else "failed",
            error=self.error[:10_000] if self.error else None,
            measurements=measured,
            log_tail=self.log_tail[-8000:],
            harness_seconds=max(0.0, float(self.harness_seconds)),
            enforcement={str(k): str(v) for k, v in self.enforcement.items()},
        )
