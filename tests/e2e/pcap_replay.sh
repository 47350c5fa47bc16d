#!/usr/bin/env bash
# pcap_replay: a generator pcap (binary + HTTP-lite frames, some malformed)
# replayed through net_pcap; the sealed segments hold exactly the generator's
# events, field for field, and the drop counters equal the malformed frames
# by reason. Segments are written through the page cache here
# (--no-direct-io); the other e2e tests use direct I/O.
NAME=pcap_replay
source "$(dirname "$0")/common.sh"
make_tenants
"$GEN" --seed 4242 --events 20000 --tenants "$T/tenants.conf" --pcap "$T/in.pcap" --out "$T/gen" \
	--malformed 60 >"$T/gen.log" 2>&1 || fail "unmo-gen failed"
[ -s "$T/gen/events.jsonl" ] && [ -s "$T/gen/malformed.csv" ] || fail "generator outputs missing"

bounded 180 "$ING" -l 0-1 "${EAL[@]}" --vdev "net_pcap0,rx_pcap=$T/in.pcap" -- \
	--tenants "$T/tenants.conf" --out "$T/segs" --mac 02:00:00:00:00:01 --no-direct-io \
	--exit-when-idle 2 --stats-json "$T/stats.json" >"$T/ingest.log" 2>&1 ||
	fail "unmo-ingest exited with $?"

ls "$T/segs"/*.seg >/dev/null 2>&1 || fail "no sealed segment"
! ls "$T/segs"/*.open >/dev/null 2>&1 || fail ".open segment left after a clean stop"
"$SEG" verify "$T/segs" >"$T/verify.log" 2>&1 || fail "unmo-seg verify failed"
"$SEG" cat --format json "$T/segs" >"$T/out.jsonl" 2>"$T/cat.log" || fail "unmo-seg cat failed"
compare_events "$T/gen/events.jsonl" "$T/out.jsonl" >"$T/compare.log" 2>&1 ||
	fail "segments differ from events.jsonl: $(cat "$T/compare.log")"

# Drop counters by reason == malformed.csv by reason, and nothing else dropped.
python3 - "$T/gen/malformed.csv" "$T/stats.json" >"$T/drops.log" 2>&1 <<'PY' || fail "drop counters: $(cat "$T/drops.log")"
import csv, json, sys
from collections import Counter
rows = [r for r in csv.reader(open(sys.argv[1])) if r and not r[0].startswith("#")]
if rows and not rows[0][0].strip().isdigit():
    hdr = [h.strip() for h in rows[0]]; rows = rows[1:]
    col = hdr.index("reason") if "reason" in hdr else len(hdr) - 1
else:
    col = -1
want = Counter(r[col].strip() for r in rows)
s = json.load(open(sys.argv[2]))
got = {k: v for k, v in s["totals"]["drops"].items() if v}
bad = [f"{r}: expected {n}, counted {got.get(r, 0)}" for r, n in want.items() if got.get(r, 0) != n]
bad += [f"{r}: counted {n}, not in malformed.csv" for r, n in got.items() if r not in want]
if bad:
    print("; ".join(bad)); sys.exit(1)
print(f"{sum(want.values())} malformed frames counted by reason: {dict(want)}")
PY
ev=$(json_get "$T/stats.json" 's["totals"]["events"]')
du=$(json_get "$T/stats.json" 's["totals"]["events_durable"]')
[ "$ev" = "$du" ] || fail "events $ev but durable $du"
echo "$(cat "$T/compare.log"); $(cat "$T/drops.log")"
echo "e2e: $NAME ok"
