"""In-memory examples every reader produces and every writer consumes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class PairExample:
    """Two texts and (when labelled) one label."""

    text_a: str
    text_b: str
    label: str | None = None
    id: str = ""

    def input_record(self) -> dict[str, Any]:
        return {"id": self.id, "text_a": self.text_a, "text_b": self.text_b}

    def label_record(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label}

    def content_key(self) -> str:
        """What identifies the example's inputs (labels never enter ids or split hashes)."""
        return f"{self.text_a}\t{self.text_b}"

    def group_key(self) -> str:
        """Pairs sharing a first text (an XNLI premise has a hypothesis per label) go to one
        split together: a premise seen in training must not reappear in evaluation."""
        return self.text_a


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

    def group_key(self) -> str:
        return self.content_key()


Example = PairExample | TaggedExample
