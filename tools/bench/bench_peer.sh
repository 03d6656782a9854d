#!/bin/sh
# bench_peer.sh - replication between two real simpuld nodes on 127.0.0.1:
# node A (73.12) holds N entries (bulk-filled with `simpul log append`),
# node B (73, its parent) starts empty and dials A; the script times until
# B holds all N (every entry's signature checked by B's store), and prints
# entries/s next to the raw Ed25519 verify rate measured in the same run
# (simpul-bench's raw lines: one core, and both CPUs verifying at once,
# before the nodes start and right after the catch-up; the ratios use the faster
# of the two, as the machine may be shared; and its store-only replica
# ingest for comparison), A's CPU time serving (its start apart) and B's,
# bytes on the wire per entry against the entry size, and the idle
# traffic on the link afterwards.
#
# usage: tools/bench/bench_peer.sh BUILD_DIR [N]   (a Release build)
set -eu
BUILD=${1:?usage: bench_peer.sh BUILD_DIR [N]}
N=${2:-100000}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d)
trap 'kill $PA $PB 2>/dev/null || true; rm -rf "$T"' EXIT
PA=; PB=
"$BUILD/tools/simpul" federation init --wilayah "$SRC/config/wilayah.csv" --out "$T/fed" \
	--subset 73 >/dev/null
ROOT=$(sed -n 's/^root_vkey = //p' "$T/fed/federation.ini")
conf() { # id listen peers
	mkdir -p "$T/$1/data"
	cat >"$T/$1/simpuld.ini" <<INI
[node]
id = $1
federation = simpul.local
key = $T/fed/keys/$1.key
seal_key = $T/fed/keys/$1.seal
data = $T/$1/data
[http]
listen = 127.0.0.1:0
rate_limit = 0
[peer]
listen = $2
peers = $3
[federation]
root_key = $ROOT
directory = $T/fed
INI
}
waitfile() { i=0; while [ ! -s "$1" ]; do i=$((i + 1)); [ $i -lt 300 ] || exit 1; sleep 0.05; done; }
conf 73.12 tcp://127.0.0.1:0 ""
"$BUILD/tools/simpul" log append --data "$T/73.12/data/store" --key "$T/fed/keys/73.12.key" \
	--origin simpul.local/73.12 --count "$N" --text "laporan uji replikasi" >/dev/null
RAW0=$("$BUILD/tools/bench/simpul-bench" --raw | grep -E '^raw')
"$BUILD/tools/simpuld" --config "$T/73.12/simpuld.ini" 2>"$T/a.log" & PA=$!
waitfile "$T/73.12/data/simpuld.peer"
conf 73 "" "$(cat "$T/73.12/data/simpuld.peer")"
TCK=$(getconf CLK_TCK)
cputime() { awk -v t="$TCK" '{ printf "%.2f", ($14 + $15) / t }' "/proc/$1/stat"; }
ACPU0=$(cputime $PA) # A's start
# CPU time the whole machine spent busy (user, nice, system, irq, softirq)
# and stolen by the hypervisor, in seconds: what the nodes did not use of
# it was other processes' (the machine may be shared).
busy() { awk -v t="$TCK" '/^cpu / { printf "%.2f %.2f", ($2 + $3 + $4 + $7 + $8) / t, $9 / t }' /proc/stat; }
BUSY0=$(busy)
START=$(date +%s.%N)
"$BUILD/tools/simpuld" --config "$T/73/simpuld.ini" 2>"$T/b.log" & PB=$!
waitfile "$T/73/data/simpuld.addr"
B=$(cat "$T/73/data/simpuld.addr")
BCPU0=$(cputime $PB) # B's start, until its HTTP API listens
# Samples (time, size) while B catches up, every 200 ms, by simpul-watch
# (one process; a shell loop of curl, sed and date cost ~44 ms of CPU per
# sample here, taken from the nodes): the steady rate is taken between the
# first sample with entries and the last one before the end, so B's start
# and the polling interval do not count against it.
W=$("$BUILD/tools/bench/simpul-watch" "$B" simpul.local/73.12 "$N" 200)
read -r T1 S1 T2 S2 END <<EOF
$W
EOF
BUSY1=$(busy)
RAW1=$("$BUILD/tools/bench/simpul-bench" --raw | grep -E '^raw') # at once, the nodes idle
SECS=$(echo "$END - $START" | bc -l)
RATE=$(echo "($S2 - $S1) / ($T2 - $T1)" | bc -l)
BYTES=$(curl -s "http://$B/metrics" | sed -n 's/^simpul_peer_bytes_total{dir="in"} //p')
printf 'catch-up of %d entries: %.2f s (from B starting, handshake included)\n' "$N" "$SECS"
printf 'replication rate, steady (%d to %d entries in %.2f s): %.0f entries/s\n' "$S1" "$S2" \
	"$(echo "$T2 - $T1" | bc -l)" "$RATE"
CPU=$(echo "$(cputime $PB) - $BCPU0" | bc -l)
A=$(cat "$T/73.12/data/simpuld.addr")
ESIZE=$(curl -s "http://$A/logs/73.12/tile/entries/000" | wc -c)
ESIZE=$(echo "($ESIZE - 512) / 256" | bc -l)
printf 'bytes received by B: %s = %.0f per entry, entries %.0f bytes: %.2f x entry size\n' \
	"$BYTES" "$(echo "$BYTES / $N" | bc -l)" "$ESIZE" "$(echo "$BYTES / $N / $ESIZE" | bc -l)"
printf 'B catching up: %.2f CPU-seconds (%.1f us per entry; its start before: %s)\n' "$CPU" \
	"$(echo "$CPU * 1000000 / $N" | bc -l)" "$BCPU0"
ACPU=$(echo "$(cputime $PA) - $ACPU0" | bc -l)
printf 'A serving: %.2f CPU-seconds (%.1f us per entry; its start before: %s)\n' "$ACPU" \
	"$(echo "$ACPU * 1000000 / $N" | bc -l)" "$ACPU0"
sleep 1
I0=$(curl -s "http://$B/metrics" | awk '/^simpul_peer_bytes_total/ { s += $2 } END { print s }')
sleep 10
I1=$(curl -s "http://$B/metrics" | awk '/^simpul_peer_bytes_total/ { s += $2 } END { print s }')
OTHER=$(echo "${BUSY1% *} - ${BUSY0% *} - $CPU - $ACPU" | bc -l)
STEAL=$(echo "${BUSY1#* } - ${BUSY0#* }" | bc -l)
printf 'other processes during the catch-up: %.2f CPU-seconds of %.2f (2 CPUs), stolen %.2f\n' \
	"$OTHER" "$(echo "2 * $SECS" | bc -l)" "$STEAL"
printf 'idle link, both directions: %.0f bytes/s\n' "$(echo "($I1 - $I0) / 10" | bc -l)"
kill $PA $PB; wait $PA $PB 2>/dev/null || true; PA=; PB=
echo "$RAW0" | sed 's/^raw: /before, raw: /'
echo "$RAW1" | sed 's/^raw: /after, raw: /'
"$BUILD/tools/bench/simpul-bench" --entries 10000 --dir "$T/sb" --simpul "$BUILD/tools/simpul" |
	grep -E '^replica ingest'
max() { if [ "$1" -gt "$2" ]; then echo "$1"; else echo "$2"; fi; }
one() { echo "$1" | sed -n 's/.*verify \([0-9]*\)\/s (one core).*/\1/p'; }
all() { echo "$1" | sed -n 's/.*CPUs at once \([0-9]*\)\/s.*/\1/p'; }
V=$(max "$(one "$RAW0")" "$(one "$RAW1")")
VA=$(max "$(all "$RAW0")" "$(all "$RAW1")")
printf 'replication = %.2f x (2 x raw verify %s/s) (target >= 0.70)\n' "$(echo "$RATE / (2 * $V)" | bc -l)" "$V"
printf '            = %.2f x (raw verify on both CPUs at once, %s/s)\n' "$(echo "$RATE / $VA" | bc -l)" "$VA"
# What the CPU the nodes used allows, whatever else ran on the machine:
# both CPUs busy with A and B only, at their measured CPU per entry.
printf 'A + B CPU per entry %.1f us, one-core verify %.1f us: at most %.2f x on 2 CPUs\n' \
	"$(echo "($CPU + $ACPU) * 1000000 / $N" | bc -l)" "$(echo "1000000 / $V" | bc -l)" \
	"$(echo "$N / ($CPU + $ACPU) / $V" | bc -l)"
