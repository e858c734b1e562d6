"""The field names of a spec's table, so that a misspelt field gets the closest ones."""

from __future__ import annotations

import types
from collections.abc import Sequence
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

_CONTAINERS = (dict, list, tuple)


def table_fields(model: type[BaseModel], loc: Sequence[int | str]) -> list[str]:
    """The fields of the table that `loc` (a validation error's path to it) names inside
    `model`: a dict's key or a list's index steps into its values; [] where none is known."""
    kind: Any = model
    for part in loc:
        kind = _unwrap(kind)
        if _is_model(kind):
            field = kind.model_fields.get(str(part))
            if field is None:
                return []
            kind = field.annotation
        elif get_origin(kind) in _CONTAINERS and get_args(kind):
            kind = get_args(kind)[-1]
        else:
            return []
    kind = _unwrap(kind)
    return list(kind.model_fields) if _is_model(kind) else []


def _unwrap(kind: Any) -> Any:
    """The model or container inside an optional or a union, else the type itself."""
    if get_origin(kind) in (Union, types.UnionType):
        for arg in get_args(kind):
            if _is_model(arg) or get_origin(arg) in _CONTAINERS:
                return arg
    return kind


def _is_model(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, BaseModel)
