"""The house plan holds: no import cycles anywhere in podium, lazy imports included.

(The layers themselves are an import-linter contract in pyproject.toml, run by `make test`.)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp
import pytest


def import_cycles(package: str) -> list[list[str]]:
    """Strongly connected groups of modules (Tarjan), counting every import statement: at
    module level, inside functions and under TYPE_CHECKING alike."""
    graph = grimp.build_graph(package, include_external_packages=False)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(edges[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    work.append((child, iter(edges[child])))
                elif child in stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    cycles.append(sorted(group))
    return cycles


def test_no_module_of_podium_imports_itself_back() -> None:
    assert import_cycles("podium") == []


def test_the_cycle_finder_finds_a_lazy_cycle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "loop"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from loop import b\n")
    (package / "b.py").write_text("def late():\n    from loop import a\n    return a\n")
    (package / "c.py").write_text("from loop import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_cycles("loop") == [["loop.a", "loop.b"]]


HEAVY_FOR_A_READER = (
    "numpy",
    "podium.rules.calibration",
    "podium.data.prepare",
    "podium.data.sources",
    "podium.harness.evaluate",
    "podium.harness.runners",
    "podium.submission.archive",
    "podium.metrics.scores",
    "podium.metrics.spans",
)


def test_a_reader_loads_no_harness_data_or_numpy() -> None:
    """The read-only commands import the CLI and the service, read a spec's metrics and build
    boards: none of that may pull in what only evaluating or preparing data needs (issue 25)."""
    probe = (
        "import sys, podium.cli.main, podium.service, podium.report.charts\n"
        "from podium.metrics import builtin_metrics, check_metric_name, mean\n"
        "check_metric_name('span_f1'); builtin_metrics(); mean([1.0])\n"
        f"print(sorted(m for m in {HEAVY_FOR_A_READER!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_builtin_metric_still_scores_when_called() -> None:
    from podium.metrics import compute_metric, get_metric, span_f1

    assert get_metric("accuracy")(["a", "b"], ["a", "a"]) == 50.0
    assert compute_metric("span_f1", [["B-PER", "O"]], [["B-PER", "O"]]) == 100.0
    assert span_f1([["B-PER", "O"]], [["O", "O"]]) == 0.0
