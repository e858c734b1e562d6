"""Python environments built once with uv, kept by the hash of what they hold, read-only.

An environment is a recipe (pinned requirements, a Python) made into a relocatable virtual
environment under `root/{key}`, where the key is the sha256 of the checked requirements, the
interpreter (implementation, version, platform, libc) and this builder's version. Every run
naming the same recipe on the same kind of machine mounts the same folder read-only; a
worker builds its own copy from the same recipe and lands on the same key.

The threat model of a build: it runs outside the sandbox, because uv needs the index, but no
code of the team runs in it and no data is mounted anywhere near it. The team chooses only
names and versions (`submission.requirements` refuses options, paths and URLs); uv is run with
`--no-config` (no uv.toml or pyproject settings of the team), `--no-build` (wheels only: no
setup.py, no build backend) and `--no-deps` (the pins are the whole environment, so its hash
says everything it holds), against the evaluator's own index (PyPI, or `UV_INDEX_URL` /
`UV_FIND_LINKS` where the evaluator sets them). A build is bounded by a time and a size; the
finished folder is made read-only and is only ever mounted read-only into a sandbox.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import os
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from podium.config.spec import EnvironmentSpec
from podium.core.errors import MissingExtraError, PlatformError, SpecError, SubmissionError
from podium.submission.requirements import check_requirements

BUILDER = "podium-env-1"  # raise when a build's recipe changes: old keys are then rebuilt
META = "podium-env.json"
MESSAGE_BYTES = 3000
MOUNT = "/opt/podium/env"  # where the sandbox sees an environment
_NETWORK_WORDS = ("error sending request", "dns error", "connection refused", "timed out",
                  "network unreachable", "tcp connect error")  # fmt: skip
Say = Callable[[str], None]


class EnvironmentBuildError(SubmissionError):
    """The recipe could not be built: the team's (or the organizer's) to fix."""


@dataclass(frozen=True)
class Recipe:
    """What an environment holds: checked pinned requirements and a Python (None: ours)."""

    requirements: str
    python: str | None = None
    origin: str = "environment"  # how errors name it


@dataclass(frozen=True)
class Environment:
    """A built environment: its folder, key, and the interpreter prefix it runs on."""

    path: Path
    key: str
    base_prefix: str
    built: bool  # built by this call (False: found by its hash)

    @property
    def bin_dir(self) -> Path:
        return self.path / "bin"


@dataclass(frozen=True)
class Interpreter:
    path: str
    identity: dict[str, str]

    @property
    def base_prefix(self) -> str:
        return self.identity["base_prefix"]


def uv_binary() -> str:
    """The uv the `envs` extra installs (or one on PATH)."""
    try:
        from uv import find_uv_bin
    except ImportError:
        found = shutil.which("uv")
        if found is None:
            raise MissingExtraError("envs", "building Python environments", "uv") from None
        return found
    return str(find_uv_bin())


def _uv_env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIRTUAL_ENV")}
    env.update(UV_CACHE_DIR=str(root / ".cache"), UV_PYTHON_DOWNLOADS="never", NO_COLOR="1")
    env.pop("PYTHONPATH", None)
    return env


_PROBE = (
    "import json, platform, sys, sysconfig; print(json.dumps({'implementation': "
    "sys.implementation.name, 'version': platform.python_version(), 'platform': "
    "sysconfig.get_platform(), 'libc': ' '.join(platform.libc_ver()), 'base_prefix': "
    "sys.base_prefix, 'abiflags': getattr(sys, 'abiflags', '')}))"
)


@functools.cache
def interpreter(python: str | None, uv: str) -> Interpreter:
    """The interpreter a recipe asks for (None: the evaluator's own), and what it is."""
    path = os.path.realpath(sys.executable)
    if python is not None:
        found = subprocess.run(
            [uv, "python", "find", "--no-config", "--python-preference", "only-system", python],
            capture_output=True, text=True, check=False, env={**os.environ, "NO_COLOR": "1"},
        )  # fmt: skip
        if found.returncode != 0:
            raise EnvironmentBuildError(
                f"no Python {python} on this evaluator: {found.stderr.strip()[:500]}",
                hint="name a Python the evaluator has (its own is "
                f"{sys.version_info.major}.{sys.version_info.minor}), or leave `python` out",
            )
        path = found.stdout.strip()
    probe = subprocess.run([path, "-I", "-c", _PROBE], capture_output=True, text=True, check=True)
    return Interpreter(path=path, identity=json.loads(probe.stdout))


def environment_key(requirements: str, identity: dict[str, str]) -> str:
    """The hash naming an environment: what it holds, on what, built how."""
    facts = {k: v for k, v in identity.items() if k != "base_prefix"}
    blob = json.dumps([BUILDER, requirements, facts], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


class EnvironmentStore:
    """The environments of one machine, under `root`: built once, shared by every run."""

    def __init__(self, root: Path, uv: str | None = None) -> None:
        self.root = root
        self._uv = uv

    @property
    def uv(self) -> str:
        if self._uv is None:
            self._uv = uv_binary()
        return self._uv

    def get(
        self,
        recipe: Recipe,
        *,
        timeout: float = 900.0,
        max_bytes: int = 8 * 1024**3,
        say: Say | None = None,
    ) -> Environment:
        """The environment of a recipe: found by its key, or built now (untimed, no data)."""
        pinned = check_requirements(recipe.requirements, recipe.origin)
        found = interpreter(recipe.python, self.uv)
        key = environment_key(pinned.text, found.identity)
        final = self.root / key
        self.root.mkdir(parents=True, exist_ok=True)
        lock = self.root / f".{key}.lock"
        with _locked(lock):
            os.utime(lock)  # its last use, for `podium env prune --unused-days`
            if (final / META).is_file():
                return Environment(final, key, found.base_prefix, built=False)
            (say or (lambda _m: None))(f"building the environment {key[:12]} (untimed, no data)")
            self._build(pinned.text, found, final, recipe.origin, timeout, max_bytes)
        return Environment(final, key, found.base_prefix, built=True)

    def key(self, recipe: Recipe) -> str:
        """The key a recipe has on this machine (nothing is built)."""
        pinned = check_requirements(recipe.requirements, recipe.origin)
        return environment_key(pinned.text, interpreter(recipe.python, self.uv).identity)

    def _build(
        self, text: str, found: Interpreter, final: Path, origin: str, timeout: float, limit: int
    ) -> None:
        staging = self.root / f".build-{final.name[:16]}-{secrets.token_hex(4)}"
        requirements = staging.with_suffix(".txt")
        requirements.write_text(text)
        deadline = time.monotonic() + timeout
        try:
            venv = ["venv", "--no-config", "--relocatable", "--python", found.path, str(staging)]
            self._uv_run(venv, deadline, origin)
            install = ["pip", "install", "--no-config", "--python", str(staging / "bin/python"),
                       "--no-deps", "--no-build", "--link-mode", "copy", "--compile-bytecode",
                       "-r", str(requirements)]  # fmt: skip
            self._uv_run(install, deadline, origin)
            self._uv_run(["pip", "check", "--no-config", "--python",
                          str(staging / "bin/python")], deadline, origin)  # fmt: skip
            size = tree_bytes(staging)
            if size > limit:
                raise EnvironmentBuildError(
                    f"the environment takes {size / 2**20:.0f} MiB, over the budget of "
                    f"{limit / 2**20:.0f} MiB ([sandbox] environment_mb)",
                    where=origin,
                )
            meta = {"key": final.name, "python": found.identity, "requirements": text}
            (staging / META).write_text(json.dumps(meta, indent=1))
            make_read_only(staging)
            staging.rename(final)
        finally:
            requirements.unlink(missing_ok=True)
            if staging.exists():
                remove_environment(staging)

    def _uv_run(self, args: list[str], deadline: float, origin: str) -> None:
        over = EnvironmentBuildError(
            "building the environment took longer than its budget "
            "([sandbox] setup_timeout_seconds) and was stopped",
            where=origin,
            hint="pin fewer or smaller packages",
        )
        left = deadline - time.monotonic()
        if left <= 0:
            raise over
        try:
            done = subprocess.run(
                [self.uv, *args], capture_output=True, text=True, errors="replace",
                env=_uv_env(self.root), timeout=left, cwd=self.root, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            raise over from None
        if done.returncode == 0:
            return
        message = (done.stderr.strip() or done.stdout.strip())[-MESSAGE_BYTES:]
        if any(word in message.lower() for word in _NETWORK_WORDS):
            raise PlatformError(f"the package index could not be reached: {message}")
        raise EnvironmentBuildError(
            f"uv {args[0]} {args[1] if args[0] == 'pip' else ''} failed:\n{message}".replace(
                "  failed", " failed"
            ),
            where=origin,
            hint="every package needs a wheel for this machine (sdists are not built) and "
            "every dependency must be pinned too (uv pip compile lists them all)",
        )

    def entries(self) -> list[dict[str, object]]:
        """The built environments: key, Python, packages, size, last use."""
        found = []
        for meta_file in sorted(self.root.glob(f"*/{META}")):
            meta = json.loads(meta_file.read_text())
            folder = meta_file.parent
            found.append({
                "key": folder.name,
                "python": meta["python"]["version"],
                "packages": len(meta["requirements"].splitlines()),
                "bytes": tree_bytes(folder),
                "used": _last_use(self.root, folder),
            })  # fmt: skip
        return found

    def prune(self, keep: set[str]) -> list[str]:
        """Remove every environment whose key is not kept (and leftovers of broken builds)."""
        removed = []
        for folder in sorted(self.root.iterdir()) if self.root.is_dir() else []:
            if folder.name in keep or folder.name.startswith(".") or not folder.is_dir():
                continue  # .cache (uv's downloads) and builds under way stay
            with _locked(self.root / f".{folder.name}.lock"):
                remove_environment(folder)
            removed.append(folder.name)
        return removed


def lock_requirements(folder: Path, origin: str, uv: str | None = None) -> str:
    """A uv.lock (with its pyproject.toml) as pinned requirements, read offline: only those
    two files are copied side by side, so nothing else of the team is looked at."""
    with tempfile.TemporaryDirectory(prefix="podium-lock-") as tmp:
        scratch = Path(tmp)
        for name in ("pyproject.toml", "uv.lock"):
            source = folder / name
            if not source.is_file() or source.is_symlink():
                raise EnvironmentBuildError(
                    f"a uv.lock needs its pyproject.toml beside it (no {name} found)",
                    where=origin,
                )
            shutil.copyfile(source, scratch / name)
        done = subprocess.run(
            [uv or uv_binary(), "export", "--frozen", "--no-config", "--offline",
             "--no-emit-project", "--no-emit-workspace", "--no-dev", "--no-header",
             "--format", "requirements-txt", "--quiet"],
            capture_output=True, text=True, errors="replace", env=_uv_env(scratch),
            cwd=scratch, timeout=120, check=False,
        )  # fmt: skip
    if done.returncode != 0:
        raise EnvironmentBuildError(
            f"uv could not read the lock file:\n{done.stderr.strip()[-MESSAGE_BYTES:]}",
            where=origin,
            hint="run `uv lock` again and submit both pyproject.toml and uv.lock",
        )
    return done.stdout


OWN_FILES = ("uv.lock", "requirements.txt")  # the first one found is the submission's own


def own_recipe_file(workdir: Path) -> Path | None:
    """The submission's own lock or requirements file at its top level (a regular file)."""
    for name in OWN_FILES:
        with contextlib.suppress(OSError):
            if stat.S_ISREG(os.lstat(workdir / name).st_mode):
                return workdir / name
    return None


def environment_for(
    store: EnvironmentStore,
    name: str | None,
    workdir: Path,
    named: Mapping[str, Recipe],
    *,
    own: bool = True,
    timeout: float = 900.0,
    max_bytes: int = 8 * 1024**3,
    say: Say | None = None,
) -> Environment | None:
    """A run's environment: the organizer's it names, else its own file, else None (ours).

    A named environment that cannot be built is the organizer's fault (a platform error:
    the attempt is kept); a submission's own that cannot be built is the team's."""
    if name is not None:
        if name not in named:
            raise SubmissionError(
                f"[submission] environment = {name!r}: this competition has no such environment",
                where="podium.toml",
                hint=f"its environments: {', '.join(sorted(named)) or 'none'}",
            )
        try:
            return store.get(named[name], timeout=timeout, max_bytes=max_bytes, say=say)
        except SubmissionError as err:
            raise PlatformError(
                f"the competition's environment {name!r} could not be built: {err.message}",
                hint="`podium env build` shows the error; fix [environments] in competition.toml",
            ) from None
    found = own_recipe_file(workdir)
    if found is None:
        return None
    if not own:
        raise SubmissionError(
            f"this competition builds no environment from a submission's {found.name}",
            where=found.name,
            hint="name one of the competition's environments in podium.toml "
            f"([submission] environment = ...): {', '.join(sorted(named)) or 'none declared'}",
        )
    text = (
        lock_requirements(workdir, found.name, store.uv)
        if found.name == "uv.lock"
        else found.read_text(encoding="utf-8", errors="replace")
    )
    recipe = Recipe(requirements=text, origin=found.name)
    return store.get(recipe, timeout=timeout, max_bytes=max_bytes, say=say)


def recipes_of(environments: Mapping[str, EnvironmentSpec], root: Path) -> dict[str, Recipe]:
    """The organizer's environments as recipes (their files read from the competition)."""
    recipes = {}
    for name, spec in environments.items():
        file = root / spec.requirements
        where = f"competition.toml [environments.{name}] requirements = {spec.requirements!r}"
        if not file.is_file():
            raise SpecError("no such file in the competition folder", where=where)
        text = file.read_text(encoding="utf-8")
        if file.name.endswith(".lock"):
            text = lock_requirements(file.parent, where)
        recipes[name] = Recipe(
            requirements=text, python=spec.python, origin=f"environment {name!r}"
        )
    return recipes


def _last_use(root: Path, folder: Path) -> float:
    lock = root / f".{folder.name}.lock"
    return (lock if lock.exists() else folder).stat().st_mtime


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One builder per key at a time, across processes (a second waits and finds it built)."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def tree_bytes(root: Path) -> int:
    total = 0
    for folder, _dirs, files in os.walk(root):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(folder, name)).st_blocks * 512
    return total


def make_read_only(root: Path) -> None:
    """No write bit anywhere: a mistake outside the sandbox cannot change it either."""
    for folder, dirs, files in os.walk(root):
        for name in [*files, *dirs]:
            path = os.path.join(folder, name)
            mode = os.lstat(path).st_mode
            if not stat.S_ISLNK(mode):
                os.chmod(path, stat.S_IMODE(mode) & ~0o222)
    os.chmod(root, stat.S_IMODE(os.lstat(root).st_mode) & ~0o222)


def remove_environment(root: Path) -> None:
    for folder, dirs, _files in os.walk(root):
        for name in dirs:
            with contextlib.suppress(OSError):
                os.chmod(os.path.join(folder, name), 0o755)
    with contextlib.suppress(OSError):
        os.chmod(root, 0o755)
    shutil.rmtree(root, ignore_errors=True)


__all__ = [
    "MOUNT",
    "Environment",
    "EnvironmentBuildError",
    "EnvironmentStore",
    "Recipe",
    "environment_key",
]
