#!/bin/sh
# bench_http.sh — HTTP-lite ingest vs simdjson DOM on the same JSON bodies.
# usage: perf/bench_http.sh [BUILD_DIR] [SECONDS]
# BUILD_DIR is a release build: meson setup build-rel -Dbuildtype=release -Dtests=false
set -eu
build=${1:-build-rel}
secs=${2:-2}
bodies=$(mktemp /tmp/unmo-bodies.XXXXXX)
trap 'rm -f "$bodies"' EXIT
ours=$("$build/perf/bench_http" --seconds "$secs" --dump-bodies "$bodies")
echo "$ours"
if [ ! -x "$build/perf/bench_simdjson" ]; then
	echo "bench_simdjson not built (libsimdjson-dev missing?)" >&2
	exit 1
fi
theirs=$("$build/perf/bench_simdjson" "$bodies" --seconds "$secs")
echo "$theirs"
our_mbps=$(echo "$ours" | sed -n 's/^RESULT .*body_MBps=\([0-9.]*\).*/\1/p')
our_dg=$(echo "$ours" | sed -n 's/^RESULT datagram_MBps=\([0-9.]*\).*/\1/p')
sj_mbps=$(echo "$theirs" | sed -n 's/^RESULT simdjson_MBps=\([0-9.]*\).*/\1/p')
awk -v o="$our_mbps" -v d="$our_dg" -v s="$sj_mbps" 'BEGIN {
	printf "SUMMARY ours %.1f MB/s of JSON body (%.1f MB/s of datagrams, copy included), simdjson DOM %.1f MB/s, ratio %.2fx\n", o, d, s, o / s }'
