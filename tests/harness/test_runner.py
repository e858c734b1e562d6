from __future__ import annotations

from pathlib import Path

from podium.harness.runner import RunRequest, SubprocessRunner

from ..patience import wait_until


def _request(
    tmp_path: Path, command: str, timeout: float = 20.0, max_log: int = 10_000
) -> RunRequest:
    for name in ("in", "out", "tmp"):
        (tmp_path / name).mkdir(exist_ok=True)
    return RunRequest(
        command=command,
        workdir=tmp_path,
        input_dir=tmp_path / "in",
        output_dir=tmp_path / "out",
        tmp_dir=tmp_path / "tmp",
        timeout_seconds=timeout,
        log_path=tmp_path / "log.txt",
        max_log_bytes=max_log,
    )


def test_measures_cpu_and_memory_of_the_child(tmp_path: Path) -> None:
    code = "x = bytearray(80_000_000); s = sum(range(3_000_000)); print('done')"
    result = SubprocessRunner().run(_request(tmp_path, f'python -c "{code}"'))
    assert result.ok
    assert result.peak_rss_bytes > 80_000_000
    assert result.cpu_user_seconds > 0
    assert result.wall_seconds >= result.cpu_user_seconds * 0.5
    assert "done" in (tmp_path / "log.txt").read_text()


def test_exit_code_is_recorded(tmp_path: Path) -> None:
    result = SubprocessRunner().run(_request(tmp_path, "python -c 'import sys; sys.exit(3)'"))
    assert result.exit_code == 3
    assert not result.ok


def _gone(pid: int) -> bool:
    """The process has exited (a zombie waiting for its parent counts as gone)."""
    try:
        return "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
    except FileNotFoundError:
        return True


def test_timeout_kills_the_whole_group(tmp_path: Path) -> None:
    marker = tmp_path / "child.pid"
    command = f"sleep 300 & echo $! > {marker}; sleep 300"
    result = SubprocessRunner().run(_request(tmp_path, command, timeout=1.0))
    assert result.timed_out and result.exit_code is None
    assert result.wall_seconds < 30
    child = int(marker.read_text())
    wait_until(lambda: _gone(child), "the background child to die with the time-out")


def test_background_process_does_not_outlive_the_run(tmp_path: Path) -> None:
    marker = tmp_path / "bg.pid"
    result = SubprocessRunner().run(_request(tmp_path, f"(sleep 300 & echo $! > {marker}); true"))
    assert result.ok
    pid = int(marker.read_text())
    wait_until(lambda: _gone(pid), "the background process to die with the test phase")


def test_a_log_flood_is_stopped(tmp_path: Path) -> None:
    command = "python -c \"import sys\nwhile True: sys.stdout.write('x' * 1000 + chr(10))\""
    result = SubprocessRunner().run(_request(tmp_path, command, max_log=5000))
    assert result.log_overflow and not result.ok and not result.timed_out
    assert (tmp_path / "log.txt").stat().st_size < 6000
    assert "the run was stopped" in (tmp_path / "log.txt").read_text()
