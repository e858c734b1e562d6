"""In-memory examples every reader produces and every writer consumes."""

from __future__ import annotations

import json
from collections.abc import Mapping
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


Answer = str | float | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class GenericExample:
    """A record of any task type: its input fields (JSON values: strings, numbers, lists) and,
    when labelled, its answer: a label (str), tags (a tuple of str, one per token) or a value
    (a number). A data source gives exactly the task's input fields; prepare checks them."""

    fields: Mapping[str, Any]
    label: Answer | None = None
    id: str = ""

    @property
    def answer_key(self) -> str:
        """Where the answer goes in a label record: 'tags', 'value' or 'label'."""
        if isinstance(self.label, tuple | list):
            return "tags"
        is_number = isinstance(self.label, int | float) and not isinstance(self.label, bool)
        return "value" if is_number else "label"

    def input_record(self) -> dict[str, Any]:
        return {"id": self.id, **self.fields}

    def label_record(self) -> dict[str, Any]:
        answer = list(self.label) if isinstance(self.label, tuple) else self.label
        return {"id": self.id, self.answer_key: answer}

    def content_key(self) -> str:
        """The inputs as canonical JSON (key order does not matter)."""
        return json.dumps(self.fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


Example = PairExample | TaggedExample | GenericExample


def with_origins(examples: list[Example], split: str) -> list[Example]:
    """Stamp pairs with their position in a split's file (tagged examples are left alone)."""
    return [
        replace(ex, origin=f"{split}#{i}") if isinstance(ex, PairExample) else ex
        for i, ex in enumerate(examples)
    ]
