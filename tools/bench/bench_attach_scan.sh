#!/bin/sh
# bench_attach_scan.sh - the attachment start scan at restart (issue #14):
# starts simpuld on a config STARTS times in a row, each time until its
# `attach: start scan` line (entries read, skipped by the marks, ms), and
# stops it with SIGTERM; prints each line with the load average. The
# first start of a store without marks reads every entry once and records
# the marks; the next ones read only what came since.
#
# usage: tools/bench/bench_attach_scan.sh BUILD_DIR CONFIG [STARTS]
#   e.g. on a copy of bench_index.sh's store (the node writes to it):
#   cp -a /tmp/simpul-bench-index/data-1000000 /tmp/copy
#   sed 's#/tmp/simpul-bench-index/data-1000000#/tmp/copy#' \
#       /tmp/simpul-bench-index/node-1000000.ini >/tmp/copy.ini
#   tools/bench/bench_attach_scan.sh build /tmp/copy.ini 3
set -eu

B=$(cd "${1:?build dir}" && pwd)
INI=${2:?config}
STARTS=${3:-2}
DATA=$(sed -n 's/^data *= *//p' "$INI" | head -1)
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT

i=0
while [ $i -lt "$STARTS" ]; do
	rm -f "$DATA/simpuld.addr"
	"$B/tools/simpuld" --config "$INI" >>"$LOG" 2>&1 &
	PID=$!
	while [ "$(grep -c 'attach: start scan' "$LOG" || true)" -le $i ]; do
		kill -0 "$PID" 2>/dev/null || { echo "simpuld died:" >&2; cat "$LOG" >&2; exit 1; }
		sleep 0.05
	done
	echo "start $((i + 1)): $(grep 'attach: start scan' "$LOG" | tail -1 | sed 's/.*attach: //') (load $(cut -d' ' -f1 /proc/loadavg))"
	kill -TERM "$PID"
	wait "$PID" || true
	i=$((i + 1))
done
