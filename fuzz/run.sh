#!/usr/bin/env bash
# Runs every fuzz target for FUZZ_SECONDS (default 15) seconds each, starting from the
# committed seed corpora, and fails on the first crash. Needs the nightly toolchain;
# installs cargo-fuzz when it is missing.
#
#   FUZZ_SECONDS=60 fuzz/run.sh            # all targets
#   fuzz/run.sh form hook                  # some targets
#
# New inputs go to a scratch corpus (the committed seeds are only read); a crashing input
# is written to fuzz/artifacts/<target>/ and its path printed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
seconds="${FUZZ_SECONDS:-15}"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(response hook sandbox form prepare)
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz/run.sh: installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi
if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "fuzz/run.sh: the nightly toolchain is needed (rustup toolchain install nightly)" >&2
    exit 1
fi

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

cd "$root"
# Build everything first, so that the time limit is spent fuzzing.
cargo +nightly fuzz build --fuzz-dir "$here"

failed=()
for t in "${targets[@]}"; do
    echo "== fuzz $t for ${seconds}s"
    mkdir -p "$scratch/$t"
    if ! cargo +nightly fuzz run --fuzz-dir "$here" "$t" "$scratch/$t" "$here/corpus/$t" \
        -- -max_total_time="$seconds" -print_final_stats=1 2>"$scratch/$t.log"; then
        tail -n 60 "$scratch/$t.log" >&2
        failed+=("$t")
    else
        grep -E '^(Done|stat::number_of_executed_units)' "$scratch/$t.log" || true
    fi
done

if [ ${#failed[@]} -ne 0 ]; then
    echo "fuzz/run.sh: crashes in: ${failed[*]} (inputs under fuzz/artifacts/)" >&2
    exit 1
fi
echo "fuzz/run.sh: ${#targets[@]} targets, no crash"
