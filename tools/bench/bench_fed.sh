#!/bin/sh
# bench_fed.sh - propagation in a 40-node local federation of real simpuld
# processes on 127.0.0.1: the national coordinator (KEMENPANRB), one
# ministry (KEMENPU), the provinces Sulawesi Selatan (73) and Sulawesi
# Tenggara (74), all 24 kabupaten/kota of 73 and 12 of the 17 of 74, each
# node dialing its province (or the coordinator) and the coordinator, as
# `simpul federation up` sets them up.
#
# N complaints are submitted, one at a time at RATE per second, each at a
# random node (a wrong door: never the institution it is for) for a
# random kabupaten/kota of the 36 (region = its code, category jalan, so
# the directory routes it there). For each, the time from the submit's
# acknowledgement to its arrival at (a) that kabupaten/kota, (b) its
# province and (c) the coordinator is
#     indexed(node) - ack
# where indexed is the time the node itself put the report in its index,
# right after storing the replica batch that holds it (GET /v1/reports/{id}
# "indexed", ms, CLOCK_REALTIME of the same machine), and ack is the
# client's clock just before curl started plus curl's time_total (so ack
# is early by curl's own start-up, about 1-3 ms, and the latencies are
# that much high; a node may even index a report a few ms before the
# client has read the answer, when the machine is busy). Samples where the door is the node measured
# (the province or the coordinator took the complaint itself) are not
# propagation and are left out (counted). Prints p50/p90/p99/max of each,
# and the coordinator's CPU time and peer messages per complaint (inputs
# of simpul-sim: docs/simulation.md).
#
# usage: tools/bench/bench_fed.sh BUILD_DIR [N]    (a Release build)
#   RATE=4 (complaints per second), PORT_BASE=15000 (ports PORT_BASE..+107)
set -eu
BUILD=${1:?usage: bench_fed.sh BUILD_DIR [N]}
N=${2:-200}
RATE=${RATE:-4}
PORT_BASE=${PORT_BASE:-15000}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
SIMPUL="$BUILD/tools/simpul"
T=$(mktemp -d)
F="$T/fed"
trap '"$SIMPUL" federation down --dir "$F" >/dev/null 2>&1 || true; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM
"$SIMPUL" federation init --wilayah "$SRC/config/wilayah.csv" --out "$F" --subset 73 \
	--subset 74 --port-base "$PORT_BASE" >/dev/null

# The 40 nodes: 36 kabupaten/kota (the routing targets) and 4 others.
KAB=$( (awk -F, '$3 == "kabkota" && $1 ~ /^73\./ { print $1 }' "$SRC/config/wilayah.csv"
	awk -F, '$3 == "kabkota" && $1 ~ /^74\./ { print $1 }' "$SRC/config/wilayah.csv" |
	head -n 12) | tr '\n' ' ')
OTHERS="KEMENPANRB KEMENPU 73 74"
NODES=$(echo $OTHERS $KAB | tr ' ' ',')
"$SIMPUL" federation up --dir "$F" --nodes "$NODES" >"$T/up.out" || { cat "$T/up.out"; exit 1; }
set -- $OTHERS $KAB
NNODES=$#
NKAB=$(echo $KAB | wc -w)
now_ms() { date +%s%3N; }

# Ready: every session up (a kabupaten dials its province and the
# coordinator, the others the coordinator: each session is logged by both).
WANT=$((2 * (2 * NKAB + NNODES - NKAB - 1)))
i=0
while [ "$(cat "$F"/nodes/*/simpuld.log | grep -c 'session up')" -lt "$WANT" ]; do
	i=$((i + 1)); [ $i -lt 600 ] || { echo "sessions not up"; exit 1; }
	sleep 0.1
done
sleep 2
echo "federation: $NNODES nodes ($NKAB kabupaten/kota), $((WANT / 2)) sessions; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"

CPID=$(cat "$F/nodes/KEMENPANRB/simpuld.pid")
TCK=$(getconf CLK_TCK)
cpu() { awk -v t="$TCK" '{ printf "%.2f", ($14 + $15) / t }' "/proc/$CPID/stat"; }
CADDR=$(awk -v s="[institution" '$1 == s { id = $2 } id == "KEMENPANRB]" && $1 == "http" {
	sub("http://", "", $3); print $3; exit }' "$F/federation.ini")
msgs() { curl -s "http://$CADDR/metrics" | awk '/^simpul_peer_messages_total/ { s += $2 } END { print s + 0 }'; }
IDLE0=$(cpu)
sleep 5
CPU0=$(cpu)
MSG0=$(msgs)
IDLE=$(echo "($CPU0 - $IDLE0) / 5" | bc -l)

# The plan, drawn at once (so the loop below only submits): per complaint
# its door (any node but the target), the target, their addresses, the
# province's and the coordinator's.
awk -v s="[institution" '$1 == s { id = substr($2, 1, length($2) - 1) }
	$1 == "http" { sub("http://", "", $3); print id, $3 }' "$F/federation.ini" >"$T/addrs"
echo $OTHERS $KAB | awk -v n="$N" -v seed="${SEED:-$$}" -v nk="$NKAB" -v addrs="$T/addrs" '
	BEGIN { while ((getline l < addrs) > 0) { split(l, f, " "); a[f[1]] = f[2] } }
	{ for (i = 1; i <= NF; i++) node[i] = $i; nn = NF }
	END { srand(seed)
	      for (k = 1; k <= n; k++) {
		t = nn - nk + 1 + int(rand() * nk)
		do d = 1 + int(rand() * nn); while (d == t)
		p = substr(node[t], 1, 2)
		print k, node[d], a[node[d]], node[t], a[node[t]], p, a[p], a["KEMENPANRB"] } }' >"$T/plan"

# Submit: one at a time, the k-th at T0 + k/RATE s.
: >"$T/subs"
T0=$(now_ms)
while read -r k DOOR DA TGT TA P PA NA; do
	BODY="{\"kind\":\"pengaduan\",\"visibility\":\"publik\",\"category\":\"jalan\",\"region\":\"$TGT\",\"title\":\"Jalan rusak $k\",\"content\":\"Jalan berlubang di dekat pasar, laporan uji $k\"}"
	S=$(now_ms)
	R=$(curl -s -w '\n%{time_total}' -H 'Content-Type: application/json' -d "$BODY" "http://$DA/v1/reports")
	ID=${R#*\"report_id\":\"}
	ID=${ID%%\"*}
	case "$R" in *"\"routed_to\":\"$TGT\""*) ;; *) echo "submit $k at $DOOR failed: $R"; exit 1 ;; esac
	echo "$ID $DOOR $TGT $TA $P $PA $NA $S ${R##*
}" >>"$T/subs"
	W=$((T0 + k * 1000 / RATE - $(now_ms)))
	[ $W -le 0 ] || sleep "$(echo "$W / 1000" | bc -l)"
done <"$T/plan"
T1=$(now_ms)
sleep 2
CPU1=$(cpu)
MSG1=$(msgs)
printf 'submitted %d complaints in %.1f s (%.2f/s), each at a random node for a random kabupaten/kota\n' \
	"$N" "$(echo "($T1 - $T0) / 1000" | bc -l)" "$(echo "$N * 1000 / ($T1 - $T0)" | bc -l)"

# Arrival: each node's own record of when it indexed the report, asked
# of the three at once (stragglers are waited for until 60 s after the
# last submission; what has not arrived by then is counted as such).
arrivals() { # id addr...: their indexed times, "none" where not yet
	ID=$1; shift
	for A in "$@"; do echo "http://$A/v1/reports/$ID"; done | xargs curl -s -w '\n@@\n' |
		awk '/"indexed"/ { sub(/.*"indexed": */, ""); sub(/[^0-9].*/, ""); v = $0 }
		     /^@@$/ { print (v == "" ? "none" : v); v = "" }' | tr '\n' ' '
}
: >"$T/inst"; : >"$T/prov"; : >"$T/nat"
SKIPP=0; SKIPN=0
while read -r ID DOOR TGT TA P PA NA S TT; do
	ACK=$(echo "$S $TT" | awk '{ printf "%.0f", $1 + $2 * 1000 }')
	while :; do
		set -- $(arrivals "$ID" "$TA" "$PA" "$NA")
		case "$*" in *none*) ;; *) break ;; esac
		[ "$(now_ms)" -lt $((T1 + 60000)) ] || break
		sleep 0.1
	done
	echo "$1 $ACK" >>"$T/inst"
	if [ "$DOOR" = "$P" ]; then SKIPP=$((SKIPP + 1)); else echo "$2 $ACK" >>"$T/prov"; fi
	if [ "$DOOR" = KEMENPANRB ]; then SKIPN=$((SKIPN + 1)); else echo "$3 $ACK" >>"$T/nat"; fi
done <"$T/subs"

stats() { # name file
	MISS=$(grep -c '^none' "$2" || true)
	grep -v '^none' "$2" | awk '{ print $1 - $2 }' | sort -n | awk -v name="$1" -v miss="$MISS" '
		{ v[NR] = $1 }
		function q(p,  i) { i = int(p * NR + 0.999999); if (i < 1) i = 1; return v[i] }
		END { printf "%-28s n=%d p50 %.0f ms  p90 %.0f ms  p99 %.0f ms  max %.0f ms  (min %.0f; not arrived 60 s after the last submission: %d)\n",
			name, NR, q(0.50), q(0.90), q(0.99), v[NR], v[1], miss }'
}
echo "from the submit's acknowledgement to arrival (the node's own 'indexed' time, 1 ms resolution):"
stats "(a) institution (kab/kota)" "$T/inst"
stats "(b) its province" "$T/prov"
stats "(c) national (KEMENPANRB)" "$T/nat"
echo "left out: $SKIPP submitted at the province itself, $SKIPN at the coordinator itself"
BUSY=$(echo "$CPU1 - $CPU0 - $IDLE * (($T1 - $T0) / 1000 + 2)" | bc -l)
printf 'coordinator CPU: idle %.1f ms/s; %.2f s over the run and 2 s after, %.2f s above idle = %.2f ms per complaint\n' \
	"$(echo "$IDLE * 1000" | bc -l)" "$(echo "$CPU1 - $CPU0" | bc -l)" "$BUSY" \
	"$(echo "$BUSY * 1000 / $N" | bc -l)"
printf 'coordinator peer messages (in + out): %.1f per complaint; CPU above idle per message: %.0f us\n' \
	"$(echo "($MSG1 - $MSG0) / $N" | bc -l)" "$(echo "$BUSY * 1000000 / ($MSG1 - $MSG0)" | bc -l)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
