#!/bin/sh
# Runs the C test program under valgrind and built with AddressSanitizer, against a sandbox
# this script starts (`sendcloud sandbox`) and stops. Self-contained: it builds the
# staticlib and the CLI first. Usage: sendcloud-ffi/tests/c/run-sanitizers.sh [BASE_URL]
# (with a BASE_URL it uses that sandbox instead of starting one).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
crate=$(cd "$here/../.." && pwd)
root=$(cd "$crate/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
work=$(mktemp -d)
sandbox_pid=
cleanup() {
    if [ -n "$sandbox_pid" ]; then kill "$sandbox_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

cd "$root"
cargo build -q -p sendcloud-ffi
if [ $# -ge 1 ]; then
    base_url=$1
else
    cargo build -q -p sendcloud-cli
    "$target/debug/sendcloud" sandbox --listen 127.0.0.1:0 --json >"$work/sandbox.json" 2>"$work/sandbox.err" &
    sandbox_pid=$!
    i=0
    while [ ! -s "$work/sandbox.json" ]; do
        i=$((i + 1))
        if [ $i -gt 100 ]; then
            echo "the sandbox did not start:" >&2
            cat "$work/sandbox.err" >&2
            exit 1
        fi
        sleep 0.1
    done
    base_url=$(sed -n 's/.*"base_url":"\([^"]*\)".*/\1/p' "$work/sandbox.json" | head -n 1)
fi
echo "sandbox: $base_url"

lib="$target/debug/libsendcloud_ffi.a"
src="$crate/tests/c/test_sendcloud.c"
cflags="-std=c11 -Wall -Wextra -Werror -g -I $crate/include"
libs="-lpthread -ldl -lm"

echo "== valgrind"
# shellcheck disable=SC2086
cc $cflags "$src" "$lib" $libs -o "$work/test_sendcloud"
valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
    --suppressions="$here/valgrind.supp" \
    "$work/test_sendcloud" "$base_url"

echo "== AddressSanitizer"
# shellcheck disable=SC2086
cc $cflags -O1 -fsanitize=address -fno-omit-frame-pointer "$src" "$lib" $libs -o "$work/test_sendcloud_asan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 "$work/test_sendcloud_asan" "$base_url"

echo "sanitizers: all clean"
