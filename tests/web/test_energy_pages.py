"""Under `[efficiency] metric = "energy"` the pages, the API and the CSV say joules."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import update

from podium.store.models import Measurement

from .conftest import make_cup


def test_the_leaderboard_names_its_figure_and_unit(tmp_path: Path) -> None:
    cup = make_cup(tmp_path, '\n[efficiency]\nmetric = "energy"\n')
    podium = cup.podium()
    try:
        podium.submissions.submit_data(cup.archive, team="Quick Lex", label="c", where="c")
        [outcome] = podium.evaluation.evaluate_pending()
        with podium.competition.sessions.begin() as s:  # as an evaluator with RAPL stores it
            s.execute(
                update(Measurement)
                .where(Measurement.run_id == outcome.run_id)
                .values(cpu_energy_joules=42.5, idle_cpu_watts=3.0, energy_note=None)
            )
    finally:
        podium.close()
    from podium.web.app import create_app

    with TestClient(create_app(cup.root, evaluate=False)) as client:
        page = client.get("/leaderboard", headers={"accept": "text/html"}).text
        assert "<th>Energy</th>" in page and "42.5 J" in page and "idle power subtracted" in page
        board = client.get("/api/leaderboard").json()
        assert (board["efficiency_metric"], board["efficiency_unit"]) == ("energy", "J")
        assert board["rows"][0]["duration"] == 42.5
        rows = list(csv.DictReader(io.StringIO(client.get("/api/leaderboard.csv").text)))
        assert rows[0]["energy_joules"] == "42.500000" and "duration_seconds" not in rows[0]
