"""A bare install works: `pip install <repo>` without extras into a fresh venv, then the whole
single-machine loop (init, data prepare, team add, stage open, submit, evaluate, leaderboard,
serve answering a request, demo). Fails if any command tries to import a module of an extra
(workers, postgres, baseline, hub), even one whose ImportError is caught. The docs build's
OpenAPI hook runs there too.

    python3 .ci/bare_install.py        (make bare; part of make test)
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Modules of podium[workers], [postgres], [baseline] and [hub]
OPTIONAL = ("celery", "kombu", "redis", "psycopg", "psycopg2", "torch", "lightning",
            "transformers", "tokenizers", "datasets")  # fmt: skip
# Loaded into every Python of the bare venv: records (and refuses) an import of an optional
# module; a probe (`importlib.util.find_spec`, as the demo asks whether the baseline kit is
# there) is not an import.
SITECUSTOMIZE = f"""
import os, sys
OPTIONAL = {OPTIONAL!r}
class _Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] not in OPTIONAL:
            return None
        frame = sys._getframe(1)
        while frame is not None:
            where = frame.f_code.co_filename  # "<frozen importlib.util>" or .../util.py
            if frame.f_code.co_name == "find_spec" and "importlib" in where and "util" in where:
                return None
            frame = frame.f_back
        with open(os.environ["PODIUM_BARE_LOG"], "a") as log:
            log.write(f"{{name}} imported by {{' '.join(sys.argv)}}\\n")
        raise ImportError(f"bare install: {{name}} is optional")
sys.meta_path.insert(0, _Refuse())
"""


def install_command(py: Path) -> list[str]:
    """uv when there is one (the dev venv has it: podium[envs]), a fraction of pip's CPU time;
    pip otherwise. Either installs the repository without extras into the fresh venv."""
    uv = shutil.which("uv") or next((str(u) for u in [REPO / ".venv/bin/uv"] if u.is_file()), None)
    if uv is not None:
        # bytecode compiled now, as pip does: with PYTHONDONTWRITEBYTECODE no process writes it
        return [
            uv,
            "pip",
            "install",
            "--quiet",
            "--compile-bytecode",
            "--python",
            str(py),
            str(REPO),
        ]
    return [str(py), "-m", "pip", "install", "--quiet", str(REPO)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="podium-bare-") as tmp:
        work = Path(tmp)
        venv, hooks, log = work / "venv", work / "hooks", work / "optional-imports.log"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        py = venv / "bin" / "python"
        started = time.monotonic()
        subprocess.run(install_command(py), check=True)
        print(f"bare install: the install took {time.monotonic() - started:.0f} s")
        hooks.mkdir()
        (hooks / "sitecustomize.py").write_text(SITECUSTOMIZE)
        env = {**os.environ, "PYTHONPATH": str(hooks), "PODIUM_BARE_LOG": str(log),
               "COLUMNS": "100"}  # fmt: skip
        env.pop("PODIUM_STORE_URL", None)
        env.pop("PODIUM_BROKER", None)
        podium = str(venv / "bin" / "podium")
        root = work / "cup"

        def run(*args: str) -> str:
            done = subprocess.run([podium, *args], env=env, capture_output=True, text=True)
            if done.returncode != 0:
                raise SystemExit(f"podium {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
            return done.stdout

        submission = work / "constant"
        submission.mkdir()
        (submission / "podium.toml").write_text('[submission]\ncommand = "python predict.py"\n')
        (submission / "predict.py").write_text((REPO / "examples/majority/predict.py").read_text())
        run("init", str(root))
        run("data", "prepare", "-c", str(root))
        run("team", "add", "Quick Lex", "-m", "Ada", "-c", str(root))
        run("stage", "open", "evaluation", "-c", str(root))
        run("submit", str(submission), "--team", "Quick Lex", "-c", str(root))
        run("evaluate", "--quiet", "-c", str(root))
        assert "Quick Lex" in run("leaderboard", "-c", str(root))
        serve(podium, root, env)
        # the docs build's API reference (docs/hooks/openapi.py) builds the app the same way
        hook = "import sys; sys.path.insert(0, 'docs/hooks'); import openapi; openapi.openapi_document()"
        subprocess.run([str(py), "-c", hook], env=env, cwd=REPO, check=True)
        run("demo", str(work / "demo"), "--quiet")
        if log.exists():
            raise SystemExit(f"a bare install imported optional modules:\n{log.read_text()}")
        print(f"bare install: init to demo and serve passed in {time.monotonic() - started:.0f} s")


def serve(podium: str, root: Path, env: dict[str, str]) -> None:
    """`podium serve` answers /leaderboard with the team on it."""
    port = free_port()
    server = subprocess.Popen(
        [podium, "serve", "-c", str(root), "--port", str(port), "--no-evaluate"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        line = server.stdout.readline()  # "podium serving ..." once the app is built
        if "serving" not in line:
            raise SystemExit(f"podium serve did not start:\n{line}{server.stdout.read()}")
        page = ""
        while not page:  # uvicorn binds just after that line; ask until it answers or dies
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/leaderboard") as r:
                    page = r.read().decode()
            except OSError:
                if server.poll() is not None:
                    raise SystemExit(f"podium serve died:\n{server.stdout.read()}") from None
                time.sleep(0.05)
        assert "Quick Lex" in page, page[:500]
    finally:
        server.terminate()
        server.wait(timeout=60)


if __name__ == "__main__":
    main()
