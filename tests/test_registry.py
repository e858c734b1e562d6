"""One registry style: names bound to "module:attr", imported on use, unknown names refused
with the closest known ones (runners, presets, metric functions, data source kinds)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from podium.core.errors import DataError, NotFoundError, PlatformError
from podium.core.registry import LazyRegistry
from podium.data.sources import SOURCES, open_examples, source_kind
from podium.harness.runners import create_runner
from podium.metrics.registry import FUNCTIONS
from podium.tasks import preset_tasks


def test_a_name_is_imported_only_when_asked_for() -> None:
    registry = LazyRegistry("thing", {"dedent": "textwrap:dedent", "ghost": "no_such_mod:x"})
    assert "ghost" in registry and registry.names() == ("dedent", "ghost")
    assert "no_such_mod" not in sys.modules  # building the registry imported nothing
    assert registry.load("dedent")("  a") == "a"
    with pytest.raises(ModuleNotFoundError):
        registry.load("ghost")
    with pytest.raises(ValueError, match="not 'module:attr'"):
        LazyRegistry("thing", {"bad": "textwrap.dedent"})


def test_every_registry_refuses_an_unknown_name_with_the_closest_one(tmp_path: Path) -> None:
    with pytest.raises(PlatformError, match="unknown runner 'bwarp'") as runner:
        create_runner("bwarp")
    assert "did you mean 'bwrap'" in str(runner.value.hint)
    with pytest.raises(NotFoundError, match="unknown preset 'xtrem'") as preset:
        preset_tasks("xtrem")
    assert "did you mean 'xtreme'" in str(preset.value.hint)
    with pytest.raises(NotFoundError, match="unknown metric function 'acuracy'"):
        FUNCTIONS.load("acuracy")
    with pytest.raises(DataError, match="unknown data source kind 'hg'") as source:
        open_examples("hg:google/xtreme", tmp_path, [], {})
    assert "did you mean 'hf'" in str(source.value.hint) and "synthetic" in str(source.value.hint)


def test_a_source_kind_is_its_scheme_unless_a_folder_has_that_name(tmp_path: Path) -> None:
    assert [source_kind(s, tmp_path) for s in ("synthetic", "hf:a/b", "data", "/x/y")] == [
        "synthetic", "hf", "folder", "folder"
    ]  # fmt: skip
    (tmp_path / "ab:cd").mkdir()
    assert source_kind("ab:cd", tmp_path) == "folder"
    assert set(SOURCES) == {"synthetic", "hf", "folder"}
