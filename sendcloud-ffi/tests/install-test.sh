#!/bin/sh
# Installs the library the way its users do, into temporary places outside the
# repository, and sends a message through a sandbox with what was installed:
#
#   python  a fresh venv; `pip install sendcloud-ffi/python` (timed) and `pip wheel`;
#           `python -c` from /tmp sends and prints the receipt; then the package's unittest
#           suite runs against the installed copy (SENDCLOUD_TEST_INSTALLED=1 checks that).
#   c       `cargo cinstall` into a temporary prefix; examples/hello.c built with pkg-config
#           against the shared library (found through the rpath pkg-config's libdir gives)
#           and against the static one; both run.
#
# Usage: sendcloud-ffi/tests/install-test.sh python|c...
# Needs cargo, cc, pkg-config and python3 with venv (and pip's access to PyPI for the build
# backend); `c` needs cargo-c. The sandbox is the CLI's (`sendcloud sandbox`), built here.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
crate=$(cd "$here/.." && pwd)
root=$(cd "$crate/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
work=$(mktemp -d)
sandbox_pid=
cleanup() {
    if [ -n "$sandbox_pid" ]; then kill "$sandbox_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

start_sandbox() {
    (cd "$root" && cargo build -q -p sendcloud-cli)
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
    echo "sandbox: $base_url"
}

# The venv's python; nothing from the checkout or the environment may stand in for the
# installed copy.
vpy() { env -u SENDCLOUD_LIB -u PYTHONPATH "$venv/bin/python" "$@"; }

python_install() {
    venv="$work/venv"
    python3 -m venv "$venv"
    started=$(date +%s)
    vpy -m pip install -q "$crate/python"
    echo "pip install: $(($(date +%s) - started)) s"
    vpy -m pip wheel -q --no-deps -w "$work/wheels" "$crate/python"
    wheel=$(ls "$work/wheels"/*.whl)
    echo "pip wheel: $(basename "$wheel") ($(wc -c <"$wheel") bytes)"
    case "$(vpy -m zipfile -l "$wheel")" in
    *sendcloud/_native*) ;;
    *)
        echo "the wheel has no library in it" >&2
        exit 1
        ;;
    esac

    # From /tmp, far from the checkout: the installed package, its own library.
    out=$(cd /tmp && vpy -c "
import sys, sendcloud
client = sendcloud.Client('sandbox-user', 'sandbox-key', base_url=sys.argv[1])
print(sendcloud.library_path())
print(client.send(1, '13800000000', vars={'code': '123456'}))
" "$base_url")
    echo "$out"
    case "$out" in
    "$venv"/*"Receipt(status_code=200, success_count=1"*) ;;
    *)
        echo "the installed package did not send as expected" >&2
        exit 1
        ;;
    esac

    # The package's own tests, against the installed copy (the tests directory is put on
    # sys.path alone, so the checkout's package is not importable).
    (
        cd "$work"
        export SENDCLOUD_TEST_INSTALLED=1 SENDCLOUD_SANDBOX_URL="$base_url" PYTHONDONTWRITEBYTECODE=1
        vpy -m unittest discover -s "$crate/python/tests" -t "$crate/python/tests"
    )
}

c_install() {
    prefix="$work/prefix"
    # cargo-c builds with a newer cargo than the toolchain's, and the two invalidate each
    # other's builds in a shared directory: it gets a directory of its own in the target.
    (cd "$root" && cargo cinstall -p sendcloud-ffi --prefix "$prefix" \
        --libdir "$prefix/lib" --target-dir "$target/cinstall")
    PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
    export PKG_CONFIG_PATH
    echo "pkg-config sendcloud $(pkg-config --modversion sendcloud):" \
        "$(pkg-config --cflags --libs sendcloud)"
    readelf -d "$prefix/lib/libsendcloud.so" | grep -q 'SONAME.*libsendcloud\.so\.[0-9]' || {
        echo "the shared library has no versioned SONAME" >&2
        exit 1
    }
    libdir=$(pkg-config --variable=libdir sendcloud)
    cflags="-std=c11 -Wall -Wextra -Werror"

    # Against the shared library, found at run time through the rpath alone.
    # shellcheck disable=SC2046,SC2086
    cc $cflags "$crate/examples/hello.c" $(pkg-config --cflags --libs sendcloud) \
        -Wl,-rpath,"$libdir" -o "$work/hello-shared"
    readelf -d "$work/hello-shared" | grep -q 'NEEDED.*libsendcloud\.so' || {
        echo "hello-shared is not linked to the shared library" >&2
        exit 1
    }
    env -u LD_LIBRARY_PATH "$work/hello-shared" "$base_url" | grep '^sent: 1 message'

    # Against the static library: --static adds the system libraries it needs, and
    # -l:libsendcloud.a picks the archive (-lsendcloud would pick the shared library).
    # shellcheck disable=SC2046,SC2086
    cc $cflags "$crate/examples/hello.c" $(pkg-config --cflags sendcloud) \
        $(pkg-config --libs --static sendcloud | sed 's/-lsendcloud /-l:libsendcloud.a /') \
        -o "$work/hello-static"
    if readelf -d "$work/hello-static" | grep -q 'NEEDED.*libsendcloud'; then
        echo "hello-static still needs the shared library" >&2
        exit 1
    fi
    env -u LD_LIBRARY_PATH "$work/hello-static" "$base_url" | grep '^sent: 1 message'

    echo "sizes (bytes): libsendcloud.so $(wc -c <"$prefix/lib/libsendcloud.so")," \
        "libsendcloud.a $(wc -c <"$prefix/lib/libsendcloud.a")," \
        "hello-static $(wc -c <"$work/hello-static")"
}

if [ $# -eq 0 ]; then
    echo "usage: $0 python|c..." >&2
    exit 2
fi
start_sandbox
for what in "$@"; do
    case "$what" in
    python) python_install ;;
    c) c_install ;;
    *)
        echo "unknown: $what (python or c)" >&2
        exit 2
        ;;
    esac
done
echo "install-test: $* passed"
