"""A submission's podium.toml: a `command` or `setup` holding a NUL or another control
character is refused when it is read (at intake), saying which character and where."""

from __future__ import annotations

from pathlib import Path

import pytest

from podium.core.errors import SubmissionError
from podium.submission.manifest import load_job_command, load_submission_manifest


def manifest(folder: Path, body: str) -> Path:
    folder.mkdir()
    (folder / "podium.toml").write_text(body)
    return folder


@pytest.mark.parametrize(
    ("body", "needles"),
    [
        ('[submission]\ncommand = "python predict.py\\u0000"\n',
         ["submission.command", "character 18 is U+0000"]),
        ('[submission]\ncommand = "python predict.py"\nsetup = "echo \\u001b]0;hi\\u0007"\n',
         ["submission.setup", "character 6 is U+001B", "character 12 is U+0007"]),
        ('[submission]\ncommand = "python \\u202eyp.tciderp"\n',
         ["submission.command", "character 8 is U+202E"]),
        ('[submission]\ncommand = "python predict.py\\r"\n',
         ["submission.command", "character 18 is U+000D"]),
    ],
    ids=["nul", "escape-and-bell", "right-to-left", "carriage-return"],
)  # fmt: skip
def test_control_characters_in_command_or_setup_are_refused(
    tmp_path: Path, body: str, needles: list[str]
) -> None:
    with pytest.raises(SubmissionError) as caught:
        load_submission_manifest(manifest(tmp_path / "sub", body), where="sub.zip")
    message = caught.value.message
    assert message.startswith("sub.zip/podium.toml: ")
    for needle in needles:
        assert needle in message
    assert "tabs and newlines" in message  # what is allowed instead
    assert not any(c in message for c in "\x00\x1b\x07\r\u202e")  # shown escaped, never raw


def test_shell_lines_with_tabs_and_newlines_are_fine(tmp_path: Path) -> None:
    body = '[submission]\ncommand = "python predict.py"\nsetup = """\npip install x\n\tpython prep.py\n"""\n'
    section = load_submission_manifest(manifest(tmp_path / "sub", body)).submission
    assert section.setup == "pip install x\n\tpython prep.py\n"


def test_a_command_longer_than_a_process_argument_may_be_is_refused(tmp_path: Path) -> None:
    """Linux refuses an argument over 128 KiB (E2BIG): the sandbox could never start it, which
    was a platform fault three times over."""
    body = '[submission]\ncommand = "python predict.py"\nsetup = "' + "echo x; " * 5000 + '"\n'
    with pytest.raises(
        SubmissionError, match="submission.setup: String should have at most 32000 characters"
    ):
        load_submission_manifest(manifest(tmp_path / "sub", body))


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('[submission]\ncomand = "python predict.py"\n',
         "submission.comand: unknown field; did you mean 'command'?"),
        ('[submision]\ncommand = "python predict.py"\n',
         "submision: unknown field; did you mean 'submission'?"),
        ('[submission]\ncommand = "python predict.py"\nsetpu = "pip install x"\n',
         "submission.setpu: unknown field; did you mean 'setup'?"),
    ],
)  # fmt: skip
def test_a_misspelt_field_gets_the_closest_names(tmp_path: Path, text: str, said: str) -> None:
    """As competition.toml does: a typo is named with what was probably meant."""
    (tmp_path / "podium.toml").write_text(text)
    with pytest.raises(SubmissionError) as err:
        load_submission_manifest(tmp_path)
    assert said in err.value.message


def test_a_misspelt_job_field_gets_the_closest_names(tmp_path: Path) -> None:
    (tmp_path / "podium.toml").write_text('[job]\ncomand = "python train.py"\n')
    with pytest.raises(SubmissionError) as err:
        load_job_command(tmp_path)
    assert "job.comand: unknown field; did you mean 'command'?" in err.value.message
