#!/usr/bin/env bash
# demo.sh — the main job end to end on a built-in default (no NIC, no hugepages):
#   1. install packages, build (release);
#   2. onboard the brief's three tenant apps (unmo-tenant add);
#   3. generate one simulated day of their traffic (225,000 events, binary and HTTP-lite
#      frames, plus a few malformed datagrams) as a pcap with unmo-gen;
#   4. run the appliance unmo-ingest on DPDK's net_pcap vdev replaying that pcap
#      (--no-huge -m 1024 --no-pci --no-shconf, 2 lcores) until the stream ends;
#   5. show what was persisted: segment stats, verification, sample events, and check
#      the stored events against the generator's list;
#   6. attribute installs and conversions with unmo-attr and print the report.
# Env: OUT (work dir, default /tmp/unmo-demo), EVENTS (225000), SEED (42).
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
OUT=${OUT:-/tmp/unmo-demo}
EVENTS=${EVENTS:-225000}
SEED=${SEED:-42}

bash deploy/install-deps.sh
[ -d build ] || meson setup build -Dbuildtype=release >/dev/null
ninja -C build >/dev/null
B=$SRC/build

rm -rf "$OUT" && mkdir -p "$OUT"
cd "$OUT"
say() { printf '\n=== %s\n' "$*"; }

say "onboarding the brief's tenant apps"
"$B/tools/unmo-tenant" add --file tenants.conf --app com.techstart.mobile --name TechStart_Mobile >/dev/null
"$B/tools/unmo-tenant" add --file tenants.conf --app com.ecomgrowth.shop --name EcomGrowth_Labs >/dev/null
"$B/tools/unmo-tenant" add --file tenants.conf --app com.financetrack.pro --name FinanceTrack_Pro >/dev/null
"$B/tools/unmo-tenant" list --file tenants.conf

say "generating one simulated day of traffic ($EVENTS events, seed $SEED)"
"$B/tools/unmo-gen" --seed "$SEED" --events "$EVENTS" --tenants tenants.conf \
	--pcap traffic.pcap --out truth --malformed 25

say "running unmo-ingest on net_pcap (no NIC, no hugepages)"
"$B/app/unmo-ingest" -l 0,1 --no-huge -m 1024 --no-pci --no-shconf --log-level=*:warning \
	--vdev "net_pcap0,rx_pcap=$OUT/traffic.pcap" -- \
	--mac 02:00:00:00:00:01 --tenants tenants.conf --out segments --exit-when-idle 2 --stats-json stats.json

say "what was persisted"
"$B/tools/unmo-seg" stat segments
"$B/tools/unmo-seg" verify segments
echo "first stored event:"
"$B/tools/unmo-seg" cat segments | head -n 1 || true  # head closes the pipe early

stored=$("$B/tools/unmo-seg" cat segments | wc -l)
sent=$(wc -l <truth/events.jsonl)
echo "events sent by the generator: $sent, stored in sealed segments: $stored"
[ "$stored" -eq "$sent" ] || { echo "demo: MISMATCH" >&2; exit 1; }

say "attribution (unmo-attr, last touch, default windows)"
"$B/tools/unmo-attr" --out attr --rows 15 segments
echo
echo "demo ok: files in $OUT (segments/, attr/report.csv, attr/installs.csv, stats.json)"
