#!/usr/bin/env bash
# two_queues: one port with two RX queues (net_pcap, one pcap per queue: the
# vdev's own spreading, as RSS would on a NIC) served by two RX lcores (the
# main lcore included, so 2 lcores suffice; the writer is a pthread). Both
# cores receive a share and the stored total is exact.
NAME=two_queues
source "$(dirname "$0")/common.sh"
make_tenants
"$GEN" --seed 11 --events 8000 --tenants "$T/tenants.conf" --pcap "$T/a.pcap" --out "$T/ga" \
	>"$T/gen.log" 2>&1 || fail "unmo-gen failed"
"$GEN" --seed 12 --events 6000 --tenants "$T/tenants.conf" --pcap "$T/b.pcap" --out "$T/gb" \
	>>"$T/gen.log" 2>&1 || fail "unmo-gen failed"
cat "$T/ga/events.jsonl" "$T/gb/events.jsonl" >"$T/expected.jsonl"
bounded 180 "$ING" -l 0-1 "${EAL[@]}" --vdev "net_pcap0,rx_pcap=$T/a.pcap,rx_pcap=$T/b.pcap" -- \
	--tenants "$T/tenants.conf" --out "$T/segs" --mac 02:00:00:00:00:01 --rx-lcores 0,1 \
	--exit-when-idle 2 --stats-json "$T/stats.json" >"$T/ingest.log" 2>&1 ||
	fail "unmo-ingest exited with $?"
grep -q "2 RX core(s)" "$T/ingest.log" || fail "not running 2 RX cores"
"$SEG" verify "$T/segs" >"$T/verify.log" 2>&1 || fail "unmo-seg verify failed"
stored_jsonl "$T/segs" "$T/stored.jsonl" || fail "unmo-seg cat failed"
compare_events "$T/expected.jsonl" "$T/stored.jsonl" >"$T/compare.log" 2>&1 ||
	fail "$(cat "$T/compare.log")"
shares=$(json_get "$T/stats.json" '" ".join(str(r["events"]) for r in s["rx_cores"])')
read -r e0 e1 <<<"$shares"
[ "${e0:-0}" -gt 0 ] && [ "${e1:-0}" -gt 0 ] || fail "a core got nothing: $shares"
echo "rx core events: $e0 + $e1; $(cat "$T/compare.log")"
echo "e2e: $NAME ok"
