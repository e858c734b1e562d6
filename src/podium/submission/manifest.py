"""A submission's podium.toml: how to run it."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from podium.config.fields import table_fields
from podium.core.errors import SubmissionError
from podium.core.escapes import code_point, control_characters
from podium.core.suggest import did_you_mean

MANIFEST_NAME = "podium.toml"
# one argument of `sh -c`: Linux takes at most 128 KiB (MAX_ARG_STRLEN), 4 bytes a character
MAX_COMMAND = 32_000

EXAMPLE = """[submission]
command = "python predict.py"
"""


class SubmissionSection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    command: str = Field(
        min_length=1, max_length=MAX_COMMAND, description="run in the submission folder, timed"
    )
    setup: str | None = Field(
        default=None, max_length=MAX_COMMAND, description="run once before, untimed"
    )

    environment: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$",
        description="an [environments] name of the competition; default: the submission's "
        "own requirements.txt or uv.lock if it has one, else the evaluator's Python",
    )

    @field_validator("command", "setup")
    @classmethod
    def _shell_line(cls, value: str | None) -> str | None:
        """A NUL cannot reach a process at all, and other controls hide what runs: both are
        refused here, at intake, rather than failing (or misleading) at evaluation."""
        found = control_characters(value or "")
        if found:
            where = ", ".join(f"character {i + 1} is {code_point(c)}" for i, c in found[:5])
            raise ValueError(
                f"{where}: a control character; write printable text (tabs and newlines are fine)"
            )
        return value


class JobSection(BaseModel):
    """`[job]`: the training command `podium job run` runs on the public data."""

    model_config = ConfigDict(extra="forbid")

    command: str = Field(
        min_length=1, max_length=MAX_COMMAND, description="run in the folder; writes its output"
    )

    _shell_line = field_validator("command")(SubmissionSection._shell_line.__func__)  # type: ignore[attr-defined]


class SubmissionManifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    submission: SubmissionSection
    job: JobSection | None = None


JOB_EXAMPLE = """[job]
command = "python train.py"
"""


def load_job_command(folder: Path, where: str | None = None) -> str:
    """The `[job] command` of a folder's podium.toml (a `[submission]` beside it is allowed)."""
    shown = f"{where or folder.name}/{MANIFEST_NAME}"
    file = folder / MANIFEST_NAME
    if not file.is_file():
        raise SubmissionError(
            f"the folder has no {MANIFEST_NAME} at its top level",
            where=where or folder.name,
            hint=f"add a {MANIFEST_NAME} with:\n{JOB_EXAMPLE}",
        )
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError) as err:
        raise SubmissionError(f"not valid TOML: {err}", where=shown) from None
    if not isinstance(raw.get("job"), dict):
        raise SubmissionError(
            "no [job] table: a training job needs its command", where=shown, hint=JOB_EXAMPLE
        )
    try:
        return JobSection.model_validate(raw["job"]).command
    except ValidationError as err:
        problems = "; ".join(
            _problem(("job", *e["loc"]), e["type"], e["msg"]) for e in err.errors()
        )
        raise SubmissionError(problems, where=shown, hint=f"expected:\n{JOB_EXAMPLE}") from None


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
        problems = "; ".join(_problem(e["loc"], e["type"], e["msg"]) for e in err.errors())
        raise SubmissionError(
            problems, where=f"{where or folder.name}/{MANIFEST_NAME}", hint=f"expected:\n{EXAMPLE}"
        ) from None


def _problem(loc: tuple[int | str, ...], kind: str, message: str) -> str:
    """One validation problem, a misspelt field with the closest names (as competition.toml)."""
    where = ".".join(str(p) for p in loc)
    known = table_fields(SubmissionManifest, loc[:-1])
    if kind == "extra_forbidden" and known:
        return f"{where}: unknown field; {did_you_mean(str(loc[-1]), known)}"
    return f"{where}: {message.removeprefix('Value error, ')}"
