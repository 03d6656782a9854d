#!/usr/bin/env bash
# soak_kill9.sh - kill -9 under load: CYCLES times, CLIENTS concurrent
# clients submit reports to a node (Kabupaten Soppeng in a Sulawesi Selatan
# federation) while it is killed with SIGKILL at a random moment and started
# again. Every report the node acknowledged (201) must be there after the
# last restart, and the log must verify.
# Usage: tools/bench/soak_kill9.sh BUILD_DIR [CYCLES] [CLIENTS]
# Prints: cycles, acknowledged, lost, log verify; exits 1 if anything is lost
# or the log does not verify. ctest runs a short version (soak_kill9_short).
set -euo pipefail
BUILD=$(cd "${1:?usage: soak_kill9.sh BUILD_DIR [CYCLES] [CLIENTS]}" && pwd)
CYCLES=${2:-20}
CLIENTS=${3:-8}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tools/bench/lib.sh
. "$SRC/tools/bench/lib.sh"
T=$(mktemp -d /tmp/simpul-soak.XXXXXX)
PID=""
cleanup() {
	local rc=$?
	set +e
	[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
	jobs -p | xargs -r kill 2>/dev/null
	wait 2>/dev/null
	rm -rf "$T"
	exit "$rc"
}
trap cleanup EXIT

bench_soppeng_node "$BUILD" "$SRC" "$T"

start() {
	rm -f "$T/data/simpuld.addr"
	"$BUILD/tools/simpuld" --config "$T/simpuld.ini" 2>>"$T/node.log" &
	PID=$!
	for _ in $(seq 200); do [ -s "$T/data/simpuld.addr" ] && break; sleep 0.05; done
	cat "$T/data/simpuld.addr" >"$T/addr"
}

# client N: submits until told to stop; the id of every 201 goes to acked.N.
client() {
	local n=$1 body
	body='{"kind":"pengaduan","visibility":"publik","category":"jalan","region":"73.12.03",'
	body+='"title":"Jalan rusak","content":"Jalan poros berlubang, klien '$n'"}'
	while [ ! -e "$T/stop" ]; do
		curl -s -m 5 -H 'Content-Type: application/json' -d "$body" \
			"http://$(cat "$T/addr")/v1/reports" 2>/dev/null |
			sed -n 's/.*"report_id":"\([0-9a-f]\{64\}\)".*/\1/p' >>"$T/acked.$n" || true
	done
}

start
for n in $(seq "$CLIENTS"); do client "$n" & done
for c in $(seq "$CYCLES"); do
	sleep "$(awk -v s="$RANDOM" 'BEGIN {srand(s); printf "%.2f", 0.5 + rand() * 1.5}')"
	kill -9 "$PID"
	wait "$PID" 2>/dev/null || true
	start
done
touch "$T/stop"
wait $(jobs -p | grep -v "^$PID$") 2>/dev/null || true
sleep 1
ACKED=$(cat "$T"/acked.* 2>/dev/null | sort -u | wc -l)
LOST=0
ADDR=$(cat "$T/addr")
for id in $(cat "$T"/acked.* | sort -u); do
	code=$(curl -s -o /dev/null -w '%{http_code}' "http://$ADDR/v1/reports/$id")
	[ "$code" = 200 ] || LOST=$((LOST + 1))
done
kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
if "$BUILD/tools/simpul" log verify --data "$T/data/store" >"$T/verify.out" 2>&1; then
	VERIFY=ok
else
	VERIFY="FAILED ($(tail -1 "$T/verify.out"))"
fi
echo "cycles $CYCLES, clients $CLIENTS, acknowledged $ACKED, lost $LOST, log verify $VERIFY"
if [ "$LOST" = 0 ] && [ "$VERIFY" = ok ] && [ "$ACKED" -gt 0 ]; then exit 0; fi
exit 1
