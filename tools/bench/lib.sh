# lib.sh - shared by the benchmark scripts in tools/bench (sourced, not run).
#
# bench_track_lua IDS OUT: the wrk script of the track figure (below).
#
# bench_soppeng_node BUILD SRC T [EXTRA_HTTP_LINES]
#   makes a Sulawesi Selatan federation (province 73) in T/fed and a config
#   T/simpuld.ini for the node of Kabupaten Soppeng (73.12), data in T/data,
#   HTTP on an ephemeral loopback port without a rate limit, log level warn.
#   EXTRA_HTTP_LINES (newline-separated) go into its [http] section.
bench_soppeng_node() {
	local build=$1 src=$2 t=$3 extra=${4:-} root fed
	"$build/tools/simpul" federation init --wilayah "$src/config/wilayah.csv" --out "$t/fed" \
		--subset 73 >/dev/null
	root=$(sed -n 's/^root_vkey = //p' "$t/fed/federation.ini" | head -1)
	fed=$(sed -n 's/^name = //p' "$t/fed/federation.ini" | head -1)
	cat >"$t/simpuld.ini" <<INI
[node]
id = 73.12
federation = $fed
key = $t/fed/keys/73.12.key
seal_key = $t/fed/keys/73.12.seal
data = $t/data
log_level = warn
[http]
listen = 127.0.0.1:0
rate_limit = 0
$extra
[federation]
root_key = $root
directory = $t/fed
INI
}

# bench_national_ini W DATA INI [EXTRA_HTTP_LINES] [EXTRA_LINES]
#   writes INI, the config of the national coordinator's node (KEMENPANRB)
#   of the federation in W/fed (made by bench_index.sh), data in DATA, HTTP
#   on an ephemeral loopback port without a rate limit. EXTRA_HTTP_LINES go
#   into its [http] section, EXTRA_LINES (sections) at the end.
bench_national_ini() {
	local w=$1 data=$2 ini=$3 http=${4:-} more=${5:-} root
	root=$(sed -n 's/^root_vkey = //p' "$w/fed/federation.ini")
	cat >"$ini" <<INI
[node]
id = KEMENPANRB
federation = simpul.local
key = $w/fed/keys/KEMENPANRB.key
seal_key = $w/fed/keys/KEMENPANRB.seal
data = $data
[http]
listen = 127.0.0.1:0
rate_limit = 0
$http
[federation]
root_key = $root
directory = $data/directory
$more
INI
}

# bench_track_lua IDS OUT: a wrk script asking GET /v1/reports/{id} for
# ids drawn at random from the file IDS (one per line).
bench_track_lua() {
	cat >"$2" <<LUA
ids = {}
for l in io.lines("$1") do ids[#ids + 1] = l end
request = function()
	return wrk.format("GET", "/v1/reports/" .. ids[math.random(#ids)])
end
LUA
}
