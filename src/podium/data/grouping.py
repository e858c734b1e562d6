"""Which examples must land in the same split, so nothing in training gives away a sealed one.

Two leaks in XTREME-style pair data, both measured on the shared sample:

- an XNLI premise comes with three hypotheses, one per label; spread over splits, a model
  learns "this premise had these labels in training" and is wrong on evaluation by
  construction (438 of 558 dev pairs shared a premise with training);
- XNLI and PAWS-X dev/test files are line-by-line translations across languages; split per
  language, almost every sealed pair had its translation, with its label, in another
  language's training data (1,611 of 1,624 XNLI eval pairs).

So pairs are grouped by (language, first text) and by origin (the same line of the same split
file in any language), transitively; a group is hashed as one. Tagged sentences are their own
group within their language.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Mapping, Sequence

from podium.data.examples import Example, PairExample

# (scope, key): scope is the language, or "*" for a group that spans languages
Group = tuple[str, str]


def split_groups(pools: Mapping[str, Sequence[Example]]) -> dict[tuple[str, str], Group]:
    """(language, content key) -> the group hashed for its split, over one task's pools."""
    parent: dict[str, str] = {}

    def find(node: str) -> str:
        root = node
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[node] != root:
            parent[node], node = root, parent[node]
        return root

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)  # the smallest key names the group: order-free

    nodes: dict[tuple[str, str], list[str]] = {}
    for lang, pool in pools.items():
        for ex in pool:
            if isinstance(ex, PairExample):
                own = [f"p\x00{lang}\x00{ex.text_a}"]
                if ex.origin:
                    own.append(f"o\x00{ex.origin}")
            else:
                own = [f"t\x00{lang}\x00{ex.content_key()}"]
            nodes[(lang, ex.content_key())] = own
            for other in own[1:]:
                union(own[0], other)
    groups: dict[tuple[str, str], Group] = {}
    for (lang, key), own in nodes.items():
        root = find(own[0])
        kind, rest = root.split("\x00", 1)
        if kind == "o":
            groups[(lang, key)] = ("*", "origin\x00" + rest)
        else:
            group_lang, text = rest.split("\x00", 1)
            groups[(lang, key)] = (group_lang, text)
    return groups


class GroupIndex:
    """`split_groups` for a streamed task: the same groups and split hashes, on numbers.

    A group's name is the smallest of its keys; origins sort before first texts, so a group
    is named by its smallest origin when it has one, and otherwise it is one first text of one
    language (only origins join different first texts). So nodes need no text: a first text is
    known by its split hash, an origin by its (short) name.
    """

    def __init__(self, seed: int, task: str) -> None:
        self.prefix = (str(seed), task)
        self.parent = array("q")
        self.own = array("Q")  # a first text's split hash; 0 for an origin
        self.texts: dict[bytes, int] = {}  # 128 bits of a first text's hash -> node
        self.origins: dict[str, int] = {}
        self.smallest: dict[int, str] = {}  # root -> the smallest origin of its group

    def add_pair(self, lang: str, text_a: str, origin: str) -> int:
        """The node of a pair's first text, joined to its origin's group; returns that node."""
        own = digest(*self.prefix, lang, text_a)
        node = self.texts.get(own[:16])
        if node is None:
            node = self.texts[own[:16]] = self._node(int.from_bytes(own[:8], "big"))
        if origin:
            other = self.origins.get(origin)
            if other is None:
                other = self.origins[origin] = self._node(0)
                self.smallest[other] = origin
            self._union(node, other)
        return node

    def split_hash(self, node: int) -> int:
        """The first 64 bits of sha256(seed, task, *group) for the group holding `node`."""
        origin = self.smallest.get(self._find(node))
        if origin is None:
            return self.own[node]
        return int.from_bytes(digest(*self.prefix, "*", "origin\x00" + origin)[:8], "big")

    def _node(self, own: int) -> int:
        self.parent.append(len(self.parent))
        self.own.append(own)
        return len(self.parent) - 1

    def _find(self, node: int) -> int:
        parent = self.parent
        while parent[node] != node:
            parent[node] = parent[parent[node]]  # path halving
            node = parent[node]
        return node

    def _union(self, a: int, b: int) -> None:
        ra, rb = self._find(a), self._find(b)
        if ra == rb:
            return
        self.parent[ra] = rb
        mine = self.smallest.pop(ra, None)
        if mine is not None:
            theirs = self.smallest.get(rb)
            self.smallest[rb] = mine if theirs is None else min(mine, theirs)


def digest(*parts: str) -> bytes:
    """sha256 of the parts joined by NUL: every split, id and keep hash of `prepare`."""
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).digest()
