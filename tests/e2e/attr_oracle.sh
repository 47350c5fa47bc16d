#!/usr/bin/env bash
# attr_oracle.sh — unmo-attr against an independent reference implementation.
# attr_oracle/oracle.py implements docs/attribution.md sections 1-13 from the
# spec alone (no code of lib/ read or shared); attr_oracle/worlds.py makes
# small adversarial worlds on the spec's edges; attr_oracle/run_worlds.py
# imports each into segments, runs unmo-attr (threads and partitions varied
# by seed) and compares every output row, report.json's totals and input
# counters with the oracle's. A fixed seed list: the same worlds every run.
# On a disagreement the world stays in the work dir with both outputs and
# the command that reproduces it.
# Env: BUILD (build dir), SRC (source dir), ORACLE_SEEDS (FIRST:COUNT, 0:800:
# about 150 s on 2 CPUs with the ASan/UBSan build), ORACLE_SHAPE_SEEDS (worlds
# per shape, 12).
set -euo pipefail
BUILD=${BUILD:?set BUILD to the meson build directory}
SRC=${SRC:?set SRC to the source directory}
fail() { echo "e2e: attr_oracle FAILED: $*" >&2; exit 1; }
for t in unmo-seg unmo-attr; do
	[ -x "$BUILD/tools/$t" ] || fail "$BUILD/tools/$t not built"
done
command -v python3 >/dev/null || fail "python3 not found"
W=$(mktemp -d "${TMPDIR:-/tmp}/attr_oracle.XXXXXX")
keep=0
trap '[ "$keep" = 1 ] || rm -rf "$W"' EXIT
RUN=$SRC/tests/e2e/attr_oracle/run_worlds.py
# no __pycache__ in the source tree
if ! PYTHONDONTWRITEBYTECODE=1 python3 "$RUN" --bin "$BUILD/tools" --work "$W" \
	--seeds "${ORACLE_SEEDS:-0:800}" >"$W/summary"; then
	keep=1
	fail "unmo-attr and the oracle disagree (above); the world is kept in $W"
fi
cat "$W/summary"
# The shapes of shapes.py (carrier NAT, long touch histories, re-engagement
# chains, reinstall edges, duplicates, range edges, extreme times, user-agent
# families, awkward names, a mix), a sample each, every world imported into
# three segment files and run at two settings, one with --mem 4M (spills and
# splits): outputs byte-identical between them and equal to the oracle's. The
# names worlds (many report rows) run a third time at --mem 1M, where most
# spill their report rows.
for p in names extreme uafam mtouch mtcache nat reeng reinst dups range mix; do
	n=${ORACLE_SHAPE_SEEDS:-12}
	runs=1/1/-,2/7/4M
	case $p in nat | mix) n=$(((n + 2) / 3)) ;; names) runs=$runs,2/3/1M ;; esac
	if ! PYTHONDONTWRITEBYTECODE=1 python3 "$RUN" --bin "$BUILD/tools" --work "$W/$p" --profile "$p" \
		--seeds "200000:$n" --runs "$runs" --split-files 3 >"$W/summary.$p"; then
		keep=1
		fail "unmo-attr and the oracle disagree on profile $p (above); the world is kept in $W/$p"
	fi
	echo "$p: $(cat "$W/summary.$p")"
done
echo "e2e: attr_oracle ok"
