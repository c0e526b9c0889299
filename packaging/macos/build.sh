#!/usr/bin/env bash
# macOS: build "VMI Desktop.app" with the same PyInstaller spec, smoke-test it, wrap it in a .dmg.
# Run on a Mac (macOS 11+, Xcode command line tools for iconutil/codesign/hdiutil, Python 3.11+
# from python.org or Homebrew). Builds for the Mac's own architecture (arm64 or x86_64). Not built
# or tested on the project's Linux machines: PyInstaller does not cross-compile.
#
#   packaging/macos/build.sh
#
# Signing: ad-hoc by default (runs on the Mac that built it and, after right-click > Open, on others).
# For distribution set CODESIGN_IDENTITY="Developer ID Application: ..." and, to notarize,
# NOTARY_PROFILE=<a `xcrun notarytool store-credentials` profile>.
# Output: dist/VMI Desktop.app and dist/vmi-desktop-<version>-macos-<arch>.dmg.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"
PY=${PYTHON:-$ROOT/.venv/bin/python}
[ -x "$PY" ] || { python3 -m venv .venv; PY=$ROOT/.venv/bin/python; }
"$PY" -m pip install -q --disable-pip-version-check -e ".[packaging]"
VERSION=$("$PY" -c "import vmi_desktop; print(vmi_desktop.__version__)")
ARCH=$(uname -m)

# The .icns from the PNGs (iconutil wants an .iconset folder with these names).
ICONSET=build/vmi-desktop.iconset
rm -rf "$ICONSET" && mkdir -p "$ICONSET"
PNG=packaging/icons/png
for size in 16 32 128 256 512; do
    cp "$PNG/vmi-desktop-$size.png" "$ICONSET/icon_${size}x${size}.png"
done
cp "$PNG/vmi-desktop-32.png" "$ICONSET/icon_16x16@2x.png"
cp "$PNG/vmi-desktop-64.png" "$ICONSET/icon_32x32@2x.png"
cp "$PNG/vmi-desktop-256.png" "$ICONSET/icon_128x128@2x.png"
cp "$PNG/vmi-desktop-512.png" "$ICONSET/icon_256x256@2x.png"
iconutil -c icns "$ICONSET" -o packaging/icons/vmi-desktop.icns

rm -rf "dist/VMI Desktop.app" dist/vmi-desktop
VMI_VERSION=$VERSION "$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath dist --workpath build/pyinstaller packaging/vmi-desktop.spec
APP="dist/VMI Desktop.app"
EXE="$APP/Contents/MacOS/vmi-desktop"

if [ -n "${CODESIGN_IDENTITY:-}" ]; then
    codesign --force --deep --options runtime --timestamp -s "$CODESIGN_IDENTITY" "$APP"
fi

# Smoke test of the app inside the bundle, with a throw-away home.
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
run() { env -i HOME="$TMP" PATH=/usr/bin:/bin "$@"; }
run "$EXE" --version
run "$EXE" --database-url "sqlite:///$TMP/smoke.sqlite3" demo --skus 50 --locations 3 --days 30 >/dev/null
run "$EXE" --database-url "sqlite:///$TMP/smoke.sqlite3" reorder >/dev/null
run QT_QPA_PLATFORM=offscreen VMI_SMOKE_QUIT_MS=300 "$EXE" --database-url "sqlite:///$TMP/smoke.sqlite3" \
    2>"$TMP/window.err" || { cat "$TMP/window.err"; exit 1; }
grep -q "main window shown" "$TMP/window.err"

# The disk image: the app and a link to /Applications, compressed.
STAGE=$TMP/dmg
mkdir -p "$STAGE"
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
DMG="dist/vmi-desktop-$VERSION-macos-$ARCH.dmg"
rm -f "$DMG"
hdiutil create -volname "VMI Desktop $VERSION" -srcfolder "$STAGE" -ov -format UDZO "$DMG"
if [ -n "${CODESIGN_IDENTITY:-}" ]; then
    codesign -s "$CODESIGN_IDENTITY" --timestamp "$DMG"
    if [ -n "${NOTARY_PROFILE:-}" ]; then
        xcrun notarytool submit "$DMG" --keychain-profile "$NOTARY_PROFILE" --wait
        xcrun stapler staple "$DMG"
    fi
fi
echo "built $DMG"
