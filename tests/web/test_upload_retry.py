"""`podium submit --server` after a dropped connection: the upload is sent again with its
idempotency key, and the server answers with the submission it stored (one attempt used).
A real server, a real TCP proxy in between that cuts the first answer, the real client."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from podium.cli.remote import upload_submission
from podium.service import Podium

from .conftest import Cup, bearer


class CuttingProxy:
    """Forwards to `target`; the first connection that posts a submission loses the
    server's answer (the server has stored it by then: the worst moment to break off)."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.cut = threading.Event()
        self.threads: list[threading.Thread] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}"

    def _accept(self) -> None:
        with self.listener:
            while True:
                try:
                    client, _ = self.listener.accept()
                except OSError:
                    return
                thread = threading.Thread(target=self._serve, args=(client,), daemon=True)
                thread.start()
                self.threads.append(thread)

    def _serve(self, client: socket.socket) -> None:
        upstream = socket.create_connection(self.target)
        posted = threading.Event()

        def up() -> None:
            with contextlib.suppress(OSError):
                while data := _recv(client):
                    if b"POST /api/submissions" in data:
                        posted.set()
                    upstream.sendall(data)
                upstream.shutdown(socket.SHUT_WR)

        threading.Thread(target=up, daemon=True).start()
        with client, upstream:
            while data := _recv(upstream):
                if posted.is_set() and not self.cut.is_set():
                    self.cut.set()  # the answer to the first upload never arrives
                    client.shutdown(socket.SHUT_RDWR)
                    return
                client.sendall(data)

    def close(self) -> None:
        self.listener.close()


def _recv(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except OSError:
        return b""


@pytest.fixture
def proxy(live: str) -> Iterator[CuttingProxy]:
    host, port = httpx.URL(live).host, httpx.URL(live).port
    assert port is not None
    cutting = CuttingProxy((host, port))
    yield cutting
    cutting.close()


@pytest.mark.store
def test_a_dropped_upload_is_sent_again_without_a_second_attempt(
    cup: Cup, proxy: CuttingProxy, tmp_path: Path
) -> None:
    first = upload_submission(proxy.url, cup.lex, tmp_path / "constant", retries=2, backoff=0)
    assert proxy.cut.is_set(), "the proxy never cut an answer"
    assert first["replayed"] is True and first["attempt"] == 1
    with Podium.open(cup.root) as podium:
        assert [s.attempt for s in podium.submissions.find("Quick Lex")] == [1]
    second = upload_submission(proxy.url, cup.lex, tmp_path / "constant")  # a new upload
    assert second["replayed"] is False and second["attempt"] == 2


@pytest.mark.store
def test_a_bad_idempotency_key_is_refused_before_the_body(cup: Cup, live: str) -> None:
    response = httpx.post(
        f"{live}/api/submissions",
        headers={**bearer(cup.lex), "Idempotency-Key": "../../etc"},
        files={"file": ("a.zip", cup.archive)},
    )
    assert response.status_code == 400 and "Idempotency-Key" in response.text
    with Podium.open(cup.root) as podium:
        assert podium.submissions.find("Quick Lex") == []
