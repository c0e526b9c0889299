#!/usr/bin/env bash
# Make the Linux bundle smaller after PyInstaller: strip debug symbols, cut the ICU data down.
#
#   packaging/linux/slim.sh dist/vmi-desktop
#
# - strip: libpython and several extensions ship with debug info (libpython alone 23 -> 5.5 MB).
#   Libraries under *.libs/ (numpy.libs, psycopg_binary.libs) were rewritten by auditwheel's
#   patchelf; strip can corrupt such files, so they are left as they are.
# - ICU: Qt Core needs libicudata, but only a small part of its 31 MB (see icu-keep.txt). The
#   kept items are packed with icupkg (Debian: icu-devtools) into a new libicudata with the same
#   soname and data symbol, assembled with gcc. Without icupkg/gcc the step is skipped with a note.
set -euo pipefail
BUNDLE=${1:?usage: slim.sh BUNDLE_DIR}
HERE=$(cd "$(dirname "$0")" && pwd)
before=$(du -sb "$BUNDLE" | cut -f1)

find "$BUNDLE" -type f \( -name '*.so' -o -name '*.so.*' \) -not -path '*.libs/*' -print0 |
    while IFS= read -r -d '' lib; do
        if file -b "$lib" | grep -q 'not stripped'; then
            strip --strip-unneeded "$lib"
        fi
    done

icudata=$(find "$BUNDLE" -name 'libicudata.so.*' -type f | head -n 1)
if [ -z "$icudata" ]; then
    echo "slim: no libicudata in the bundle; nothing to cut"
elif ! command -v icupkg >/dev/null || ! command -v gcc >/dev/null || ! command -v objcopy >/dev/null; then
    echo "slim: icupkg, gcc or objcopy missing (Debian: apt-get install icu-devtools gcc binutils); ICU data kept whole"
else
    major=$(basename "$icudata" | sed -E 's/^libicudata\.so\.([0-9]+).*/\1/')
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    mkdir "$work/in" "$work/out"
    # icupkg takes the package name from the file names: both must be icudt<major>l.dat.
    objcopy -O binary --only-section=.rodata "$icudata" "$work/in/icudt${major}l.dat"
    icupkg -l "$work/in/icudt${major}l.dat" > "$work/items"
    grep -v -E -f <(grep -v -E '^(#|$)' "$HERE/icu-keep.txt") "$work/items" > "$work/remove.txt" || true
    # icupkg reads a list from a file only when its name ends in .txt (else it is an item name).
    icupkg -r "$work/remove.txt" "$work/in/icudt${major}l.dat" "$work/out/icudt${major}l.dat"
    kept=$(icupkg -l "$work/out/icudt${major}l.dat" | wc -l)
    cat > "$work/icudata.S" <<ASM
    .section .rodata
    .globl icudt${major}_dat
    .type icudt${major}_dat, @object
    .balign 16
icudt${major}_dat:
    .incbin "$work/out/icudt${major}l.dat"
    .size icudt${major}_dat, . - icudt${major}_dat
    .section .note.GNU-stack,"",@progbits
ASM
    gcc -shared -nostdlib -Wl,-soname,"libicudata.so.$major" -o "$work/libicudata.so" "$work/icudata.S"
    cp "$work/libicudata.so" "$icudata"
    echo "slim: ICU data cut to $kept of $(wc -l < "$work/items") items ($(du -h "$icudata" | cut -f1))"
fi
after=$(du -sb "$BUNDLE" | cut -f1)
echo "slim: $((before / 1048576)) MiB -> $((after / 1048576)) MiB"
