"""Secret redaction for everything that leaves the process as text.

Two nets: values under secret-looking key names are dropped, and every registered secret value
(and its URL-encoded form) is replaced wherever it appears, including inside exception texts.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

MASK = "***"
SECRET_KEY_NAME = re.compile(
    r"(secret|passw|token|api_?key|apikey|signature|webhook|authori[sz]ation|credential"
    r"|routing_key|private_key|cookie|x-mbx-apikey)",
    re.IGNORECASE,
)
_MIN_SECRET_LEN = 6  # shorter values would mask ordinary words
_MIN_URL_SEGMENT = 12  # a path segment this long in a secret URL is token-like

_lock = threading.Lock()
_values: set[str] = set()
_pattern: re.Pattern[str] | None = None


def _forms(value: str) -> set[str]:
    """The value and the pieces of it that are secret on their own.

    A webhook URL's secret is its path (Slack, Discord) or query (a token): a server that
    echoes ``no route for /services/T0/B0/XYZ`` must not leak it, so the path, the query
    and every long path segment are masked too, each also URL-encoded."""
    forms = {value}
    parsed = urlsplit(value)
    if parsed.scheme in ("http", "https") and parsed.netloc:
        forms.update(p for p in (parsed.path, parsed.query) if len(p) >= _MIN_SECRET_LEN)
        forms.update(seg for seg in parsed.path.split("/") if len(seg) >= _MIN_URL_SEGMENT)
    return forms | {quote(f, safe="") for f in forms} | {quote(f, safe="/:") for f in forms}


def register_secret(value: str) -> None:
    """Remember a secret value so it is masked wherever it shows up later."""
    global _pattern
    if len(value) < _MIN_SECRET_LEN:
        return
    with _lock:
        before = len(_values)
        _values.update(_forms(value))
        if len(_values) != before:
            ordered = sorted(_values, key=len, reverse=True)  # longest first: no partial masks
            _pattern = re.compile("|".join(re.escape(v) for v in ordered))


def redact_text(text: str) -> str:
    """Mask every registered secret value inside ``text``."""
    pattern = _pattern
    return pattern.sub(MASK, text) if pattern is not None else text


def _masked(key: object, value: Any) -> Any:
    """A text under a secret-sounding key is masked whole; flags and counts there are not
    secrets (``token_required: true`` says nothing an attacker can use)."""
    if isinstance(key, str) and SECRET_KEY_NAME.search(key):
        if isinstance(value, str | bytes | list | tuple):
            return MASK
        if isinstance(value, Mapping):
            return {
                k: MASK if isinstance(v, str | bytes) else _masked(k, v) for k, v in value.items()
            }
    return redact(value)


def redact(value: Any) -> Any:
    """Mask secrets in a nested structure of mappings, sequences and strings."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {k: _masked(k, v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact(v) for v in value)
    if isinstance(value, BaseException):
        return redact_text(repr(value))
    return value
