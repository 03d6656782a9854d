#!/usr/bin/env bash
# bench_json_flood.sh - what a JSON bomb costs a node: N concurrent POSTs
# of a 1 MiB body of "{}," (a cheap body that makes a JSON parser build
# one object per 3 bytes) to /v1/reports, then the node's peak and current
# resident memory, and whether it still answers.
# Usage: tools/bench/bench_json_flood.sh BUILD_DIR [CLIENTS]
# Prints one line per figure; docs/BENCHMARKS.md records them.
set -euo pipefail
BUILD=$(cd "${1:?usage: bench_json_flood.sh BUILD_DIR [CLIENTS]}" && pwd)
N=${2:-16}
T=$(mktemp -d /tmp/simpul-bench-json.XXXXXX)
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$T"; }
trap cleanup EXIT

"$BUILD/tools/simpuld" --default --dir "$T/node" --http 127.0.0.1:0 --log-level warn \
	2>"$T/node.log" &
PID=$!
for _ in $(seq 100); do [ -s "$T/node/data/simpuld.addr" ] && break; sleep 0.1; done
ADDR=$(cat "$T/node/data/simpuld.addr")
kb() { awk -v k="$1" '$1 == k":" {print $2}' /proc/$PID/status; }
echo "before: RSS $(( $(kb VmRSS) / 1024 )) MiB"
{ printf '['; for _ in $(seq 349524); do printf '{},'; done; printf '{}]'; } >"$T/bomb.json"
for _ in $(seq "$N"); do
	curl -s -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json' \
		--data-binary @"$T/bomb.json" "http://$ADDR/v1/reports" >>"$T/codes" &
done
wait $(jobs -p | grep -v "^$PID$") 2>/dev/null || true
echo "answers to $N bombs of $(stat -c %s "$T/bomb.json") bytes: $(sort "$T/codes" | uniq -c | tr '\n' ' ')"
echo "peak RSS $(( $(kb VmHWM) / 1024 )) MiB, after: RSS $(( $(kb VmRSS) / 1024 )) MiB"
echo "still answers: $(curl -s -o /dev/null -w '%{http_code}' "http://$ADDR/v1/status")"
