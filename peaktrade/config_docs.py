"""The config reference, generated from the config structs so docs cannot drift from code.

``peaktrade config-reference > docs/CONFIG_REFERENCE.md``; a test fails when the file is stale.
"""

from __future__ import annotations

import ast
import enum
import inspect
import itertools
import textwrap
import typing
from collections.abc import Iterator
from typing import Annotated, Any

import msgspec


class FieldDoc(msgspec.Struct, frozen=True):
    key: str
    type: str
    default: str
    doc: str


def iter_fields(struct: type[msgspec.Struct], prefix: str = "") -> Iterator[FieldDoc]:
    """Every leaf setting, depth first, with its type, default and attribute docstring."""
    docs = _field_docs(struct)
    hints = typing.get_type_hints(struct, include_extras=True)
    info = msgspec.inspect.type_info(struct)
    assert isinstance(info, msgspec.inspect.StructType)
    for field in info.fields:
        tp = _unwrap(hints[field.name])
        key = f"{prefix}{field.name}"
        if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
            yield from iter_fields(tp, prefix=f"{key}.")
            continue
        item = _struct_items(tp)
        if field.required:
            default = "(required)"
        elif field.default_factory is not msgspec.NODEFAULT:
            default = _show(field.default_factory())
        else:
            default = _show(field.default)
        yield FieldDoc(key, _type_name(hints[field.name]), default, docs.get(field.name, ""))
        if item is not None:  # a list or table of structs: document the entries' keys too
            marker = "[]" if typing.get_origin(tp) in (tuple, list) else ".NAME"
            yield from iter_fields(item, prefix=f"{key}{marker}.")


def _struct_items(tp: Any) -> type[msgspec.Struct] | None:
    args = typing.get_args(tp)
    if typing.get_origin(tp) in (tuple, list, dict) and args:
        inner = _unwrap(args[-1] if typing.get_origin(tp) is dict else args[0])
        if isinstance(inner, type) and issubclass(inner, msgspec.Struct):
            return inner
    return None


def render_reference(root: type[msgspec.Struct]) -> str:
    """Markdown: one table per top-level section."""
    out = [
        "# Configuration reference",
        "",
        "Generated from the config structs by `peaktrade config-reference`; do not edit by hand.",
        "Every key is optional unless marked (required). Unknown keys are refused.",
    ]
    for section, group in itertools.groupby(iter_fields(root), key=lambda f: f.key.split(".")[0]):
        rows = list(group)
        title = "top level" if len(rows) == 1 and "." not in rows[0].key else f"[{section}]"
        out += ["", f"## {title}", "", "| key | type | default | meaning |", "|---|---|---|---|"]
        for f in rows:
            out.append(f"| `{f.key}` | {_cell(f.type)} | {_cell(f.default)} | {_cell(f.doc)} |")
    return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _show(value: Any) -> str:
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, msgspec.Struct):
        value = msgspec.to_builtins(value)
    if isinstance(value, tuple):
        value = list(value)
    text = msgspec.json.encode(value).decode()
    if len(text) > 80 and isinstance(value, list | dict):
        return f"{len(value)} built-in entries (see `peaktrade check-config FILE`)"
    return "`" + text + "`"


def _type_name(tp: Any) -> str:
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return " | ".join(f"`{m.value}`" for m in tp)
    if isinstance(tp, type):
        return tp.__name__
    args = [_type_name(a) for a in typing.get_args(tp)]
    origin = typing.get_origin(tp)
    if origin in (tuple, list):
        return f"list of {args[0]}"
    if origin is dict:
        return f"table of {args[1]}"
    if args:
        return " or ".join(a if a != "NoneType" else "none" for a in args)
    return str(tp).replace("typing.", "")


def _field_docs(struct: type[msgspec.Struct]) -> dict[str, str]:
    """Attribute docstrings (the string literal after a field), read from the source."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(struct)))
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
