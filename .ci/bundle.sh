#!/usr/bin/env bash
# CI, before the test suite: the offline installers must build and start, or CI fails.
#
# 1. packaging/build.sh: the PyInstaller one-folder bundle, the tar.gz and the .deb (dist/).
# 2. The .deb installed with dpkg -i, and the INSTALLED copy smoke-tested from a clean environment
#    (packaging/linux/smoke.sh /usr/bin/vmi-desktop: no Python, no virtualenv, no keyring).
# 3. packaging/wheelhouse.sh, then a fresh venv installed from it with pip cut off from every index
#    (--no-index, no pip config, an index URL that points nowhere, and no network at all where
#    `unshare -n` works), and `vmi-desktop --version` and a demo run from that venv.
# Prints sizes and times; the package is removed again at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
started=$(date +%s)
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
elapsed() { echo $(( $(date +%s) - started )); }
say() { printf 'bundle [%4ss]: %s\n' "$(elapsed)" "$*"; }

export DEBIAN_FRONTEND=noninteractive
if command -v apt-get >/dev/null 2>&1; then
    # icu-devtools: cutting the ICU data down; binutils/gcc: strip and assemble it; file: finding
    # unstripped libraries; desktop-file-utils: validating the menu entry.
    tools=(icu-devtools binutils gcc file desktop-file-utils)
    # .ci/run has updated the package lists; run on its own, this may need the update first.
    $SUDO apt-get install -y -qq --no-install-recommends "${tools[@]}" >/dev/null 2>&1 ||
        { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends "${tools[@]}" >/dev/null; }
fi
[ -x .venv/bin/python ] || python3 -m venv .venv

say "building the bundle, the tar.gz and the .deb"
build_started=$(date +%s)
packaging/build.sh
build_seconds=$(( $(date +%s) - build_started ))
VERSION=$(.venv/bin/python -c "import vmi_desktop; print(vmi_desktop.__version__)")
DEB=$(ls dist/vmi-desktop_"$VERSION"_*.deb)
TARBALL=$(ls dist/vmi-desktop-"$VERSION"-linux-*.tar.gz)
if command -v desktop-file-validate >/dev/null 2>&1; then
    desktop-file-validate packaging/linux/vmi-desktop.desktop
fi

say "installing $DEB"
cleanup() { $SUDO dpkg -r vmi-desktop >/dev/null 2>&1 || true; }
trap cleanup EXIT
# What the package needs from the system (glibc, GL/EGL, X11/Wayland clients) comes from the archive first.
depends=$(dpkg-deb -f "$DEB" Depends | sed -e 's/([^)]*)//g' -e 's/,/ /g')
if command -v apt-get >/dev/null 2>&1; then
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -qq --no-install-recommends $depends >/dev/null
fi
$SUDO dpkg -i "$DEB" >/dev/null
[ "$(readlink /usr/bin/vmi-desktop)" = /opt/vmi-desktop/vmi-desktop ] || { echo "no /usr/bin/vmi-desktop link"; exit 1; }
[ -f /usr/share/applications/vmi-desktop.desktop ] || { echo "no desktop file installed"; exit 1; }
[ -f /usr/share/icons/hicolor/256x256/apps/vmi-desktop.png ] || { echo "no icon installed"; exit 1; }

say "smoke test of the installed copy"
smoke_started=$(date +%s)
PYTHON=.venv/bin/python packaging/linux/smoke.sh /usr/bin/vmi-desktop
smoke_seconds=$(( $(date +%s) - smoke_started ))

say "offline wheelhouse"
WHEELS=$ROOT/dist/wheelhouse
packaging/wheelhouse.sh "$WHEELS"
OFFLINE=$(mktemp -d "${TMPDIR:-/tmp}/vmi-offline.XXXXXX")
BASE_PY=$(.venv/bin/python -c "import sys; print(sys._base_executable)")
"$BASE_PY" -m venv "$OFFLINE/venv"
offline() {
    env -i HOME="$OFFLINE" PATH=/usr/bin:/bin LANG=C.UTF-8 PIP_CONFIG_FILE=/dev/null PIP_NO_INDEX=1 \
        PIP_INDEX_URL=http://127.0.0.1:9/nowhere PIP_DISABLE_PIP_VERSION_CHECK=1 "$@"
}
NO_NET=()
if unshare -n true 2>/dev/null; then
    NO_NET=(unshare -n)  # a network namespace with only a downed loopback: no index can be reached
fi
offline "${NO_NET[@]}" "$OFFLINE/venv/bin/pip" install -q --no-index --find-links "$WHEELS" vmi-desktop
out=$(offline "$OFFLINE/venv/bin/vmi-desktop" --version)
[ "$out" = "vmi-desktop $VERSION" ] || { echo "the wheelhouse install printed '$out'"; exit 1; }
offline "$OFFLINE/venv/bin/vmi-desktop" --database-url "sqlite:///$OFFLINE/demo.sqlite3" \
    demo --skus 50 --locations 3 --days 30 | grep "generated 50 SKUs"
rm -rf "$OFFLINE"

unpacked=$(du -sb dist/vmi-desktop | cut -f1)
say "bundle build ${build_seconds}s, smoke test ${smoke_seconds}s"
say "sizes: unpacked $((unpacked / 1048576)) MiB ($unpacked bytes); $(basename "$TARBALL") \
$(( $(stat -c %s "$TARBALL") / 1048576 )) MiB; $(basename "$DEB") $(( $(stat -c %s "$DEB") / 1048576 )) MiB; \
wheelhouse $(du -sm "$WHEELS" | cut -f1) MiB"
say "done"
