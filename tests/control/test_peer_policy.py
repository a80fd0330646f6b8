"""Peer credentials come from the kernel and are checked per command class on every request."""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from peaktrade.control.peers import Peer, PeerPolicy
from peaktrade.control.protocol import (
    AuditQuery,
    AuditResult,
    CommandClass,
    Health,
    Kill,
    Status,
    encode_frame,
    reply_decoder,
)
from tests.support import BASE_CONFIG, DaemonProcess

ME = Peer(pid=os.getpid(), uid=os.getuid(), gid=os.getgid())


def policy(**rules: tuple[str, ...]) -> PeerPolicy:
    return PeerPolicy(
        owner_uid=os.getuid(),
        read=rules.get("read", ()),
        trade=rules.get("trade", ()),
        kill=rules.get("kill", ()),
    )


def test_owner_rule_matches_the_daemons_uid() -> None:
    assert policy(read=("@owner",)).allows(ME, CommandClass.READ)
    stranger = Peer(pid=1, uid=ME.uid + 12345, gid=ME.gid + 12345)
    assert not policy(read=("@owner",)).allows(stranger, CommandClass.READ)


def test_rules_are_per_command_class() -> None:
    p = policy(read=("@owner",))
    assert p.allows(ME, CommandClass.READ)
    assert not p.allows(ME, CommandClass.KILL)
    assert not p.allows(ME, CommandClass.TRADE)


def test_uid_user_and_root_rules() -> None:
    name = pwd.getpwuid(ME.uid).pw_name
    assert policy(kill=(f"uid:{ME.uid}",)).allows(ME, CommandClass.KILL)
    assert policy(kill=(f"user:{name}",)).allows(ME, CommandClass.KILL)
    assert not policy(kill=("user:no-such-user-here",)).allows(ME, CommandClass.KILL)
    root = Peer(pid=1, uid=0, gid=0)
    assert policy(kill=("root",)).allows(root, CommandClass.KILL)


def test_group_rule_uses_primary_and_supplementary_groups() -> None:
    primary = grp.getgrgid(ME.gid).gr_name
    assert policy(read=(f"group:{primary}",)).allows(ME, CommandClass.READ)
    assert not policy(read=("group:no-such-group-here",)).allows(ME, CommandClass.READ)
    for gid in os.getgroups():
        if gid != ME.gid:
            name = grp.getgrgid(gid).gr_name
            assert policy(read=(f"group:{name}",)).allows(ME, CommandClass.READ)


def test_daemon_refuses_kill_from_a_peer_not_on_the_kill_list(
    make_daemon: Callable[..., DaemonProcess],
) -> None:
    config = BASE_CONFIG + '\n[control.allow]\nread = ["@owner"]\nkill = ["uid:54321"]\n'
    daemon = make_daemon(config).start()
    refused = daemon.ask(Kill(reason="try"))
    assert not refused.ok and refused.error is not None
    assert refused.error.code == "peer.not_allowed"
    assert "control.allow.kill" in refused.error.hint
    assert daemon.ask(Status()).result.state == "ACTIVE"  # type: ignore[union-attr]
    audit = daemon.ask(AuditQuery())
    assert isinstance(audit.result, AuditResult)
    (entry,) = audit.result.entries
    assert (entry.command, entry.outcome, entry.uid) == ("kill", "refused:peer.not_allowed", ME.uid)


def test_daemon_refuses_reads_when_not_allowed(make_daemon: Callable[..., DaemonProcess]) -> None:
    daemon = make_daemon(BASE_CONFIG + "\n[control.allow]\nread = []\n")
    daemon.start(wait=False)
    from tests.support import wait_for

    wait_for(lambda: daemon.socket.exists())
    from ctl.client import ask

    reply = wait_for(lambda: _try(lambda: ask(daemon.socket, Health())))
    assert not reply.ok and reply.error is not None and reply.error.code == "peer.not_allowed"


def _ask_as(uid: int, gid: int, path: Path) -> bytes:
    """Fork, drop to ``uid``/``gid``, send one Health frame, hand the reply body back."""
    frame = encode_frame(Health())
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: only raw syscalls, then _exit
        status = 1
        try:
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(10)
                sock.connect(str(path))
                sock.sendall(frame)
                data = b""
                while len(data) < 4 or len(data) < 4 + int.from_bytes(data[:4], "big"):
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            os.write(write_end, data[4:])
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    body = b""
    while chunk := os.read(read_end, 65536):
        body += chunk
    os.close(read_end)
    _, status = os.waitpid(pid, 0)
    assert status == 0
    return body


def _try(fn: Callable[[], object]) -> object:
    try:
        return fn()
    except Exception:
        return None


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to connect as another uid")
def test_another_uid_is_identified_by_the_kernel(
    make_daemon: Callable[..., DaemonProcess],
) -> None:
    """A real second user (nobody) reaches the socket through its group but is refused."""
    nobody = pwd.getpwnam("nobody")
    group = grp.getgrgid(nobody.pw_gid).gr_name
    public = Path(tempfile.mkdtemp(prefix="pt-peer-"))
    try:
        public.chmod(0o755)
        daemon = make_daemon(BASE_CONFIG + f'group = "{group}"\n')
        daemon.socket = public / "peaktrade.sock"
        daemon.start()
        reply = reply_decoder.decode(_ask_as(nobody.pw_uid, nobody.pw_gid, daemon.socket))
        assert reply.error is not None and reply.error.code == "peer.not_allowed"
        assert f"uid {nobody.pw_uid} " in reply.error.message
        assert daemon.ask(Health()).ok  # the owner is still served
    finally:
        shutil.rmtree(public, ignore_errors=True)
