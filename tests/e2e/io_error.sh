#!/usr/bin/env bash
# io_error: the writer meets I/O errors that are not a full disk: its 3rd
# fdatasync, its 40th block write, its 2nd segment seal and its 4th segment
# creation fail with EIO (--fault-fsync, --fault-write: the completions are
# failed as the kernel would fail them; --fault-seal: the seal's fsync;
# --fault-open: the creation).
# Each time the writer reports the error, counts the events of the blocks no
# fsync covered as lost (never acked), cuts the segment back to its last
# fsynced block and seals that; later chunks go to new segments. At exit:
# every sealed segment verifies, no .open is left, events = durable + lost,
# the segments hold exactly the durable events, each one a generator event
# stored once; the appliance recovered at once (few events lost, new segments
# after both errors).
NAME=io_error
source "$(dirname "$0")/common.sh"
make_tenants
"$GEN" --seed 77 --events 40000 --tenants "$T/tenants.conf" --pcap "$T/in.pcap" --out "$T/gen" \
	>"$T/gen.log" 2>&1 || fail "unmo-gen failed"

bounded 180 "$ING" -l 0-1 "${EAL[@]}" --vdev "net_pcap0,rx_pcap=$T/in.pcap" -- \
	--tenants "$T/tenants.conf" --out "$T/segs" --mac 02:00:00:00:00:01 --segment-mb 1 \
	--fault-fsync 3 --fault-write 40 --fault-seal 2 --fault-open 4 --exit-when-idle 3 --stats-json "$T/stats.json" \
	>"$T/ingest.log" 2>&1 || fail "unmo-ingest exited with $?"

grep -q "writer 0: fdatasync .*Input/output error" "$T/ingest.log" || fail "no fdatasync error reported"
grep -q "writer 0: write .*Input/output error" "$T/ingest.log" || fail "no write error reported"
grep -q "writer 0: seal: .*Input/output error" "$T/ingest.log" || fail "no seal error reported"
grep -q "writer 0: create .*Input/output error" "$T/ingest.log" || fail "no create error reported"
errors=$(json_get "$T/stats.json" 'sum(w["write_errors"] for w in s["writers"])')
events=$(json_get "$T/stats.json" 's["totals"]["events"]')
durable=$(json_get "$T/stats.json" 's["totals"]["events_durable"]')
lost=$(json_get "$T/stats.json" 's["totals"]["events_lost"]')
[ "$errors" -eq 4 ] || fail "write_errors $errors, want 4"
[ "$lost" -gt 0 ] || fail "four I/O errors but events_lost is 0"
[ "$events" -eq $((durable + lost)) ] || fail "events $events != durable $durable + lost $lost"

! ls "$T/segs"/*.open >/dev/null 2>&1 || fail ".open segment left: $(ls "$T/segs")"
"$SEG" verify "$T/segs" >"$T/verify.log" 2>&1 || fail "unmo-seg verify failed: $(tail -3 "$T/verify.log")"
stored_jsonl "$T/segs" "$T/stored.jsonl" || fail "unmo-seg cat failed"
python3 - "$T/gen/events.jsonl" "$T/stored.jsonl" "$durable" >"$T/check.log" 2>&1 <<'PY' || fail "$(cat "$T/check.log")"
import json, sys
from collections import Counter
def key(o):
    o.pop("recv_time_us", None)
    return json.dumps(o, sort_keys=True)
sent = [key(json.loads(l)) for l in open(sys.argv[1]) if l.strip()]
stored = Counter(key(json.loads(l)) for l in open(sys.argv[2]) if l.strip())
durable = int(sys.argv[3])
if sum(stored.values()) != durable:
    sys.exit(f"segments hold {sum(stored.values())} events, durable {durable}")
if any(n > 1 for n in stored.values()):
    sys.exit("an event is stored twice")
unknown = set(stored) - set(sent)
if unknown:
    sys.exit(f"{len(unknown)} stored events were never sent (corruption)")
print(f"{durable} durable events stored once each, every one of them sent")
PY
# Recovered at once: a transient error costs only the blocks no fsync covered
# (a 1 s back-off after each error used to lose every chunk meanwhile), and
# writing went on in new segments after the errors.
[ "$lost" -le $((events / 10)) ] || fail "lost $lost of $events events to four transient errors"
last=$(ls "$T/segs"/*.seg | sort | tail -1)
[[ "$last" =~ -0*([0-9]+)\.seg$ ]] && [ "${BASH_REMATCH[1]}" -gt 2 ] || fail "no segment after the broken ones: $(ls "$T/segs")"
echo "write errors $errors, events $events = durable $durable + lost $lost; $(cat "$T/check.log")"
echo "e2e: $NAME ok"
