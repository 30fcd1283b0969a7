#!/bin/sh
# Checks that include/sendcloud.h is what cbindgen generates from src/ (CI runs this).
# With --write, regenerates it instead. Installs cbindgen when it is missing.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
if ! command -v cbindgen >/dev/null 2>&1; then
    echo "cbindgen not found; installing it (cargo install cbindgen --locked)" >&2
    cargo install cbindgen --locked >&2
fi
if [ "${1:-}" = "--write" ]; then
    cbindgen --quiet --config cbindgen.toml --crate sendcloud-ffi --output include/sendcloud.h .
    echo "wrote include/sendcloud.h"
    exit 0
fi
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
cbindgen --quiet --config cbindgen.toml --crate sendcloud-ffi --output "$tmp" .
if ! diff -u include/sendcloud.h "$tmp"; then
    echo "include/sendcloud.h is out of date: run sendcloud-ffi/check-header.sh --write" >&2
    exit 1
fi
echo "include/sendcloud.h is up to date"
