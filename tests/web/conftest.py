"""A real competition, a real store and the real app; teams and tokens made by the service."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient

from podium.service import Podium
from podium.submission.archive import pack_folder

from ..conftest import CONSTANT_PREDICT, RUN_LIMIT, SMALL_SPEC, write_submission


@dataclass
class Cup:
    root: Path
    organizer: str
    lex: str
    deep: str
    archive: bytes

    def podium(self) -> Podium:
        return Podium.open(self.root)


def make_cup(tmp_path: Path, extra: str = "", name: str = "test cup") -> Cup:
    """`name`: a second cup of one test needs its own on PostgreSQL, where the test's
    database is one store for every competition folder of the test."""
    root = tmp_path / "cup"
    root.mkdir()
    spec = SMALL_SPEC.format(timeout=RUN_LIMIT) + 'runner = "subprocess"\n' + extra
    spec = spec.replace('name = "test cup"', f"name = {name!r}", 1)
    (root / "competition.toml").write_text(spec)
    podium = Podium.open(root)
    try:
        podium.setup.prepare_data()
        podium.setup.add_team("Quick Lex", ["Alan", "Barbara"])
        podium.setup.add_team("Deep Percept", ["Carol", "Dan"])
        podium.setup.open_stage("evaluation")
        cup = Cup(
            root,
            podium.tokens.create("organizer", label="org"),
            podium.tokens.create("team", team="Quick Lex"),
            podium.tokens.create("team", team="Deep Percept"),
            pack_folder(write_submission(tmp_path / "constant", CONSTANT_PREDICT)),
        )
    finally:
        podium.close()
    return cup


@pytest.fixture
def cup(tmp_path: Path) -> Cup:
    return make_cup(tmp_path)


@pytest.fixture
def client(cup: Cup) -> Iterator[TestClient]:
    from podium.web.app import create_app

    # like a browser, which names the page's origin on every POST (bearer clients ignore it)
    with TestClient(create_app(cup.root, evaluate=False), headers={"Origin": ORIGIN}) as c:
        yield c


ORIGIN = "http://testserver"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class _Server(uvicorn.Server):
    """uvicorn in a thread of the test process, saying when it listens."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.ready.set()


@pytest.fixture
def live(cup: Cup) -> Iterator[str]:
    """The real app behind a real HTTP server on a free port: its base URL."""
    from podium.web.app import create_app

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    server = _Server(
        uvicorn.Config(create_app(cup.root, evaluate=False), log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        assert server.ready.wait(30), "the server did not start"
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(30)
        listener.close()
