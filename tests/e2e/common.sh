# common.sh — shared set-up for the appliance's end-to-end tests (sourced).
# Each test: self-contained temp dir, bounded in time, everything it started
# (processes, network namespaces) removed by the EXIT trap.
set -euo pipefail
: "${BUILD:?BUILD must point at the meson build dir}" "${SRC:?SRC must point at the source dir}"
ING=$BUILD/app/unmo-ingest
GEN=$BUILD/tools/unmo-gen
SEG=$BUILD/tools/unmo-seg
TEN=$BUILD/tools/unmo-tenant
for b in "$ING" "$GEN" "$SEG" "$TEN"; do
	[ -x "$b" ] || { echo "e2e: $NAME FAILED: missing binary $b"; exit 1; }
done
T=$(mktemp -d /tmp/unmo-e2e-$NAME.XXXXXX)
PIDS=()
NETNS=()
cleanup() {
	local rc=$?
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	for n in "${NETNS[@]}"; do ip netns del "$n" 2>/dev/null || true; done
	if [ $rc -ne 0 ]; then
		echo "e2e: $NAME: logs kept in $T"
		for f in "$T"/*.log; do [ -f "$f" ] && { echo "--- $f"; tail -40 "$f"; }; done
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
fail() { echo "e2e: $NAME FAILED: $*"; exit 1; }

# EAL arguments for this machine: no hugepages, no PCI, private config.
EAL=(--no-huge -m 1024 --no-pci --no-shconf --file-prefix "unmo$$" --log-level 'lib.eal:warning')

# tenants.conf with the brief's three tenant apps.
make_tenants() {
	"$TEN" add --file "$T/tenants.conf" --app com.techstart.mobile --name TechStart >"$T/tenant.log"
	"$TEN" add --file "$T/tenants.conf" --app com.ecomgrowth.shop --name EcomGrowth >>"$T/tenant.log"
	"$TEN" add --file "$T/tenants.conf" --app com.financetrack.pro --name FinanceTrack >>"$T/tenant.log"
}

# json_get FILE EXPR: a value from the --stats-json file (python expression on s).
json_get() { python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print($2)" "$1"; }

# compare_events EXPECTED.jsonl ACTUAL.jsonl: same multiset of events, field
# for field, ignoring recv_time_us (set by the appliance's clock).
compare_events() {
	python3 - "$1" "$2" <<'PY'
import json, sys
from collections import Counter
def load(p):
    c = Counter()
    for line in open(p):
        if line.strip():
            o = json.loads(line); o.pop("recv_time_us", None)
            c[json.dumps(o, sort_keys=True)] += 1
    return c
e, a = load(sys.argv[1]), load(sys.argv[2])
if e != a:
    miss, extra = e - a, a - e
    print(f"expected {sum(e.values())} events, got {sum(a.values())}; "
          f"{sum(miss.values())} missing, {sum(extra.values())} unexpected")
    for k in list(miss)[:3]: print("  missing:", k[:300])
    for k in list(extra)[:3]: print("  unexpected:", k[:300])
    sys.exit(1)
print(f"{sum(e.values())} events identical")
PY
}

# wait_for FILE PATTERN SECONDS
wait_for() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}

# acked_stored EVENTS.jsonl ACKS.pcap STORED.jsonl: every event whose binary
# frame (sender_id, sequence) an ack in ACKS.pcap declares durable is in
# STORED.jsonl. Prints "N acked events stored (of M acked frames)".
acked_stored() {
	python3 - "$1" "$2" "$3" <<'PY'
import json, struct, sys
def frames(path):
    d = open(path, "rb").read()
    if len(d) < 24: return
    end = "<" if d[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    off = 24
    while off + 16 <= len(d):
        _, _, incl, _ = struct.unpack(end + "IIII", d[off:off + 16]); off += 16
        yield d[off:off + incl]; off += incl
acked = {}  # sender -> (cum, set of extra)
n_acks = 0
for f in frames(sys.argv[2]):
    et = f[12:14]; o = 14
    while et in (b"\x81\x00", b"\x88\xa8"): et = f[o + 2:o + 4]; o += 4
    if et == b"\x08\x00": o += (f[o] & 15) * 4
    elif et == b"\x86\xdd": o += 40
    else: continue
    p = f[o + 8:]
    if len(p) < 48 or p[:4] != b"UMOA": continue
    key, sender, cum, bm = struct.unpack("<QQQQ", p[8:40])
    n_acks += 1
    c, extra = acked.get(sender, (0, set()))
    extra |= {cum + 1 + i for i in range(64) if bm >> i & 1}
    acked[sender] = (max(c, cum), extra)
def is_acked(s, q):
    if s not in acked: return False
    c, extra = acked[s]
    return q < c or q in extra
stored = set()
for line in open(sys.argv[3]):
    if line.strip():
        o = json.loads(line); o.pop("recv_time_us", None); stored.add(json.dumps(o, sort_keys=True))
want = missing = 0
for line in open(sys.argv[1]):
    if not line.strip(): continue
    o = json.loads(line)
    if not o.get("sender_id") or not is_acked(o["sender_id"], o.get("sequence", 0)): continue
    want += 1
    o.pop("recv_time_us", None)
    if json.dumps(o, sort_keys=True) not in stored:
        missing += 1
        if missing <= 3: print("acked but not stored:", json.dumps(o)[:300])
if n_acks == 0 or want == 0:
    print(f"no acknowledged events to check ({n_acks} acks)"); sys.exit(1)
if missing:
    print(f"{missing} of {want} acknowledged events missing"); sys.exit(1)
print(f"{want} acknowledged events stored ({n_acks} acks from {len(acked)} senders)")
PY
}

# stored_count DIR: records in the sealed segments (unmo-seg cat, one line each).
stored_jsonl() { "$SEG" cat --format json "$1" >"$2"; }

# bounded SECONDS CMD...: run CMD (a function or program) with a deadline;
# returns its status, or 124 after killing it at the deadline.
bounded() {
	local secs=$1 p i
	shift
	"$@" &
	p=$!
	PIDS+=("$p")
	for ((i = 0; i < secs * 10; i++)); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$p" 2>/dev/null; then
		kill -KILL "$p"
		wait "$p" 2>/dev/null
		return 124
	fi
	wait "$p"
}
