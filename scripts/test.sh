#!/usr/bin/env bash
# Set up a virtualenv and run the whole test suite.
#
# Runs everything it can on this machine: SQLite always; PostgreSQL when
# initdb/pg_ctl are installed (Debian: postgresql); the real Secret Service
# tests inside a private D-Bus session with gnome-keyring when installed;
# screenshot tests under Xvfb when xvfb-run is installed. Missing pieces are
# reported as skipped tests with the reason, or as failures when VMI_REQUIRE_ALL=1
# (set by .ci/run: CI must run every test). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/venv.sh

cmd=(.venv/bin/python -m pytest "$@")
if command -v xvfb-run >/dev/null 2>&1; then
    cmd=(xvfb-run -a -s "-screen 0 1280x800x24" "${cmd[@]}")
fi
# A private D-Bus session with an unlocked GNOME Keyring: a real Secret Service for the tests
# (runs the command as it is when gnome-keyring or dbus-run-session is missing).
exec .ci/keyring-session.sh "${cmd[@]}"
