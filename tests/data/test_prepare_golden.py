"""The streaming prepare writes the same bytes as the in-memory one it replaced, and its
numbers-only grouping agrees with `split_groups`.

The digests below were computed by the in-memory prepare (main at f69377b, before streaming) on
the same inputs: the synthetic source, the shared XTREME sample and a small folder holding every
quirk the readers accept (BOM, CRLF, duplicates with conflicting labels, shared premises,
line-aligned translations, unlabelled test files, CoNLL-U treebanks).
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from podium.config.layout import CompetitionLayout
from podium.config.spec import parse_spec
from podium.core.errors import DataError
from podium.data.examples import Example, PairExample
from podium.data.grouping import GroupIndex, digest, split_groups
from podium.data.prepare import Manifest, prepare
from podium.data.sources import open_source
from podium.tasks import Task, default_registry

GOLDEN = {
    "synthetic": "9c8de4aae4f8b589a22525155d940173dbd7f172f5682d1e073591b9ab1ee353",
    "sample": "9a11929376368760fddcda17b1caffd618fcf30d0379720be5844e18705a4784",
    "sample-capped": "85916610012d43954a3c0e017622714c92ef461b0bc2ea7f9c05c4d8416bc9a1",
    "quirks": "239f7efc85c6b339ddd46a36ecf45712b42230c63c789607048b55d5f33cc3ac",
}

SYNTHETIC = """
name = "g"
[tasks.xnli]
languages = ["en", "de", "zh"]
[tasks.pawsx]
languages = ["en", "ja"]
[tasks.udpos]
languages = ["en", "yo"]
[tasks.panx]
languages = ["en", "ar"]
[data]
seed = 5
"""

QUIRKS = """
name = "q"
[tasks.xnli]
languages = ["en", "de", "fr"]
[tasks.udpos]
languages = ["en", "de"]
[tasks.panx]
languages = ["en"]
[data]
source = "{source}"
seed = 9
dev = 0.2
"""

LABELS = ("entailment", "neutral", "contradiction")
UPOS = ("NOUN", "VERB", "DET", "ADP", "PUNCT", "ADJ")
NER = ("O", "B-PER", "I-PER", "B-LOC", "O", "O")
CONLLU = """# sent_id = 1
1-2\tdu\t_\t_\t_\t_\t_\t_\t_\t_
1\tde\tde\tADP\t_\t_\t3\tcase\t_\t_
2\tle\tle\tDET\t_\t_\t3\tdet\t_\t_
3\tchat\tchat\tNOUN\t_\t_\t0\troot\t_\t_
3.1\tx\tx\tNOUN\t_\t_\t_\t_\t_\t_

1\tgros\tgros\tADJ\t_\t_\t2\tamod\t_\t_
2\tHà Nội\tx\tPROPN\t_\t_\t0\troot\t_\t_
"""


def fingerprint(manifest: Manifest) -> str:
    """Everything a prepare decides, without the source's path."""
    decided = {"files": manifest.files, "counts": manifest.counts, "warnings": manifest.warnings}
    return hashlib.sha256(json.dumps(decided, sort_keys=True).encode()).hexdigest()


def seal(spec_text: str, base: Path, root: Path) -> Manifest:
    """Splitting alone (tests/data/test_canaries.py pins what canaries add)."""
    spec, registry = (
        parse_spec(spec_text + "\n[integrity]\ncanary_share = 0\ncontrast_share = 0\n"),
        default_registry(),
    )
    source = open_source(spec, base, registry)
    return prepare(
        spec, CompetitionLayout(root), source, source_label=source.label, registry=registry
    )


def write_quirks(folder: Path) -> None:
    """A small XTREME-format folder with every quirk the readers accept."""
    rng = random.Random(4)
    words = [f"w{i}" for i in range(40)]

    def sentence(n: int) -> str:
        return " ".join(rng.choice(words) for _ in range(n))

    xnli = folder / "xnli"
    xnli.mkdir(parents=True)
    premises = [sentence(6) for _ in range(90)]
    train = [f"{p}\t{sentence(4)}\t{label}" for p in premises for label in LABELS]
    train += train[:20] + [line.rsplit("\t", 1)[0] + "\tneutral" for line in train[30:40]]
    (xnli / "train-en.tsv").write_bytes(("\ufeff" + "\r\n".join(train) + "\r\n\n\n").encode())
    aligned = [(sentence(5), sentence(3), rng.choice(LABELS)) for _ in range(220)]
    for lang in ("en", "de"):
        lines = [f"{lang} {a}\t{lang} {b}\t{label}" for a, b, label in aligned]
        (xnli / f"dev-{lang}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    unlabelled = [f"{sentence(5)}\t{sentence(3)}" for _ in range(30)]
    (xnli / "test-de.tsv").write_text("\n".join(unlabelled) + "\n", encoding="utf-8")
    tagged = {"udpos": UPOS, "panx": NER}
    for task, tags in tagged.items():
        (folder / task).mkdir()
        for name in ("train-en", "test-en", "dev-de"):
            sents = [
                "\n".join(
                    f"{rng.choice(words)}\t{rng.choice(tags)}" for _ in range(rng.randint(1, 7))
                )
                for _ in range(160)
            ]
            sents += sents[:15]
            (folder / task / f"{name}.tsv").write_text("\n\n".join(sents) + "\n", encoding="utf-8")
    treebank = folder / "udpos" / "UD_French" / "fr_x-ud-test.conllu"
    treebank.parent.mkdir()
    treebank.write_text(CONLLU, encoding="utf-8")
    (folder / "udpos" / "en_y-ud-dev.conllu").write_text(CONLLU * 3, encoding="utf-8")


def _check(case: str, manifest: Manifest) -> None:
    assert fingerprint(manifest) == GOLDEN[case], f"{case}: {fingerprint(manifest)}"


def test_synthetic_source_seals_as_before(tmp_path: Path) -> None:
    _check("synthetic", seal(SYNTHETIC, tmp_path, tmp_path / "c"))


def test_quirky_folder_seals_as_before(tmp_path: Path) -> None:
    write_quirks(tmp_path / "data")
    manifest = seal(QUIRKS.format(source="data"), tmp_path, tmp_path / "c")
    assert any("duplicate" in w for w in manifest.warnings)
    _check("quirks", manifest)


@pytest.mark.parametrize("case", ["sample", "sample-capped"])
def test_the_xtreme_sample_seals_as_before(case: str, tmp_path: Path, sample_dir: Path) -> None:
    cap = "max_examples_per_language = 300\nseed = 11\n" if case == "sample-capped" else ""
    spec = f'name = "s"\n[data]\nsource = "{sample_dir}"\n{cap}'
    _check(case, seal(spec, tmp_path, tmp_path / "c"))


def test_the_group_index_hashes_every_pair_as_split_groups_does() -> None:
    rng = random.Random(3)
    premises = [f"premise {i}" for i in range(40)]
    pools: dict[str, list[Example]] = {
        lang: [
            PairExample(
                rng.choice(premises),
                f"hypothesis {rng.randrange(60)}",
                "neutral",
                origin=rng.choice(["", f"dev#{rng.randrange(30)}", f"test#{rng.randrange(30)}"]),
            )
            for _ in range(150)
        ]
        for lang in ("de", "fr")
    }
    groups, index = split_groups(pools), GroupIndex(7, "xnli")
    nodes = {
        (lang, ex.content_key()): index.add_pair(lang, ex.text_a, ex.origin)
        for lang, pool in pools.items()
        for ex in pool
        if isinstance(ex, PairExample)
    }
    for where, node in nodes.items():
        expected = digest("7", "xnli", *groups[where])
        assert index.split_hash(node) == int.from_bytes(expected[:8], "big"), where


class _Shifting:
    """A source whose second reading differs from its first (a file rewritten meanwhile)."""

    label = "shifting"

    def __init__(self) -> None:
        self.reads = 0

    def examples(self, task: Task, lang: str) -> Iterator[Example]:
        self.reads += 1
        labels = ("entailment", "neutral", "contradiction")
        for i in range(60):
            text = f"premise {i}" if self.reads == 1 or i < 50 else f"changed {i}"
            yield PairExample(text, f"hypothesis {i}", labels[i % 3])


def test_a_source_that_changes_between_the_passes_is_refused(tmp_path: Path) -> None:
    spec = parse_spec('name = "c"\n[tasks.xnli]\nlanguages = ["de"]\n')
    with pytest.raises(DataError, match="the source changed while it was being prepared"):
        prepare(
            spec,
            CompetitionLayout(tmp_path),
            _Shifting(),
            source_label="shifting",
            registry=default_registry(),
        )
    assert list(tmp_path.iterdir()) == []
