#!/usr/bin/env bash
# Offline install for the current user: copy the bundle, link the command, add the menu entry.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PREFIX=${PREFIX:-$HOME/.local}
mkdir -p "$PREFIX/opt" "$PREFIX/bin" "$PREFIX/share/applications"
rm -rf "$PREFIX/opt/vmi-desktop"
cp -r "$HERE" "$PREFIX/opt/vmi-desktop"
ln -sf "$PREFIX/opt/vmi-desktop/vmi-desktop" "$PREFIX/bin/vmi-desktop"
sed "s|Exec=vmi-desktop|Exec=$PREFIX/bin/vmi-desktop|" "$HERE/vmi-desktop.desktop" \
    > "$PREFIX/share/applications/vmi-desktop.desktop"
echo "installed to $PREFIX/opt/vmi-desktop; run: vmi-desktop"
