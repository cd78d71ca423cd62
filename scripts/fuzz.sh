#!/bin/sh
# Builds the libFuzzer target over onboard's loaders of user files and runs it (TESTING.md, "Fuzzing").
#
#   scripts/fuzz.sh              # 10 minutes
#   scripts/fuzz.sh 60           # 60 seconds
#   scripts/fuzz.sh 600 -jobs=2  # more libFuzzer flags after the duration
#
# The build lives in .build-fuzz (instrumented for libFuzzer and AddressSanitizer), apart from the normal .build.
# The corpus grows in .build-fuzz/corpus; crashes, hangs and huge allocations land in .build-fuzz/artifacts and
# replay with a plain build: `swift run onboard-fuzz .build-fuzz/artifacts/crash-…`.
set -eu
cd "$(dirname "$0")/.."
seconds=${1:-600}
if [ $# -gt 0 ]; then shift; fi

# Swift code gets libFuzzer's coverage and AddressSanitizer, C code (libyaml) the same through -Xcc; lld links it
# (gold stops with an internal error on the instrumented objects).
swift build -c release --build-path .build-fuzz --product onboard-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -use-ld=lld \
    -Xcc -DONBOARD_FUZZING -Xcc -fsanitize=fuzzer-no-link,address

corpus=.build-fuzz/corpus
mkdir -p "$corpus" .build-fuzz/artifacts
# A seed is a shipped file behind the byte that picks its loader (Sources/onboard-fuzz/FuzzTarget.swift):
# 0 input, 1 manifest, 2 workflow, 3 subscriber CSV, 4 YAML compared with Yams.
seed() {
    { printf "\\$(printf '%03o' "$1")"; cat "$2"; } > "$corpus/seed-$1-$(basename "$2")"
}
seed 0 examples/quickstart.yaml
seed 1 examples/batch.yaml
for file in workflows/*.yaml; do seed 2 "$file"; done
for file in examples/*.csv; do seed 3 "$file"; done
for file in examples/*.yaml workflows/*.yaml; do seed 4 "$file"; done

# ASan's leak report would flag the process-lifetime caches of the Swift runtime: leaks are not what this hunts.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0} exec .build-fuzz/release/onboard-fuzz "$corpus" \
    -dict=scripts/fuzz.dict -max_total_time="$seconds" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
    -malloc_limit_mb=512 -artifact_prefix=.build-fuzz/artifacts/ -print_final_stats=1 "$@"
