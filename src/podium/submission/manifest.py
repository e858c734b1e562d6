"""A submission's podium.toml: how to run it."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from podium.errors import SubmissionError

MANIFEST_NAME = "podium.toml"

EXAMPLE = """[submission]
command = "python predict.py"
"""


class SubmissionSection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    command: str = Field(min_length=1, description="run in the submission folder, timed")
    setup: str | None = Field(default=None, description="run once before, untimed")


class SubmissionManifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    submission: SubmissionSection


def load_submission_manifest(folder: Path, where: str | None = None) -> SubmissionManifest:
    """Read and validate `podium.toml` at the top of an unpacked submission."""
    file = folder / MANIFEST_NAME
    if not file.is_file():
        raise SubmissionError(
            f"the submission has no {MANIFEST_NAME} at its top level",
            where=where or folder.name,
            hint=f"add a {MANIFEST_NAME} with:\n{EXAMPLE}",
        )
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise SubmissionError(
            f"not valid TOML: {err}", where=f"{where or folder.name}/{MANIFEST_NAME}"
        ) from None
    except RecursionError:  # tomllib parses nested arrays and tables recursively
        raise SubmissionError(
            "not valid TOML: nested too deeply", where=f"{where or folder.name}/{MANIFEST_NAME}"
        ) from None
    try:
        return SubmissionManifest.model_validate(raw)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in err.errors()
        )
        raise SubmissionError(
            problems, where=f"{where or folder.name}/{MANIFEST_NAME}", hint=f"expected:\n{EXAMPLE}"
        ) from None
