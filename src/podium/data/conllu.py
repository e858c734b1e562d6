"""Universal Dependencies CoNLL-U files for POS tagging, turned into tokens the XTREME way.

XTREME builds UD-POS from CoNLL-U with ud-conversion-tools (`--replace_subtokens_with_fused_forms`)
and then its own clean-up. We do the same, so a treebank read here gives XTREME's sentences:

- comment lines (`# ...`) are skipped; a blank line ends a sentence;
- empty nodes (ids such as `8.1`, enhanced dependencies only) are skipped;
- a multiword token (`3-4  du`) replaces its words (`de`, `le`) with the fused surface form, tagged
  with the UPOS of the span's head: the word of the span closest to the root of the tree; when
  several are equally close, the one whose UPOS comes first in the precedence list (language
  specific for es, fr, it, as in ud-conversion-tools; tags missing from a list rank last, ties go
  to the leftmost word);
- spaces and ZERO WIDTH NON-JOINER inside a form are removed (`Hà Nội` becomes `HàNội`), as
  XTREME's `remove_empty_space` does;
- sentences whose forms are all, or all but one, `_` (treebanks distributed without their text)
  are dropped, as XTREME drops them.

Files are named as UD names them, `{lang}_{treebank}-ud-{split}.conllu`; the language is the part
before the first `_`. Every treebank of a language is pooled.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from podium.core.errors import DataError
from podium.data.examples import TaggedExample
from podium.data.xtreme import read_lines
from podium.tasks import Task

DEFAULT_PRECEDENCE = [
    "VERB",
    "NOUN",
    "PROPN",
    "PRON",
    "ADJ",
    "NUM",
    "ADV",
    "INTJ",
    "AUX",
    "ADP",
    "DET",
    "PART",
    "CCONJ",
    "SCONJ",
    "X",
    "PUNCT",
]
PRECEDENCE = {
    "es": tuple(["VERB", "AUX", "PRON", "ADP", "DET"]),
    "fr": tuple(
        ["VERB", "AUX", "PRON", "NOUN", "ADJ", "ADV", "ADP", "DET", "PART", "SCONJ", "CONJ"]
    ),
    "it": tuple(["VERB", "AUX", "ADV", "PRON", "ADP", "DET", "INTJ"]),
}
_COLUMNS = 10


@dataclass(frozen=True)
class _Word:
    form: str
    upos: str
    head: int | None
    line: int


def language_of(path: Path) -> str:
    """`en_ewt-ud-train.conllu` → `en`."""
    lang, sep, _rest = path.name.partition("_")
    if not sep or not lang.isalpha():
        raise DataError(
            "cannot tell the language of a CoNLL-U file",
            where=str(path),
            hint="name it as Universal Dependencies does: {lang}_{treebank}-ud-{split}.conllu",
        )
    return lang


def _depth(word_id: int, words: dict[int, _Word]) -> int | None:
    """Ancestors between a word and the root; None when the heads do not form a tree."""
    depth, seen, current = 0, set[int](), word_id
    while current != 0:
        if current in seen or current not in words:
            return None
        seen.add(current)
        head = words[current].head
        if head is None:
            return None
        current, depth = head, depth + 1
    return depth - 1


def span_head(span: range, words: dict[int, _Word], lang: str) -> int:
    """The word of a multiword span that gives the fused form its tag (see the module doc)."""
    depths = {i: _depth(i, words) for i in span}
    known = [d for d in depths.values() if d is not None]
    top = min(known) if known else None
    highest = [i for i in span if depths[i] == top] if top is not None else list(span)
    if len(highest) == 1:
        return highest[0]
    order = PRECEDENCE.get(lang, DEFAULT_PRECEDENCE)

    def rank(i: int) -> int:
        upos = words[i].upos
        return order.index(upos) if upos in order else len(order)

    return min(highest, key=rank)  # min keeps the leftmost of equal ranks


def _sentence(
    words: dict[int, _Word],
    ranges: list[tuple[int, int, str, int]],
    lang: str,
    task: Task,
    where: str,
) -> TaggedExample | None:
    starts = {start: (end, form) for start, end, form, _line in ranges}
    tokens: list[str] = []
    tags: list[str] = []
    lines: list[int] = []
    skip_until = 0
    for word_id in sorted(words):
        if word_id <= skip_until:
            continue
        word = words[word_id]
        if word_id in starts:
            end, form = starts[word_id]
            head = span_head(range(word_id, end + 1), words, lang)
            word = _Word(form, words[head].upos, None, word.line)
            skip_until = end
        if word.upos not in task.labels:
            raise DataError(
                f"UPOS {word.upos!r} is not a {task.id} tag",
                where=f"{where}:{word.line}",
                hint=f"allowed: {', '.join(task.labels)}",
            )
        tokens.append(word.form)
        tags.append(word.upos)
        lines.append(word.line)
    empty = sum(t == "_" for t in tokens)
    if not tokens or (empty and empty >= len(tokens) - 1):
        return None
    cleaned = tuple("".join(t.replace("\u200c", "").split(" ")) for t in tokens)
    for token, line in zip(cleaned, lines, strict=True):
        if not token:
            raise DataError(
                "a form is empty once spaces and ZWNJ are removed", where=f"{where}:{line}"
            )
    return TaggedExample(cleaned, tuple(tags))


def read_conllu_file(path: Path, task: Task, lang: str | None = None) -> list[TaggedExample]:
    """The sentences of one CoNLL-U file as XTREME's UD-POS has them; errors name file:line."""
    return list(iter_conllu_file(path, task, lang))


def iter_conllu_file(path: Path, task: Task, lang: str | None = None) -> Iterator[TaggedExample]:
    """`read_conllu_file` one sentence at a time."""
    lang = lang or language_of(path)
    words: dict[int, _Word] = {}
    ranges: list[tuple[int, int, str, int]] = []
    for lineno, line in read_lines(path):
        if not line.strip():
            if words:
                sent = _sentence(words, ranges, lang, task, str(path))
                if sent is not None:
                    yield sent
            words, ranges = {}, []
            continue
        if line.startswith("#"):
            continue
        cols = line.split("\t")
        where = f"{path}:{lineno}"
        if len(cols) != _COLUMNS:
            raise DataError(
                f"expected 10 tab-separated columns, found {len(cols)}",
                where=where,
                hint="CoNLL-U: ID FORM LEMMA UPOS XPOS FEATS HEAD DEPREL DEPS MISC",
            )
        ident, form, upos, head = cols[0], cols[1], cols[3], cols[6]
        if "." in ident:
            continue  # an empty node
        try:
            if "-" in ident:
                first, last = (int(x) for x in ident.split("-", 1))
                ranges.append((first, last, form, lineno))
                continue
            word_id = int(ident)
        except ValueError:
            raise DataError(
                f"ID {ident!r} is not a number, a range (3-4) or an empty node (8.1)",
                where=where,
            ) from None
        words[word_id] = _Word(form, upos, int(head) if head.isdigit() else None, lineno)
    if words:
        sent = _sentence(words, ranges, lang, task, str(path))
        if sent is not None:
            yield sent
