#!/usr/bin/env bash
# sigterm_drain: SIGTERM in the middle of a stream. Every event the appliance
# counted as received is in a sealed segment, and every event of a frame it
# acknowledged (acks captured by net_pcap's tx_pcap) is stored. The RX core
# LZ4-encodes every block itself (--rx-encode always), so this also holds the
# RX-side encoding to the same durability and content as the writer's.
NAME=sigterm_drain
source "$(dirname "$0")/common.sh"
make_tenants
"$GEN" --seed 777 --events 200000 --tenants "$T/tenants.conf" --pcap "$T/in.pcap" --out "$T/gen" \
	--ack >"$T/gen.log" 2>&1 || fail "unmo-gen failed"
"$ING" -l 0-1 "${EAL[@]}" --vdev "net_pcap0,rx_pcap=$T/in.pcap,tx_pcap=$T/acks.pcap" -- \
	--tenants "$T/tenants.conf" --out "$T/segs" --mac 02:00:00:00:00:01 --status-interval 0.5 --rx-encode always \
	--stats-json "$T/stats.json" >"$T/ingest.log" 2>&1 &
pid=$!
PIDS+=("$pid")
wait_for "$T/ingest.log" "durable [1-9]" 120 || fail "no durable events within 120 s"
sleep 0.5
kill -TERM "$pid"
rc=0
timeout 120 tail --pid="$pid" -f /dev/null || fail "did not stop within 120 s of SIGTERM"
wait "$pid" || rc=$?
[ "$rc" -eq 0 ] || fail "exit status $rc after SIGTERM (want 0)"
grep -q "stopping: draining" "$T/ingest.log" || fail "no drain message"

! ls "$T/segs"/*.open >/dev/null 2>&1 || fail ".open segment left after SIGTERM"
"$SEG" verify "$T/segs" >"$T/verify.log" 2>&1 || fail "unmo-seg verify failed"
stored_jsonl "$T/segs" "$T/stored.jsonl" || fail "unmo-seg cat failed"
received=$(json_get "$T/stats.json" 's["totals"]["events"]')
durable=$(json_get "$T/stats.json" 's["totals"]["events_durable"]')
stored=$(wc -l <"$T/stored.jsonl")
total=$(wc -l <"$T/gen/events.jsonl")
[ "$received" -gt 0 ] || fail "nothing received"
[ "$received" = "$stored" ] || fail "received $received events but $stored are in sealed segments"
[ "$durable" = "$stored" ] || fail "durable $durable but stored $stored"
chunks=$(json_get "$T/stats.json" 'sum(x["chunks"] for x in s["rx_cores"])')
encoded=$(json_get "$T/stats.json" 'sum(x["chunks_encoded"] for x in s["rx_cores"])')
[ "$chunks" -gt 0 ] && [ "$encoded" = "$chunks" ] || fail "RX cores encoded $encoded of $chunks chunks"
acked_stored "$T/gen/events.jsonl" "$T/acks.pcap" "$T/stored.jsonl" >"$T/acked.log" 2>&1 ||
	fail "$(cat "$T/acked.log")"
note=""
[ "$received" -lt "$total" ] && note=" (stopped mid-stream: $received of $total sent)"
echo "received $received = stored $stored$note; $(cat "$T/acked.log")"
echo "e2e: $NAME ok"
