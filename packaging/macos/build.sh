#!/usr/bin/env bash
# macOS: the same spec builds dist/vmi-desktop/; hdiutil wraps it in a disk image.
set -euo pipefail
cd "$(dirname "$0")/.."
./build.sh
hdiutil create -volname "VMI Desktop" -srcfolder ../dist/vmi-desktop -ov -format UDZO ../dist/vmi-desktop.dmg
