#!/usr/bin/env bash
# live_veth: two network namespaces joined by a veth pair; unmo-ingest on one
# end through net_af_packet. IPv6 neighbour discovery and ICMPv6 echo are
# answered for its IPv6 address. (1) The generator in the other namespace sends
# real UDP through the kernel, resolving 10.99.0.1 by ARP (answered by the
# appliance), with acks and HTTP-lite replies: responses arrive back. An
# ICMP echo to the appliance is answered. (2) The stock tcpreplay replays a
# generator pcap (dst MAC = the appliance's port) onto the sender's end.
# Exactly the events of both are stored.
NAME=live_veth
source "$(dirname "$0")/common.sh"
command -v tcpreplay >/dev/null || fail "tcpreplay not installed"
NA=unmo_a$$ NB=unmo_b$$ VA=uva$$ VB=uvb$$
ip netns add "$NA" && NETNS+=("$NA")
ip netns add "$NB" && NETNS+=("$NB")
ip link add "$VA" type veth peer name "$VB"
ip link set "$VA" netns "$NA"
ip link set "$VB" netns "$NB"
ip -n "$NA" link set lo up
ip -n "$NB" link set lo up
ip -n "$NA" link set "$VA" up
ip -n "$NB" addr add 10.99.0.2/24 dev "$VB"
ip -n "$NB" link set "$VB" up
# The kernel leaves the UDP checksum of locally sent datagrams to the NIC
# (CHECKSUM_PARTIAL); across a veth nothing fills it in. The appliance
# verifies UDP checksums, so the sender's veth computes them, as every
# datagram on a wire has them (docs/operating.md: --no-udp-cksum).
ip netns exec "$NB" ethtool -K "$VB" tx off >/dev/null || fail "ethtool -K tx off failed"
# IPv6: the sender has fd00:99::2; the appliance's namespace keeps its kernel off the link
ip netns exec "$NA" sysctl -qw "net.ipv6.conf.$VA.disable_ipv6=1"
ip -n "$NB" addr add fd00:99::2/64 dev "$VB" nodad
make_tenants

ip netns exec "$NA" "$ING" -l 0-1 "${EAL[@]}" --vdev "net_af_packet0,iface=$VA,framecnt=4096" -- \
	--tenants "$T/tenants.conf" --out "$T/segs" --ip6 fd00:99::1 --status-interval 1 \
	--stats-json "$T/stats.json" >"$T/ingest.log" 2>&1 &
pid=$!
PIDS+=("$pid")
wait_for "$T/ingest.log" "^listening on" 60 || fail "appliance did not start"

# ICMP echo first (python raw socket: iputils-ping is not in the base image); it
# also resolves 10.99.0.1 by ARP, answered by the appliance, so that no HTTP-lite
# datagram (not resent by senders) waits in the kernel's unresolved queue.
ip netns exec "$NB" python3 - >"$T/ping.log" 2>&1 <<'PY' || fail "no ICMP echo reply: $(cat "$T/ping.log")"
import socket, struct, time
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b)); s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP); s.settimeout(2)
pkt = struct.pack("!BBHHH", 8, 0, 0, 0x1234, 1) + b"unmo-ping-test!!"
pkt = pkt[:2] + struct.pack("!H", csum(pkt)) + pkt[4:]
s.sendto(pkt, ("10.99.0.1", 0))
end = time.time() + 3
while time.time() < end:
    d, a = s.recvfrom(2048)
    if a[0] == "10.99.0.1" and d[20] == 0 and d[24:26] == b"\x12\x34":
        print("echo reply from 10.99.0.1"); break
else:
    raise SystemExit("timeout")
PY

# IPv6: neighbour solicitation answered (NA), then ICMPv6 echo answered.
ip netns exec "$NB" python3 - >"$T/ping6.log" 2>&1 <<'PY' || fail "no ICMPv6 echo reply: $(cat "$T/ping6.log")"
import socket, struct, time
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6); s.settimeout(2)
s.sendto(struct.pack("!BBHHH", 128, 0, 0, 0x77, 1) + b"unmo-ping6", ("fd00:99::1", 0))
end = time.time() + 3
while time.time() < end:
    d, a = s.recvfrom(2048)
    if a[0] == "fd00:99::1" and d[0] == 129:
        print("ICMPv6 echo reply from fd00:99::1"); break
else:
    raise SystemExit("timeout")
PY
ip -n "$NB" neigh show fd00:99::1 | grep -q lladdr || fail "fd00:99::1 not resolved by neighbour discovery"

# (1) live UDP through the kernel: ARP, binary frames with acks, HTTP-lite with replies.
timeout 120 ip netns exec "$NB" "$GEN" --seed 21 --events 3000 --tenants "$T/tenants.conf" \
	--out "$T/g1" --send 10.99.0.1:7100 --rate 1500 --ack --reply --wait 3000 >"$T/gen1.log" 2>&1 ||
	fail "unmo-gen --send failed: $(tail -3 "$T/gen1.log")"
resp=$(grep '^responses:' "$T/gen1.log") || fail "generator reported no responses"
n202=$(sed -E 's/.*http 202 ([0-9]+).*/\1/' <<<"$resp")
nacks=$(sed -E 's/.*acks ([0-9]+).*/\1/' <<<"$resp")
unacked=$(sed -E 's/.*unacked ([0-9]+).*/\1/' <<<"$resp")
[ "$n202" -gt 0 ] || fail "no HTTP 202 came back: $resp"
[ "$nacks" -gt 0 ] && [ "$unacked" = 0 ] || fail "acks missing: $resp"
ip -n "$NB" neigh show 10.99.0.1 | grep -q lladdr || fail "10.99.0.1 not resolved by ARP"

# http_batch BODY_FILE: POST it to /v1/events/batch (X-Unmo-Reply) from the
# sender's namespace with the techstart key; prints the response datagram.
key=$(sed -nE 's/^app com\.techstart\.mobile .*prod=([^ ]+).*/\1/p' "$T/tenants.conf")
[ -n "$key" ] || fail "no prod key in tenants.conf"
http_batch() {
	ip netns exec "$NB" python3 - "$key" "$1" <<'PY'
import socket, sys
body = open(sys.argv[2], "rb").read()
head = ("POST /v1/events/batch HTTP/1.1\r\nHost: 10.99.0.1\r\nContent-Length: %d\r\n"
        "X-API-Key: %s\r\nX-Unmo-Reply: 1\r\n\r\n" % (len(body), sys.argv[1]))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)
s.sendto(head.encode() + body, ("10.99.0.1", 7100))
print(s.recv(2048).decode(), end="")
PY
}
# expect_response RESPONSE STATUS BODY
expect_response() {
	[[ "$1" == "HTTP/1.1 $2 "* && "$1" == *"$3" ]] || fail "unexpected response: $(printf %q "$1"), want $2 $3"
}

# (1b) a batch whose every event names another app: refused at once with the
# first refused event's reason (nothing is stored).
python3 -c 'ev = "{\"event_id\":\"%032x\",\"type\":\"click\",\"app_id\":\"com.other.app\"}"
print("{\"events\":[%s,%s]}" % (ev % 1, ev % 2), end="")' >"$T/batch1.json"
resp1=$(http_batch "$T/batch1.json") || fail "no response to the refused batch"
expect_response "$resp1" 400 '{"status":400,"accepted":0,"rejected":2,"reason":"app_mismatch"}'

# (1c) a batch with refused events between good ones: every good event is
# stored, each refused one counts once, the 202 names the first reason. The
# refused event has an escaped quote and brackets inside a string (the parser
# unescapes in place before refusing it), and one element is not an object.
python3 - "$T/batch2.json" "$T/batch_good.jsonl" <<'PY'
import json, sys
good = [{"event_id": "%032x" % (0xb0 + i), "type": t, "event_time_us": 1767225600000000 + i,
         "app_id": "com.techstart.mobile"} for i, t in enumerate(["click", "install", "session"])]
bad = '{"event_id":"%032x","type":"click","campaign":"a\\"b]},","currency":"usd"}' % 0xbad
open(sys.argv[1], "w").write('{"events":[%s,%s,%s,7,%s]}' % (json.dumps(good[0]), bad, json.dumps(good[1]),
                                                              json.dumps(good[2])))
with open(sys.argv[2], "w") as f:
    for g in good:
        f.write(json.dumps(g) + "\n")
PY
resp2=$(http_batch "$T/batch2.json") || fail "no response to the partly refused batch"
expect_response "$resp2" 202 '{"status":202,"accepted":3,"rejected":2,"reason":"json_bad_currency"}'

# (1d) key rotation without a restart: every credential of techstart is
# rotated and the appliance gets SIGHUP. The old API key is refused (401), the
# new one accepted; the pcap of (2) is made after the rotation, so its
# techstart frames carry tags of the new secret and must all be stored.
old_key=$key
"$TEN" rotate --file "$T/tenants.conf" --app com.techstart.mobile --key all >"$T/rotate.log" 2>&1 ||
	fail "unmo-tenant rotate failed: $(cat "$T/rotate.log")"
key=$(sed -nE 's/^app com\.techstart\.mobile .*prod=([^ ]+).*/\1/p' "$T/tenants.conf")
[ -n "$key" ] && [ "$key" != "$old_key" ] || fail "rotate did not change the prod key"
kill -HUP "$pid"
wait_for "$T/ingest.log" "^tenants reloaded" 10 || fail "no reload after SIGHUP: $(tail -3 "$T/ingest.log")"
printf '{"events":[{"event_id":"%032x","type":"click","event_time_us":1767225700000000}]}' $((0xc0)) >"$T/batch3.json"
printf '{"event_id":"%032x","type":"click","event_time_us":1767225700000000,"app_id":"com.techstart.mobile"}\n' \
	$((0xc0)) >>"$T/batch_good.jsonl"
new_key=$key key=$old_key
resp3=$(http_batch "$T/batch3.json") || fail "no response with the old key"
expect_response "$resp3" 401 '{"status":401,"accepted":0,"rejected":0,"reason":"bad_key"}'
key=$new_key
resp4=$(http_batch "$T/batch3.json") || fail "no response with the new key"
expect_response "$resp4" 202 '{"status":202,"accepted":1,"rejected":0}'

# (2) stock tcpreplay of a generator pcap addressed to the appliance's MAC.
mac=$(ip -n "$NA" -o link show "$VA" | sed -E 's/.*link\/ether ([0-9a-f:]+).*/\1/')
"$GEN" --seed 22 --events 2000 --tenants "$T/tenants.conf" --pcap "$T/replay.pcap" --out "$T/g2" \
	--dst-mac "$mac" >"$T/gen2.log" 2>&1 || fail "unmo-gen --pcap failed"
timeout 120 ip netns exec "$NB" tcpreplay -q -i "$VB" --pps 1500 "$T/replay.pcap" >"$T/tcpreplay.log" 2>&1 ||
	fail "tcpreplay failed: $(tail -3 "$T/tcpreplay.log")"
sleep 2
kill -TERM "$pid"
rc=0
timeout 60 tail --pid="$pid" -f /dev/null || fail "appliance did not stop"
wait "$pid" || rc=$?
[ "$rc" -eq 0 ] || fail "appliance exit status $rc"

"$SEG" verify "$T/segs" >"$T/verify.log" 2>&1 || fail "unmo-seg verify failed"
stored_jsonl "$T/segs" "$T/stored.jsonl" || fail "unmo-seg cat failed"
cat "$T/g1/events.jsonl" "$T/g2/events.jsonl" "$T/batch_good.jsonl" >"$T/expected.jsonl"
compare_events "$T/expected.jsonl" "$T/stored.jsonl" >"$T/compare.log" 2>&1 || fail "$(cat "$T/compare.log")"
arp=$(json_get "$T/stats.json" 'sum(r["arp_replies"] for r in s["rx_cores"])')
nd=$(json_get "$T/stats.json" 'sum(r["nd_replies"] for r in s["rx_cores"])')
[ "$arp" -gt 0 ] || fail "no ARP reply counted"
# the reload kept each app's counters in its slot: still three tenants
nten=$(json_get "$T/stats.json" 'len(s["tenants"])')
[ "$nten" = 3 ] || fail "expected 3 tenant counters after the reload, got $nten"
[ "$nd" -gt 0 ] || fail "no neighbour advertisement counted"
echo "ARP replies $arp, NA $nd; $resp; refused batch: ${resp1##*$'\r\n'}; partly refused batch: ${resp2##*$'\r\n'}; after rotation + SIGHUP: old key ${resp3##*$'\r\n'}, new key ${resp4##*$'\r\n'}; $(cat "$T/ping.log"); $(cat "$T/ping6.log"); $(cat "$T/compare.log")"
echo "e2e: $NAME ok"
