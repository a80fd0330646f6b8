"""Deterministic client order ids.

An id is a pure function of the journal's namespace and the intent's sequence number, both
durable before anything is sent, so after a crash the daemon knows exactly which id each
intent went out under and can look it up instead of sending again.
"""

from __future__ import annotations

import hashlib
import re

PREFIX = "pt"
MAX_LEN = 36  # Binance: newClientOrderId matches ^[.A-Z:/a-z0-9_-]{1,36}$
ALLOWED = re.compile(r"^[.A-Z:/a-z0-9_-]{1,36}$")
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def namespace(account_label: str, journal_epoch: str) -> str:
    """Six characters naming one journal of one account: ids never collide across either."""
    digest = hashlib.sha256(f"{account_label}\0{journal_epoch}".encode()).digest()
    value = int.from_bytes(digest[:8], "big")
    out = ""
    for _ in range(6):
        value, digit = divmod(value, 36)
        out += _ALPHABET[digit]
    return out


def client_order_id(ns: str, seq: int, leg: str = "") -> str:
    """``pt-<ns>-<seq>[-<leg>]``; ``leg`` tells apart the orders of one OCO or bracket."""
    if seq < 0:
        raise ValueError("seq must be >= 0")
    cid = f"{PREFIX}-{ns}-{seq}" + (f"-{leg}" if leg else "")
    if not ALLOWED.match(cid):
        raise ValueError(f"client order id {cid!r} does not fit the exchange's rule")
    return cid


def is_ours(cid: str, ns: str) -> bool:
    """Whether an order seen on the exchange was placed by this journal."""
    return cid.startswith(f"{PREFIX}-{ns}-")
