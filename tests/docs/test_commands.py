"""Every command the guides show runs, and every `podium ...` anywhere in docs/ exists.

Each page's console blocks run in order in one fresh folder holding a copy of `examples/` (a
page is read as if from a clone of the repository), in bash, with the page's environment
carried from one command to the next (`export`, `cd`). Every command must exit 0 and print the
lines shown under it (see tests/docs/pages.py for the convention). A command marked
`# in another terminal` runs in the background until the page ends, and must still be running
then; a `podium serve` so started is waited for until it answers, another command given
`--port 8000` or `--port 8001` until that port takes connections. The ports 8000 and 8001 in a
page are replaced by free ones, so that parallel runs do not collide.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from podium.cli.main import app

from ..patience import HANG, answering, wait_until
from .pages import DOCS, Command, console_commands, pages, podium_calls, podium_lines

REPO = DOCS.parent
RUNNABLE = [p for p in pages() if console_commands(p)]
# settings of the test run that would point a page's commands elsewhere than its folder
OUTSIDE = {"PODIUM_STORE_URL", "PODIUM_BROKER", "PODIUM_COMPETITION", "PODIUM_TOKEN"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _page_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in OUTSIDE}
    bin_dir = str(Path(sys.executable).parent)  # where `podium` of this environment is
    src = str(REPO / "src")
    env.update(
        PATH=f"{bin_dir}:{env.get('PATH', '/usr/bin:/bin')}",
        PYTHONPATH=f"{src}:{env['PYTHONPATH']}" if env.get("PYTHONPATH") else src,
        HOME=str(home),
        COLUMNS="80",
        PWD=str(home),
    )
    return env


def _read_env(path: Path) -> dict[str, str]:
    pairs = (item.split("=", 1) for item in path.read_bytes().decode().split("\0") if "=" in item)
    return {k: v for k, v in pairs if not k.startswith("BASH_FUNC_")}


def check_output(command: Command, output: str) -> None:
    """The expected lines appear in order; `...` ends a prefix, alone it is skipped."""
    lines = [line.rstrip() for line in output.splitlines()]
    at = 0
    for expected in command.expected:
        if expected.strip() == "...":
            continue
        prefix = expected.endswith("...")
        want = expected.removesuffix("...").rstrip()
        for i in range(at, len(lines)):
            if lines[i].startswith(want) if prefix else lines[i] == want:
                at = i + 1
                break
        else:
            raise AssertionError(
                f"{command.where}: `{command.text}` did not print {expected!r} "
                f"(in order); it printed:\n{output}"
            )


def _wait_for_server(command: Command, port: int, proc: subprocess.Popen[bytes]) -> None:
    answering(f"http://127.0.0.1:{port}/api/stages", proc=proc)


def _wait_for_port(command: Command, port: int, proc: subprocess.Popen[bytes]) -> None:
    """A background listener other than the server: ready once its port takes connections."""

    def listens() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=HANG).close()
            return True
        except OSError:
            return False

    wait_until(listens, f"{command.where}: `{command.text}` to listen", proc=proc, every=0.1)


class Page:
    """One page's shell session: environment, background processes, the free port."""

    def __init__(self, folder: Path) -> None:
        self.env = _page_env(folder)
        # the ports a page may show: each stands for a free one in the test
        self.ports = {"8000": str(_free_port()), "8001": str(_free_port())}
        self.port = int(self.ports["8000"])
        self.envfile = folder.parent / "env.bin"
        self.background: list[tuple[Command, subprocess.Popen[bytes]]] = []

    def run(self, command: Command) -> None:
        text = re.sub(r"\b800[01]\b", lambda m: self.ports[m.group(0)], command.text)
        if command.background:
            self.start(command, text)
            return
        script = f"set -o pipefail\n{text}\n__rc=$?\nenv -0 > '{self.envfile}'\nexit $__rc\n"
        done = subprocess.run(
            ["bash", "-c", script],
            cwd=self.env["PWD"],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=HANG,
        )
        output = done.stdout.decode(errors="replace")
        assert done.returncode == 0, (
            f"{command.where}: `{command.text}` exited {done.returncode}:\n{output}"
        )
        self.env = _read_env(self.envfile)
        check_output(command, output)

    def start(self, command: Command, text: str) -> None:
        proc = subprocess.Popen(
            ["bash", "-c", text],
            cwd=self.env["PWD"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.background.append((command, proc))
        if re.search(r"\bpodium serve\b", text):
            _wait_for_server(command, self.port, proc)
        elif found := re.search(r"--port (8001|8000)\b", command.text):
            _wait_for_port(command, int(self.ports[found.group(1)]), proc)

    def stop(self) -> list[str]:
        """Stop the background processes; name those that had stopped by themselves."""
        died = [f"{c.where}: `{c.text}`" for c, p in self.background if p.poll() is not None]
        for _, proc in self.background:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=HANG)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
        return died


@pytest.fixture
def page_folder(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "work"
    folder.mkdir()
    shutil.copytree(REPO / "examples", folder / "examples")
    yield folder


@pytest.mark.parametrize("page", RUNNABLE, ids=[p.name for p in RUNNABLE])
def test_console_blocks_run(page: Path, page_folder: Path) -> None:
    session = Page(page_folder)
    try:
        for command in console_commands(page):
            session.run(command)
    finally:
        died = session.stop()
    assert not died, f"background commands stopped before the page ended: {died}"


def test_the_guides_show_commands() -> None:
    names = {p.name for p in RUNNABLE}
    assert {"organizer.md", "participant.md"} <= names


def _command(argv: list[str], where: str) -> list[str]:
    """The path to the command `argv` names; fails on an unknown command or option."""
    cmd: Any = typer.main.get_command(app)  # Typer's own click: looked at by duck typing
    path: list[str] = []
    options = _options(cmd)
    for arg in argv:
        commands = getattr(cmd, "commands", None)
        if commands is None or arg.startswith("-"):
            break
        assert arg in commands, f"{where}: `podium {' '.join(argv)}`: no command {arg!r}"
        cmd, path = commands[arg], [*path, arg]
        options |= _options(cmd)
    for arg in argv:
        if arg.startswith("-") and arg != "-":
            name = arg.split("=", 1)[0]
            assert name in options, f"{where}: `podium {' '.join(argv)}`: no option {name}"
    return path


def _options(cmd: Any) -> set[str]:
    names = {"--help"}
    for param in cmd.params:
        names.update(param.opts, param.secondary_opts)
    return names


def test_every_podium_command_shown_exists() -> None:
    shown = [item for page in pages() for item in podium_lines(page)]
    assert len(shown) > 50, "the pages show podium commands"
    paths: set[tuple[str, ...]] = set()
    errors: list[str] = []
    for where, argv in shown:
        try:
            paths.add(tuple(_command(argv, where)))
        except AssertionError as error:
            errors.append(str(error).splitlines()[0])
    assert not errors, "\n".join(errors)
    runner = CliRunner()
    for path in sorted(paths):
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, f"podium {' '.join(path)} --help: {result.output}"


@pytest.mark.parametrize(
    "line",
    [
        "podium stage opn evaluation -c cup",
        "podium submit sub --tem 'Quick Lex'",
        "$ PODIUM_TOKEN=x podium leaderbord",
        "echo $(podium token create --teem A)",
        "sudo -u podium /opt/podium/venv/bin/podium data prepar -c /srv/cup",
    ],
)
def test_an_invented_command_or_option_is_caught(line: str) -> None:
    (argv,) = podium_calls(line.removeprefix("$ "))
    with pytest.raises(AssertionError, match="no (command|option)"):
        _command(argv, "test")


def test_a_console_block_is_read_as_commands_and_output(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "Text with `podium leaderboard -c cup`.\n\n"
        "```console\n$ podium init cup\nwrote cup/competition.toml\n"
        "# in another terminal\n$ podium serve -c cup \\\n    --port 8000\n"
        "$ podium leaderboard -c cup\n...\nFinal order...\n```\n"
    )
    first, serve, board = console_commands(page)
    assert (first.text, first.expected, first.background) == (
        "podium init cup",
        ["wrote cup/competition.toml"],
        False,
    )
    assert (serve.text, serve.background) == ("podium serve -c cup  --port 8000", True)
    assert board.expected == ["...", "Final order..."]
    assert board.where == "page.md:9"


@pytest.mark.parametrize(
    "output, passes",
    [
        ("Performance order\nx\nFinal order (bonus [2, 1])\n", True),
        ("Final order (bonus [2, 1])\nPerformance order\n", False),  # out of order
        ("Performance order  \nFinal\n", False),  # trailing spaces ignored; "Final" is too short
        ("  Performance order\nFinal order\n", False),  # leading space counts
    ],
)
def test_expected_output_is_matched_in_order(output: str, passes: bool) -> None:
    command = Command("podium leaderboard", ["Performance order", "...", "Final order (..."])
    if passes:
        check_output(command, output)
    else:
        with pytest.raises(AssertionError, match="did not print"):
            check_output(command, output)


def test_a_failing_command_fails_the_page(tmp_path: Path) -> None:
    session = Page(tmp_path)
    session.run(Command("export GREETING=hello && cd /", ["..."]))
    assert session.env["GREETING"] == "hello" and session.env["PWD"] == "/"
    with pytest.raises(AssertionError, match="exited 2"):
        session.run(Command("podium stage opn evaluation", where="page.md:1"))
