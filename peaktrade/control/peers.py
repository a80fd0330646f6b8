"""Who is on the other end of a control connection, and what they may do.

Identity comes from the kernel (SO_PEERCRED), not from anything the client says.
"""

from __future__ import annotations

import grp
import pwd
import socket
import struct
from collections.abc import Sequence
from pathlib import Path

import msgspec

from peaktrade.control.protocol import CommandClass

_UCRED = struct.Struct("3i")


class Peer(msgspec.Struct, frozen=True):
    pid: int
    uid: int
    gid: int


def peer_of(sock: socket.socket) -> Peer:
    """The connecting process's pid, uid and gid as the kernel reports them."""
    raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _UCRED.size)
    pid, uid, gid = _UCRED.unpack(raw)
    return Peer(pid=pid, uid=uid, gid=gid)


class PeerPolicy(msgspec.Struct, frozen=True):
    """Allow-lists per command class, resolved against the system user and group databases."""

    owner_uid: int
    read: tuple[str, ...]
    trade: tuple[str, ...]
    kill: tuple[str, ...]

    def rules_for(self, command_class: CommandClass) -> Sequence[str]:
        if command_class is CommandClass.READ:
            return self.read
        if command_class is CommandClass.TRADE:
            return self.trade
        return self.kill

    def allows(self, peer: Peer, command_class: CommandClass) -> bool:
        return any(self._matches(rule, peer) for rule in self.rules_for(command_class))

    def _matches(self, rule: str, peer: Peer) -> bool:
        if rule == "@owner":
            return peer.uid == self.owner_uid
        if rule == "root":
            return peer.uid == 0
        kind, _, name = rule.partition(":")
        if kind == "uid":
            return peer.uid == int(name)
        if kind == "user":
            try:
                return pwd.getpwnam(name).pw_uid == peer.uid
            except KeyError:
                return False
        if kind == "group":
            try:
                gid = grp.getgrnam(name).gr_gid
            except KeyError:
                return False
            return gid == peer.gid or gid in _supplementary_groups(peer.pid)
        return False


def _supplementary_groups(pid: int) -> set[int]:
    """The peer's supplementary groups, read from /proc while its connection is open."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("Groups:"):
                return {int(g) for g in line.split()[1:]}
    except (OSError, ValueError):
        pass
    return set()
