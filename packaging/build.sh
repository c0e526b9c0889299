#!/usr/bin/env bash
# Build the one-folder bundle dist/vmi-desktop/ and, on Linux, the tar.gz and the .deb beside it.
# The bundle needs no internet and no Python on the target machine.
#
#   packaging/build.sh            # uses .venv (created if missing); PYTHON=... picks another interpreter
#
# PyInstaller does not cross-compile: Windows and macOS build on their own OS (packaging/windows/,
# packaging/macos/). Output (Linux): dist/vmi-desktop/, dist/vmi-desktop-<version>-linux-<arch>.tar.gz,
# dist/vmi-desktop_<version>_<debian-arch>.deb.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(cd .. && pwd)
PY=${PYTHON:-$ROOT/.venv/bin/python}
if [ ! -x "$PY" ]; then
    python3 -m venv "$ROOT/.venv"
    PY=$ROOT/.venv/bin/python
fi
"$PY" -m pip install -q --disable-pip-version-check -e "$ROOT[packaging]"
VERSION=$("$PY" -c "import vmi_desktop; print(vmi_desktop.__version__)")
echo "build: vmi-desktop $VERSION with $("$PY" -m PyInstaller --version 2>/dev/null | head -n1) (PyInstaller)"

rm -rf "$ROOT/dist/vmi-desktop"
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$ROOT/dist" --workpath "$ROOT/build/pyinstaller" vmi-desktop.spec

BUNDLE=$ROOT/dist/vmi-desktop
if [ "$(uname -s)" = "Linux" ]; then
    linux/slim.sh "$BUNDLE"
fi

# Quick self-check before packing: the frozen app answers and migrates a fresh database.
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
"$BUNDLE/vmi-desktop" --version
VMI_DATA_DIR="$TMP" "$BUNDLE/vmi-desktop" --database-url "sqlite:///$TMP/check.sqlite3" db upgrade

if [ "$(uname -s)" = "Linux" ]; then
    cp linux/vmi-desktop.desktop linux/install.sh "$BUNDLE/"
    cp icons/png/vmi-desktop-256.png "$BUNDLE/vmi-desktop.png"
    TARBALL=$ROOT/dist/vmi-desktop-$VERSION-linux-$(uname -m).tar.gz
    tar -C "$ROOT/dist" -czf "$TARBALL" vmi-desktop
    echo "build: $TARBALL"
    linux/build-deb.sh "$BUNDLE" "$VERSION" "$ROOT/dist"
fi
du -sh "$BUNDLE" | sed 's/^/build: unpacked /'
