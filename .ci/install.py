"""Installs the development venv's packages (`make install`) with uv, given pip's own
configuration (indexes, local wheels, constraints), so that uv picks what pip would, the pinned
CPU build of torch included; with pip when uv cannot be had or fails. uv took 31 s (bytecode
included) where pip took 71 s on a fresh clone, and CI's whole run has 12 minutes.

    python .ci/install.py VENV EXTRAS
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# pip's settings that choose where packages come from, and uv's flag for each
FLAGS = {
    "index-url": "--index-url",
    "extra-index-url": "--extra-index-url",
    "find-links": "--find-links",
    "constraint": "--constraint",
}


def pip_settings(python: str) -> list[str]:
    """uv's flags for what pip's configuration files and PIP_* variables set."""
    listed = subprocess.run(
        [python, "-m", "pip", "config", "list"], capture_output=True, text=True, check=False
    ).stdout
    flags: list[str] = []
    for line in listed.splitlines():
        name, _, value = line.partition("=")
        flag = FLAGS.get(name.rsplit(".", 1)[-1])
        if flag is not None:
            for item in shlex.split(value.strip("'\"")):
                flags += [flag, item]
    return flags


def main() -> None:
    venv, extras = Path(sys.argv[1]), sys.argv[2]
    python = str(venv / "bin" / "python")
    target = f"{REPO}[{extras}]"
    quiet = [python, "-m", "pip", "install", "--quiet"]
    if subprocess.run([*quiet, "uv"], check=False).returncode == 0:
        uv = [str(venv / "bin" / "uv"), "pip", "install", "--quiet", "--python", python]
        # compiled now, as pip does: where PYTHONDONTWRITEBYTECODE is set (this machine, CI,
        # the sandbox) no process writes bytecode, so each one compiled every module it imported
        # (a fresh-clone suite took 1,463 CPU-seconds against 1,081)
        uv += ["--compile-bytecode"]
        # pip's way: the best version over every index, not the first index that has one
        uv += ["--index-strategy", "unsafe-best-match", *pip_settings(python)]
        if subprocess.run([*uv, "--upgrade", "pip", "-e", target], check=False).returncode == 0:
            compile_sources(python)
            return
        print("install: uv failed; installing with pip", file=sys.stderr)
    subprocess.run([*quiet, "--upgrade", "pip"], check=True)
    subprocess.run([*quiet, "-e", target], check=True)
    compile_sources(python)


def compile_sources(python: str) -> None:
    """The editable project's own bytecode, which no install writes: where
    PYTHONDONTWRITEBYTECODE is set (this machine, CI), each `podium` process would compile
    it again. A .pyc older than its source is ignored, so an edit costs nothing but the gain."""
    subprocess.run([python, "-m", "compileall", "-q", str(REPO / "src")], check=True)


if __name__ == "__main__":
    main()
