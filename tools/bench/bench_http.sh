#!/usr/bin/env bash
# bench_http.sh - simpuld over HTTP on loopback, measured with wrk:
#   durable submits (POST /v1/reports, each answered only after fsync),
#   reads (tracking a report, the checkpoint, a full hash tile, status),
#   and the idle node's resident memory on the default config.
# Usage: tools/bench/bench_http.sh BUILD_DIR [SECONDS]
# Prints one line per figure; docs/BENCHMARKS.md records them.
set -euo pipefail
BUILD=$(cd "${1:?usage: bench_http.sh BUILD_DIR [SECONDS]}" && pwd)
SECS=${2:-15}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tools/bench/lib.sh
. "$SRC/tools/bench/lib.sh"
command -v wrk >/dev/null || { echo "bench_http: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
T=$(mktemp -d /tmp/simpul-bench-http.XXXXXX)
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$T"; }
trap cleanup EXIT

# The idle node on the built-in default config (the 50 MB target).
"$BUILD/tools/simpuld" --default --dir "$T/default" --http 127.0.0.1:0 --log-level warn \
	2>"$T/default.log" &
PID=$!
for _ in $(seq 100); do [ -s "$T/default/data/simpuld.addr" ] && break; sleep 0.1; done
sleep 2
echo "idle node, built-in default config: RSS $(($(awk '/VmRSS/ {print $2}' /proc/$PID/status) / 1024)) MiB"
kill "$PID"; wait "$PID" || true; PID=""

# A small federation (Sulawesi Selatan) and the node of Kabupaten Soppeng.
bench_soppeng_node "$BUILD" "$SRC" "$T" "threads = 4
max_connections_per_address = 256"
"$BUILD/tools/simpuld" --config "$T/simpuld.ini" 2>"$T/node.log" &
PID=$!
for _ in $(seq 100); do [ -s "$T/data/simpuld.addr" ] && break; sleep 0.1; done
ADDR=$(cat "$T/data/simpuld.addr")
URL="http://$ADDR"

cat >"$T/submit.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"kind":"pengaduan","visibility":"publik","category":"jalan",' ..
  '"region":"73.12.03","title":"Jalan rusak di Kecamatan Lilirilau",' ..
  '"content":"Jalan poros desa berlubang dan tergenang air sejak dua minggu, ' ..
  'membahayakan pengendara motor dan anak sekolah.","name":"Warga",' ..
  '"contact":"0812-0000-0000","channel":"web"}'
LUA
# wrk prints latency percentiles with --latency; pick rate and p99.
run() { # name, connections, extra wrk args...
	local name=$1 conns=$2; shift 2
	local out; out=$(wrk -t2 -c"$conns" -d"${SECS}s" --latency "$@")
	local rate p99 non2xx
	rate=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
	p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
	non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
	printf '%-34s %10.0f req/s  p99 %8s  (%d connections%s)\n' "$name" "$rate" "$p99" "$conns" \
		"${non2xx:+, non-2xx $non2xx}"
}
RSS0=$(awk '/VmRSS/ {print $2}' /proc/$PID/status)
echo "idle node with a directory (Sulawesi Selatan), empty log: RSS $((RSS0 / 1024)) MiB"
run "POST /v1/reports (durable)" 32 -s "$T/submit.lua" "$URL/v1/reports"
run "POST /v1/reports (durable)" 64 -s "$T/submit.lua" "$URL/v1/reports"
ID=$(curl -fsS -X POST -H 'Content-Type: application/json' --data \
	'{"kind":"pengaduan","visibility":"publik","category":"jalan","region":"73.12.03","title":"t","content":"c"}' \
	"$URL/v1/reports" | sed -n 's/.*"report_id": *"\([0-9a-f]*\)".*/\1/p')
SIZE=$(curl -fsS "$URL/v1/status" | sed -n 's/.*"size": *\([0-9]*\).*/\1/p' | head -1)
echo "log size after the submit run: $SIZE entries"
run "GET /v1/reports/{id} (track)" 64 "$URL/v1/reports/$ID"
run "GET /logs/73.12/checkpoint" 64 "$URL/logs/73.12/checkpoint"
run "GET /logs/73.12/tile/0/000 (full)" 64 "$URL/logs/73.12/tile/0/000"
run "GET /v1/status" 64 "$URL/v1/status"
sleep 2
RSS1=$(awk '/VmRSS/ {print $2}' /proc/$PID/status)
echo "node after the runs, idle again: RSS $((RSS1 / 1024)) MiB"
