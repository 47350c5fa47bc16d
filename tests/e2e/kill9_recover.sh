#!/usr/bin/env bash
# kill9_recover: kill -9 in the middle of a stream, restart. Recovery at start
# leaves only valid sealed segments, every event whose frame was acknowledged
# before the crash is in them; then the sender resends everything (duplicates
# across the restart are allowed) and every event is stored.
NAME=kill9_recover
source "$(dirname "$0")/common.sh"
make_tenants
"$GEN" --seed 99 --events 200000 --tenants "$T/tenants.conf" --pcap "$T/in.pcap" --out "$T/gen" \
	--ack >"$T/gen.log" 2>&1 || fail "unmo-gen failed"
python3 -c 'import struct,sys; open(sys.argv[1],"wb").write(struct.pack("<IHHiIII",0xa1b2c3d4,2,4,0,0,65535,1))' "$T/empty.pcap"
ingest() { # ingest RUN PCAP EXTRA... (exec: in a background subshell, $! is the appliance)
	local run=$1 pcap=$2; shift 2
	exec "$ING" -l 0-1 "${EAL[@]}" --vdev "net_pcap0,rx_pcap=$pcap,tx_pcap=$T/acks$run.pcap" -- \
		--tenants "$T/tenants.conf" --out "$T/segs" --mac 02:00:00:00:00:01 \
		--stats-json "$T/stats$run.json" "$@" >"$T/ingest$run.log" 2>&1
}

# Run 1: crash in the middle.
ingest 1 "$T/in.pcap" --status-interval 0.5 &
pid=$!
PIDS+=("$pid")
wait_for "$T/ingest1.log" "durable [1-9]" 120 || fail "no durable events within 120 s"
sleep 0.7
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
opens=$(ls "$T/segs"/*.open 2>/dev/null | wc -l)

# Run 2: restart with nothing to receive: recovery only.
bounded 120 ingest 2 "$T/empty.pcap" --exit-when-idle 1 ||
	fail "restart after kill -9 failed: $(tail -5 "$T/ingest2.log")"
! ls "$T/segs"/*.open >/dev/null 2>&1 || fail ".open segment left after recovery"
"$SEG" verify "$T/segs" >"$T/verify2.log" 2>&1 || fail "unmo-seg verify failed after recovery"
recovered=$(json_get "$T/stats2.json" 'sum(w["recovered_segments"] for w in s["writers"])')
[ "$recovered" = "$opens" ] || fail "$opens .open files after the crash, $recovered recovered"
stored_jsonl "$T/segs" "$T/stored2.jsonl" || fail "unmo-seg cat failed"
acked_stored "$T/gen/events.jsonl" "$T/acks1.pcap" "$T/stored2.jsonl" >"$T/acked.log" 2>&1 ||
	fail "after recovery: $(cat "$T/acked.log")"

# Run 3: the sender resends; all events end up stored (duplicates allowed).
bounded 300 ingest 3 "$T/in.pcap" --exit-when-idle 2 ||
	fail "run 3 failed: $(tail -5 "$T/ingest3.log")"
"$SEG" verify "$T/segs" >"$T/verify3.log" 2>&1 || fail "unmo-seg verify failed after run 3"
stored_jsonl "$T/segs" "$T/stored3.jsonl" || fail "unmo-seg cat failed"
python3 - "$T/gen/events.jsonl" "$T/stored3.jsonl" >"$T/all.log" 2>&1 <<'PY' || fail "after resend: $(cat "$T/all.log")"
import json, sys
def keys(p):
    out = []
    for line in open(p):
        if line.strip():
            o = json.loads(line); o.pop("recv_time_us", None); out.append(json.dumps(o, sort_keys=True))
    return out
want, got = keys(sys.argv[1]), keys(sys.argv[2])
missing = set(want) - set(got)
extra = set(got) - set(want)
if missing or extra:
    print(f"{len(missing)} missing, {len(extra)} unexpected"); sys.exit(1)
print(f"all {len(want)} events stored ({len(got) - len(want)} duplicates across the restart)")
PY
echo "$opens torn segment(s) recovered; $(cat "$T/acked.log"); $(cat "$T/all.log")"
echo "e2e: $NAME ok"
