#!/usr/bin/env bash
# Smoke-test an installed VMI Desktop the way a fresh workstation would run it.
#
#   packaging/linux/smoke.sh [/usr/bin/vmi-desktop]
#
# Every run of the program is under `env -i HOME=<empty temp> PATH=/usr/bin:/bin`: no Python or
# virtualenv of ours, no desktop session, no keyring; plus only what a step needs (the offscreen Qt
# platform for the window, a bearer token for sync). Steps: --version; demo into a temporary
# SQLite file; reorder; the window on that database, shown and closed; the first-run wizard on an
# empty home, shown and closed; the reference supplier server on a loopback port with
# `sync --once` against it; the message when no keyring is usable. Stops at the first failure.
set -euo pipefail
APP=${1:-/usr/bin/vmi-desktop}
PYTHON=${PYTHON:-python3}  # only to point the demo vendor at the server's port (test setup, not the app)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vmi-smoke.XXXXXX")
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    SERVER_PID=""
    rm -rf "$WORK"
}
trap cleanup EXIT
HOME_DIR=$WORK/home
mkdir -p "$HOME_DIR"
DB=$WORK/demo.sqlite3
URL="sqlite:///$DB"

step() { printf 'smoke: %s\n' "$*"; }
fail() {
    echo "smoke: FAILED: $*" >&2
    for f in "$WORK"/*.out "$WORK"/*.err; do [ -s "$f" ] && { echo "--- $f" >&2; tail -n 40 "$f" >&2; }; done
    exit 1
}
clean() { env -i HOME="$HOME_DIR" PATH=/usr/bin:/bin LANG=C.UTF-8 "$@"; }

[ -x "$APP" ] || fail "$APP is not an executable"

step "--version"
out=$(clean "$APP" --version) || fail "--version exited $?"
[[ $out == "vmi-desktop "* ]] || fail "--version printed '$out'"
# Nothing at all on PATH: the bundle looks for no interpreter.
env -i HOME="$HOME_DIR" PATH=/nonexistent "$APP" --version >/dev/null || fail "--version with an empty PATH"

step "demo into $DB"
clean "$APP" --database-url "$URL" demo --skus 50 --locations 3 --days 30 >"$WORK/demo.out" 2>&1 || fail "demo"
grep -q "generated 50 SKUs x 3 locations" "$WORK/demo.out" || fail "demo did not report its world"

step "reorder"
clean "$APP" --database-url "$URL" reorder >"$WORK/reorder.out" 2>&1 || fail "reorder"
grep -q "at or below min" "$WORK/reorder.out" || fail "reorder printed no summary"

step "window (offscreen), shown and closed"
clean QT_QPA_PLATFORM=offscreen VMI_SMOKE_QUIT_MS=300 timeout 120 "$APP" --database-url "$URL" \
    >"$WORK/window.out" 2>"$WORK/window.err" || fail "the window exited $?"
grep -q "vmi-desktop: main window shown" "$WORK/window.err" || fail "the main window was not shown"
if grep -E "Traceback|is not available|CRITICAL| ERROR " "$WORK/window.err"; then fail "the window logged errors"; fi
LOG=$HOME_DIR/.local/state/vmi-desktop/log/vmi-desktop.log
[ -s "$LOG" ] || fail "no GUI log in $LOG"
grep -q "automatic sync is off: Supplier credentials (API tokens, client secrets) are kept only in a keyring" \
    "$LOG" || fail "the window did not say why sync is off without a keyring"

step "first-run wizard on an empty home, shown and cancelled"
mkdir -p "$WORK/newhome"
env -i HOME="$WORK/newhome" PATH=/usr/bin:/bin LANG=C.UTF-8 QT_QPA_PLATFORM=offscreen VMI_SMOKE_QUIT_MS=100 \
    timeout 120 "$APP" >"$WORK/wizard.out" 2>"$WORK/wizard.err" || fail "the wizard run exited $?"
grep -q "vmi-desktop: first-run wizard shown" "$WORK/wizard.err" || fail "no first-run wizard on a first start"
[ ! -e "$WORK/newhome/.local/share/vmi-desktop/vmi.sqlite3" ] || fail "a cancelled wizard left a database"

step "supplier-server on loopback and sync --once against it"
TOKEN="smoke-$RANDOM$RANDOM$RANDOM"
# Not through clean(): a backgrounded function is a subshell, and killing it would leave the server running.
env -i HOME="$HOME_DIR" PATH=/usr/bin:/bin LANG=C.UTF-8 "$APP" supplier-server --port 0 --token "$TOKEN" \
    --base-path /vmi >"$WORK/server.out" 2>"$WORK/server.err" &
SERVER_PID=$!
for _ in $(seq 1 100); do
    grep -q " on http://" "$WORK/server.out" 2>/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || fail "supplier-server exited"
    sleep 0.2
done
SERVER_URL=$(sed -n 's/.* on \(http:\/\/[^ ]*\).*/\1/p' "$WORK/server.out" | head -n 1)
[[ $SERVER_URL == http://127.0.0.1:* ]] || fail "supplier-server printed no loopback URL"
# The demo's REST vendor ACME expects its supplier on a fixed port; point it at this one.
"$PYTHON" - "$DB" "$SERVER_URL" <<'PY'
import sqlite3, sys
with sqlite3.connect(sys.argv[1]) as conn:
    changed = conn.execute("UPDATE vendors SET base_url = ? WHERE code = 'ACME'", (sys.argv[2],)).rowcount
assert changed == 1, "the demo has no vendor ACME"
PY
clean VMI_SUPPLIER_TOKEN_ACME="$TOKEN" "$APP" --database-url "$URL" sync --once --vendor ACME \
    >"$WORK/sync.out" 2>&1 || fail "sync --once exited $?"
grep -E -q "^ACME: sent [0-9]+, failed 0, .*; ok$" "$WORK/sync.out" || fail "sync did not report success"

step "no keyring: the fallback message"
if clean "$APP" --database-url "$URL" sync --once --vendor ACME >"$WORK/nokeyring.out" 2>&1; then
    fail "sync without a token or keyring succeeded"
fi
grep -q "No secure keyring" "$WORK/nokeyring.out" || fail "no 'No secure keyring' message"
grep -q "encrypted file protected by a master password" "$WORK/nokeyring.out" || fail "no hint at the encrypted file"
grep -q "VMI_SUPPLIER_TOKEN_ACME" "$WORK/nokeyring.out" || fail "no hint at the headless token variable"
sed 's/^/smoke:   /' "$WORK/nokeyring.out"

step "all steps passed for $APP"
