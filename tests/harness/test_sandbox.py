"""Hostile submissions against the real bubblewrap sandbox, through the real service.

Each is stopped with a recorded reason, and the submission after it evaluates normally.
"""

from __future__ import annotations

import importlib.util
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from podium.core.errors import PlatformError
from podium.harness import seccomp
from podium.harness.cgroups import host_hierarchy
from podium.harness.sandbox import BwrapRunner
from podium.service import Podium

from ..conftest import CONSTANT_PREDICT
from ..patience import scaled
from .conftest import hostile_cup, needs_bwrap, run_hostile

pytestmark = needs_bwrap


def test_cannot_reach_a_server_on_the_host_loopback(cup: Podium, tmp_path: Path) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    port = server.getsockname()[1]
    accepted: list[object] = []
    done = threading.Event()

    def accept() -> None:  # listens until the run is over (no connection may come at all)
        while not done.is_set():
            try:
                accepted.append(server.accept())
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept)
    thread.start()
    code = f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2)\nprint('CONNECTED')"
    try:
        status, _, log = run_hostile(cup, tmp_path, code)
    finally:
        done.set()
        thread.join()
    server.close()
    assert status == "failed" and "CONNECTED" not in log and accepted == []
    assert "ConnectionRefusedError" in log or "Network is unreachable" in log


def test_only_loopback_is_visible(cup: Podium, tmp_path: Path) -> None:
    code = "import socket, sys\nprint('IFACES', [n for _, n in socket.if_nameindex()])\nsys.exit(1)"
    _, _, log = run_hostile(cup, tmp_path, code)
    assert "IFACES ['lo']" in log


def test_cannot_read_labels_or_the_store(cup: Podium, tmp_path: Path) -> None:
    labels = cup.competition.layout.labels_dir("eval") / "xnli" / "en.jsonl"
    targets = [str(labels), str(cup.competition.layout.store_file), "../sealed/labels/eval/xnli/en.jsonl",
               "../../sealed/labels/eval/xnli/en.jsonl", str(cup.competition.root / "competition.toml")]  # fmt: skip
    code = f"""
found = []
for path in {targets!r}:
    try:
        open(path).read(1)
        found.append(path)
    except OSError as err:
        print('blocked', type(err).__name__)
print('FOUND', found)
raise SystemExit(1)
"""
    _, _, log = run_hostile(cup, tmp_path, code)
    assert "FOUND []" in log and log.count("blocked") == len(targets)


def test_cannot_write_outside_the_output_folder(cup: Podium, tmp_path: Path) -> None:
    code = """
import os
ok = []
for path in ['/submission/x', os.environ['PODIUM_INPUT_DIR'] + '/x', '/usr/x', '/x', '/data/x']:
    try:
        open(path, 'w').write('x')
        ok.append(path)
    except OSError as err:
        print('blocked', type(err).__name__)
print('WROTE', ok)
raise SystemExit(1)
"""
    _, _, log = run_hostile(cup, tmp_path, code)
    assert "WROTE []" in log and log.count("blocked") == 5


def test_fork_bomb_is_contained(cup: Podium, tmp_path: Path) -> None:
    code = "import os\nwhile True:\n    os.fork()"
    status, error, _ = run_hostile(cup, tmp_path, code)
    assert status == "failed" and error


def test_memory_beyond_the_limit_fails(cup: Podium, tmp_path: Path) -> None:
    status, error, log = run_hostile(cup, tmp_path, "x = bytearray(4 * 1024**3)")
    assert status == "failed"
    if host_hierarchy()[0] is not None:  # the whole tree's memory, in a cgroup
        assert "ran out of memory" in (error or "") and "1024 MiB" in (error or "")
    else:  # an address-space rlimit per process
        assert "MemoryError" in log


@pytest.mark.store
def test_endless_loop_times_out(tmp_path: Path) -> None:
    limit = scaled(1.5)  # fires on the loop (it spins until then), never on the honest run after it
    cup = hostile_cup(tmp_path / "cup", timeout=limit)
    try:
        status, error, _ = run_hostile(cup, tmp_path, "while True:\n    pass")
    finally:
        cup.close()
    assert status == "failed" and f"timed out after {limit:g} s" in (error or "")


def test_printing_gigabytes_is_stopped(cup: Podium, tmp_path: Path) -> None:
    status, error, _ = run_hostile(cup, tmp_path, "while True:\n    print('x' * 65536)")
    assert status == "failed" and "printed more than the log limit" in (error or "")


def test_background_process_is_not_left_behind(cup: Podium, tmp_path: Path) -> None:
    code = (
        "import subprocess\nsubprocess.Popen(['sleep', '600'], start_new_session=True)\n"
        + CONSTANT_PREDICT
    )
    status, _, _ = run_hostile(cup, tmp_path, code)
    assert status == "scored"  # it did its job; its leftover is gone (checked in run_hostile)


# --- default deny: the system-call filter -----------------------------------------------------

# One call or more per refused family, with arguments that the kernel itself would answer with
# something other than EPERM (a success, ESRCH, EFAULT, ENOENT...) were the filter not there.
PROBES: dict[str, list[tuple[object, ...]]] = {
    "kernel keyrings": [("add_key", b"user", b"podium-answers", b"x", 1, -4),
                        ("keyctl", 0, -3, 0), ("request_key", b"user", b"podium-answers", None, 0)],
    "tracing other processes": [("ptrace", 2, "FAR", 0, 0),
                                ("process_vm_readv", "FAR", None, 0, None, 0, 0)],
    "BPF and performance counters": [("bpf", 0, None, 0), ("perf_event_open", None, 0, -1, -1, 0)],
    "userfaultfd": [("userfaultfd", 1)],  # UFFD_USER_MODE_ONLY: allowed to anyone unfiltered
    "mounts": [("mount", b"none", b"/nowhere", b"tmpfs", 0, None), ("umount2", b"/nowhere", 0),
               ("pivot_root", b"/nowhere", b"/nowhere")],
    "namespaces": [("unshare", 0), ("setns", -1, 0), ("clone", 0x10000000 | 17, 0, 0, 0, 0)],
    "kernel modules": [("init_module", None, 0, b""), ("finit_module", -1, b"", 0),
                       ("delete_module", b"podium", 0)],
    "kexec and reboot": [("kexec_load", 0, 0, None, 0), ("kexec_file_load", -1, -1, 0, None, 0),
                         ("reboot", 0, 0, 0, None)],
    "setting the clock": [("clock_settime", 0, None), ("settimeofday", None, None),
                          ("adjtimex", "BUF"), ("clock_adjtime", 0, "BUF")],
    "file handles": [("open_by_handle_at", -1, None, 0)],
    "io_uring": [("io_uring_setup", 1, None), ("io_uring_enter", -1, 0, 0, 0, None, 0),
                 ("io_uring_register", -1, 0, None, 0)],
    "NUMA placement": [("get_mempolicy", None, None, 0, None, 0)],
    "the rest of the host": [("swapon", b"/nowhere", 0), ("syslog", 10, None, 0),
                             ("personality", 0x0040000), ("socket", 40, 1, 0), ("socket", 38, 5, 0)],
}  # fmt: skip

PROBE = (
    f"""
import ctypes, errno, os, socket, threading
import pyseccomp
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
BUF = ctypes.create_string_buffer(512)  # a zeroed struct timex: modes 0, only reads
FAR = 999_999_999  # a process that exists in no namespace

def call(name, *args):
    args = [{{"BUF": BUF, "FAR": FAR}}.get(a, a) if isinstance(a, str) else a for a in args]
    ctypes.set_errno(0)
    result = libc.syscall(pyseccomp.resolve_syscall(0, name), *args)
    if result == 0 and name.startswith("clone"):
        os._exit(0)  # a child, were clone allowed
    return errno.errorcode.get(ctypes.get_errno(), "?") if result < 0 else "ok"

for family, calls in {PROBES!r}.items():
    print("REFUSED?", family, [call(*c) for c in calls])
print("CLONE3", call("clone3", None, 0))  # ENOSYS: the C library falls back to clone
pid = os.fork()  # clone without namespace flags
if pid == 0:
    os._exit(7)
thread = threading.Thread(target=print, args=("THREAD ok",))
thread.start(); thread.join()
print("ALLOWED", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]),
      call("personality", ctypes.c_ulong(0xFFFFFFFF)),  # the query, as the C library makes it
      socket.socketpair()[0].family.name, open("/proc/self/uid_map").read().split())
"""
    + CONSTANT_PREDICT
)


@pytest.fixture(scope="module")
def probed(cup: Podium, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """One submission probes every family (a sandbox start each would be slow); it goes on
    to score, and so does the honest one after it."""
    status, error, log = run_hostile(cup, tmp_path_factory.mktemp("probe"), PROBE)
    assert status == "scored", f"{error}\n{log}"
    return status, log


def test_a_host_that_cannot_give_a_user_namespace_is_a_platform_error() -> None:
    with pytest.raises(PlatformError, match="user namespace of its own") as refused:
        BwrapRunner("/bin/false")  # a bubblewrap that cannot start anything
    assert "max_user_namespaces" in (refused.value.hint or "")


def test_every_denied_family_is_probed() -> None:
    assert set(PROBES) == set(seccomp.DENIED)
    allowed = {*seccomp.ALLOWED, *(rule.name for rule in seccomp.CONDITIONAL), *seccomp.ERRNO}
    assert [name for names in seccomp.DENIED.values() for name in names if name in allowed] == []


@pytest.mark.parametrize("family", list(PROBES))
def test_the_family_is_refused_inside_the_sandbox(probed: tuple[str, str], family: str) -> None:
    _, log = probed
    line = next(line for line in log.splitlines() if line.startswith(f"REFUSED? {family} ["))
    assert line == f"REFUSED? {family} {['EPERM'] * len(PROBES[family])}"


def test_what_programs_need_still_works_under_the_filter(probed: tuple[str, str]) -> None:
    _, log = probed
    assert "CLONE3 ENOSYS" in log and "THREAD ok" in log
    # a fork, the personality query, a Unix socket; a user namespace of the run's own
    assert "ALLOWED 7 ok AF_UNIX [" in log
    assert "['0', '0', '4294967295']" not in log  # the host's (initial) user namespace


WORKLOAD = """
import multiprocessing as mp, threading
import numpy as np

def square(x):
    return x * x

def main(torch_too):
    for method in ("fork", "spawn"):
        with mp.get_context(method).Pool(2) as pool:
            assert pool.map(square, range(4)) == [0, 1, 4, 9], method
    lock, queue = mp.Lock(), mp.Queue()  # POSIX semaphores in /dev/shm
    with lock:
        queue.put(int(np.arange(5).sum()))
    assert queue.get() == 10
    sums = []
    threads = [threading.Thread(target=lambda: sums.append(np.linalg.svd(np.eye(30))[1].sum()))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(sums) == 4
    if torch_too:
        import torch
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
        with torch.inference_mode():
            print("TORCH", tuple(model.eval()(torch.randn(32, 8)).shape))
    print("WORKLOAD ok")
"""


@pytest.fixture(scope="module")
def roomy_cup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Podium]:
    """Room for real work: the time-out only stops a run that hangs."""
    podium = hostile_cup(tmp_path_factory.mktemp("roomy") / "cup", timeout=600)
    yield podium
    podium.close()


@pytest.mark.store
def test_python_numpy_processes_threads_and_torch_work_under_the_filter(
    roomy_cup: Podium, tmp_path: Path
) -> None:
    torch = importlib.util.find_spec("torch") is not None  # the baseline kit's extra
    code = f"import work\nif __name__ == '__main__':\n    work.main({torch})\n    import constant\n"
    files = {"work.py": WORKLOAD, "constant.py": CONSTANT_PREDICT}
    status, error, log = run_hostile(roomy_cup, tmp_path, code, files=files)
    assert status == "scored", f"{error}\n{log}"
    assert "WORKLOAD ok" in log
    assert ("TORCH (32, 3)" in log) == torch
