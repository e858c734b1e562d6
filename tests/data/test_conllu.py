"""CoNLL-U treebanks read the XTREME way: fused forms, precedence, comments, empty nodes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from podium.config.layout import CompetitionLayout
from podium.config.spec import parse_spec
from podium.core.errors import DataError
from podium.data.conllu import language_of, read_conllu_file
from podium.data.examples import TaggedExample
from podium.data.prepare import prepare
from podium.data.sources import load_source, read_folder
from podium.data.xtreme import FILE_PATTERN, read_xtreme_dir, read_xtreme_file
from podium.tasks import default_registry

UDPOS = default_registry().get("udpos")


def _row(i: str, form: str, upos: str, head: str) -> str:
    return "\t".join([i, form, "_", upos, "_", "_", head, "dep", "_", "_"])


FRENCH = "\n".join(
    [
        "# sent_id = fr-1",
        "# text = Il parle du chat.",
        _row("1", "Il", "PRON", "2"),
        _row("2", "parle", "VERB", "0"),
        _row("3-4", "du", "_", "_"),
        _row("3", "de", "ADP", "5"),  # de and le both hang off chat: equally high,
        _row("4", "le", "DET", "5"),  # so French precedence picks ADP over DET
        _row("5", "chat", "NOUN", "2"),
        _row("5.1", "mange", "VERB", "_"),  # an empty node: skipped
        _row("6", ".", "PUNCT", "2"),
        "",
        "# sent_id = fr-2",
        _row("1", "_", "NOUN", "0"),  # a treebank shipped without its text: dropped
        _row("2", "_", "VERB", "1"),
        _row("3", "!", "PUNCT", "1"),
        "",
    ]
)

SPANISH = "\n".join(
    [
        _row("1-3", "dámelo", "_", "_"),
        _row("1", "da", "VERB", "0"),  # the head of the span: the only word nearest the root
        _row("2", "me", "PRON", "1"),
        _row("3", "lo", "PRON", "1"),
        _row("4", "Hà Nội", "PROPN", "1"),  # a space inside a form is removed, as XTREME does
        _row("5", "ab\u200ccd", "NOUN", "1"),  # so is ZERO WIDTH NON-JOINER
        "",
        "",
    ]
)

ENGLISH = "\n".join(
    [
        _row("1", "I", "PRON", "3"),
        _row("2-3", "don't", "_", "_"),
        _row("2", "do", "AUX", "4"),  # siblings under "know": the default list ranks AUX
        _row("3", "n't", "PART", "4"),  # before PART
        _row("4", "know", "VERB", "0"),
    ]
)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    return path


def test_multiword_tokens_keep_the_fused_form_with_the_heads_tag(tmp_path: Path) -> None:
    fr = read_conllu_file(_write(tmp_path, "fr_gsd-ud-test.conllu", FRENCH), UDPOS)
    assert fr == [
        TaggedExample(("Il", "parle", "du", "chat", "."), ("PRON", "VERB", "ADP", "NOUN", "PUNCT"))
    ]
    es = read_conllu_file(_write(tmp_path, "es_ancora-ud-dev.conllu", SPANISH), UDPOS)
    assert es == [TaggedExample(("dámelo", "HàNội", "abcd"), ("VERB", "PROPN", "NOUN"))]
    # "don't" has AUX and PART equally high; the precedence list decides
    en = read_conllu_file(_write(tmp_path, "en_ewt-ud-train.conllu", ENGLISH), UDPOS)
    assert en == [TaggedExample(("I", "don't", "know"), ("PRON", "AUX", "VERB"))]


def test_precedence_is_language_specific(tmp_path: Path) -> None:
    # ADP/DET siblings: Spanish ranks ADP first; with PRON/ADV siblings Italian puts ADV first
    text = "\n".join(
        [
            _row("1-2", "glielo", "_", "_"),
            _row("1", "gli", "PRON", "3"),
            _row("2", "lo", "ADV", "3"),
            _row("3", "dico", "VERB", "0"),
        ]
    )
    it = read_conllu_file(_write(tmp_path, "it_isdt-ud-test.conllu", text), UDPOS)
    en = read_conllu_file(_write(tmp_path, "en_x-ud-test.conllu", text), UDPOS)
    assert it[0].tags == ("ADV", "VERB")  # Italian: VERB AUX ADV PRON ...
    assert en[0].tags == ("PRON", "VERB")  # default: ... PRON ADJ NUM ADV ...


def test_bad_conllu_names_file_and_line(tmp_path: Path) -> None:
    bad_tag = _row("1", "chat", "NOUNY", "0") + "\n"
    with pytest.raises(DataError) as err:
        read_conllu_file(_write(tmp_path, "fr_a-ud-test.conllu", bad_tag), UDPOS)
    assert "fr_a-ud-test.conllu:1" in str(err.value) and "PROPN" in (err.value.hint or "")
    with pytest.raises(DataError) as err:
        read_conllu_file(_write(tmp_path, "fr_b-ud-test.conllu", "# c\n1\tchat\tNOUN\n"), UDPOS)
    assert "fr_b-ud-test.conllu:2" in str(err.value) and "found 3" in str(err.value)
    with pytest.raises(DataError) as err:
        language_of(Path("treebank.conllu"))
    assert "{lang}_{treebank}-ud-{split}.conllu" in (err.value.hint or "")


def _to_conllu(examples: list[TaggedExample]) -> str:
    lines = []
    for ex in examples:
        lines.append("# sent_id = x")
        for i, (tok, tag) in enumerate(zip(ex.tokens, ex.tags or (), strict=True), start=1):
            lines.append(_row(str(i), tok, tag, "0" if i == 1 else "1"))
        lines.append("")
    return "\r\n".join(lines) + "\r\n"  # CRLF, as some treebank copies have


def test_sample_as_treebanks_seals_the_same_sets(tmp_path: Path, sample_dir: Path) -> None:
    """The sample's UD-POS written as CoNLL-U (one treebank per file) prepares identically."""
    copy = tmp_path / "as-conllu"
    shutil.copytree(sample_dir, copy)
    for path in sorted((copy / "udpos").glob("*.tsv")):
        match = FILE_PATTERN.match(path.name)
        assert match
        examples = [e for e in read_xtreme_file(path, UDPOS) if isinstance(e, TaggedExample)]
        lang, split = match["lang"], match["split"]
        _write(copy / "udpos" / f"UD_{lang}", f"{lang}_pud-ud-{split}.conllu", _to_conllu(examples))
        path.unlink()
    assert read_folder(copy, [UDPOS]) == read_xtreme_dir(sample_dir, [UDPOS])
    manifests = []
    for name, source in (("folder", sample_dir), ("conllu", copy)):
        spec = parse_spec(
            f'name = "x"\n[tasks.udpos]\n[data]\nsource = "{source}"\nmax_examples_per_language = 200\n'
        )
        examples, label = load_source(spec, tmp_path, default_registry())
        manifests.append(
            prepare(
                spec,
                CompetitionLayout(tmp_path / name),
                examples,
                source_label=label,
                registry=default_registry(),
            )
        )
    assert manifests[0].files == manifests[1].files
    assert manifests[0].counts == manifests[1].counts


def test_conllu_language_outside_the_task_is_refused(tmp_path: Path) -> None:
    _write(tmp_path / "udpos", "xx_test-ud-test.conllu", ENGLISH)
    with pytest.raises(DataError) as err:
        read_folder(tmp_path, [UDPOS])
    assert "udpos has no language 'xx'" in str(err.value)
