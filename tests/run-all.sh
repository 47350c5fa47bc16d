#!/usr/bin/env bash
# run-all.sh — the README's test command: installs the Debian packages, builds
# the sanitizer test build (ASan+UBSan), runs every Criterion unit test and
# end-to-end test, builds and runs each libFuzzer target for a bounded time,
# checks that the release build (with perf/) compiles, and ends with one line
# "N passed, N failed" (Criterion test cases, e2e scripts, fuzz runs, builds).
# Run as root (e2e tests make network namespaces). Env: FUZZ_SECONDS (30).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
LOG=$ROOT/build-logs
mkdir -p "$LOG"
passed=0 failed=0

summary() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit $?; }
step() { # step NAME CMD...: a build step counts as one test
	local name=$1; shift
	if "$@" >"$LOG/$name.log" 2>&1; then passed=$((passed + 1)); echo "ok   $name"
	else failed=$((failed + 1)); echo "FAIL $name (log: $LOG/$name.log)"; tail -30 "$LOG/$name.log"; return 1; fi
}

bash deploy/install-deps.sh || { failed=1; summary; }

# 1. Sanitizer build + meson tests (unit + e2e).
if [ ! -d build-test ]; then
	meson setup build-test -Dbuildtype=debug -Db_sanitize=address,undefined -Dperf=false \
		>"$LOG/setup-test.log" 2>&1 || { cat "$LOG/setup-test.log"; failed=1; summary; }
fi
step build_test ninja -C build-test || summary
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
meson test -C build-test --num-processes 2 --print-errorlogs >"$LOG/meson-test.log" 2>&1
counts=$(python3 - "$ROOT/build-test/meson-logs/testlog.json" <<'PY'
import json, re, sys
p = f = 0
for line in open(sys.argv[1]):
    t = json.loads(line)
    ok = t["result"] in ("OK", "EXPECTEDFAIL")
    m = re.search(r"Synthesis: Tested: (\d+) \| Passing: (\d+) \| Failing: (\d+) \| Crashing: (\d+)",
                  (t.get("stderr") or "") + (t.get("stdout") or ""))
    if m:
        tp, tf = int(m.group(2)), int(m.group(3)) + int(m.group(4))
        if not ok and tf == 0:
            tf = 1  # the executable failed outside any test case (sanitizer at exit, timeout)
        p += tp; f += tf
        print(("ok   " if tf == 0 else "FAIL ") + f"{t['name']}: {tp} passed, {tf} failed", file=sys.stderr)
    else:
        p += ok; f += (not ok)
        print(("ok   " if ok else "FAIL ") + t["name"] + ("" if ok else f" ({t['result']})"), file=sys.stderr)
print(p, f)
PY
)
if [ -z "$counts" ]; then failed=$((failed + 1)); tail -50 "$LOG/meson-test.log"; else
	read -r p f <<<"$counts"; passed=$((passed + p)); failed=$((failed + f))
	[ "$f" -eq 0 ] || grep -A40 -E "^=+ [0-9]+/[0-9]+ =+" "$LOG/meson-test.log" | grep -v "^ *$" | tail -120
fi

# 2. libFuzzer targets (clang), each run for FUZZ_SECONDS on its seed corpus.
if [ ! -d build-fuzz ]; then
	CC=clang CXX=clang++ CFLAGS=-fsanitize=fuzzer-no-link meson setup build-fuzz -Dfuzz=true \
		-Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug >"$LOG/setup-fuzz.log" 2>&1
fi
if step build_fuzz ninja -C build-fuzz; then
	for f in build-fuzz/tests/fuzz/fuzz_*; do
		[ -f "$f" ] && [ -x "$f" ] || continue  # skip meson's *.p object directories
		name=$(basename "$f"); corpus=$ROOT/build-fuzz/corpus-${name#fuzz_}
		mkdir -p "$corpus"; cp -n tests/fuzz/corpus/"${name#fuzz_}"/* "$corpus"/ 2>/dev/null
		step "$name" timeout $((FUZZ_SECONDS + 60)) "$f" -max_total_time="$FUZZ_SECONDS" \
			-timeout=10 -rss_limit_mb=2048 "$corpus"
	done
fi

# 3. The release build (what the demo and perf/ use) compiles, warnings as errors.
[ -d build ] || meson setup build -Dbuildtype=release >"$LOG/setup-release.log" 2>&1
step build_release ninja -C build

summary
