#!/usr/bin/env bash
# Runs `swift test` N times in a row while a busy loop per core keeps every core loaded, and stops at the first
# failure or crash. Timing races, flaky tests and runtime crashes that one quiet run hides show up here.
#
#   scripts/stress-tests.sh 20                       # the check issue 10 asks for
#   scripts/stress-tests.sh 5 --filter CLITests      # extra arguments go to `swift test`
#
# Environment: STRESS_LOAD (busy loops; default: one per core, 0 for none), STRESS_LOGS (folder for the logs of
# each run; default: a new temporary folder, kept), STRESS_KEEP_GOING=1 (do not stop at a failure: run all N and
# count how often each test failed, to tell a rare flake from a steady failure). Exit code: 0 when every run
# passed, 1 when one did not, 2 for bad usage.
set -euo pipefail

usage() { echo "usage: $0 N [swift test arguments...]" >&2; exit 2; }
[[ $# -ge 1 && $1 =~ ^[1-9][0-9]*$ ]] || usage
runs=$1
shift

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
logs=${STRESS_LOGS:-$(mktemp -d "${TMPDIR:-/tmp}/onboard-stress.XXXXXX")}
mkdir -p "$logs"
load=${STRESS_LOAD:-$(nproc 2>/dev/null || sysctl -n hw.ncpu)}

# Build first, unloaded and untimed, so the first run measures the tests and not the compiler.
echo "stress: building (log: $logs/build.log)"
if ! swift build --build-tests > "$logs/build.log" 2>&1; then
    tail -n 30 "$logs/build.log"
    echo "stress: the build failed; no run made"
    exit 1
fi

# The load: one busy loop per core, each a process of its own, killed by pid when this script ends however it ends.
loaders=()
stop_load() {
    for pid in "${loaders[@]}"; do kill "$pid" 2> /dev/null || true; done
    for pid in "${loaders[@]}"; do wait "$pid" 2> /dev/null || true; done
}
trap stop_load EXIT
trap 'exit 130' INT TERM
for _ in $(seq 1 "$load"); do
    yes > /dev/null &
    loaders+=("$!")
done
echo "stress: $runs run(s) of swift test $*, with $load busy loop(s) on $(nproc 2>/dev/null || echo '?') core(s); logs in $logs"

# Milliseconds since the epoch (bash 5's EPOCHREALTIME; whole seconds where it is missing).
now_ms() {
    if [[ -n ${EPOCHREALTIME:-} ]]; then
        local micro=${EPOCHREALTIME/[.,]/}
        echo $((micro / 1000))
    else
        echo $(($(date +%s) * 1000))
    fi
}
seconds() { printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100)); }

passed=0
failed=0
crashed=0
total_ms=0
keep_going=${STRESS_KEEP_GOING:-0}
failures="$logs/failed-tests.txt"
: > "$failures"
for run in $(seq 1 "$runs"); do
    log="$logs/run-$(printf '%03d' "$run").log"
    started=$(now_ms)
    status=0
    swift test "$@" > "$log" 2>&1 || status=$?
    elapsed=$(($(now_ms) - started))
    total_ms=$((total_ms + elapsed))
    if [[ $status -eq 0 ]]; then
        passed=$((passed + 1))
        printf 'run %d/%d: pass  %6s s\n' "$run" "$runs" "$(seconds $elapsed)"
        continue
    fi
    # A crash of the test process (a signal) is told apart from a test that failed.
    if grep -qE 'unexpected signal code|Fatal error|Segmentation fault|SIGSEGV|SIGILL|SIGABRT|SIGBUS' "$log"; then
        kind="CRASH"
    else
        kind="FAIL"
    fi
    printf 'run %d/%d: %s  %6s s  (swift test exit %d, log %s)\n' "$run" "$runs" "$kind" "$(seconds $elapsed)" "$status" "$log"
    # What failed, as Swift Testing and SwiftPM report it.
    grep -E '✘|recorded an issue|unexpected signal code|Fatal error|error:' "$log" | head -n 20 | sed 's/^/    /' || true
    if [[ $kind == CRASH ]]; then crashed=$((crashed + 1)); else failed=$((failed + 1)); fi
    # The failing tests of this run, one name a line, for the summary's counts.
    sed -nE 's/^✘ Test (.*) failed after .*/\1/p' "$log" | grep -vE '^run with [0-9]+ tests' \
        | sed -E 's/ with [0-9]+ test cases$//' | sort -u >> "$failures" || true
    if [[ $keep_going != 1 ]]; then
        printf 'stress: %s at run %d after %d passing run(s) of %d; %s s in all\n' "$kind" "$run" "$passed" "$runs" "$(seconds $total_ms)"
        exit 1
    fi
done
if [[ $passed -eq $runs ]]; then
    printf 'stress: %d/%d runs passed, no failure, no crash; %s s in all, %s s per run\n' \
        "$passed" "$runs" "$(seconds $total_ms)" "$(seconds $((total_ms / runs)))"
    exit 0
fi
printf 'stress: %d/%d runs passed, %d failed, %d crashed; %s s in all, %s s per run\n' \
    "$passed" "$runs" "$failed" "$crashed" "$(seconds $total_ms)" "$(seconds $((total_ms / runs)))"
echo "stress: failing tests (runs in which each failed):"
sort "$failures" | uniq -c | sort -rn | sed 's/^/    /'
exit 1
