"""Shared fixtures: real files, real stores, real subprocesses.

Every test runs on the store backend named by `PODIUM_TEST_STORE`: `sqlite` (the default: each
competition's own podium.db) or `postgresql` (a throw-away cluster started once per session; each
test gets a fresh database, copied from one migrated to head, which `PODIUM_STORE_URL` points
every competition and every `podium` subprocess of the test at). Tests that open a store carry
the `store` mark (given here by folder and fixture, or by hand); `make test` runs them on both
backends, and on SQLite a test that opens a store without the mark fails, so none is missed."""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Engine, MetaData, event, select, text
from sqlalchemy.pool import Pool

from .postgres import HEAD, Cluster, find_initdb, start_cluster

if TYPE_CHECKING:
    from podium.service import Podium

REPO = Path(__file__).resolve().parents[1]
# beside the repository; PODIUM_XTREME_SAMPLE names it for a checkout elsewhere (a worktree)
SAMPLE = Path(os.environ.get("PODIUM_XTREME_SAMPLE", REPO.parent / "shared" / "xtreme-sample"))
EXAMPLES = REPO / "examples"
# a run's time limit where no test wants it to fire: only a hang reaches it, never a busy machine
RUN_LIMIT = 600.0

BACKEND = os.environ.get("PODIUM_TEST_STORE", "sqlite")
if BACKEND not in ("sqlite", "postgresql"):
    raise pytest.UsageError(f"PODIUM_TEST_STORE={BACKEND!r}: use sqlite or postgresql")
ON_POSTGRESQL = BACKEND == "postgresql"
# folders whose tests open stores, and fixtures that build a competition with one
STORE_FOLDERS = ("service", "store", "web", "cli", "worker")
STORE_FIXTURES = {"competition_dir", "cup", "client", "live", "podium", "empty_store_url"}
# On PostgreSQL only what the store decides runs again: the service, the store, the web, the
# workers. The front end and the libraries beside it (the CLI over the service, the sandbox,
# the baseline kit, reports, data, the docs' commands) ask the same services, so they run on
# SQLite only, except tests marked `both_stores`: what they check is the store's (text it must
# hold, a reader's schema check, the driver a reader loads).
SQLITE_ONLY_FOLDERS = ("cli", "harness", "baseline", "report", "data", "docs")
# ...and of these, the folders without a `both_stores` test (tests/test_suite.py holds them to
# it) are not even collected on PostgreSQL: importing the baseline kit's tests loads torch,
# Lightning and transformers, 4 s in each process, for tests that would all be deselected
UNCOLLECTED_ON_POSTGRESQL = ("baseline", "report", "data", "docs")
# the longest tests (the docs' walk-throughs, the demo, the baseline kit's training) start first,
# dealt in turn to the processes (`_deal`), so that none runs them all and two never wait on one
# of them at the end of the run
LONGEST = (
    "docs/test_commands.py", "cli/test_main.py", "cli/test_demo_examples.py", "baseline/",
    "web/test_fuzz_api.py", "worker/", "web/test_screens.py", "web/test_schedule.py",
)  # fmt: skip
_databases = itertools.count()


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    here = Path(__file__).parent
    if ON_POSTGRESQL and collection_path.parent == here:
        return collection_path.name in UNCOLLECTED_ON_POSTGRESQL or None
    return None


def pytest_configure(config: pytest.Config) -> None:
    # The test modules, rewritten for assertions, are cached (__pycache__/*-pytest-*.pyc) even
    # where PYTHONDONTWRITEBYTECODE is set (CI sets it): otherwise each process of each phase
    # rewrites and compiles all 150 again, 4.4 s. The variable stays set for subprocesses: a
    # team's folder must not gain a __pycache__ from a test that trains or checks it.
    sys.dont_write_bytecode = False
    config.addinivalue_line("markers", "store: opens a store; runs on SQLite and PostgreSQL")
    config.addinivalue_line(
        "markers", "sqlite_only(reason): meaningful on SQLite only (deselected on PostgreSQL)"
    )
    config.addinivalue_line(
        "markers", "both_stores: runs on PostgreSQL too, in a folder that otherwise does not"
    )
    # every leaderboard the suite builds (in process, in CLI and server subprocesses) fails
    # its test when a sentence disagrees with the numbers beside it (podium.rules.wording)
    os.environ["PODIUM_STRICT_WORDS"] = "1"
    # the test processes share the machine's cores: torch (the baseline kit's training, the
    # demo's kit) runs one thread in each, as many as cores would have OpenMP's threads spin
    # against the other processes'. A submission's run gets the contract's environment
    # (harness/runner.contract_env), never this one.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    config.pluginmanager.register(Dealer(), "podium-dealer")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        folder = item.path.relative_to(here).parts[0]
        if folder in STORE_FOLDERS or STORE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.store)
        if _drives_a_browser(item):  # what pages show comes through services tested on both
            item.add_marker(pytest.mark.sqlite_only("a browser's view of the pages"))
        if folder in SQLITE_ONLY_FOLDERS and not item.get_closest_marker("both_stores"):
            item.add_marker(pytest.mark.sqlite_only("a front end or library over the service"))
    if ON_POSTGRESQL:
        dropped = [i for i in items if i.get_closest_marker("sqlite_only")]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = [i for i in items if not i.get_closest_marker("sqlite_only")]


class Dealer:
    """Orders the run once every other plugin has deselected what it deselects (`-m store`)."""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        here = Path(__file__).parent
        long = [str(i.path.relative_to(here)).startswith(LONGEST) for i in items]
        items[:] = _deal(
            [i for i, is_long in zip(items, long, strict=True) if is_long],
            [i for i, is_long in zip(items, long, strict=True) if not is_long],
        )


def _deal(longest: list[pytest.Item], rest: list[pytest.Item]) -> list[pytest.Item]:
    """The order of the run. `--dist worksteal` hands each of the n processes a contiguous part
    of the list (then lets an idle one take half of another's remaining tests): the longest
    tests go in turn to the front of each part, so that no process runs them all. The baseline
    kit's tests stay together: they share a model trained once per process."""
    n = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    kit = [i for i in longest if i.nodeid.startswith("tests/baseline/")]
    units = [kit] * bool(kit) + [[i] for i in longest if i not in kit]
    fronts: list[list[pytest.Item]] = [[] for _ in range(n)]
    for k, unit in enumerate(units):
        fronts[k % n] += unit
    total, order, taken = len(longest) + len(rest), list[pytest.Item](), 0
    for k in range(n):  # the parts' sizes as worksteal cuts them
        size = (total - len(order)) // (n - k)
        more = max(0, size - len(fronts[k]))
        order += fronts[k] + rest[taken : taken + more]
        taken += more
    return order + rest[taken:]


def _drives_a_browser(item: pytest.Item) -> bool:
    """A browser test: in a *browser* module, or one that starts Playwright itself."""
    code = getattr(getattr(item, "function", None), "__code__", None)
    return "browser" in item.path.stem or "sync_playwright" in getattr(code, "co_varnames", ())


@pytest.fixture(scope="session")
def postgresql() -> Iterator[Cluster]:
    """A PostgreSQL cluster for the whole session, with `podium_head` migrated to head."""
    from podium.store.db import create_store_engine, upgrade

    initdb = find_initdb()
    if initdb is None:
        message = "PostgreSQL's initdb is not installed (Debian: apt-get install postgresql)"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI must run the PostgreSQL tests", pytrace=False)
        pytest.skip(message)
    cluster = start_cluster(initdb)
    try:
        engine = create_store_engine(cluster.create_database(HEAD))
        upgrade(engine)
        engine.dispose()
        yield cluster
    finally:
        cluster.stop()


def _fresh_database(cluster: Cluster, template: str) -> tuple[str, str]:
    name = f"t{os.getpid()}_{next(_databases)}"
    return name, cluster.create_database(name, template)


def _shared_database(request: pytest.FixtureRequest) -> Iterator[None]:
    """On PostgreSQL: a database for the stores of one module's or the session's fixtures
    (set up before them; each test then gets its own, so a test that runs `podium` on a
    shared store names it: `share_store`)."""
    if not ON_POSTGRESQL:
        yield
        return
    cluster: Cluster = request.getfixturevalue("postgresql")
    name, url = _fresh_database(cluster, HEAD)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PODIUM_STORE_URL", url)
        yield
    cluster.drop_database(name)


_session_store_backend = pytest.fixture(scope="session", autouse=True, name="_session_store")(
    _shared_database
)
_module_store_backend = pytest.fixture(scope="module", autouse=True, name="_module_store")(
    _shared_database
)


@pytest.fixture(autouse=True)
def _store_backend(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """On PostgreSQL: a fresh database per test, named by PODIUM_STORE_URL for the test's
    competitions and subprocesses. On SQLite: no PODIUM_STORE_URL from outside."""
    if not ON_POSTGRESQL:
        monkeypatch.delenv("PODIUM_STORE_URL", raising=False)
        yield
        return
    cluster: Cluster = request.getfixturevalue("postgresql")
    name, url = _fresh_database(cluster, HEAD)
    monkeypatch.setenv("PODIUM_STORE_URL", url)
    yield
    cluster.drop_database(name)


_connected: list[bool] = []


def _on_connect(*_: object) -> None:
    _connected.append(True)


def pytest_sessionstart(session: pytest.Session) -> None:
    event.listen(Pool, "connect", _on_connect)  # every store connection, in any fixture


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    _connected.clear()
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """On SQLite, a test whose setup, call or teardown opened a store without the `store`
    mark fails: it would be missing from the PostgreSQL run."""
    outcome = yield
    report = outcome.get_result()
    if call.when != "teardown" or ON_POSTGRESQL:  # there, creating databases connects too
        return
    if _connected and not item.get_closest_marker("store"):
        report.outcome = "failed"
        report.longrepr = (
            f"{item.nodeid} opens a store: mark it pytest.mark.store so that it runs on "
            "PostgreSQL too (tests/conftest.py)"
        )


@pytest.fixture
def empty_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty store (no tables) on the backend under test."""
    yield from _empty_store(request, tmp_path / "empty.db")


@pytest.fixture
def other_empty_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A second empty store beside `empty_store_url`, for tests that compare two."""
    yield from _empty_store(request, tmp_path / "other.db")


def _empty_store(request: pytest.FixtureRequest, path: Path) -> Iterator[str]:
    if not ON_POSTGRESQL:
        yield f"sqlite:///{path}"
        return
    cluster: Cluster = request.getfixturevalue("postgresql")
    name, url = _fresh_database(cluster, "template0")
    yield url
    cluster.drop_database(name)


def store_engine(root: Path) -> Engine:
    """An engine on the store of the competition in `root`, found the way podium finds it."""
    from podium.config.layout import CompetitionLayout
    from podium.config.spec import load_spec
    from podium.service.context import store_url
    from podium.store.db import create_store_engine

    return create_store_engine(store_url(load_spec(root), CompetitionLayout(root)))


def share_store(monkeypatch: pytest.MonkeyPatch, podium: Podium) -> None:
    """`podium` subprocesses of this test use the store `podium` has open (a store shared by a
    module's tests lives in a database of its own on PostgreSQL)."""
    url = podium.competition.engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("PODIUM_STORE_URL", url)


def count_rows(root: Path, table: str) -> int:
    """Rows in one table of the store of the competition in `root`, on either backend."""
    engine = store_engine(root)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


def dump_store(root: Path) -> str:
    """Every row of every table of the store of the competition in `root`, as text."""
    engine = store_engine(root)
    try:
        tables = MetaData()
        tables.reflect(engine)
        with engine.connect() as conn:
            return "\n".join(
                repr(row) for table in tables.sorted_tables for row in conn.execute(select(table))
            )
    finally:
        engine.dispose()


@pytest.fixture
def sample_dir() -> Path:
    if not SAMPLE.is_dir():
        pytest.skip(f"the shared XTREME sample is not at {SAMPLE}")
    return SAMPLE


def write_submission(folder: Path, predict: str, command: str = "python predict.py") -> Path:
    """A submission folder with the given predict.py source."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "podium.toml").write_text(f'[submission]\ncommand = "{command}"\n')
    (folder / "predict.py").write_text(predict)
    return folder


# A correct submission that predicts the first label / "O"-like first tag for everything.
CONSTANT_PREDICT = """
import json, os, pathlib
FIRST = {"xnli": "entailment", "pawsx": "1", "udpos": "NOUN", "panx": "O"}
src, dst = pathlib.Path(os.environ["PODIUM_INPUT_DIR"]), pathlib.Path(os.environ["PODIUM_OUTPUT_DIR"])
for f in sorted(src.glob("*/*.jsonl")):
    task = f.parent.name
    (dst / task).mkdir(parents=True, exist_ok=True)
    with f.open() as fin, (dst / task / f.name).open("w") as fout:
        for line in fin:
            r = json.loads(line)
            if "tokens" in r:
                out = {"id": r["id"], "tags": [FIRST[task]] * len(r["tokens"])}
            else:
                out = {"id": r["id"], "label": FIRST[task]}
            fout.write(json.dumps(out) + "\\n")
"""


SMALL_SPEC = """
name = "test cup"
[tasks.xnli]
languages = ["en", "de"]
[tasks.pawsx]
languages = ["en"]
[tasks.udpos]
languages = ["en"]
[tasks.panx]
languages = ["en", "ja"]
[data]
source = "synthetic"
max_examples_per_language = 120
[[stages]]
name = "evaluation"
split = "eval"
attempts = 3
release_code = true
declare_winner = true
[[stages]]
name = "final"
split = "final"
attempts = 1
leaderboard = "hidden"
[sandbox]
timeout_seconds = {timeout}
"""


@pytest.fixture
def competition_dir(tmp_path: Path) -> Path:
    """A prepared competition folder with small synthetic data and a real SQLite store."""
    from podium.service import Podium

    root = tmp_path / "cup"
    root.mkdir()
    (root / "competition.toml").write_text(SMALL_SPEC.format(timeout=RUN_LIMIT))
    podium = Podium.open(root)
    podium.setup.prepare_data()
    podium.close()
    return root
