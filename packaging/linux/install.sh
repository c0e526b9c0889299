#!/usr/bin/env bash
# Offline install from the tarball for the current user (no root): copy the bundle, link the
# command, add the menu entry and its icon. PREFIX=/some/where changes the target (default ~/.local).
# For a machine-wide install use the .deb instead (dpkg -i vmi-desktop_<version>_<arch>.deb).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PREFIX=${PREFIX:-$HOME/.local}
ICONS=$PREFIX/share/icons/hicolor/256x256/apps
mkdir -p "$PREFIX/opt" "$PREFIX/bin" "$PREFIX/share/applications" "$ICONS"
rm -rf "$PREFIX/opt/vmi-desktop"
cp -r "$HERE" "$PREFIX/opt/vmi-desktop"
ln -sf "$PREFIX/opt/vmi-desktop/vmi-desktop" "$PREFIX/bin/vmi-desktop"
cp "$HERE/vmi-desktop.png" "$ICONS/vmi-desktop.png"
sed "s|^Exec=vmi-desktop|Exec=$PREFIX/bin/vmi-desktop|" "$HERE/vmi-desktop.desktop" \
    > "$PREFIX/share/applications/vmi-desktop.desktop"
if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$PREFIX/share/applications" || true
fi
echo "installed to $PREFIX/opt/vmi-desktop; run: vmi-desktop (make sure $PREFIX/bin is on PATH)"
