"""In-memory examples every reader produces and every writer consumes."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True, slots=True)
class PairExample:
    """Two texts and (when labelled) one label."""

    text_a: str
    text_b: str
    label: str | None = None
    id: str = ""
    # where the pair came from, "{split}#{index}": XTREME's XNLI and PAWS-X dev and test files
    # are translations of one another line by line, so equal origins mean one source item
    origin: str = field(default="", compare=False)

    def input_record(self) -> dict[str, Any]:
        return {"id": self.id, "text_a": self.text_a, "text_b": self.text_b}

    def label_record(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label}

    def content_key(self) -> str:
        """What identifies the example's inputs (labels never enter ids or split hashes)."""
        return f"{self.text_a}\t{self.text_b}"


@dataclass(frozen=True, slots=True)
class TaggedExample:
    """A token sequence and (when labelled) one tag per token."""

    tokens: tuple[str, ...]
    tags: tuple[str, ...] | None = None
    id: str = ""

    def input_record(self) -> dict[str, Any]:
        return {"id": self.id, "tokens": list(self.tokens)}

    def label_record(self) -> dict[str, Any]:
        return {"id": self.id, "tags": list(self.tags or ())}

    def content_key(self) -> str:
        return "\x1f".join(self.tokens)


Example = PairExample | TaggedExample


def with_origins(examples: list[Example], split: str) -> list[Example]:
    """Stamp pairs with their position in a split's file (tagged examples are left alone)."""
    return [
        replace(ex, origin=f"{split}#{i}") if isinstance(ex, PairExample) else ex
        for i, ex in enumerate(examples)
    ]
