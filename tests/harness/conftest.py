"""Hostile submissions: a real competition, the real bubblewrap sandbox, the real service.

Every hostile case is followed by a normal submission that must score, and no process of
the sandbox may outlive its run.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from podium.service import Podium

from ..conftest import CONSTANT_PREDICT, RUN_LIMIT, SMALL_SPEC, write_submission

needs_bwrap = pytest.mark.skipif(
    shutil.which("bwrap") is None, reason="bubblewrap (bwrap) is not installed"
)

LIMITS = """
runner = "bwrap"
memory_mb = 1024
max_processes = 48
max_log_bytes = 200000
"""


def hostile_cup(root: Path, extra: str = "", timeout: float = RUN_LIMIT) -> Podium:
    """A prepared competition with 99 attempts for team Mallory, its stage open; named after
    its folder, so that a module's cups can share one store (on PostgreSQL they do). Its time
    limit is one only a hang reaches: a test that needs the limit to fire passes a short one
    stretched by today's load (`patience.scaled`), so that the honest submission after the
    hostile one never times out on a busy machine."""
    root.mkdir(parents=True)
    spec = (
        SMALL_SPEC.format(timeout=timeout)
        .replace("attempts = 3\nrelease", "attempts = 99\nrelease")
        .replace('name = "test cup"', f'name = "{root.parent.name}"')
    )
    (root / "competition.toml").write_text(spec + LIMITS + extra)
    podium = Podium.open(root)
    assert podium.competition.spec.sandbox.runner == "bwrap"
    podium.setup.prepare_data()
    podium.setup.add_team("Mallory")
    podium.setup.open_stage("evaluation")
    return podium


@pytest.fixture(scope="module")
def cup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Podium]:
    podium = hostile_cup(tmp_path_factory.mktemp("hostile") / "cup")
    yield podium
    podium.close()


def living_sandbox_processes(root: Path) -> list[str]:
    """Live processes of the sandbox user that were started for the competition in `root`
    (its paths are in their mount table); other competitions' sandboxes are none of ours."""
    ps = subprocess.run(
        ["ps", "-u", "nobody", "-o", "pid=,stat=,args="], capture_output=True, text=True
    )
    found = []
    for line in ps.stdout.splitlines():
        pid, stat, args = ([*line.split(None, 2), "", ""])[:3]
        if not pid.isdigit() or stat.startswith("Z"):
            continue  # zombies are dead, just unreaped
        try:
            mounts = Path(f"/proc/{pid}/mountinfo").read_text()
        except OSError:
            continue
        if str(root) in mounts:
            found.append(f"{pid} {stat} {args}")
    return found


def run_hostile(
    cup: Podium,
    tmp_path: Path,
    code: str,
    *,
    setup: str | None = None,
    files: dict[str, str] | None = None,
) -> tuple[str, str | None, str]:
    """Evaluate a hostile submission, then a good one; return (status, error, log)."""
    bad = write_submission(tmp_path / "bad", code)
    if setup is not None:
        (bad / "podium.toml").write_text(
            f'[submission]\ncommand = "python predict.py"\nsetup = "{setup}"\n'
        )
    for name, text in (files or {}).items():
        (bad / name).write_text(text)
    good = write_submission(tmp_path / "good", CONSTANT_PREDICT)
    cup.submissions.submit(bad, team="Mallory")
    cup.submissions.submit(good, team="Mallory")
    hostile, normal = cup.evaluation.evaluate_pending()
    assert normal.status == "scored", f"the next submission failed: {normal.error}"
    assert living_sandbox_processes(cup.competition.root) == [], "a process outlived its run"
    assert not any(cup.competition.layout.work_dir.iterdir()), "a run's folders were left behind"
    return hostile.status, hostile.error, cup.results.run(hostile.run_id).log_tail
