#!/bin/sh
# bench_audit.sh - `simpul audit` of a federation of N entries (default
# 1,000,000: the province of Sulawesi Selatan and its 24 kabupaten/kota,
# each with its own log of complaints verified, answered and rated, plus
# the coordinator's directory log, as tlog-tiles folders made by
# simpul-bench-auditgen), against 2 x one-core raw Ed25519 verify measured
# in the same run (simpul-bench --raw). The audit's whole wall time counts:
# reading, verifying every signature, tile and checkpoint, recomputing
# every report's state and writing JSON and HTML.
#
# usage: tools/bench/bench_audit.sh [BUILD_DIR] [ENTRIES]
# The generated logs are kept in BUILD_DIR/bench-audit and reused. Needs
# /usr/bin/time (apt-get install time) for the audit's CPU time: on a
# shared machine the per-CPU-second ratio is the one to compare.
set -eu
B=${1:-build}
N=${2:-1000000}
W=$B/bench-audit
SRC=$(cd "$(dirname "$0")/../.." && pwd)
if [ ! -f "$W/done.$N" ]; then
	rm -rf "$W"
	mkdir -p "$W"
	"$B/tools/simpul" federation init --wilayah "$SRC/config/wilayah.csv" --out "$W/fed" \
		--subset 73 >/dev/null
	"$B/tools/bench/simpul-bench-auditgen" --fed "$W/fed" --out "$W/logs" --entries "$N" \
		>"$W/at" 2>"$W/gen.log"
	touch "$W/done.$N"
fi
AT=$(sed -n 's/^at //p' "$W/at")
ROOT=$(sed -n 's/^root_vkey = //p' "$W/fed/federation.ini")
echo "load before: $(uptime)"
"$B/tools/bench/simpul-bench" --raw >"$W/raw.out"
RAW=$(sed -n 's/^raw: Ed25519 sign [0-9]*\/s, verify \([0-9]*\)\/s.*/\1/p' "$W/raw.out")
RAWCPU=$(sed -n 's/^raw: Ed25519 verify \([0-9]*\) per CPU-second.*/\1/p' "$W/raw.out")
T0=$(date +%s.%N)
# /usr/bin/time (Debian package time): the audit's CPU time, all threads
/usr/bin/time -f '%U %S' -o "$W/audit.cpu" "$B/tools/simpul" audit --root "$ROOT" \
	--tiles "$W/logs" --at "$AT" --quiet \
	--json "$W/audit.json" --html "$W/audit.html" --csv "$W/audit.csv" >"$W/audit.out" || true
T1=$(date +%s.%N)
CPU=$(awk 'END { print $1 + $2 }' "$W/audit.cpu")
echo "load after:  $(uptime)"
cat "$W/audit.out"
ENTRIES=$(sed -n 's/^  entries   \([0-9]*\) verified.*/\1/p' "$W/audit.out")
# Actions carry a second signature, which the state function checks: in
# this workload every verifikasi and tindak_lanjut (officer) and every
# rating (reporter key).
OFFICER=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i }
	$1 == "federation" { print $col["verified"] + $col["answered"] + $col["rated"] }' "$W/audit.csv")
awk -v n="$ENTRIES" -v o="$OFFICER" -v t0="$T0" -v t1="$T1" -v raw="$RAW" -v rawcpu="$RAWCPU" \
	-v cpu="$CPU" 'BEGIN {
	s = t1 - t0; r = n / s;
	printf "raw Ed25519 verify, one core: %d/s\n", raw;
	printf "simpul audit: %d entries in %.2f s wall = %.0f entries/s = %.2f x (2 x raw verify)\n",
		n, s, r, r / (2 * raw);
	printf "signatures checked: %d (entries) + %d (signed actions) = %.0f/s = %.2f x (2 x raw verify)\n",
		n, o, (n + o) / s, (n + o) / s / (2 * raw);
	# per CPU-second: what a shared machine does not change. On an idle
	# machine whose cores the audit keeps busy, the wall ratio above equals it.
	printf "per CPU-second: raw verify %d; audit %.1f s of CPU = %.0f entries = %.2f x raw, %.0f signatures = %.2f x raw\n",
		rawcpu, cpu, n / cpu, n / cpu / rawcpu, (n + o) / cpu, (n + o) / cpu / rawcpu;
}'
