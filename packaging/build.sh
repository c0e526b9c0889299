#!/usr/bin/env bash
# Build the one-folder bundle (dist/vmi-desktop/) and, on Linux, a tarball with a .desktop file.
# The bundle needs no internet and no Python on the target machine.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(cd .. && pwd)
PY=${PYTHON:-$ROOT/.venv/bin/python}
"$PY" -m pip install -q -e "$ROOT[dev]"
"$PY" -m PyInstaller --noconfirm --clean --distpath "$ROOT/dist" --workpath "$ROOT/build" vmi-desktop.spec
# Smoke test of the frozen app: it must migrate a fresh database and answer on the command line.
TMP=$(mktemp -d)
"$ROOT/dist/vmi-desktop/vmi-desktop" --database-url "sqlite:///$TMP/smoke.sqlite3" db upgrade
"$ROOT/dist/vmi-desktop/vmi-desktop" --database-url "sqlite:///$TMP/smoke.sqlite3" db status
rm -rf "$TMP"
if [ "$(uname -s)" = "Linux" ]; then
    cp linux/vmi-desktop.desktop "$ROOT/dist/vmi-desktop/"
    cp linux/install.sh "$ROOT/dist/vmi-desktop/"
    VERSION=$("$PY" -c "import vmi_desktop; print(vmi_desktop.__version__)")
    tar -C "$ROOT/dist" -czf "$ROOT/dist/vmi-desktop-$VERSION-linux-$(uname -m).tar.gz" vmi-desktop
    echo "built $ROOT/dist/vmi-desktop-$VERSION-linux-$(uname -m).tar.gz"
fi
