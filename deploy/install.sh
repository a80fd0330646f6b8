#!/usr/bin/env bash
# Install (or upgrade) peaktrade as a systemd service from this checkout.
#
# Lays out: the peaktrade system user and group; /opt/peaktrade/releases/STAMP (a venv) with
# /opt/peaktrade/venv pointing at the current one; /etc/peaktrade/ with a starter config
# (never overwriting one); /etc/peaktrade/credentials/ (root only); the systemd units;
# ptctl and peaktrade in /usr/local/bin.
# An upgrade builds a new release, checks every existing config with it, and only then
# switches; running daemons keep the old release until restarted. Guide: docs/INSTALL.md.
set -euo pipefail

readonly LABEL_RE='^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'
SOURCE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOT=""
DRY_RUN=0
PYTHON=/usr/bin/python3
INSTANCES=()

usage() {
    cat <<'EOF'
usage: deploy/install.sh [--root DIR] [--dry-run] [--python PATH] [--instance ACCOUNT]...

  --root DIR          stage the whole layout under DIR; creates no user, changes no owner,
                      runs no systemctl (for packaging and tests; the venv runs from DIR)
  --dry-run           print every step, change nothing
  --python PATH       interpreter for the venv (default /usr/bin/python3; 3.11 or newer,
                      not under /home or /root, which the service cannot see)
  --instance ACCOUNT  also prepare peaktrade@ACCOUNT: /etc/peaktrade/ACCOUNT.toml and
                      /etc/peaktrade/credentials/ACCOUNT/ (repeatable)
EOF
}

die() {
    printf 'install.sh: %s\n' "$*" >&2
    exit 1
}

while (($#)); do
    case $1 in
        --root)
            (($# >= 2)) || die "--root needs a directory"
            ROOT=$2
            shift 2
            ;;
        --dry-run)
            DRY_RUN=1
            shift
            ;;
        --python)
            (($# >= 2)) || die "--python needs a path"
            PYTHON=$2
            shift 2
            ;;
        --instance)
            (($# >= 2)) || die "--instance needs an account name"
            [[ $2 =~ $LABEL_RE ]] || die "--instance $2: use letters, digits, _ . - (max 64)"
            INSTANCES+=("$2")
            shift 2
            ;;
        -h | --help)
            usage
            exit 0
            ;;
        *)
            usage >&2
            die "unknown argument: $1"
            ;;
    esac
done

if [[ -n $ROOT ]]; then
    [[ $ROOT == /* ]] || ROOT=$PWD/$ROOT
    ROOT=${ROOT%/}
fi

# The layout, as the running system sees it; $ROOT prefixes every write.
readonly OPT=/opt/peaktrade
readonly ETC=/etc/peaktrade
readonly CREDS=$ETC/credentials
readonly UNITS=/etc/systemd/system

say() { printf '%s\n' "$*"; }

run() {
    printf '+'
    printf ' %q' "$@"
    printf '\n'
    if ((!DRY_RUN)); then
        "$@"
    fi
}

# Ownership is the system's business: skipped when staging under --root.
own() {
    if [[ -z $ROOT ]]; then
        run chown "$@"
    fi
}

# Write stdin to a file with a mode, atomically (the reader never sees half a file).
write_file() {
    local mode=$1 dest=$2
    say "+ write $dest (mode $mode)"
    if ((DRY_RUN)); then
        cat >/dev/null
        return
    fi
    local tmp
    tmp=$(mktemp "$dest.XXXXXX")
    cat >"$tmp"
    chmod "$mode" "$tmp"
    mv -f "$tmp" "$dest"
}

starter_config() {
    local label=$1 file=$2 unit=$3
    cat <<EOF
# peaktrade -- written by deploy/install.sh; a later install never overwrites this file.
# Paper trading on the built-in simulator: starts with no API keys and sends no order anywhere.
# Check an edit:  peaktrade check-config $file
# Apply it:       systemctl reload $unit  (some sections need a restart: docs/CONFIGURATION.md)
profile = "dev"

[run]
mode = "paper"                # shadow | paper | testnet | live
network = "sim"               # sim | testnet | mainnet
account_label = "$label"      # live needs the credential live-confirm equal to this

[control]
# The socket is 0660, group peaktrade: members of that group may use ptctl.
group = "peaktrade"

[control.allow]
read = ["@owner", "root", "group:peaktrade"]
trade = ["@owner"]
kill = ["@owner", "root", "group:peaktrade"]

[strategy]
name = "none"                 # operator-driven only; see docs/CONFIG_REFERENCE.md [strategy]
EOF
}

preflight() {
    [[ -f $SOURCE/pyproject.toml && -f $SOURCE/systemd/peaktrade.service ]] ||
        die "$SOURCE is not a peaktrade checkout"
    if [[ -z $ROOT && $DRY_RUN -eq 0 && $(id -u) -ne 0 ]]; then
        die "run as root (or stage with --root DIR, or look first with --dry-run)"
    fi
    [[ -x $PYTHON ]] ||
        die "no interpreter at $PYTHON (Debian: apt-get install python3 python3-venv)"
    "$PYTHON" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' ||
        die "$PYTHON must be Python 3.11+ with venv and ensurepip (Debian: python3-venv)"
    local prefix
    prefix=$("$PYTHON" -c 'import sys; print(sys.base_prefix)')
    case $prefix/ in
        /home/* | /root/*)
            die "$PYTHON lives in $prefix, which ProtectHome=yes hides from the service;" \
                "use --python /usr/bin/python3"
            ;;
    esac
}

create_user() {
    if [[ -n $ROOT ]]; then
        say "= staging: no peaktrade user or group is created"
        return
    fi
    if getent group peaktrade >/dev/null; then
        say "= group peaktrade exists"
    else
        run groupadd --system peaktrade
    fi
    if getent passwd peaktrade >/dev/null; then
        say "= user peaktrade exists"
    else
        run useradd --system --gid peaktrade --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin --comment "peaktrade trading daemon" peaktrade
    fi
}

# Sets RELEASE (the new venv, not yet current) and PREVIOUS (the current one, if any).
build_release() {
    run install -d -m 0755 "$ROOT$OPT" "$ROOT$OPT/releases"
    PREVIOUS=""
    if [[ -L $ROOT$OPT/venv ]]; then
        PREVIOUS=$(readlink "$ROOT$OPT/venv")
    fi
    local stamp
    stamp=$(date -u +%Y%m%dT%H%M%SZ)
    if ((DRY_RUN)); then
        RELEASE=$ROOT$OPT/releases/$stamp
        say "+ $PYTHON -m venv $RELEASE"
        say "+ $RELEASE/bin/pip install $SOURCE"
        return
    fi
    RELEASE=$(mktemp -d "$ROOT$OPT/releases/$stamp.XXXXXX")
    chmod 0755 "$RELEASE"
    # Build from a copy: pip builds in-tree, and the checkout must stay as it was.
    local tree
    tree=$(mktemp -d)
    # A failed build leaves nothing behind (the paths are fixed: expand them now).
    # shellcheck disable=SC2064
    trap "rm -rf '$tree' '$RELEASE'" EXIT
    tar -C "$SOURCE" --exclude=.git --exclude=.venv --exclude='.*_cache' --exclude=.hypothesis \
        --exclude=__pycache__ --exclude='*.egg-info' --anchored --exclude=./var --exclude=./build \
        --exclude=./artifacts -cf - . | tar -C "$tree" -xf -
    run "$PYTHON" -m venv "$RELEASE"
    run "$RELEASE/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
        --no-warn-script-location "$tree"
    rm -rf "$tree"
    trap - EXIT
}

lay_config() {
    run install -d -m 0750 "$ROOT$ETC"
    own root:peaktrade "$ROOT$ETC"
    local name label unit
    for name in config "${INSTANCES[@]}"; do
        label=$name unit=peaktrade@$name
        if [[ $name == config ]]; then
            label=default unit=peaktrade
        fi
        if [[ -e $ROOT$ETC/$name.toml ]]; then
            say "= $ETC/$name.toml exists: kept as it is"
        else
            starter_config "$label" "$ETC/$name.toml" "$unit" |
                write_file 0640 "$ROOT$ETC/$name.toml"
            own root:peaktrade "$ROOT$ETC/$name.toml"
        fi
    done
    run install -d -m 0700 "$ROOT$CREDS"
    own root:root "$ROOT$CREDS"
    for name in "${INSTANCES[@]}"; do
        run install -d -m 0700 "$ROOT$CREDS/$name"
        own root:root "$ROOT$CREDS/$name"
    done
    if ((!DRY_RUN)); then
        # A credential readable by anyone but root is a leak: tighten, never loosen.
        find "$ROOT$CREDS" -type f ! -perm 0600 -printf '+ chmod 0600 %p\n' -exec chmod 0600 {} +
        find "$ROOT$CREDS" -type d ! -perm 0700 -printf '+ chmod 0700 %p\n' -exec chmod 0700 {} +
        if [[ -z $ROOT ]]; then
            find "$CREDS" ! -user root -printf '+ chown root:root %p\n' -exec chown root:root {} +
        fi
    fi
}

# Every config must load with the new release before it becomes current.
check_configs() {
    local file failed=0
    for file in "$ROOT$ETC"/*.toml; do
        [[ -e $file ]] || continue
        if ((DRY_RUN)); then
            say "+ $RELEASE/bin/peaktrade check-config --quiet $file"
        elif ! run "$RELEASE/bin/peaktrade" check-config --quiet "$file"; then
            failed=1
        fi
    done
    if ((failed)); then
        run rm -rf "$RELEASE"
        die "the new release rejects a config above; fix it and run again (nothing was switched)"
    fi
}

switch_release() {
    local name=${RELEASE##*/}
    run ln -sfn "releases/$name" "$ROOT$OPT/venv.new"
    run mv -T "$ROOT$OPT/venv.new" "$ROOT$OPT/venv"
    # Keep the new release and the one before it (for a rollback); drop older ones.
    local dir
    for dir in "$ROOT$OPT"/releases/*; do
        [[ -d $dir ]] || continue
        case ${dir##*/} in
            "$name" | "${PREVIOUS##*/}") ;;
            *) run rm -rf "$dir" ;;
        esac
    done
}

install_units() {
    run install -d -m 0755 "$ROOT$OPT/docs" "$ROOT$OPT/examples" "$ROOT/usr/local/bin" "$ROOT$UNITS"
    run install -m 0644 "$SOURCE/docs/INSTALL.md" "$ROOT$OPT/docs/INSTALL.md"
    run install -m 0644 "$SOURCE"/config/*.toml "$ROOT$OPT/examples/"
    # On operators' PATH; through the venv link, so they follow every upgrade.
    run ln -sfn "$OPT/venv/bin/ptctl" "$ROOT/usr/local/bin/ptctl"
    run ln -sfn "$OPT/venv/bin/peaktrade" "$ROOT/usr/local/bin/peaktrade"
    run install -m 0644 "$SOURCE/systemd/peaktrade.service" "$SOURCE/systemd/peaktrade@.service" \
        "$ROOT$UNITS/"
    if [[ -n $ROOT ]]; then
        say "= staging: systemctl daemon-reload skipped"
        return
    fi
    run systemctl daemon-reload
}

next_steps() {
    say ""
    if ((DRY_RUN)); then
        say "dry run: nothing was changed"
        return
    fi
    say "peaktrade installed: $OPT/venv -> ${RELEASE#"$ROOT$OPT/"}"
    if [[ -n $PREVIOUS ]]; then
        say "a running daemon keeps using ${PREVIOUS} until restarted:"
        say "  systemctl try-restart peaktrade.service 'peaktrade@*.service'"
    else
        say "credentials go in $CREDS/ (see docs/INSTALL.md), then:"
        say "  systemctl enable --now peaktrade"
    fi
}

preflight
create_user
build_release
lay_config
check_configs
switch_release
install_units
next_steps
