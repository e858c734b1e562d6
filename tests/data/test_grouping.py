"""Grouping for splits: premises and translations never straddle training and evaluation."""

from __future__ import annotations

import json
from pathlib import Path

from podium.config.layout import CompetitionLayout
from podium.config.spec import parse_spec
from podium.data.examples import PairExample, TaggedExample
from podium.data.grouping import split_groups
from podium.data.prepare import prepare
from podium.data.sources import load_source
from podium.tasks import default_registry


def test_translations_and_premises_join_transitively() -> None:
    pools = {
        "de": [
            PairExample("P", "h1", "neutral", origin="dev#0"),
            PairExample("P", "h2", "entailment", origin="dev#1"),
            PairExample("Q", "h3", "neutral", origin="dev#2"),
        ],
        "fr": [
            PairExample("p", "x1", "neutral", origin="dev#1"),  # translation of de dev#1
            PairExample("r", "x2", "neutral", origin="dev#2"),
            PairExample("s", "x3", "neutral"),  # no origin: its own premise group
        ],
    }
    groups = split_groups(pools)
    g = {
        (lang, ex.text_b): groups[(lang, ex.content_key())] for lang, p in pools.items() for ex in p
    }
    # de dev#0 and dev#1 share premise P; fr dev#1 translates dev#1: one group, all languages
    assert g[("de", "h1")] == g[("de", "h2")] == g[("fr", "x1")]
    assert g[("de", "h1")][0] == "*"
    assert g[("de", "h3")] == g[("fr", "x2")] != g[("de", "h1")]
    assert g[("fr", "x3")] == ("fr", "s")
    tagged = {"en": [TaggedExample(("a", "b"), ("O", "O"))]}
    assert split_groups(tagged)[("en", "a\x1fb")] == ("en", "a\x1fb")


def test_the_sample_seals_no_translation_or_premise_of_public_data(
    tmp_path: Path, sample_dir: Path
) -> None:
    spec = parse_spec(
        f'name = "g"\n[integrity]\ncanary_share = 0\ncontrast_share = 0\n[data]\nsource = "{sample_dir}"\n'
        "max_examples_per_language = 400\n"
    )
    examples, label = load_source(spec, tmp_path, default_registry())
    layout = CompetitionLayout(tmp_path / "cup")
    manifest = prepare(spec, layout, examples, source_label=label, registry=default_registry())
    for task in ("xnli", "pawsx"):
        origin = {
            (lang, ex.text_a, ex.text_b): ex.origin  # type: ignore[union-attr]
            for (t, lang), pool in examples.items()
            if t == task
            for ex in pool
        }
        public: set[str] = set()
        premises: set[tuple[str, str]] = set()
        for path in (layout.public_dir / task).glob("*.tsv"):
            lang = path.stem.split("-", 1)[1]
            for line in path.read_text(encoding="utf-8").splitlines():
                a, b, _ = line.split("\t")
                public.add(origin[(lang, a, b)])
                premises.add((lang, a))
        sealed = 0
        for split in ("eval", "final"):
            for path in (layout.inputs_dir(split) / task).glob("*.jsonl"):
                for line in path.read_text(encoding="utf-8").splitlines():
                    rec = json.loads(line)
                    key = (path.stem, rec["text_a"], rec["text_b"])
                    assert origin[key] not in public, (task, split, key)
                    assert (path.stem, rec["text_a"]) not in premises
                    sealed += 1
        assert sealed > 100 and manifest.counts[task]
