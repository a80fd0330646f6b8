"""The optional per-run JSONL file: one ``LiveRunEvent`` per line, appended in batches.

It is a copy for tools (jq, pandas), not a store: written after the database batch, flushed
to the OS, not fsynced. Lines are assembled from the body JSON already encoded for the
database, so enabling it costs no second encoding of the event.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import anyio.to_thread
import msgspec

from peaktrade.store.runs import EventRow


class _Line(msgspec.Struct, frozen=True):
    """Encodes exactly as ``LiveRunEvent`` decodes."""

    run_id: str
    seq: int
    ts_ms: int
    body: msgspec.Raw


_encoder = msgspec.json.Encoder()


def encode_lines(rows: Sequence[EventRow]) -> bytes:
    out = bytearray()
    for run_id, seq, ts_ms, _, data in rows:
        _encoder.encode_into(_Line(run_id, seq, ts_ms, msgspec.Raw(data.encode())), out, -1)
        out += b"\n"
    return bytes(out)


class JsonlWriter:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: BinaryIO | None = None

    async def write(self, rows: Sequence[EventRow]) -> None:
        data = encode_lines(rows)
        await anyio.to_thread.run_sync(self._append, data)

    def _append(self, data: bytes) -> None:
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("ab")
        self._file.write(data)
        self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
