#!/usr/bin/env bash
# Run a command inside a private D-Bus session with an unlocked GNOME Keyring
# (Secret Service), so tests marked `keyring_daemon` run against the real thing.
#
#   .ci/keyring-session.sh python -m pytest -m keyring_daemon tests/integration
#
# Needs Debian's gnome-keyring and dbus-x11 (dbus-run-session). Without them the
# command still runs, without the daemon, and those tests skip with a reason.
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 COMMAND [ARG...]" >&2
    exit 2
fi

if ! command -v dbus-run-session >/dev/null 2>&1 || ! command -v gnome-keyring-daemon >/dev/null 2>&1; then
    echo "keyring-session: dbus-run-session or gnome-keyring-daemon missing (apt-get install gnome-keyring dbus-x11);" \
         "running without a Secret Service" >&2
    exec "$@"
fi

# A throw-away HOME-like data folder so the daemon never touches a real login keyring.
KEYRING_HOME="$(mktemp -d "${TMPDIR:-/tmp}/vmi-keyring.XXXXXX")"
trap 'rm -rf "$KEYRING_HOME"' EXIT
export KEYRING_HOME

# The inner shell receives the command as "$@" so quoting survives unchanged.
dbus-run-session -- bash -c '
    set -euo pipefail
    # A daemon of an outer session (nested use) must not be reused: start our own.
    unset GNOME_KEYRING_CONTROL GNOME_KEYRING_PID SSH_AUTH_SOCK
    export XDG_DATA_HOME="$KEYRING_HOME/data"
    mkdir -p "$XDG_DATA_HOME"
    eval "$(printf "pw\n" | gnome-keyring-daemon --unlock --components=secrets)"
    export GNOME_KEYRING_CONTROL
    exec "$@"
' keyring-session "$@"
