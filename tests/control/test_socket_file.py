"""The control socket: private modes with no window, one daemon per socket, stale files replaced."""

from __future__ import annotations

import grp
import os
import socket
import stat
from collections.abc import Callable

from peaktrade.control.protocol import Status
from tests.support import BASE_CONFIG, DaemonProcess


def test_socket_is_0600_by_default(daemon: DaemonProcess) -> None:
    mode = stat.S_IMODE(os.stat(daemon.socket).st_mode)
    assert mode == 0o600


def test_socket_is_0660_with_configured_group(make_daemon: Callable[..., DaemonProcess]) -> None:
    group = grp.getgrgid(os.getgid()).gr_name
    daemon = make_daemon(BASE_CONFIG + f'group = "{group}"\n').start()
    st = os.stat(daemon.socket)
    assert stat.S_IMODE(st.st_mode) == 0o660
    assert st.st_gid == os.getgid()


def test_no_staging_directory_is_left_behind(daemon: DaemonProcess) -> None:
    leftovers = [p.name for p in daemon.socket.parent.iterdir() if p.name.startswith(".peaktrade")]
    assert leftovers == []


def test_second_daemon_on_same_socket_refuses(make_daemon: Callable[..., DaemonProcess]) -> None:
    first = make_daemon(name="a").start()
    second = make_daemon(name="b")
    second.socket = first.socket
    second.start(wait=False)
    assert second.wait_exit(timeout_s=20) == 1
    assert "another peaktrade daemon" in second.log()
    assert first.ask(Status()).ok  # the first one is untouched


def test_stale_socket_is_replaced(make_daemon: Callable[..., DaemonProcess]) -> None:
    daemon = make_daemon()
    daemon.socket.parent.mkdir(parents=True)
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(daemon.socket))  # a crash leaves the file with nobody listening
    stale.close()
    assert daemon.socket.exists()
    daemon.start()
    assert daemon.ask(Status()).ok


def test_socket_removed_on_clean_stop(daemon: DaemonProcess) -> None:
    assert daemon.stop() == 0
    assert not daemon.socket.exists()
