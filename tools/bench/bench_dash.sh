#!/bin/sh
# bench_dash.sh - the coordinator's dashboard on the national node at scale
# (issue #15): starts simpuld on a copy of the store bench_index.sh filled
# (WORK_DIR/data-N, never modified: copied to BUILD_DIR/bench-dash once),
# then times GET /v1/dashboard (the coordinator's scope: every report, and
# a province's subtree) and /v1/dashboard/csv: the first request after the
# start, then REPEAT more of each; and the same after a new report is
# indexed (what a change costs).
#
# usage: tools/bench/bench_dash.sh BUILD_DIR N [WORK_DIR] [REPEAT]
#   e.g. tools/bench/bench_dash.sh build 100000 /work/bench-index 5
set -eu

B=$(cd "${1:?build dir}" && pwd)
N=${2:?number of reports}
W=$(cd "${3:-/tmp/simpul-bench-index}" && pwd)
REPEAT=${4:-5}
[ -d "$W/data-$N/store" ] || { echo "bench_dash.sh: no $W/data-$N: run bench_index.sh first" >&2; exit 2; }
OUT=$B/bench-dash
DATA=$OUT/data-$N
INI=$OUT/node-$N.ini
LOG=$OUT/node-$N.log
mkdir -p "$OUT"
[ -d "$DATA/store" ] || cp -a "$W/data-$N" "$DATA"

# shellcheck source=tools/bench/lib.sh
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"
bench_national_ini "$W" "$DATA" "$INI"

rm -f "$DATA/simpuld.addr"
: >"$LOG"
"$B/tools/simpuld" --config "$INI" >>"$LOG" 2>&1 &
PID=$!
trap 'kill -TERM $PID 2>/dev/null; wait $PID 2>/dev/null || true' EXIT
while [ ! -s "$DATA/simpuld.addr" ]; do
	kill -0 "$PID" 2>/dev/null || { echo "simpuld died: see $LOG" >&2; exit 1; }
	sleep 0.05
done
U=http://$(cat "$DATA/simpuld.addr")
echo "load: $(uptime)"

# cpu_ticks: simpuld's CPU time so far (user + system, all threads), in
# clock ticks (/proc/PID/stat fields 14 and 15)
cpu_ticks() {
	sed 's/.*) //' "/proc/$PID/stat" | awk '{print $12 + $13}'
}
HZ=$(getconf CLK_TCK)

# timed NAME PATH: seconds for one GET (must answer 200), the CPU seconds
# simpuld spent meanwhile (on a shared machine the wall time says little),
# and the size
timed() {
	c0=$(cpu_ticks)
	r=$(curl -s -o "$OUT/last" -w '%{http_code} %{time_total} %{size_download}' "$U$2")
	c1=$(cpu_ticks)
	set -- "$1" $r
	[ "$2" = 200 ] || { echo "$1: HTTP $2: $(head -c 300 "$OUT/last")" >&2; exit 1; }
	printf '%-44s %8.3f s  cpu %8.2f s  %9d bytes\n' "$1" "$3" \
		"$(echo "$c0 $c1 $HZ" | awk '{print ($2 - $1) / $3}')" "$4"
}
series() {
	timed "$1 (first)" "$2"
	i=0
	while [ $i -lt "$REPEAT" ]; do
		timed "$1 (again)" "$2"
		i=$((i + 1))
	done
}
series "GET /v1/dashboard" /v1/dashboard
series "GET /v1/dashboard?scope=73" "/v1/dashboard?scope=73"
series "GET /v1/dashboard/csv" /v1/dashboard/csv
series "GET /v1/dashboard/csv?scope=73" "/v1/dashboard/csv?scope=73"
