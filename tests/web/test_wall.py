"""The hall of fame as tiles (and their downloads) and the huddle view, through HTTP."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from podium.store.models import utcnow
from podium.submission.archive import pack_folder

from ..conftest import CONSTANT_PREDICT, write_submission
from .conftest import Cup, bearer, make_cup

HTML = {"accept": "text/html"}
# the constant submission, but the last token of a sentence tagged PUNCT (every synthetic
# UD-POS sentence ends with one): a strictly better UD-POS score, so a better overall
BETTER_PREDICT = CONSTANT_PREDICT.replace(
    '[FIRST[task]] * len(r["tokens"])',
    '[FIRST[task]] * (len(r["tokens"]) - 1) + ["PUNCT" if task == "udpos" else FIRST[task]]',
)


# the constant submission answering the minority PAWS-X class: a worse overall
WORSE_PREDICT = CONSTANT_PREDICT.replace('"pawsx": "1"', '"pawsx": "0"')


def archive(tmp_path: Path, name: str, predict: str) -> bytes:
    return pack_folder(write_submission(tmp_path / name, predict))


@pytest.fixture
def cup(tmp_path: Path) -> Cup:
    """Ranked by score alone (no efficiency bonus), so every move here is a score's doing."""
    return make_cup(tmp_path, "[reranking]\nbonus_places = []\n")


def _upload(client: TestClient, token: str, data: bytes) -> None:
    r = client.post("/api/submissions", headers=bearer(token), files={"file": ("s.zip", data)})
    assert r.status_code == 201, r.text


def _evaluate(cup: Cup) -> None:
    podium = cup.podium()
    try:
        assert all(o.status == "scored" for o in podium.evaluation.evaluate_pending())
    finally:
        podium.close()


def test_huddle_then_hall_of_fame_tiles_in_order_with_downloads(
    cup: Cup, client: TestClient, tmp_path: Path
) -> None:
    _upload(client, cup.lex, cup.archive)
    _upload(client, cup.deep, archive(tmp_path, "worse", WORSE_PREDICT))
    _evaluate(cup)
    since = utcnow()
    _upload(client, cup.deep, archive(tmp_path, "better", BETTER_PREDICT))  # overtakes Lex
    _evaluate(cup)

    huddle = client.get("/api/huddle", params={"since": since.isoformat()}).json()
    (stage,) = huddle["stages"]
    assert stage["stage"] == "evaluation" and stage["charts"]["history"]
    deep, lex = stage["teams"]
    assert (deep["team"], deep["place_before"], deep["place"], deep["moved"]) == (
        "Deep Percept", 2, 1, 1,
    )  # fmt: skip
    assert deep["new_best"] and deep["best"] > deep["best_before"] and deep["attempts"] == 1
    assert (lex["team"], lex["moved"], lex["new_best"], lex["attempts"]) == ("Quick Lex", -1,
                                                                            False, 0)  # fmt: skip
    assert "reasons" in deep and deep["best_before"] < lex["best"] < deep["best"]
    page = client.get("/huddle", params={"since": since.isoformat(), "screen": "wall"},
                      headers=HTML).text  # fmt: skip
    assert "screen-wall" in page and "new best" in page and 'class="chart-data"' in page
    assert "▲1" in page and "▼1" in page
    fresh = client.get("/huddle", params={"since": "7d"}, headers=HTML).text
    assert fresh.count('<span class="new">new</span>') == 2  # both teams joined this week

    # close the stage (its winner), run and reveal the final (its top two)
    assert client.post("/api/stages/evaluation/close", headers=bearer(cup.organizer)).is_success
    podium = cup.podium()
    try:
        podium.finals.run()
        # the final ran but is hidden: the huddle names it to organizers only
        assert [s["stage"] for s in client.get("/api/huddle?since=1d").json()["stages"]] == [
            "evaluation"
        ]
        org = client.get("/api/huddle?since=1d", headers=bearer(cup.organizer)).json()
        assert [s["stage"] for s in org["stages"]] == ["evaluation", "final"]
        assert "final" not in client.get("/huddle?since=1d", headers=HTML).text.split("<main>")[1]
        podium.finals.reveal()
    finally:
        podium.close()

    fame = client.get("/api/hall-of-fame").json()
    assert [(e["stage"], e["place"], e["ordinal"]) for e in fame] == [
        ("final", 1, "1st"),
        ("final", 2, "2nd"),
        ("evaluation", 1, "1st"),
    ]
    page = client.get("/hall-of-fame?screen=wall", headers=HTML).text
    assert page.index("2nd") < page.rindex("1st") and "🥇" not in page and "🥈" not in page
    winner = fame[0]
    svg = client.get(f"/hall-of-fame/{winner['id']}.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.headers["content-disposition"] == (
        f'attachment; filename="hall-of-fame-{winner["id"]}-deep-percept.svg"'
    )
    texts = [t.text for t in ET.fromstring(svg.content).iter("{http://www.w3.org/2000/svg}text")]
    assert "Deep Percept" in texts and f"{winner['score']:.2f}" in texts and "1st" in texts
    png = client.get(f"/hall-of-fame/{winner['id']}.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n" and len(png.content) > 20_000
    assert struct.unpack(">II", png.content[16:24]) == (1600, 1000)
    # shown in the browser (a download link beside it on the page)
    assert png.headers["content-disposition"].startswith("inline; filename=")
    assert client.get("/hall-of-fame/999999.svg").status_code == 404
    for bad in ("abc.svg", "-1.png", "0.svg", "99999999999999999999999.png"):
        assert client.get(f"/hall-of-fame/{bad}").status_code == 422, bad
    assert client.get(f"/hall-of-fame/{winner['id']}.exe").status_code == 404


def test_a_bad_since_is_a_400_naming_the_accepted_forms(client: TestClient) -> None:
    for value in ("99999999d", "../../etc", "<script>alert(1)</script>", "tomorrow"):
        r = client.get("/api/huddle", params={"since": value})
        assert r.status_code == 400, value
        assert "7d, 24h" in r.json()["error"] and "2026-11-01T09:00+01:00" in r.json()["error"]
        page = client.get("/huddle", params={"since": value}, headers=HTML)
        assert page.status_code == 400 and "7d, 24h" in page.text
        assert "<script>alert" not in page.text
    assert client.get("/api/huddle?since=24h").json()["stages"][0]["teams"] == []
