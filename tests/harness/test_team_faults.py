"""Issue 24, item 2: whatever a submission declares or produces ends its own run as `failed`
with a reason it can read, never as a platform fault (no retry, never `attention`), and the
server keeps what a person needs. Each attack is a real submission in the real sandbox,
followed by an honest one that must score; on SQLite and PostgreSQL (the `store` mark)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from podium.core.errors import SubmissionError
from podium.harness.workspace import can_mount_tmpfs
from podium.service import Podium

from ..conftest import CONSTANT_PREDICT, count_rows, share_store, write_submission
from .conftest import hostile_cup, needs_bwrap, run_hostile
from .test_hostile import podium_cli

pytestmark = [needs_bwrap, pytest.mark.store, pytest.mark.both_stores]  # text the store holds


@pytest.fixture(scope="module")
def cup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Podium]:
    """Two repeats, each from a snapshot of $HOME, and a /tmp of 16 MiB."""
    extra = "tmp_mb = 16\n\n[efficiency]\nrepeats = 2\n"
    podium = hostile_cup(tmp_path_factory.mktemp("faults") / "cup", extra)
    yield podium
    podium.close()


def the_teams_failure(cup: Podium) -> str:
    """The hostile submission's one run failed, by the team's fault; its reason."""
    hostile = cup.submissions.find()[-2]
    assert hostile.status == "failed" and hostile.platform_failures == 0
    [run] = hostile.runs
    assert run.status == "failed" and run.error
    return run.error


# --- what the submission declares --------------------------------------------------------


def test_control_characters_in_command_or_setup_are_refused_at_intake(
    cup: Podium, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = cup.competition.root
    before = (count_rows(root, "submissions"), cup.submissions.attempts_left("Mallory"))
    nul = write_submission(tmp_path / "nul", CONSTANT_PREDICT, command="python predict.py\\u0000")
    with pytest.raises(SubmissionError, match="submission.command: character 18 is U\\+0000"):
        cup.submissions.submit(nul, team="Mallory")
    escape = write_submission(tmp_path / "esc", CONSTANT_PREDICT)
    (escape / "podium.toml").write_text(
        '[submission]\ncommand = "python predict.py"\nsetup = "printf \\u001b]52;c;b3du\\u0007"\n'
    )
    share_store(monkeypatch, cup)
    refused = podium_cli("submit", str(escape), "--team", "Mallory", "-c", str(root), ok=False)
    assert refused.returncode != 0
    assert "submission.setup: character 8 is U+001B" in refused.stderr + refused.stdout
    assert "\x1b" not in refused.stderr + refused.stdout
    assert (count_rows(root, "submissions"), cup.submissions.attempts_left("Mallory")) == before
    cup.submissions.submit(write_submission(tmp_path / "good", CONSTANT_PREDICT), team="Mallory")
    [honest] = cup.evaluation.evaluate_pending()
    assert honest.status == "scored", honest.error


# --- what it writes ------------------------------------------------------------------------

BAD_NAME = (
    CONSTANT_PREDICT
    + """
(dst / "xnli").joinpath(os.fsdecode(b"\\xff\\xfe.jsonl")).write_text("{}\\n")
"""
)


def test_an_output_name_that_is_not_utf8_fails_the_run_and_is_shown_escaped(
    cup: Podium, tmp_path: Path
) -> None:
    status, error, _ = run_hostile(cup, tmp_path, BAD_NAME)
    assert status == "failed"
    assert the_teams_failure(cup) == error
    assert "xnli/\\xff\\xfe.jsonl: a name that is not valid UTF-8" in (error or "")


UNSTORABLE_TEXT = (
    """
import sys
sys.stdout.buffer.write(b"BEFORE\\x00AFTER \\xff\\xfe END\\n"); sys.stdout.flush()
"""
    + CONSTANT_PREDICT
    + """
first, *rest = (dst / "xnli" / "en.jsonl").read_text().splitlines(keepends=True)
row = json.loads(first)
row["label"] = "\\ud800\\u0000"
(dst / "xnli" / "en.jsonl").write_text(json.dumps(row) + "\\n" + "".join(rest))
"""
)


def test_nul_and_bad_unicode_in_the_log_and_the_reason_are_stored_escaped(
    cup: Podium, tmp_path: Path
) -> None:
    """One NUL printed broke PostgreSQL; a lone surrogate quoted in a reason broke both."""
    status, error, log = run_hostile(cup, tmp_path, UNSTORABLE_TEXT)
    assert status == "failed" and the_teams_failure(cup) == error
    assert 'label "\\ud800\\u0000" is not one of' in (error or "")
    assert log.count("BEFORE\\x00AFTER \\xff\\xfe END") == 2  # one line per repeat
    run_id = cup.submissions.find()[-2].runs[-1].id
    full = (cup.competition.layout.run_dir(run_id) / "log.txt").read_bytes()
    assert full.count(b"BEFORE\x00AFTER \xff\xfe END") == 2  # the log file keeps every byte


# --- what it leaves in $HOME ---------------------------------------------------------------

LINKS_AND_HOLES = """
import os
home = os.environ["HOME"]
with open(os.path.join(home, "blob"), "wb") as f:
    f.write(os.urandom(4 * 2**20))
for i in range(100):  # 400 MiB to anything that copies file by file
    os.link(os.path.join(home, "blob"), os.path.join(home, f"link{i}"))
with open(os.path.join(home, "sparse"), "wb") as f:  # 1 GiB holding one byte
    f.seek(2**30 - 1)
    f.write(b"!")
"""
SNAPSHOT_AS_LEFT = (
    """
import os, sys
home = os.environ["HOME"]
blob, sparse = os.stat(os.path.join(home, "blob")), os.stat(os.path.join(home, "sparse"))
print("SNAPSHOT", blob.st_nlink, sparse.st_size, sparse.st_blocks * 512 < 2**20, flush=True)
if blob.st_nlink != 101 or sparse.st_blocks * 512 >= 2**20:
    sys.exit(7)
"""
    + CONSTANT_PREDICT
)


def test_hard_links_and_holes_in_home_cost_their_real_size(cup: Podium, tmp_path: Path) -> None:
    """Copied file by file they were 1.4 GiB (ENOSPC, a platform fault three times); they
    are 4 MiB, within tmp_mb, and every repeat finds them as setup left them."""
    status, error, log = run_hostile(
        cup, tmp_path, SNAPSHOT_AS_LEFT, setup="python home.py", files={"home.py": LINKS_AND_HOLES}
    )
    assert status == "scored", f"{error}\n{log}"
    assert log.count(f"SNAPSHOT 101 {2**30} True") == 2


LONG_PATH = """
import os
os.chdir(os.environ[{folder!r}])
for _ in range(20):  # 5 kB of path: past PATH_MAX below the evaluator's own folders
    os.mkdir("d" * 250)
    os.chdir("d" * 250)
open("x.jsonl", "w").close()
"""


@pytest.mark.parametrize("folder", ["HOME", "PODIUM_OUTPUT_DIR"])
def test_paths_too_long_to_copy_fail_the_run_with_a_reason(
    cup: Podium, tmp_path: Path, folder: str
) -> None:
    """An OSError (ENAMETOOLONG) while copying them was a platform fault, three times. A
    $HOME handed to the repeats under an overlay is not copied at all: nothing to fail."""
    code = LONG_PATH.format(folder=folder)
    if folder == "HOME":
        status, error, log = run_hostile(
            cup, tmp_path, CONSTANT_PREDICT, setup="python home.py", files={"home.py": code}
        )
        if can_mount_tmpfs():  # an overlay, not a copy
            assert status == "scored", f"{error}\n{log}"
            return
    else:
        status, error, log = run_hostile(cup, tmp_path, CONSTANT_PREDICT + code)
    assert status == "failed" and the_teams_failure(cup) == error, log
    assert "a path longer than 2048 bytes" in (error or "")
