#!/usr/bin/env bash
# disk_full: the segment directory is a small tmpfs, mostly filled by a ballast
# file. A first stream fills the disk: the writer reports errors and the
# appliance counts the events it could not keep. The ballast is then removed
# and a second stream (HTTP-lite only, so no sequence window from the first
# stream drops it) must be stored: the appliance recovered. At exit: every
# sealed segment verifies, no .open is left, events = durable + lost, and the
# sealed segments hold exactly the durable events (never one counted lost).
# The appliance reads its pcap from a FIFO so the test decides when the
# second stream starts (after the disk has room again and the 1 s back-off).
NAME=disk_full
source "$(dirname "$0")/common.sh"
[ "$(id -u)" -eq 0 ] || fail "needs root (mounts a tmpfs)"
trap 'rc=$?; for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	umount -l "$T/segs" 2>/dev/null || true; (exit $rc); cleanup' EXIT
make_tenants
"$GEN" --seed 31 --events 40000 --tenants "$T/tenants.conf" --pcap "$T/a.pcap" --out "$T/gen_a" \
	>"$T/gen.log" 2>&1 || fail "unmo-gen (first stream) failed"
"$GEN" --seed 32 --events 5000 --binary-share 0 --tenants "$T/tenants.conf" --pcap "$T/b.pcap" \
	--out "$T/gen_b" >>"$T/gen.log" 2>&1 || fail "unmo-gen (second stream) failed"

mkdir "$T/segs"
mount -t tmpfs -o size=16m tmpfs "$T/segs" || fail "cannot mount a tmpfs"
# Leave 3 MiB: room for a few 1 MiB segments of the first stream, not for
# all of its ~5 MB of blocks.
avail_kb=$(df -k --output=avail "$T/segs" | tail -1)
dd if=/dev/zero of="$T/segs/ballast" bs=1k count=$((avail_kb - 3072)) status=none 2>/dev/null || true
[ -s "$T/segs/ballast" ] || fail "no ballast written"
mkfifo "$T/rx.fifo"

# The feeder: stream A, wait for the writer's error, free the disk, wait out
# the back-off, then stream B (its packets without the pcap file header).
feed() {
	cat "$T/a.pcap"
	if wait_for "$T/ingest.log" "unmo-ingest: writer [0-9]*: \(write\|create\|fdatasync\|fsync\)" 30; then
		touch "$T/had_error"
	fi
	rm -f "$T/segs/ballast"
	sleep 1.5
	tail -c +25 "$T/b.pcap"
}
feed >"$T/rx.fifo" 2>"$T/feed.log" &
PIDS+=("$!")

bounded 60 "$ING" -l 0-1 "${EAL[@]}" --vdev "net_pcap0,rx_pcap=$T/rx.fifo" -- \
	--tenants "$T/tenants.conf" --out "$T/segs/d" --mac 02:00:00:00:00:01 --segment-mb 1 \
	--exit-when-idle 5 --stats-json "$T/stats.json" >"$T/ingest.log" 2>&1 ||
	fail "unmo-ingest exited with $?"
[ -f "$T/had_error" ] || fail "the writer reported no error: the disk never filled (test did not test)"

errors=$(json_get "$T/stats.json" 'sum(w["write_errors"] for w in s["writers"])')
events=$(json_get "$T/stats.json" 's["totals"]["events"]')
durable=$(json_get "$T/stats.json" 's["totals"]["events_durable"]')
lost=$(json_get "$T/stats.json" 's["totals"]["events_lost"]')
sealed=$(json_get "$T/stats.json" 's["totals"]["segments_sealed"]')
[ "$errors" -gt 0 ] || fail "write_errors is 0 although the log shows an error"
[ "$lost" -gt 0 ] || fail "the disk was full but events_lost is 0"
[ "$events" -eq $((durable + lost)) ] || fail "events $events != durable $durable + lost $lost"

! ls "$T/segs/d"/*.open >/dev/null 2>&1 || fail ".open segment left: $(ls "$T/segs/d")"
! ls "$T/segs/d"/*.tmp >/dev/null 2>&1 || fail "temporary file left: $(ls "$T/segs/d")"
ls "$T/segs/d"/*.seg >/dev/null 2>&1 || fail "no sealed segment"
"$SEG" verify "$T/segs/d" >"$T/verify.log" 2>&1 || fail "unmo-seg verify failed: $(tail -3 "$T/verify.log")"
stored_jsonl "$T/segs/d" "$T/stored.jsonl" || fail "unmo-seg cat failed"
stored=$(wc -l <"$T/stored.jsonl")
[ "$stored" -eq "$durable" ] || fail "sealed segments hold $stored events, durable $durable"

# Recovery: every event of the second stream (sent once the disk had room) is stored.
python3 - "$T/gen_b/events.jsonl" "$T/stored.jsonl" >"$T/recovered.log" 2>&1 <<'PY' ||
import json, sys
want = [json.loads(l)["event_id"] for l in open(sys.argv[1]) if l.strip()]
have = {json.loads(l).get("event_id") for l in open(sys.argv[2]) if l.strip()}
missing = [e for e in want if e not in have]
if not want or missing:
    print(f"{len(missing)} of {len(want)} events sent after the disk was freed are not stored")
    sys.exit(1)
print(f"all {len(want)} events sent after the disk was freed are stored")
PY
	fail "$(cat "$T/recovered.log")"
files=$(ls "$T/segs/d"/*.seg | wc -l)
echo "write errors $errors; events $events = durable $durable + lost $lost; stored $stored in $files" \
	"sealed segments ($sealed sealed by the writer), all verified; $(cat "$T/recovered.log")"
echo "e2e: $NAME ok"
