"""Asking for a feature whose extra is not installed names the extra to install
(.ci/bare_install.py runs the whole loop in a venv without any). A missing package is
simulated by a None in sys.modules, which is how Python refuses an import."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from podium.baseline.cli import baseline_app
from podium.core.errors import MissingExtraError
from podium.store.db import create_store_engine
from podium.worker.broker import make_app


def test_workers_without_celery_name_the_workers_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "celery", None)
    with pytest.raises(MissingExtraError) as caught:
        make_app("redis://127.0.0.1:1/0")
    assert "pip install 'podium[workers]'" in caught.value.message


def test_postgresql_without_psycopg_names_the_postgres_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(MissingExtraError) as caught:
        create_store_engine("postgresql+psycopg://podium@127.0.0.1:1/podium")
    assert "pip install 'podium[postgres]'" in caught.value.message


def test_the_baseline_kit_without_torch_names_the_baseline_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)
    done = CliRunner().invoke(baseline_app, ["package", str(tmp_path / "x.ckpt"), str(tmp_path)])
    assert done.exit_code == 2
    said = " ".join((done.stdout + (done.stderr or "")).split())
    assert "podium[baseline]" in said and "pip install 'podium[baseline]'" in said
