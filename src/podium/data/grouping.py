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
