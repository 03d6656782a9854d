#!/bin/sh
# bench_track.sh - the track answer, GET /v1/reports/{id}, at 64
# connections (issue #14): builds given as simpuld binaries take turns on
# one store, each started fresh and measured after its `attach: start
# scan` line; prints requests/s, p50, p99, the CPU simpuld used per
# request (utime + stime from /proc/PID/stat around the run) and the load
# average. With --compare, fetches every id from each binary instead and
# compares the answers byte for byte (the open spans' duration_ms, the
# time of the request, masked).
#
# usage: tools/bench/bench_track.sh [--compare | --path PATH] CONFIG IDS ROUNDS SIMPULD...
#   --path PATH: measure GET PATH (e.g. '/v1/reports?holder=73.12')
#   instead of the track, the same way.
#   IDS: report ids, one a line (e.g. bench_index.sh's ids-N). The node
#   writes to its store: run it on a copy, e.g.
#   cp -a /tmp/simpul-bench-index/data-1000000 /tmp/copy
#   sed 's#/tmp/simpul-bench-index/data-1000000#/tmp/copy#' \
#       /tmp/simpul-bench-index/node-1000000.ini >/tmp/copy.ini
#   tools/bench/bench_track.sh /tmp/copy.ini ids 3 main/tools/simpuld build/tools/simpuld
set -eu
# shellcheck source=tools/bench/lib.sh
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"

COMPARE=0
[ "${1:-}" = --compare ] && { COMPARE=1; shift; }
QUERY=
[ "${1:-}" = --path ] && { QUERY=${2:?path}; shift 2; }
INI=${1:?config}
IDS=$(cd "$(dirname "${2:?ids}")" && pwd)/$(basename "$2")
ROUNDS=${3:?rounds}
shift 3
DATA=$(sed -n 's/^data *= *//p' "$INI" | head -1)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
bench_track_lua "$IDS" "$W/track.lua"

# start BIN: simpuld on INI, until its attachment scan is done; sets PID, ADDR
start() {
	rm -f "$DATA/simpuld.addr"
	: >"$W/log"
	"$1" --config "$INI" >"$W/log" 2>&1 &
	PID=$!
	until grep -q 'attach: start scan' "$W/log"; do
		kill -0 "$PID" 2>/dev/null || { echo "simpuld died:" >&2; cat "$W/log" >&2; exit 1; }
		sleep 0.1
	done
	ADDR=$(cat "$DATA/simpuld.addr")
}

stop() {
	kill -TERM "$PID"
	wait "$PID" || true
}

cpu() { awk '{print $14 + $15}' "/proc/$PID/stat"; }

r=0
while [ $r -lt "$ROUNDS" ]; do
	n=0
	for bin in "$@"; do
		n=$((n + 1))
		start "$bin"
		if [ $COMPARE = 1 ]; then
			while read -r id; do
				curl -s "http://$ADDR/v1/reports/$id"
			done <"$IDS" | sed -E 's/"end":null,"duration_ms":[0-9]+/"end":null,"duration_ms":X/g' \
				>"$W/answers.$n"
			stop
			[ $n = 1 ] || { cmp "$W/answers.1" "$W/answers.$n" && echo "$bin: identical to $1 ($(wc -l <"$IDS") ids)"; }
			continue
		fi
		load=$(cut -d' ' -f1 /proc/loadavg)
		t0=$(cpu)
		if [ -n "$QUERY" ]; then
			wrk -t2 -c64 -d10s --latency "http://$ADDR$QUERY" >"$W/wrk"
		else
			wrk -t2 -c64 -d10s --latency -s "$W/track.lua" "http://$ADDR" >"$W/wrk"
		fi
		t1=$(cpu)
		stop
		reqs=$(awk '/requests in/ {print $1}' "$W/wrk")
		echo "$bin: $(awk '/Requests\/sec/ {print $2}' "$W/wrk")/s" \
			"p50 $(awk '$1 == "50%" {print $2}' "$W/wrk") p99 $(awk '$1 == "99%" {print $2}' "$W/wrk")" \
			"CPU/request $(( (t1 - t0) * 1000000 / $(getconf CLK_TCK) / reqs )) us load $load" \
			"$(grep -E 'Non-2xx|Socket errors' "$W/wrk" | tr '\n' ' ')"
	done
	r=$((r + 1))
done
