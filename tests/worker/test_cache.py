"""The worker's cache: one worker per folder, sha256 names only."""

from __future__ import annotations

from pathlib import Path

import pytest

from podium.core.errors import PlatformError, PodiumError
from podium.worker.process import Cache, _hex


def test_a_second_worker_on_one_cache_is_refused(tmp_path: Path) -> None:
    first = Cache(tmp_path / "cache")
    with pytest.raises(PodiumError, match="another podium worker uses this cache"):
        Cache(tmp_path / "cache")
    assert Cache(tmp_path / "other").prefix != first.prefix  # their sandboxes never mix


def test_names_from_the_server_are_sha256_or_refused() -> None:
    assert _hex("a" * 64) == "a" * 64
    for bad in ("../" + "a" * 61, "A" * 64, "a" * 63, ""):
        with pytest.raises(PlatformError):
            _hex(bad)
