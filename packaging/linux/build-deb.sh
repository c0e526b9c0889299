#!/usr/bin/env bash
# Package the Linux bundle as a .deb with dpkg-deb (no debhelper needed):
#   /opt/vmi-desktop/            the bundle
#   /usr/bin/vmi-desktop         -> /opt/vmi-desktop/vmi-desktop
#   /usr/share/applications/vmi-desktop.desktop
#   /usr/share/icons/hicolor/{16..512}/apps/vmi-desktop.png and scalable/apps/vmi-desktop.svg
#
#   packaging/linux/build-deb.sh BUNDLE_DIR VERSION OUT_DIR
#
# Depends lists only what the bundle takes from the system (found with ldd): glibc 2.35+ (the
# bundled libpython needs it), the C++ runtime and expat (left out of the bundle on purpose, see
# the spec), the GL/EGL loaders and the X11/Wayland client libraries every desktop has.
set -euo pipefail
BUNDLE=${1:?usage: build-deb.sh BUNDLE_DIR VERSION OUT_DIR}
VERSION=${2:?version}
OUT=${3:?out dir}
HERE=$(cd "$(dirname "$0")" && pwd)
ICONS=$HERE/../icons
ARCH=$(dpkg --print-architecture)
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT

mkdir -p "$STAGE/opt" "$STAGE/usr/bin" "$STAGE/usr/share/applications" "$STAGE/DEBIAN"
cp -a "$BUNDLE" "$STAGE/opt/vmi-desktop"
rm -f "$STAGE/opt/vmi-desktop/install.sh"  # the tarball's per-user installer has no place in a package
ln -s /opt/vmi-desktop/vmi-desktop "$STAGE/usr/bin/vmi-desktop"
install -m 0644 "$HERE/vmi-desktop.desktop" "$STAGE/usr/share/applications/vmi-desktop.desktop"
for png in "$ICONS"/png/vmi-desktop-*.png; do
    size=$(basename "$png" .png | sed 's/^vmi-desktop-//')
    install -D -m 0644 "$png" "$STAGE/usr/share/icons/hicolor/${size}x${size}/apps/vmi-desktop.png"
done
install -D -m 0644 "$ICONS/vmi-desktop.svg" "$STAGE/usr/share/icons/hicolor/scalable/apps/vmi-desktop.svg"
mkdir -p "$STAGE/usr/share/doc/vmi-desktop"
printf 'VMI Desktop %s: vendor-managed inventory. See the README of the source tree.\n' "$VERSION" \
    > "$STAGE/usr/share/doc/vmi-desktop/README"

INSTALLED_KB=$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)
cat > "$STAGE/DEBIAN/control" <<CONTROL
Package: vmi-desktop
Version: $VERSION
Section: misc
Priority: optional
Architecture: $ARCH
Maintainer: VMI Desktop team <vmi-desktop@example.com>
Installed-Size: $INSTALLED_KB
Depends: libc6 (>= 2.35), libstdc++6, libgcc-s1, libexpat1, libgl1, libegl1, libxcb1, libwayland-client0, libwayland-cursor0, libwayland-egl1
Recommends: libcups2
Description: Vendor-managed inventory for field-service parts managers
 A self-contained desktop application (Python, Qt and every library inside,
 under /opt/vmi-desktop): SKUs, locations, suppliers and supply agreements,
 an append-only stock ledger, automatic reorder, supplier scorecards and
 sync with suppliers' systems. Works offline on a built-in SQLite database
 or against a shared PostgreSQL server.
CONTROL
# Menu and icon caches are refreshed by the dpkg triggers of desktop-file-utils and
# hicolor-icon-theme where those are installed: no maintainer scripts needed.
find "$STAGE" -type d -exec chmod 0755 {} +
mkdir -p "$OUT"
DEB=$OUT/vmi-desktop_${VERSION}_${ARCH}.deb
# gzip -6: 9 s and 68 MiB on two cores, readable by every dpkg. xz -6 gives 52 MiB but takes 86 s;
# set DEB_COMPRESSION="-Zxz -z6" for a smaller file when time does not matter.
# shellcheck disable=SC2086
dpkg-deb --root-owner-group ${DEB_COMPRESSION:--Zgzip -z6} --build "$STAGE" "$DEB" >/dev/null
echo "build: $DEB ($(du -h "$DEB" | cut -f1))"
