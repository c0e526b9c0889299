#!/usr/bin/env bash
# Collect every wheel VMI Desktop needs into one folder, for a site without internet:
#
#   packaging/wheelhouse.sh [OUT_DIR] [-- PIP_DOWNLOAD_OPTIONS...]
#
#   packaging/wheelhouse.sh                      # dist/wheelhouse, for this OS and Python
#   packaging/wheelhouse.sh dist/wh-win -- --platform win_amd64 --python-version 3.11
#   packaging/wheelhouse.sh dist/wh-mac -- --platform macosx_11_0_arm64 --python-version 3.12
#
# At the site (Python 3.11+ of the same minor version and OS as the wheelhouse was made for):
#
#   python3 -m venv vmi && vmi/bin/pip install --no-index --find-links OUT_DIR vmi-desktop
#
# For this machine the wheels come from `pip wheel` (which also builds any dependency published
# only as source). With pip download options (another OS or Python), the pure-Python wheels are
# built here and the platform's own wheels downloaded (--only-binary=:all:: every compiled
# dependency of VMI Desktop publishes wheels for Windows, macOS and Linux). The folder also gets a README.txt,
# a requirements.txt pinning what was collected, and SHA256SUMS.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/dist/wheelhouse
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
    OUT=$1
    shift
fi
[ "${1:-}" = "--" ] && shift
PY=${PYTHON:-$ROOT/.venv/bin/python}
[ -x "$PY" ] || PY=python3
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
rm -f "$OUT"/*.whl
VERSION=$("$PY" -c "import tomllib, pathlib; print(tomllib.loads(pathlib.Path('$ROOT/pyproject.toml').read_text())['project']['version'])")

# pip, minus the warnings some machines' pip config causes about index folders that do not exist
pip_() { "$PY" -m pip "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2); }

if [ $# -eq 0 ]; then
    pip_ wheel -q --disable-pip-version-check --wheel-dir "$OUT" "$ROOT"
    # pip itself, so the site can upgrade an old pip in its venv offline (--no-deps: nothing else)
    pip_ download -q --disable-pip-version-check --only-binary=:all: --no-deps -d "$OUT" pip
else
    # Another OS or Python: build everything here once, keep the pure-Python wheels (they work
    # anywhere; some, such as keyrings.cryptfile, are published only as source), then let pip
    # fetch the target's own wheels for the rest.
    NATIVE=$(mktemp -d)
    trap 'rm -rf "$NATIVE"' EXIT
    pip_ wheel -q --disable-pip-version-check --wheel-dir "$NATIVE" "$ROOT"
    cp "$NATIVE"/*-none-any.whl "$OUT/"
    pip_ download -q --disable-pip-version-check --only-binary=:all: --find-links "$OUT" -d "$OUT" "$@" \
        "$OUT/vmi_desktop-$VERSION-py3-none-any.whl" pip
    # pip evaluated the environment markers for this machine: add what the target alone needs
    # (for Windows: keyring's pywin32-ctypes, psycopg's tzdata), until nothing is missing.
    for _ in 1 2 3; do
        mapfile -t extra < <("$PY" "$ROOT/packaging/wheelhouse_missing.py" "$OUT" "$@")
        [ ${#extra[@]} -eq 0 ] && break
        pip_ download -q --disable-pip-version-check --only-binary=:all: -d "$OUT" "$@" "${extra[@]}"
    done
fi
left=$("$PY" "$ROOT/packaging/wheelhouse_missing.py" "$OUT" "$@")
if [ -n "$left" ]; then
    echo "wheelhouse: still missing for the target: $left" >&2
    exit 1
fi

(
    cd "$OUT"
    for wheel in *.whl; do
        name=${wheel%%-*}
        rest=${wheel#*-}
        echo "${name//_/-}==${rest%%-*}"
    done | sort -f >requirements.txt
    sha256sum ./*.whl >SHA256SUMS
    cat >README.txt <<TXT
VMI Desktop $VERSION: every wheel it needs, for installing without internet.

    python3 -m venv vmi-desktop-env
    vmi-desktop-env/bin/pip install --no-index --find-links "\$PWD" vmi-desktop
    vmi-desktop-env/bin/vmi-desktop --version

(Windows: py -m venv vmi-desktop-env, then vmi-desktop-env\\Scripts\\pip ... and
vmi-desktop-env\\Scripts\\vmi-desktop.) Check the files first with: sha256sum -c SHA256SUMS
requirements.txt lists the exact versions collected.
TXT
)
echo "wheelhouse: $(ls "$OUT"/*.whl | wc -l) wheels, $(du -sh "$OUT" | cut -f1) in $OUT"
