"""Environments built with uv: an organizer's and a team's own, by hash, read-only, through
the real service and the real sandbox; hostile recipes refused before anything is built."""

from __future__ import annotations

import json
import socket
import tarfile
from pathlib import Path

import pytest

from podium.core.errors import SubmissionError
from podium.harness.environments import (
    EnvironmentBuildError,
    EnvironmentStore,
    Recipe,
    environment_for,
    lock_requirements,
)
from podium.harness.fingerprint import machine_fingerprint
from podium.service import Podium
from podium.submission.requirements import MAX_PACKAGES, check_requirements

from ..conftest import CONSTANT_PREDICT, RUN_LIMIT, SMALL_SPEC, write_submission
from .conftest import hostile_cup, living_sandbox_processes, needs_bwrap

# cowsay: a 25 KB pure-Python wheel with no dependencies, which the evaluator's Python lacks
COWSAY = "cowsay==6.1"
COWSAY_LOCK = """version = 1
revision = 3
requires-python = ">=3.11"

[[package]]
name = "cowsay"
version = "6.1"
source = { registry = "https://pypi.org/simple" }
wheels = [
    { url = "https://files.pythonhosted.org/packages/f1/13/63c0a02c44024ee16f664e0b36eefeb22d54e93531630bd99e237986f534/cowsay-6.1-py3-none-any.whl", hash = "sha256:274b1e6fc1b966d53976333eb90ac94cb07a450a700b455af9fbdf882244b30a", size = 25560 },
]

[[package]]
name = "team"
version = "0"
source = { virtual = "." }
dependencies = [{ name = "cowsay" }]

[package.metadata]
requires-dist = [{ name = "cowsay", specifier = "==6.1" }]
"""
PYPROJECT = """[project]
name = "team"
version = "0"
requires-python = ">=3.11"
dependencies = ["cowsay==6.1"]
"""
# imports cowsay, tries to change its read-only environment, then predicts honestly
MOO = (
    """
import os, sys, cowsay
print("MOO", cowsay.get_output_string("cow", "hi").count("hi"), sys.prefix)
for target in (sys.prefix + "/planted.py", os.path.dirname(cowsay.__file__) + "/__init__.py"):
    try:
        open(target, "a").write("raise SystemExit('poisoned')")
        print("WROTE", target)
    except OSError as err:
        print("REFUSED", err.errno)
"""
    + CONSTANT_PREDICT
)


def _pypi() -> str | None:
    """Why PyPI is unreachable from here, or None."""
    try:
        socket.create_connection(("pypi.org", 443), timeout=5).close()
    except OSError as err:
        return f"PyPI (pypi.org:443) is unreachable: {err}"
    return None


needs_pypi = pytest.mark.skipif(_pypi() is not None, reason=str(_pypi()))


# --- hostile recipes: refused before uv sees them -----------------------------------------


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("-e /etc", "-e: options are not allowed"),
        ("--index-url https://evil.example/simple", "--index-url: options are not allowed"),
        ("-i https://evil.example/simple", "-i: options are not allowed"),
        ("--extra-index-url=https://evil.example", "--extra-index-url: options are not allowed"),
        ("--find-links /etc", "--find-links: options are not allowed"),
        ("-r /etc/passwd", "-r: options are not allowed"),
        ("/etc", "a direct reference"),
        ("./wheels/evil-1.0-py3-none-any.whl", "a direct reference"),
        ("evil @ https://evil.example/evil-1.0.tar.gz", "a direct reference"),
        ("git+https://evil.example/evil.git", "a direct reference"),
        ("cowsay>=6", "not a pinned package"),
        ("cowsay", "not a pinned package"),
        ("cowsay==6.1; os.system('x')", "not a pinned package"),
    ],
)
def test_requirements_that_point_anywhere_but_the_index_are_refused(line: str, says: str) -> None:
    with pytest.raises(SubmissionError) as err:
        check_requirements(f"# ours\n{COWSAY}\n{line}\n", "requirements.txt")
    assert f"line 3: {says}" in err.value.message
    assert err.value.where == "requirements.txt" and "pinned" in (err.value.hint or "")


def test_pins_hashes_markers_and_continuations_pass() -> None:
    text = (
        f"{COWSAY} \\\n    --hash=sha256:{'a' * 64}\n"
        'colorama==0.4.6 ; sys_platform == "win32"  # via click\n'
    )
    assert check_requirements(text, "r").names == ("cowsay", "colorama")


def test_a_huge_dependency_set_is_over_the_budget() -> None:
    text = "".join(f"pkg{i}==1.0\n" for i in range(MAX_PACKAGES + 1))
    with pytest.raises(SubmissionError, match=f"at most {MAX_PACKAGES}"):
        check_requirements(text, "requirements.txt")


def test_an_sdist_is_never_built_so_its_setup_py_never_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index (here a local one, as an evaluator's mirror would be) offers only an sdist
    whose setup.py would plant a file: the build fails with uv's message, nothing ran."""
    planted = tmp_path / "planted"
    source = tmp_path / "evil-1.0"
    source.mkdir()
    (source / "setup.py").write_text(
        f"open({str(planted)!r}, 'w').write('ran')\n"
        "from setuptools import setup\nsetup(name='evil', version='1.0')\n"
    )
    index = tmp_path / "index"
    index.mkdir()
    with tarfile.open(index / "evil-1.0.tar.gz", "w:gz") as archive:
        archive.add(source, arcname="evil-1.0")
    monkeypatch.setenv("UV_NO_INDEX", "1")
    monkeypatch.setenv("UV_FIND_LINKS", str(index))
    store = EnvironmentStore(tmp_path / "envs")
    with pytest.raises(EnvironmentBuildError) as err:
        store.get(Recipe("evil==1.0", origin="requirements.txt"))
    assert "evil" in err.value.message and "wheel" in (err.value.hint or "")
    assert not planted.exists(), "the sdist's setup.py ran"
    assert [p.name for p in (tmp_path / "envs").iterdir() if not p.name.startswith(".")] == []


@needs_pypi
def test_an_environment_over_its_size_budget_is_refused(tmp_path: Path) -> None:
    store = EnvironmentStore(tmp_path / "envs")
    with pytest.raises(EnvironmentBuildError, match="over the budget of 0 MiB"):
        store.get(Recipe(COWSAY, origin="requirements.txt"), max_bytes=1)
    assert store.entries() == []


# --- through the service and the sandbox --------------------------------------------------


@needs_bwrap
@needs_pypi
@pytest.mark.store
def test_an_organizers_environment_and_a_teams_own_lock_are_built_once_and_read_only(
    tmp_path: Path,
) -> None:
    root = tmp_path / "cup"
    cup = hostile_cup(root, '\n[environments.cows]\nrequirements = "cows.txt"\n')
    (root / "cows.txt").write_text(f"{COWSAY}\n")
    try:
        named = write_submission(tmp_path / "named", MOO)
        (named / "podium.toml").write_text(
            '[submission]\ncommand = "python predict.py"\nenvironment = "cows"\n'
        )
        own = write_submission(tmp_path / "own", MOO)
        (own / "uv.lock").write_text(COWSAY_LOCK)
        (own / "pyproject.toml").write_text(PYPROJECT)
        hostile = write_submission(tmp_path / "hostile", CONSTANT_PREDICT)
        (hostile / "requirements.txt").write_text("cowsay==6.1\n-e /etc\n")
        unknown = write_submission(tmp_path / "unknown", CONSTANT_PREDICT)
        (unknown / "podium.toml").write_text(
            '[submission]\ncommand = "python predict.py"\nenvironment = "cowz"\n'
        )
        for folder, says in ((hostile, "line 2: -e: options"), (unknown, "no such environment")):
            with pytest.raises(SubmissionError, match=says):  # at intake: no attempt used
                cup.submissions.submit(folder, team="Mallory")
        assert cup.submissions.find("Mallory") == []
        plain = write_submission(tmp_path / "plain", "import cowsay\n" + CONSTANT_PREDICT)
        for folder in (named, own, own, plain):
            cup.submissions.submit(folder, team="Mallory")
        outcomes = cup.evaluation.evaluate_pending()
        logs = [cup.results.run(o.run_id).log_tail for o in outcomes]
        first, second, again, ours = outcomes
        assert [o.status for o in (first, second, again)] == ["scored"] * 3, logs
        assert "built in" in logs[0] and "built in" in logs[1]
        assert "found by its hash" in logs[2], "the second attempt with the same lock built"
        for log in logs[:3]:
            assert "MOO 1 /opt/podium/env" in log and "WROTE" not in log
            assert log.count("REFUSED") == 2  # read-only mount, no write bits
        assert ours.status == "failed" and "No module named 'cowsay'" in logs[3]
        entries = cup.environments.entries()  # two recipes, two hashes
        assert sorted(e.names for e in entries) == [(), ("cows",)]
        assert len(cup.environments.prune()) == 1  # the team's own; the declared one stays
        assert [e.names for e in cup.environments.entries()] == [("cows",)]
        assert living_sandbox_processes(cup.competition.root) == []
    finally:
        cup.close()


@pytest.mark.store
def test_a_worker_receives_the_recipes_and_lands_on_the_same_hash(tmp_path: Path) -> None:
    root = tmp_path / "cup"
    root.mkdir()
    spec = SMALL_SPEC.format(timeout=RUN_LIMIT) + 'runner = "subprocess"\n'
    (root / "competition.toml").write_text(spec + '[environments.cows]\nrequirements = "c.txt"\n')
    (root / "c.txt").write_text(f"{COWSAY}\n")
    with Podium.open(root) as cup:
        cup.setup.prepare_data()
        cup.setup.add_team("Ada")
        cup.setup.open_stage("evaluation")
        token = cup.tokens.create("worker", label="w1")
        who = cup.tokens.authenticate(token)
        assert who is not None
        cup.workers.hello(who, "local", machine_fingerprint(cup.competition.spec_hash))
        folder = write_submission(tmp_path / "sub", CONSTANT_PREDICT)
        lease = cup.leases.claim(who, cup.submissions.submit(folder, team="Ada").submission_id)
        assert lease is not None
        sent = json.loads(json.dumps(lease.to_dict()))["environments"]  # as the API sends it
        assert sent == {"cows": {"requirements": f"{COWSAY}\n", "python": None}}
        worker_store = EnvironmentStore(tmp_path / "worker" / "environments")
        key = worker_store.key(Recipe(sent["cows"]["requirements"], sent["cows"]["python"]))
        assert key == cup.environments.keys()["cows"]


def test_a_competition_may_refuse_teams_own_environments(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(f"{COWSAY}\n")
    store = EnvironmentStore(tmp_path / "envs", uv="/nonexistent/uv")  # never reached
    with pytest.raises(SubmissionError, match="builds no environment from a submission's"):
        environment_for(store, None, tmp_path, {"cows": Recipe(COWSAY)}, own=False)
    assert environment_for(store, None, tmp_path / "envs", {}, own=False) is None  # ours


def test_a_lock_is_read_offline_without_building_or_obeying_its_project(tmp_path: Path) -> None:
    """A pyproject.toml with dynamic dependencies, a setup.py that would plant a file, and
    its own index: only the lock's pins come out, nothing ran, no index is named."""
    planted = tmp_path / "planted"
    (tmp_path / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "team"\nversion = "0"\nrequires-python = ">=3.11"\n'
        'dynamic = ["dependencies"]\n[tool.uv]\nindex-url = "https://evil.example/simple"\n'
    )
    (tmp_path / "setup.py").write_text(f"open({str(planted)!r}, 'w').write('ran')\n")
    (tmp_path / "uv.lock").write_text(
        COWSAY_LOCK.replace('{ virtual = "." }', '{ editable = "." }')
    )
    text = lock_requirements(tmp_path, "uv.lock")
    assert check_requirements(text, "uv.lock").names == ("cowsay",)
    assert "evil" not in text and not planted.exists()


def test_a_build_past_its_time_budget_is_stopped_and_leaves_nothing(tmp_path: Path) -> None:
    store = EnvironmentStore(tmp_path / "envs")
    with pytest.raises(EnvironmentBuildError, match="longer than its budget"):
        store.get(Recipe(COWSAY, origin="requirements.txt"), timeout=0)
    assert store.entries() == [] and not list((tmp_path / "envs").glob(".build-*"))
