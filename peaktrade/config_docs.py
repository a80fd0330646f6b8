"""The config reference, generated from the config structs so docs cannot drift from code."""

from __future__ import annotations

import ast
import enum
import inspect
import itertools
import typing
from collections.abc import Iterator
from typing import Annotated, Any

import msgspec


def iter_struct_docs(
    struct: type[msgspec.Struct], prefix: str = ""
) -> Iterator[tuple[str, str, str]]:
    """(key path, type, docstring) of every field: the source of docs/CONFIG_REFERENCE.md."""
    source = _field_docs(struct)
    hints = typing.get_type_hints(struct, include_extras=True)
    for name in struct.__struct_fields__:
        tp = _unwrap(hints[name])
        key = f"{prefix}{name}"
        if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
            yield from iter_struct_docs(tp, prefix=f"{key}.")
        else:
            yield key, _type_name(hints[name]), source.get(name, "")


def _type_name(tp: Any) -> str:
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return " | ".join(repr(m.value) for m in tp)
    return str(tp).replace("typing.", "") if not isinstance(tp, type) else tp.__name__


def _field_docs(struct: type[msgspec.Struct]) -> dict[str, str]:
    """Attribute docstrings (the string literal after a field), read from the source."""
    tree = ast.parse(inspect.getsource(struct))
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    docs: dict[str, str] = {}
    for node, following in itertools.pairwise(body):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs[node.target.id] = " ".join(following.value.value.split())
    return docs


def _unwrap(tp: Any) -> Any:
    while typing.get_origin(tp) is Annotated:
        tp = typing.get_args(tp)[0]
    return tp
