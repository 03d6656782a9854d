#!/bin/sh
# bench_index.sh - the national node at national scale (issue #14): fills
# the store of the national coordinator's node (KEMENPANRB, holding every
# institution's log) with N reports and their trails (simpul-bench-index:
# signed entries stored through the store's ingest, not over HTTP), lets
# simpuld build its report index, restarts it, and prints: first index
# build, restart until a track answers, idle RSS, RSS under load, disk
# bytes per report, and p99 latency of a track and of each query shape at
# 64 connections (wrk), and the escalation pass.
#
# usage: tools/bench/bench_index.sh BUILD_DIR N [SECONDS_PER_FIGURE] [WORK_DIR]
#   e.g. tools/bench/bench_index.sh build 100000 10 /work/bench-index
# Needs wrk (apt-get install wrk). The filled store is kept in
# WORK_DIR/data-N and reused by a second run with the same N.
set -eu

B=$(cd "${1:?build dir}" && pwd)
N=${2:?number of reports}
DUR=${3:-10}
W=${4:-/tmp/simpul-bench-index}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
CONN=64
mkdir -p "$W"
W=$(cd "$W" && pwd)
DATA=$W/data-$N
INI=$W/node-$N.ini
LOG=$W/node-$N.log

command -v wrk >/dev/null || { echo "bench_index.sh: needs wrk (apt-get install wrk)" >&2; exit 2; }

if [ ! -f "$W/fed/federation.ini" ]; then
	"$B/tools/simpul" federation init --wilayah "$SRC/config/wilayah.csv" --out "$W/fed" >"$W/fedgen.out"
fi
if [ ! -d "$DATA/store" ]; then
	t0=$(date +%s.%N)
	"$B/tools/bench/simpul-bench-index" --fed "$W/fed" --data "$DATA" --reports "$N" >"$W/fill-$N.out"
	t1=$(date +%s.%N)
	echo "fill: $(tail -1 "$W/fill-$N.out") in $(echo "$t1 - $t0" | bc) s"
fi

# shellcheck source=tools/bench/lib.sh
. "$SRC/tools/bench/lib.sh"
bench_national_ini "$W" "$DATA" "$INI" "max_connections = 1024
max_connections_per_address = 256" "[deadlines]
escalate_s = 5"

PID=
start() {
	rm -f "$DATA/simpuld.addr"
	"$B/tools/simpuld" --config "$INI" >>"$LOG" 2>&1 &
	PID=$!
	while [ ! -s "$DATA/simpuld.addr" ]; do
		kill -0 "$PID" 2>/dev/null || { echo "simpuld died: see $LOG" >&2; exit 1; }
		sleep 0.01
	done
	ADDR=$(cat "$DATA/simpuld.addr")
}
stop() {
	kill -TERM "$PID"
	wait "$PID" || true
}
# CPU time simpuld used so far (user + system, all threads): less
# sensitive to a loaded machine than wall time
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$PID/stat"; }
rss_mb() { awk '/^VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$PID/status"; }
now_s() { date +%s.%N; }

# first start: the index is built from the logs (kept in the store from then on)
: >"$LOG"
t0=$(now_s)
start
t1=$(now_s)
build=$(sed -n 's/.*index \(rebuilt\|loaded\) reports=\([0-9]*\) ms=\([0-9]*\).*/\1 \2 reports in \3 ms/p' "$LOG" | tail -1)
echo "first start: index $build (process up in $(echo "$t1 - $t0" | bc) s, $(cpu_s) s of CPU, load $(cut -d' ' -f1 /proc/loadavg))"
# report ids spread over the whole index, for the track figure
: >"$W/ids-$N"
step=$((N / 40 + 1))
c=1
while [ $c -lt "$N" ]; do
	curl -s "http://$ADDR/v1/reports?limit=5&cursor=$c" | tr ',' '\n' |
		sed -n 's/.*"report_id": *"\([0-9a-f]*\)".*/\1/p' >>"$W/ids-$N"
	c=$((c + step))
done
ID=$(head -1 "$W/ids-$N")
stop

# restart: until a track answers; and the CPU time simpuld used until it
# listened (user + system, all threads: less sensitive to a loaded machine)
scans=$(grep -c 'attach: start scan' "$LOG" || true)
t0=$(now_s)
start
cpu=$(cpu_s)
while [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$ADDR/v1/reports/$ID")" != 200 ]; do
	sleep 0.005
done
t1=$(now_s)
echo "restart until a track answers: $(echo "$t1 - $t0" | bc) s ($(grep 'index loaded' "$LOG" | tail -1 | sed 's/.*reports: //'); ${cpu} s of CPU until listening; load $(cut -d' ' -f1 /proc/loadavg))"
# the attachment start scan (on a thread of its own; each log read from its
# mark: here the whole fill, which came after the first start's scan)
# competes with the queries: measure them after it
i=0
while [ "$(grep -c 'attach: start scan' "$LOG")" -le "$scans" ] && [ $i -lt 1200 ]; do
	sleep 0.1
	i=$((i + 1))
done
echo "attachment start scan: $(grep 'attach: start scan' "$LOG" | tail -1 | sed 's/.*attach: //')"
sleep 5
echo "idle RSS: $(rss_mb) MiB"
du_b=$(du -sb "$DATA/store" | cut -f1)
echo "disk: $du_b bytes, $((du_b / N)) bytes per report"

# sample RSS while wrk runs
PEAK=$W/peak-$N
echo 0 >"$PEAK"
(while kill -0 "$PID" 2>/dev/null; do
	r=$(rss_mb 2>/dev/null || echo 0)
	[ "$r" -gt "$(cat "$PEAK")" ] && echo "$r" >"$PEAK"
	sleep 0.5
done) &
SAMPLER=$!

bench_track_lua "$W/ids-$N" "$W/track.lua"

p99() { # name, then wrk arguments
	name=$1
	shift
	out=$(wrk -t2 -c$CONN -d"${DUR}s" --latency "$@")
	lat=$(echo "$out" | awk '$1 == "99%" {print $2}')
	rps=$(echo "$out" | awk '/^Requests\/sec/ {printf "%.0f", $2}')
	errs=$(echo "$out" | awk '/Non-2xx/ {print $NF} /Socket errors/ {print "socket:" $0}' | tr '\n' ' ')
	printf '%-58s p99 %-9s %6s req/s load %s%s\n' "$name" "$lat" "$rps" \
		"$(cut -d' ' -f1 /proc/loadavg)" "${errs:+ errors: $errs}"
}

U=http://$ADDR
p99 "track GET /v1/reports/{id}" -s "$W/track.lua" "$U"
p99 "institution=73.12&status=diterima" "$U/v1/reports?institution=73.12&status=diterima&limit=50"
p99 "holder=73.12" "$U/v1/reports?holder=73.12&limit=50"
p99 "holder=73.12&status=diterima (an inbox)" "$U/v1/reports?holder=73.12&status=diterima&limit=50"
p99 "holder=73&subtree=1 (province and its kab/kota)" "$U/v1/reports?holder=73&subtree=1&limit=50"
p99 "institution=73&overdue=1" "$U/v1/reports?institution=73&overdue=1&limit=50"
p99 "overdue=1 (national)" "$U/v1/reports?overdue=1&limit=50"
p99 "status=selesai" "$U/v1/reports?status=selesai&limit=50"
p99 "region=73.12" "$U/v1/reports?region=73.12&limit=50"
p99 "category=bansos&kind=aspirasi" "$U/v1/reports?category=bansos&kind=aspirasi&limit=50"
since=$(($(date +%s) * 1000 - 7 * 86400000))
p99 "since=<7 days ago>&region=73" "$U/v1/reports?since=$since&region=73&limit=50"
p99 "region=73.12&status=ditindaklanjuti&category=jalan" "$U/v1/reports?region=73.12&status=ditindaklanjuti&category=jalan&limit=50"
# combinations no composite list serves: the rarest list walked, the
# others checked on its rows or leapfrogged
p99 "holder=73&subtree=1&status=diterima" "$U/v1/reports?holder=73&subtree=1&status=diterima&limit=50"
p99 "region=73.12&status=ditindaklanjuti" "$U/v1/reports?region=73.12&status=ditindaklanjuti&limit=50"
p99 "category=jalan&status=tunda&kind=pengaduan" "$U/v1/reports?category=jalan&status=tunda&kind=pengaduan&limit=50"
p99 "no filter, page deep in the index" "$U/v1/reports?limit=50&cursor=$((N / 2))"
p99 "/v1/stats" "$U/v1/stats"
p99 "/v1/stats/institutions (counters)" "$U/v1/stats/institutions"
kill "$SAMPLER" 2>/dev/null || true
echo "RSS under load (peak): $(cat "$PEAK") MiB"
sleep 6
echo "escalation passes: $(grep 'escalation pass' "$LOG" | tail -3 | sed 's/.*reports: //' | tr '\n' ';')"
stop
