"""Uploads in the order of issue 14, against the live app: who, may they, the body under
the cap, the listing, the budgeted extraction, the store. Every refusal is a 4xx with a
message and leaves the store, artifacts/ and the temporary folder as they were; the next
honest upload is still accepted and scored."""

from __future__ import annotations

import contextlib
import socket
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from podium.service import Podium

from ..archives import MANIFEST, tar_declaring, zeros_zip, zip_of
from ..conftest import count_rows
from ..patience import HANG
from .conftest import Cup, bearer, make_cup

MiB = 2**20


@pytest.fixture(autouse=True)
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The process's temporary folder, watched: an upload must leave nothing in it."""
    folder = tmp_path / "process-tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder
    assert list(folder.iterdir()) == []


def state(cup: Cup) -> tuple[list[str], int]:
    """Every file the competition keeps (but the signing key) and the submission rows."""
    artifacts = cup.root / "artifacts"
    files = sorted(
        str(p.relative_to(artifacts))
        for p in artifacts.rglob("*")
        if p.is_file() and p.name != "web-secret"
    )
    rows = count_rows(cup.root, "submissions")
    return files, rows


def upload(client: TestClient | httpx.Client, token: str, data: bytes, name: str = "s.zip"):
    return client.post("/api/submissions", headers=bearer(token), files={"file": (name, data)})


def honest_upload_is_scored(cup: Cup, client: TestClient | httpx.Client) -> None:
    r = upload(client, cup.lex, cup.archive, "honest.zip")
    assert r.status_code == 201, r.text
    podium = Podium.open(cup.root)
    try:
        outcomes = {o.submission_id: o for o in podium.evaluation.evaluate_pending()}
    finally:
        podium.close()
    outcome = outcomes[r.json()["submission_id"]]
    assert outcome.status == "scored", outcome.error


def _raw_request(url: str, head: str, *, then_closed: bool) -> bytes:
    """Send only the request's head (no body at all) and read the answer: what the server
    says before reading any of the body. `then_closed`: whether it also hangs up."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=HANG) as sock:
        sock.sendall(head.encode())
        answer = b""
        while not answer.endswith(b"}"):  # every error body is a JSON object
            chunk = sock.recv(65536)
            assert chunk, answer
            answer += chunk
        if then_closed:
            assert b"connection: close" in answer.lower()
            with contextlib.suppress(ConnectionResetError):  # a reset is a hang-up too
                assert sock.recv(1) == b""
    return answer


def _head(length: int, token: str | None = None) -> str:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return (
        "POST /api/submissions HTTP/1.1\r\nHost: localhost\r\n"
        f"{auth}Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {length}\r\n\r\n"
    )


def test_an_anonymous_300_mb_body_gets_401_before_any_of_it_is_read(cup: Cup, live: str) -> None:
    before = state(cup)
    answer = _raw_request(live, _head(300 * MiB), then_closed=True)  # nobody waits for 300 MB
    assert answer.startswith(b"HTTP/1.1 401") and b"sign in first" in answer
    assert state(cup) == before


def test_no_attempts_left_gets_409_before_the_body_and_stores_nothing(cup: Cup, live: str) -> None:
    with httpx.Client(base_url=live, timeout=HANG) as client:
        for _ in range(3):
            assert upload(client, cup.lex, cup.archive).status_code == 201
        before = state(cup)
        answer = _raw_request(live, _head(20 * MiB, cup.lex), then_closed=False)
        assert answer.startswith(b"HTTP/1.1 409") and b"used all 3 attempt" in answer
        # a real client sending all 20 MB gets the same answer, and nothing is kept
        r = upload(client, cup.lex, b"PK\x03\x04" + b"\0" * (20 * MiB), "big.zip")
        assert r.status_code == 409 and "nothing was stored" in r.json()["error"]
        assert state(cup) == before
        # the other team is unaffected
        r = upload(client, cup.deep, cup.archive)
        assert r.status_code == 201 and r.json()["attempt"] == 1


def test_a_zip_of_3_75_gib_of_zeros_is_refused_from_its_listing(
    cup: Cup, client: TestClient
) -> None:
    before = state(cup)
    for manifest in (False, True):
        r = upload(client, cup.lex, zeros_zip(3840, manifest=manifest), "bomb.zip")
        assert r.status_code == 422, r.text
        error = r.json()["error"]
        assert "unpacks to more than 380 MiB" in error and "declare at least 3840 MiB" in error
        assert state(cup) == before
    honest_upload_is_scored(cup, client)


def test_a_tar_declaring_5_gib_is_refused_at_its_first_header(cup: Cup, client: TestClient) -> None:
    """Its data stops after the header: walking on (getmembers()) would say 'damaged'."""
    before = state(cup)
    r = upload(client, cup.lex, tar_declaring(5 * 1024**3), "big.tar.gz")
    assert r.status_code == 422 and "declare at least 5120 MiB" in r.json()["error"]
    assert state(cup) == before


def _bad_crc() -> bytes:
    data = bytearray(zip_of({"podium.toml": MANIFEST, "predict.py": b"print('hi')\n" * 20}))
    data[data.find(b"predict.py") + 10] ^= 0xFF  # inside the compressed data
    return bytes(data)


MALFORMED = {
    "entry named '.'": (zip_of({"podium.toml": MANIFEST, ".": b"x"}), "without a name"),
    "a then a/b": (zip_of({"podium.toml": MANIFEST, "a": b"1", "a/b": b"2"}), "inside 'a'"),
    "utf-8 flag, invalid name": (
        zip_of({"podium.toml": MANIFEST, "\u00e9.py": b"x"}).replace(b"\xc3\xa9", b"\xc3\x28"),
        "marked UTF-8 but is not valid UTF-8",
    ),
    "bad crc": (_bad_crc(), "damaged or not readable"),
    "nul in command": (
        zip_of({"podium.toml": b'[submission]\ncommand = "python predict.py\\u0000"\n'}),
        "submission.command: character 18 is U+0000",
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_archives_get_422_with_a_message(cup: Cup, client: TestClient, case: str) -> None:
    data, needle = MALFORMED[case]
    before = state(cup)
    r = upload(client, cup.lex, data)
    assert r.status_code == 422 and needle in r.json()["error"], r.text
    assert state(cup) == before
    honest_upload_is_scored(cup, client)


def test_concurrent_uploads_of_one_new_archive_all_land(cup: Cup, live: str) -> None:
    podium = Podium.open(cup.root)
    try:
        tokens = [cup.lex, cup.deep]
        for i in range(4):
            podium.setup.add_team(f"Team {i}")
            tokens.append(podium.tokens.create("team", team=f"Team {i}"))
    finally:
        podium.close()
    with (
        httpx.Client(base_url=live, timeout=HANG) as client,
        ThreadPoolExecutor(max_workers=8) as pool,
    ):
        calls = [pool.submit(upload, client, t, cup.archive) for t in tokens for _ in range(3)]
        statuses = [c.result().status_code for c in calls]
    assert statuses == [201] * 18
    files, rows = state(cup)
    assert rows == 18 and len(files) == 18 and all(f.startswith("submissions/") for f in files)


def test_an_upload_over_the_limit_is_cut_off_as_it_streams(tmp_path: Path) -> None:
    from podium.web.app import create_app

    cup = make_cup(tmp_path, "max_upload_bytes = 100000\n")
    with TestClient(create_app(cup.root, evaluate=False)) as client:
        before = state(cup)

        def body() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="x.zip"\r\n\r\n'
            for _ in range(50):
                yield b"PK" + b"\0" * 4000

        r = client.post(
            "/api/submissions",
            content=body(),
            headers={**bearer(cup.lex), "content-type": "multipart/form-data; boundary=b"},
        )
        assert r.status_code == 413 and "max_upload_bytes" in r.json()["error"]
        assert state(cup) == before
        honest_upload_is_scored(cup, client)


FORMS = {
    "not multipart": ({"content": b"file=x", "headers": {"content-type": "text/plain"}}, "not multipart"),
    "no file": ({"data": {"team": "Quick Lex"}, "files": {"other": ("", b"")}}, "has no file"),
    "file under another name": ({"files": {"upload": ("a.zip", b"PK")}}, "exactly one file"),
    "two files": (
        {"files": [("file", ("a.zip", b"PK")), ("file", ("b.zip", b"PK"))]},
        "exactly one file",
    ),
    "field not utf-8": (
        {"content": b'--b\r\nContent-Disposition: form-data; name="team"\r\n\r\n\xff\xfe\r\n--b--\r\n',
         "headers": {"content-type": "multipart/form-data; boundary=b"}},
        "not UTF-8",
    ),
    "cut short": (
        {"content": b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.zip"\r\n\r\nPK',
         "headers": {"content-type": "multipart/form-data; boundary=b"}},
        "ended before",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(FORMS))
def test_malformed_forms_get_400_with_a_message(cup: Cup, client: TestClient, case: str) -> None:
    kwargs, needle = FORMS[case]
    headers = {**bearer(cup.lex), **kwargs.pop("headers", {})}  # type: ignore[dict-item]
    before = state(cup)
    r = client.post("/api/submissions", headers=headers, **kwargs)  # type: ignore[arg-type]
    assert r.status_code == 400 and needle in r.json()["error"], r.text
    assert state(cup) == before


def test_organizers_name_the_team_before_or_after_the_file(cup: Cup, client: TestClient) -> None:
    org = bearer(cup.organizer)
    r = client.post("/api/submissions", headers=org, files={"file": ("a.zip", cup.archive)})
    assert r.status_code == 403 and "must name the team" in r.json()["error"]
    r = client.post(
        "/api/submissions", headers=org, data={"team": "Deep Percept"},
        files={"file": ("a.zip", cup.archive)},
    )  # fmt: skip
    assert r.status_code == 201 and r.json()["team"] == "Deep Percept"
    after = (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.zip"\r\n\r\n'
        + cup.archive
        + b'\r\n--b\r\nContent-Disposition: form-data; name="team"\r\n\r\nQuick Lex\r\n--b--\r\n'
    )
    headers = {**org, "content-type": "multipart/form-data; boundary=b"}
    r = client.post("/api/submissions", headers=headers, content=after)
    assert r.status_code == 201 and r.json()["team"] == "Quick Lex"
    # a team naming another team, before or after its file, is refused
    r = client.post(
        "/api/submissions", headers=bearer(cup.lex), data={"team": "Deep Percept"},
        files={"file": ("a.zip", cup.archive)},
    )  # fmt: skip
    assert r.status_code == 403
    headers = {**bearer(cup.lex), "content-type": "multipart/form-data; boundary=b"}
    r = client.post(
        "/api/submissions", headers=headers, content=after.replace(b"Quick Lex", b"Deep Percept")
    )
    assert r.status_code == 403 and state(cup)[1] == 2
