#!/usr/bin/env bash
# mangled_l2l4: the RX classifier (Ethernet, 802.1Q/802.1ad, IPv4, IPv6, UDP)
# on 24,000 mangled packets, under the sanitizer build: headers cut short, bytes
# flipped, lengths and IHL made up, VLAN tags stacked, over IPv4, IPv6 and
# VLAN traffic. Their payloads are frames of a tenant the appliance does not
# know, so whatever gets through the headers is refused at the key check: no
# mangled packet can store an event. Interleaved with them, a valid stream must
# be stored exactly; every packet is counted; the appliance exits 0 (an ASan or
# UBSan report would fail it). Before every 8th valid packet goes a copy with
# one payload bit flipped and its UDP checksum left as it was: each must be
# counted bad_udp_cksum, and none may be stored (it comes first: stored, it
# would change an event or make the original a duplicate).
NAME=mangled_l2l4
source "$(dirname "$0")/common.sh"
make_tenants
"$TEN" add --file "$T/other.conf" --app com.techstart.mobile --name Other >/dev/null
"$TEN" add --file "$T/other.conf" --app com.ecomgrowth.shop --name Other >/dev/null
"$TEN" add --file "$T/other.conf" --app com.financetrack.pro --name Other >/dev/null
"$GEN" --seed 5 --events 8000 --tenants "$T/tenants.conf" --pcap "$T/good.pcap" --out "$T/good" \
	>"$T/gen.log" 2>&1 || fail "unmo-gen (valid stream) failed"
for v in v4 v6 vlan; do
	case $v in v4) extra=() ;; v6) extra=(--ipv6) ;; vlan) extra=(--vlan 7) ;; esac
	"$GEN" --seed 6 --events 12000 "${extra[@]}" --tenants "$T/other.conf" --pcap "$T/other-$v.pcap" \
		--out "$T/other-$v" >>"$T/gen.log" 2>&1 || fail "unmo-gen ($v) failed"
done

python3 - "$T/good.pcap" "$T/mixed.pcap" "$T/other-v4.pcap" "$T/other-v6.pcap" "$T/other-vlan.pcap" \
	>"$T/mangle.log" 2>&1 <<'PY' || fail "mangling failed: $(cat "$T/mangle.log")"
import random, struct, sys
def read(path):
    d = open(path, "rb").read()
    hdr, o, out = d[:24], 24, []
    while o + 16 <= len(d):
        ts1, ts2, incl, orig = struct.unpack("<IIII", d[o:o + 16])
        out.append(bytearray(d[o + 16:o + 16 + incl])); o += 16 + incl
    return hdr, out
rng = random.Random(1234)
def mangle(p):
    l3 = 18 if p[12:14] == b"\x81\x00" else 14
    k = rng.randrange(9)
    if k == 0:   # cut anywhere in the headers
        del p[rng.randrange(0, min(len(p), l3 + 48)):]
    elif k == 1: # flip bytes in the headers
        for _ in range(rng.randrange(1, 6)):
            i = rng.randrange(6, min(len(p), l3 + 48)); p[i] ^= 1 << rng.randrange(8)
    elif k == 2: # IPv4 IHL / IPv6 version nibble
        p[l3] = (p[l3] & 0xF0) | rng.randrange(16) if rng.random() < .5 else rng.randrange(256)
    elif k == 3: # IP total / payload length
        i = l3 + (2 if p[l3] >> 4 == 4 else 4); p[i:i + 2] = struct.pack(">H", rng.choice([0, 1, 19, 20, 40, 65535, rng.randrange(65536)]))
    elif k == 4: # UDP length
        i = l3 + (p[l3] & 15) * 4 + 4 if p[l3] >> 4 == 4 else l3 + 44
        if i + 2 <= len(p): p[i:i + 2] = struct.pack(">H", rng.choice([0, 7, 8, 9, 65535, rng.randrange(65536)]))
    elif k == 5: # stacked VLAN / QinQ tags, up to 4
        for _ in range(rng.randrange(1, 5)):
            p[12:12] = rng.choice([b"\x81\x00", b"\x88\xa8"]) + struct.pack(">H", rng.randrange(4096))
    elif k == 6: # fragment bits and offsets
        if p[l3] >> 4 == 4: p[l3 + 6:l3 + 8] = struct.pack(">H", rng.randrange(65536))
    elif k == 7: # random ethertype
        p[12:14] = struct.pack(">H", rng.choice([0x0800, 0x86dd, 0x0806, 0x8100, 0x88a8, rng.randrange(65536)]))
    else:        # random length of garbage after a valid Ethernet header
        del p[14:]; p += bytes(rng.randrange(256) for _ in range(rng.randrange(0, 120)))
    return p
hdr, good = read(sys.argv[1])
bad = []
for path in sys.argv[3:]:
    bad += read(path)[1]
rng.shuffle(bad)
bad = [mangle(p) for p in bad[:24000]]
out, gi, nflip = [hdr], 0, 0
def put_good():
    global gi, nflip
    if gi % 8 == 0:   # a copy with a payload bit flipped, checksum unchanged
        c = bytearray(good[gi]); c[-3] ^= 1; out.append(c); nflip += 1
    out.append(good[gi]); gi += 1
for i, p in enumerate(bad):   # one valid packet after every few mangled ones
    if i % 3 == 0 and gi < len(good):
        put_good()
    out.append(p)
while gi < len(good):
    put_good()
recs = out[1:]
with open(sys.argv[2], "wb") as f:
    f.write(hdr)
    for r in recs:
        f.write(struct.pack("<IIII", 0, 0, len(r), len(r)) + bytes(r))
print(len(recs), len(good), len(bad), nflip)
PY
read -r total ngood nbad nflip <"$T/mangle.log"
[ "$nbad" -ge 20000 ] || fail "only $nbad mangled packets"

bounded 240 "$ING" -l 0-1 "${EAL[@]}" --vdev "net_pcap0,rx_pcap=$T/mixed.pcap" -- \
	--tenants "$T/tenants.conf" --out "$T/segs" --mac 02:00:00:00:00:01 --ip6 fd00:99::1 \
	--exit-when-idle 3 --stats-json "$T/stats.json" >"$T/ingest.log" 2>&1 ||
	fail "unmo-ingest exited with $?: $(grep -m3 -E 'ERROR|runtime error' "$T/ingest.log")"
packets=$(json_get "$T/stats.json" 's["totals"]["packets"]')
[ "$packets" -eq "$total" ] || fail "counted $packets packets of $total"
"$SEG" verify "$T/segs" >"$T/verify.log" 2>&1 || fail "unmo-seg verify failed"
stored_jsonl "$T/segs" "$T/stored.jsonl" || fail "unmo-seg cat failed"
compare_events "$T/good/events.jsonl" "$T/stored.jsonl" >"$T/compare.log" 2>&1 ||
	fail "valid stream not stored exactly: $(cat "$T/compare.log")"
badsum=$(json_get "$T/stats.json" 's["totals"]["drops"].get("bad_udp_cksum", 0)')
dups=$(json_get "$T/stats.json" 's["totals"]["drops"].get("duplicate", 0)')
[ "$badsum" -ge "$nflip" ] && [ "$nflip" -gt 0 ] || fail "bad_udp_cksum $badsum < $nflip flipped copies"
[ "$dups" -eq 0 ] || fail "$dups duplicates: a flipped copy was taken before its original"
drops=$(json_get "$T/stats.json" '", ".join(f"{k} {v}" for k, v in sorted(s["totals"]["drops"].items()) if v)')
echo "$nbad mangled + $ngood valid packets, all counted; $(cat "$T/compare.log"); drops: $drops"
echo "e2e: $NAME ok"
