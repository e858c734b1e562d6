"""`podium hall-of-fame`: the table, and a winner's tile written as SVG or PNG."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from podium.service import Podium

from ..conftest import CONSTANT_PREDICT, write_submission
from .test_main import run


def test_hall_of_fame_table_and_tiles(competition_dir: Path, tmp_path: Path) -> None:
    podium = Podium.open(competition_dir)
    try:
        podium.setup.add_team("Alpha", ["Ann", "Bo"])
        podium.setup.open_stage("evaluation")
        podium.submissions.submit(write_submission(tmp_path / "s", CONSTANT_PREDICT), team="Alpha")
        podium.evaluation.evaluate_pending()
        podium.finals.close_stage("evaluation")
    finally:
        podium.close()
    c = ["-c", str(competition_dir)]
    (entry,) = json.loads(run("hall-of-fame", "--json", *c).stdout)
    table = run("hall-of-fame", *c).stdout
    assert "1st" in table and "Alpha" in table and "🥇" not in table

    svg = tmp_path / "tile.svg"
    run("hall-of-fame", "--tile", str(entry["id"]), "--format", "svg", "-o", str(svg), *c)
    texts = [t.text for t in ET.parse(svg).iter("{http://www.w3.org/2000/svg}text")]
    assert "Alpha" in texts and "Ann, Bo" in texts and f"{entry['score']:.2f}" in texts
    png = tmp_path / "tile.png"  # the format from the extension
    run("hall-of-fame", "--tile", str(entry["id"]), "-o", str(png), *c)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    run("hall-of-fame", "--tile", str(entry["id"]), "--format", "png", *c, cwd=tmp_path)
    assert (tmp_path / f"hall-of-fame-{entry['id']}-alpha.png").stat().st_size > 20_000

    missing = run("hall-of-fame", "--tile", "999", *c, ok=False)
    assert missing.returncode == 2 and "no hall-of-fame entry 999" in missing.stderr
    wrong = run("hall-of-fame", "--tile", "1", "--format", "gif", *c, ok=False)
    assert wrong.returncode == 2 and "gif" in wrong.stderr
    lone = run("hall-of-fame", "-o", str(svg), *c, ok=False)
    assert lone.returncode == 2 and "--tile ID" in lone.stderr
    folder = run("hall-of-fame", "--tile", "1", "-o", str(tmp_path), *c, ok=False)
    assert folder.returncode == 2 and "cannot write the tile" in folder.stderr
