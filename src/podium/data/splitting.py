"""What splitting needs of each example, kept as numbers while the examples stream past.

`prepare` reads a task twice. The first pass, here, keeps per example only what its split
depends on: its position in the pool, 48 bits of its id, the node of its group (see
`grouping.GroupIndex`) and, with a cap, its keep hash; duplicates are found by a 128-bit digest
of their inputs instead of the inputs. The decisions are `assign_splits`'s, bit for bit: the
same hashes of the same strings, so the bytes written are the same as when every example was
held in memory.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Mapping

from podium.core.errors import DataError
from podium.data.examples import Example, PairExample, TaggedExample
from podium.data.grouping import GroupIndex, digest
from podium.data.xtreme import labelled_problem
from podium.tasks import Task

SPLITS = ("train", "dev", "eval", "final")
DROPPED = 255  # over the cap: in no split


def split_of(u: float, fractions: Mapping[str, float]) -> str:
    """The split of a point of [0, 1): public (dev first, then train), eval, final."""
    public, dev, evalf = fractions["public"], fractions["dev"], fractions["eval"]
    if u < public:
        return "dev" if u < public * dev else "train"
    return "eval" if u < public + evalf else "final"


class LanguageIndex:
    """One (task, language) pool as small numbers; first occurrences in pool order."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.total = 0  # examples in the pool, duplicates included
        self.dropped = self.conflicting = 0
        self.problem: str | None = None  # the first unlabelled or malformed example
        self.ordinals = array("q")  # position in the pool
        self.ids = array("q")  # the first 48 bits of the id hash
        self.nodes = array("q")  # group node of a pair; -1 for a tagged example
        self.hashes = array("Q")  # a tagged example's split hash (its own group)
        self.keep: list[bytes] = []  # with a cap: the hash that picks who is kept
        self.splits = bytearray()  # filled by `assign`: an index into SPLITS, or DROPPED

    def __len__(self) -> int:
        return len(self.ordinals)


def index_language(
    examples: Iterable[Example],
    task: Task,
    lang: str,
    *,
    seed: int,
    groups: GroupIndex,
    capped: bool,
) -> LanguageIndex:
    """One pass over a pool: problems, duplicates, ids and groups; nothing of the text stays."""
    index = LanguageIndex(seed)
    answers: dict[bytes, int] = {}  # inputs digest -> hash of the first answer (this process)
    s, t = str(seed), task.id
    for ordinal, ex in enumerate(examples):
        index.total += 1
        if index.problem is None:
            problem = labelled_problem(task, ex)
            if problem is not None:
                index.problem = f"{t}/{lang} example #{ordinal + 1}: {problem}"
        key = ex.content_key()
        pair = isinstance(ex, PairExample)
        # every occurrence joins its group, as in `split_groups`; only the first is kept
        node = groups.add_pair(lang, ex.text_a, ex.origin) if isinstance(ex, PairExample) else -1
        ident = digest("id", s, t, lang, key)
        answer = hash(ex.tags if isinstance(ex, TaggedExample) else ex.label)
        first = answers.get(ident[:16])
        if first is not None:
            index.dropped += 1
            index.conflicting += first != answer
            continue
        answers[ident[:16]] = answer
        index.ordinals.append(ordinal)
        index.ids.append(int.from_bytes(ident[:6], "big"))
        index.nodes.append(node)
        index.hashes.append(0 if pair else int.from_bytes(digest(s, t, lang, key)[:8], "big"))
        if capped:
            index.keep.append(digest("keep", s, t, lang, key))
    return index


def assign(
    index: LanguageIndex,
    groups: GroupIndex,
    *,
    task: str,
    lang: str,
    fractions: Mapping[str, float],
    cap: int | None,
) -> dict[str, int]:
    """Fill `index.splits` as `assign_splits` would split the pool; the count per split."""
    n = len(index)
    chosen: Iterable[int] = range(n)
    if cap is not None and n > cap:
        # an independent hash picks which examples to keep, so the kept ones still spread
        # over every split
        chosen = sorted(range(n), key=index.keep.__getitem__)[:cap]
    index.splits = bytearray([DROPPED]) * n
    counts = dict.fromkeys(SPLITS, 0)
    seen: set[int] = set()
    for i in chosen:
        node = index.nodes[i]
        u = (groups.split_hash(node) if node >= 0 else index.hashes[i]) / 2**64
        split = split_of(u, fractions)
        if index.ids[i] in seen:  # 48 bits: practically never, but never silently
            raise DataError(
                f"{task}/{lang}: two different examples hash to the id "
                f"{example_id(task, lang, index.ids[i])}",
                hint="change [data] seed",
            )
        seen.add(index.ids[i])
        index.splits[i] = SPLITS.index(split)
        counts[split] += 1
    return counts


def example_id(task: str, lang: str, bits: int) -> str:
    return f"{task}-{lang}-{bits:012x}"
