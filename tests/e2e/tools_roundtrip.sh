#!/usr/bin/env bash
# tools_roundtrip.sh — unmo-seg end to end with the built binaries:
# JSON lines -> import -> cat is byte-identical; stat/verify exit codes;
# a flipped byte is found by verify (exit 1, its offset named); a torn
# .open copy is recovered and then verifies.
# Env: BUILD (meson build dir), SRC (source dir). Prints "e2e: tools_roundtrip ok".
set -euo pipefail
BUILD=${BUILD:?BUILD must point at the meson build directory}
SEG=$BUILD/tools/unmo-seg
GEN=$BUILD/tools/unmo-gen
TEN=$BUILD/tools/unmo-tenant
W=$(mktemp -d /tmp/unmo-e2e-seg-XXXXXX)
trap 'rm -rf "$W"' EXIT
fail() { echo "e2e: tools_roundtrip FAILED: $*" >&2; exit 1; }
expect_rc() { # expect_rc WANT CMD... : runs CMD, checks its exit code
	local want=$1 rc=0; shift
	"$@" >"$W/out" 2>"$W/err" || rc=$?
	[ "$rc" -eq "$want" ] || { cat "$W/out" "$W/err" >&2; fail "'$*' exited $rc, want $want"; }
}

# 1. Input: the generator's events.jsonl when the tools exist, else an inline
#    generator writing the canonical form (members in schema order).
if [ -x "$GEN" ] && [ -x "$TEN" ]; then
	for app in com.techstart.mobile com.ecomgrowth.shop com.financetrack.pro; do
		"$TEN" add --file "$W/tenants.conf" --app "$app" --name "$app" >/dev/null
	done
	"$GEN" --seed 7 --events 20000 --tenants "$W/tenants.conf" --out "$W/gen" --quiet
	cp "$W/gen/events.jsonl" "$W/in.jsonl"
else
	types=(impression click install conversion session)
	for ((i = 1; i <= 20000; i++)); do
		t=${types[i % 5]}
		printf '{"event_id":"%032x","type":"%s","platform":"%s","event_time_us":%d,"country":"US","ip":"10.0.%d.%d","sender_id":%d,"sequence":%d,"app_id":"com.techstart.mobile","media_source":"net_%d","campaign":"c,\\"q\\"_%d","user_agent":"UA %d"}\n' \
			"$i" "$t" "$([ $((i % 2)) -eq 0 ] && echo ios || echo android)" $((1767571200000000 + i * 1000)) \
			$((i / 256 % 256)) $((i % 256)) $((i % 4 + 1)) "$i" $((i % 7)) $((i % 13)) $((i % 50))
	done >"$W/in.jsonl"
fi
lines=$(wc -l <"$W/in.jsonl")
[ "$lines" -ge 1000 ] || fail "input has only $lines lines"

# 2. import -> cat round trip, byte for byte (small blocks: many of them).
mkdir "$W/segs"
expect_rc 0 "$SEG" import --out "$W/segs" --prefix rt --block-bytes 8192 "$W/in.jsonl"
seg=$(ls "$W"/segs/rt-w0-*.seg)
[ "$(echo "$seg" | wc -l)" -eq 1 ] || fail "expected one segment, got: $seg"
"$SEG" cat "$W/segs" >"$W/back.jsonl" || fail "cat exited $?"
cmp "$W/in.jsonl" "$W/back.jsonl" || fail "cat output differs from the imported JSON lines"
# ... and again through stdin, a second segment in the same directory.
"$SEG" import --out "$W/segs" --prefix rt - <"$W/back.jsonl" 2>/dev/null || fail "import from stdin"
[ "$(ls "$W"/segs/*.seg | wc -l)" -eq 2 ] || fail "second import did not add a segment"
"$SEG" cat "$W/segs" >"$W/back2.jsonl"
cat "$W/in.jsonl" "$W/in.jsonl" | cmp - "$W/back2.jsonl" || fail "directory cat is not both segments in name order"
rm "$W"/segs/rt-w0-00000002.seg

# 3. stat and verify on good data.
expect_rc 0 "$SEG" stat "$seg"
grep -q "sealed .* $lines " "$W/out" || fail "stat does not show $lines records: $(cat "$W/out")"
expect_rc 0 "$SEG" stat --json "$W/segs"
grep -q "\"records\":$lines," "$W/out" || fail "stat --json: $(cat "$W/out")"
expect_rc 0 "$SEG" verify "$seg"
grep -q ": ok, sealed" "$W/out" || fail "verify: $(cat "$W/out")"
expect_rc 2 "$SEG" verify
expect_rc 2 "$SEG" frobnicate
expect_rc 3 "$SEG" verify "$W/does-not-exist.seg"
expect_rc 0 "$SEG" --help
expect_rc 0 "$SEG" --version

# 4. CSV: header row plus one row per event.
"$SEG" cat --format csv "$seg" >"$W/out.csv"
[ "$(head -1 "$W/out.csv" | tr -d '\r')" = "$(echo event_id type platform retargeting event_time_us recv_time_us revenue_micros currency country ip sender_id sequence app_id event_name advertising_id vendor_id customer_user_id media_source campaign adset site_id sub1 sub2 sub3 click_id user_agent app_version sdk_version | tr ' ' ,)" ] ||
	fail "csv header: $(head -1 "$W/out.csv")"
[ "$(wc -l <"$W/out.csv")" -eq $((lines + 1)) ] || fail "csv row count"

# 5. A flipped byte inside the 3rd block: verify exits 1 and names its offset.
off3=$(python3 - "$seg" <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read()
io = struct.unpack_from('<Q', d, len(d) - 16)[0]        # footer: index offset
print(struct.unpack_from('<Q', d, io + 40 + 2 * 40)[0])  # index entry 2: offset
PY
)
cp "$seg" "$W/bad.seg"
pos=$((off3 + 40))
printf '\x5a' | dd of="$W/bad.seg" bs=1 seek="$pos" conv=notrunc status=none
cmp -s "$seg" "$W/bad.seg" && fail "corruption did not change the file"
expect_rc 1 "$SEG" verify "$W/bad.seg"
grep -q "at offset $off3\$" "$W/out" || fail "verify did not name offset $off3: $(cat "$W/out")"
expect_rc 1 "$SEG" cat "$W/bad.seg"
[ "$(wc -l <"$W/out")" -lt "$lines" ] && [ "$(wc -l <"$W/out")" -gt $((lines / 2)) ] ||
	fail "cat of a damaged file should print every other block"

# 6. Torn .open copy (cut mid-block, after the trailer was dropped): recover, verify.
mkdir "$W/torn"
size=$(stat -c %s "$seg")
head -c $((size * 2 / 3)) "$seg" >"$W/torn/x-w0-00000001.seg.open"
expect_rc 1 "$SEG" verify "$W/torn/x-w0-00000001.seg.open" # torn tail is reported
expect_rc 0 "$SEG" recover "$W/torn"
grep -q "sealed, kept [1-9][0-9]* blocks" "$W/out" || fail "recover: $(cat "$W/out")"
[ ! -e "$W/torn/x-w0-00000001.seg.open" ] || fail ".open file still there after recover"
expect_rc 0 "$SEG" verify "$W/torn"
kept=$("$SEG" cat "$W/torn" | wc -l)
[ "$kept" -gt 0 ] && [ "$kept" -lt "$lines" ] || fail "recovered $kept of $lines events"
"$SEG" cat "$W/torn" | cmp - <(head -n "$kept" "$W/in.jsonl") || fail "recovered events are not a prefix"

# 7. Bad import lines: reported with line number, exit 1; --skip-bad exits 0.
printf '%s\n{"type":"nope"}\nnot json\n' "$(head -1 "$W/in.jsonl")" >"$W/bad.jsonl"
mkdir "$W/imp"
expect_rc 1 "$SEG" import --out "$W/imp" "$W/bad.jsonl"
grep -q "bad.jsonl:2: " "$W/err" && grep -q "bad.jsonl:3: " "$W/err" || fail "bad lines: $(cat "$W/err")"
expect_rc 0 "$SEG" import --out "$W/imp" --skip-bad "$W/bad.jsonl"
expect_rc 2 "$SEG" import "$W/bad.jsonl"

echo "e2e: tools_roundtrip ok"
