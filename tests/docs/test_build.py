"""The site builds with `mkdocs build --strict`, offline, with every page and the API."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ..patience import HANG
from .pages import DOCS, pages

REPO = DOCS.parent


def test_strict_build(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PODIUM_")}
    env["NO_MKDOCS_2_WARNING"] = "1"
    src = str(REPO / "src")
    env["PYTHONPATH"] = f"{src}:{env['PYTHONPATH']}" if env.get("PYTHONPATH") else src
    site = tmp_path / "site"
    mkdocs = [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(REPO / "mkdocs.yml")]
    done = subprocess.run(
        [*mkdocs, "--site-dir", str(site)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=HANG,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for page in pages():
        if "hooks" not in page.parts:
            built = site / page.relative_to(DOCS).with_suffix("") / "index.html"
            if page.name == "index.md":
                built = site / "index.html"
            assert built.is_file(), f"{page.name} was not built"
    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    for route in ("GET /api/leaderboard", "POST /api/submissions", "POST /api/worker/claim"):
        assert route in api, f"the API reference lacks {route}"
    assert "<!-- openapi -->" not in api
    for html in site.rglob("*.html"):
        text = html.read_text(encoding="utf-8")
        assert "fonts.googleapis.com" not in text, f"{html} loads Google fonts"
