#!/usr/bin/env bash
# Install the Debian packages the test suite needs, only when they are missing:
#   systemd      systemd-analyze verify/security on the units
#   ShellCheck   lint of deploy/install.sh
#   python3-venv the installer builds its venv with the system Python
#   procps       /usr/bin/kill, which the units' ExecReload names
#   chromium     the dashboard's end-to-end test (headless, over the DevTools protocol)
#   fiu-utils    disk-fault injection (EIO, ENOSPC) into the journal for the fail-stop tests
#   openssh-*    ptctl --host ssh:// against a real sshd on loopback
#   faketime     scheduled checks at a given wall-clock time
set -euo pipefail
need=()
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
command -v shellcheck >/dev/null 2>&1 || need+=(shellcheck)
/usr/bin/python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3 python3-venv)
[[ -x /usr/bin/kill ]] || need+=(procps)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v fiu-run >/dev/null 2>&1 || need+=(fiu-utils)
[[ -x /usr/sbin/sshd ]] || need+=(openssh-server)
command -v ssh-keygen >/dev/null 2>&1 || need+=(openssh-client)
command -v faketime >/dev/null 2>&1 || need+=(faketime)
if ((${#need[@]} == 0)); then
    exit 0
fi
SUDO=
if [[ $(id -u) -ne 0 ]]; then
    SUDO=sudo
fi
echo "installing Debian packages: ${need[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
