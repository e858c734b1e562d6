"""The canary test's threshold in force, and where it comes from.

The honest lean (`podium.rules.integrity`) is calibrated like the timing noise: `podium
calibrate` measures the baseline's canary pairs and stores the lean they recommend, and every
later run is judged with it. An `honest_lean` written in competition.toml's `[integrity]`
overrides the calibration; without either, the documented default (0.75) holds. A calibration
whose baseline had no discordant pair measured nothing and sets nothing. `suspect_p` is always
the spec's: it is the false-positive rate asked of the test, not a measurement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from podium.rules.integrity import IntegrityRule
from podium.service.context import Competition
from podium.store.models import Calibration

SPEC, CALIBRATION, DEFAULT = "competition.toml", "calibration", "default"


@dataclass(frozen=True)
class IntegritySetting:
    """The rule runs are judged with, and why that one."""

    rule: IntegrityRule
    source: str  # SPEC | CALIBRATION | DEFAULT
    calibrated_at: datetime | None = None
    hardware: str | None = None

    def text(self) -> str:
        """One line for `podium calibrate` and `podium data info`."""
        lean = f"canary test: honest_lean {self.rule.honest_lean:.2f}"
        if self.source == CALIBRATION and self.calibrated_at is not None:
            where = f"the calibration of {self.calibrated_at:%Y-%m-%d %H:%M} on {self.hardware!r}"
            lean += f" set by {where}"
        elif self.source == SPEC:
            lean += " set in competition.toml ([integrity] honest_lean; calibrations only advise)"
        else:
            lean += " (the default: no calibration measured it yet; `podium calibrate` sets it)"
        return f"{lean}; suspect below p = {self.rule.suspect_p:g}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "honest_lean": self.rule.honest_lean,
            "suspect_p": self.rule.suspect_p,
            "source": self.source,
            "calibrated_at": self.calibrated_at.isoformat() if self.calibrated_at else None,
            "hardware": self.hardware,
        }


def integrity_setting(c: Competition) -> IntegritySetting:
    """The spec's lean if it names one, else the latest calibration that measured one, else
    the default."""
    spec = c.spec.integrity
    if "honest_lean" in spec.model_fields_set:
        return IntegritySetting(
            IntegrityRule(spec.honest_lean, spec.suspect_p, spec.contrast_lean), SPEC
        )
    with c.sessions() as s:
        rows = s.execute(
            select(Calibration.integrity, Calibration.created_at, Calibration.hardware)
            .where(Calibration.competition_id == c.id, Calibration.integrity.is_not(None))
            .order_by(Calibration.id.desc())
        )
        for record, created_at, hardware in rows:
            lean = calibrated_lean(record)
            if lean is not None:
                return IntegritySetting(
                    IntegrityRule(lean, spec.suspect_p, spec.contrast_lean),
                    CALIBRATION,
                    created_at,
                    hardware,
                )
    return IntegritySetting(
        IntegrityRule(spec.honest_lean, spec.suspect_p, spec.contrast_lean), DEFAULT
    )


def calibrated_lean(record: Any) -> float | None:
    """The lean a stored calibration set: its recommendation, when its baseline had
    discordant pairs (None: it measured nothing, or the record is not one)."""
    if not isinstance(record, dict):
        return None
    try:
        discordant = int(record.get("original_wins", 0)) + int(record.get("canary_wins", 0))
        lean = float(record["recommended_lean"])
    except (KeyError, TypeError, ValueError):
        return None
    return lean if discordant > 0 and 0.5 <= lean < 1 else None
