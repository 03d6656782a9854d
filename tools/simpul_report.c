/*
 * simpul_report.c - the reports commands of the simpul CLI, against a
 * node's HTTP API (docs/api.md, "Reports"), with libcurl:
 *
 *   simpul submit         submit a complaint; prints its id and tracking secret
 *   simpul track          a report's state and public trail (and its receipt)
 *   simpul act            an officer's (or reporter's) action, signed here
 *   simpul open           an officer reads a sealed report (signed request)
 *   simpul query          list reports by institution, status, region, time
 *   simpul verify-receipt check a tlog-proof receipt offline
 *
 * Officer actions are signed locally with the officer's key file
 * (sp_report_action_build_officer): the node only ever sees the signed act.
 * Reporter actions are signed with the key derived from the tracking secret (--secret) and the report's salt.
 * Sealed reports: `open` sends the officer's signed open request
 * (sp_report_open_req_sign) and prints the plaintext the node returns; a
 * disposisi first fetches the report's content key the same way and seals
 * it to each target's X25519 key (from the node's directory) into the
 * act's key 8, so the new holders can read it.
 * --json prints the node's JSON response as is, for scripts.
 */
#include "simpul.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "sp_dir.h"
#include "sp_err.h"
#include "sp_files.h"
#include "sp_hex.h"
#include "sp_keyfile.h"
#include "sp_note.h"
#include "sp_report.h"
#include "sp_tile.h"
#include "sp_clock.h"
#include "sp_hex.h"

#define URL_MAX 1024
#define RESP_MAX (16u << 20)

/* ---- HTTP ------------------------------------------------------------------------ */

struct resp {
	long status;
	struct sp_buf body;
};

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct sp_buf *b = arg;
	if (b->len + size * n > RESP_MAX)
		return 0;
	sp_buf_put(b, p, size * n);
	return b->err ? 0 : size * n;
}

/* http sends method node+path (JSON body if not NULL) and reads the whole
 * response into r (the caller frees r->body). 0, or SP_ERR_IO with a message. */
static int http(const char *node, const char *method, const char *path, const char *body,
		struct resp *r)
{
	char url[URL_MAX];
	size_t nl = strlen(node);
	while (nl && node[nl - 1] == '/')
		nl--;
	snprintf(url, sizeof(url), "%.*s%s", (int)nl, node, path);
	sp_buf_init(&r->body);
	CURL *c = curl_easy_init();
	if (c == NULL)
		return SP_ERR_NOMEM;
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	if (body) {
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	}
	CURLcode cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (cc != CURLE_OK) {
		fprintf(stderr, "simpul: %s %s: %s\n", method, url, curl_easy_strerror(cc));
		return SP_ERR_IO;
	}
	sp_buf_put(&r->body, "", 1); /* NUL for the text parsers; not counted */
	r->body.len--;
	return r->body.err ? SP_ERR_NOMEM : 0;
}

/* call does one request and returns the JSON response (NULL after printing
 * the node's error if the status is not `want`). */
static json_t *call(const char *node, const char *method, const char *path, const char *body,
		    long want, int raw)
{
	struct resp r;
	if (http(node, method, path, body, &r) != 0) {
		sp_buf_free(&r.body);
		return NULL;
	}
	json_t *j = json_loadb((const char *)r.body.p, r.body.len, 0, NULL);
	if (r.status != want) {
		json_t *e = json_object_get(j, "error");
		fprintf(stderr, "simpul: %s %s: HTTP %ld %s: %s\n", method, path, r.status,
			json_string_value(json_object_get(e, "code")) ?: "",
			json_string_value(json_object_get(e, "message")) ?: (const char *)r.body.p);
		json_decref(j);
		j = NULL;
	} else if (raw) {
		printf("%s\n", (const char *)r.body.p);
	}
	sp_buf_free(&r.body);
	return j;
}

int simpul_http_get(const char *node, const char *path, struct sp_buf *out, long *status)
{
	struct resp r;
	int rc = http(node, "GET", path, NULL, &r);
	*status = rc ? 0 : r.status;
	if (rc == 0)
		sp_buf_put(out, r.body.p, r.body.len);
	sp_buf_free(&r.body);
	return rc ? rc : out->err ? SP_ERR_NOMEM : 0;
}

json_t *simpul_api_call(const char *node, const char *method, const char *path, const char *body,
			long want)
{
	return call(node, method, path, body, want, 0);
}

static const char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "-";
}

static int need_node(const char *cmd, const char *node)
{
	return node ? 0 : simpul_usage(cmd, "--node URL is required");
}

/* ---- submit ------------------------------------------------------------------------ */

static void submit_help(const char *cmd)
{
	printf("usage: %s --node URL --category CAT --region CODE --title T --content TEXT\n"
	       "       [--kind pengaduan|aspirasi|permintaan_informasi]\n"
	       "       [--visibility publik|anonim|rahasia] [--name N] [--contact C]\n"
	       "       [--reporter-key HEX] [--channel CH] [--json]\n"
	       "\n"
	       "Submit a complaint to any node (it routes it). Name and contact are always\n"
	       "sealed; rahasia seals the title and content too. Prints the report id and,\n"
	       "unless --reporter-key is given, the tracking secret: keep it, it is shown once.\n",
	       cmd);
}

static int submit_print(json_t *j)
{
	printf("report    %s\n", jstr(j, "report_id"));
	printf("log       %s #%lld\n", jstr(j, "log"),
	       (long long)json_integer_value(json_object_get(j, "index")));
	printf("routed to %s (rule %s)\n", jstr(j, "routed_to"), jstr(j, "rule"));
	if (json_object_get(j, "tracking_secret"))
		printf("secret    %s  (keep it: it proves you are the reporter)\n",
		       jstr(j, "tracking_secret"));
	printf("receipt   %s\n", jstr(j, "receipt"));
	return SIMPUL_OK;
}

int simpul_submit_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"node", required_argument, NULL, 'N'},      {"kind", required_argument, NULL, 'k'},
		{"visibility", required_argument, NULL, 'v'}, {"category", required_argument, NULL, 'c'},
		{"region", required_argument, NULL, 'r'},    {"title", required_argument, NULL, 't'},
		{"content", required_argument, NULL, 'C'},   {"name", required_argument, NULL, 'n'},
		{"contact", required_argument, NULL, 'p'},   {"reporter-key", required_argument, NULL, 'K'},
		{"channel", required_argument, NULL, 'x'},   {"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},            {NULL, 0, NULL, 0},
	};
	static const struct { int opt; const char *key; } fields[] = {
		{'k', "kind"}, {'v', "visibility"}, {'c', "category"}, {'r', "region"},
		{'t', "title"}, {'C', "content"}, {'n', "name"}, {'p', "contact"},
		{'K', "reporter_key"}, {'x', "channel"},
	};
	const char *cmd = argv[0], *node = NULL;
	int c, raw = 0;
	json_t *o = json_pack("{s:s,s:s}", "kind", "pengaduan", "visibility", "publik");
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		size_t i = 0;
		while (i < sizeof(fields) / sizeof(fields[0]) && fields[i].opt != c)
			i++;
		if (i < sizeof(fields) / sizeof(fields[0]))
			json_object_set_new(o, fields[i].key, json_string(optarg));
		else if (c == 'N')
			node = optarg;
		else if (c == 'j')
			raw = 1;
		else if (c == 'h')
			return json_decref(o), submit_help(cmd), SIMPUL_OK;
		else
			return json_decref(o), simpul_bad_option(cmd);
	}
	if (optind < argc || need_node(cmd, node)) {
		json_decref(o);
		return optind < argc ? simpul_usage(cmd, "unexpected argument '%s'", argv[optind])
				     : SIMPUL_USAGE;
	}
	char *body = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	json_t *j = body ? call(node, "POST", "/v1/reports", body, 201, raw) : NULL;
	free(body);
	int rc = j == NULL ? SIMPUL_FAIL : raw ? SIMPUL_OK : submit_print(j);
	json_decref(j);
	return rc;
}

/* ---- track ------------------------------------------------------------------------- */

static void track_help(const char *cmd)
{
	printf("usage: %s --node URL REPORT_ID [--receipt FILE] [--json]\n"
	       "\n"
	       "Show a report's state, holders, deadline and public trail. --receipt saves\n"
	       "its C2SP tlog-proof receipt to FILE and the submission entry to FILE.entry,\n"
	       "for 'simpul verify-receipt'.\n",
	       cmd);
}

static void print_trail(json_t *trail)
{
	size_t i;
	json_t *t;
	json_array_foreach(trail, i, t) {
		json_t *actor = json_object_get(t, "actor");
		const char *who = json_object_get(actor, "institution")
					  ? jstr(actor, "institution")
					  : json_object_get(actor, "reporter") ? "reporter" : "node";
		printf("  %s #%lld  %-15s %-12s %s%s%s\n", jstr(t, "log"),
		       (long long)json_integer_value(json_object_get(t, "index")),
		       json_object_get(t, "action") ? jstr(t, "action") : jstr(t, "type"), who,
		       jstr(t, "verdict"),
		       json_object_get(t, "error") ? " " : "",
		       json_object_get(t, "error") ? jstr(t, "error") : "");
	}
}

static int track_print(json_t *j)
{
	printf("report    %s\n", jstr(j, "report_id"));
	printf("status    %s\n", jstr(j, "status"));
	printf("kind      %s, %s, %s, region %s\n", jstr(j, "kind"), jstr(j, "visibility"),
	       jstr(j, "category"), jstr(j, "region"));
	if (json_object_get(j, "title"))
		printf("title     %s\n", jstr(j, "title"));
	printf("holders  ");
	size_t i;
	json_t *h;
	json_array_foreach(json_object_get(j, "holders"), i, h)
		printf(" %s", json_string_value(h));
	json_t *d = json_object_get(j, "deadline");
	printf("\ndeadline  %s%s\n", json_is_integer(d) ? "" : "none",
	       json_is_true(json_object_get(j, "overdue")) ? " (overdue)" : "");
	if (json_is_integer(d)) {
		time_t t = (time_t)(json_integer_value(d) / 1000);
		char buf[64];
		strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M UTC", gmtime(&t));
		printf("          %s\n", buf);
	}
	printf("trail\n");
	print_trail(json_object_get(j, "trail"));
	return SIMPUL_OK;
}

/* save_receipt writes the receipt and the submission entry (from the log's
 * tlog-tiles entry bundle) for offline verification. */
static int save_receipt(const char *node, json_t *j, const char *file)
{
	char path[256], tile[128], entry_path[PATH_MAX];
	struct resp r;
	snprintf(path, sizeof(path), "/v1/reports/%s/receipt", jstr(j, "report_id"));
	int rc = http(node, "GET", path, NULL, &r);
	if (rc == 0 && r.status != 200) {
		fprintf(stderr, "simpul: receipt: HTTP %ld: %s\n", r.status, (char *)r.body.p);
		rc = SP_ERR_NOT_FOUND;
	}
	if (rc == 0)
		rc = sp_file_replace(file, r.body.p, r.body.len);
	sp_buf_free(&r.body);
	uint64_t index = (uint64_t)json_integer_value(json_object_get(j, "index"));
	/* the bundle that holds the entry, as wide as the node's log has it */
	json_t *logs = rc ? NULL : call(node, "GET", "/v1/logs", NULL, 200, 0);
	uint64_t size = 0;
	size_t i;
	json_t *l;
	json_array_foreach(json_object_get(logs, "logs"), i, l) {
		const char *p = jstr(l, "path");
		if (strcmp(strrchr(p, '/') + 1, jstr(j, "log")) == 0)
			size = (uint64_t)json_integer_value(json_object_get(l, "size"));
	}
	uint64_t b = index / 256;
	unsigned w = size >= 256 * (b + 1) ? 256 : (unsigned)(size - 256 * b);
	if (rc == 0 && (size <= index || sp_tile_path(tile, sizeof(tile), -1, b, w) != 0))
		rc = SP_ERR_NOT_FOUND;
	snprintf(path, sizeof(path), "/logs/%s/%s", jstr(j, "log"), tile);
	if (rc == 0)
		rc = http(node, "GET", path, NULL, &r);
	size_t pos = 0;
	for (uint64_t k = 256 * b; rc == 0 && pos + 2 <= r.body.len; k++) {
		size_t n = (size_t)r.body.p[pos] << 8 | r.body.p[pos + 1];
		if (k == index && pos + 2 + n <= r.body.len) {
			snprintf(entry_path, sizeof(entry_path), "%s.entry", file);
			rc = sp_file_replace(entry_path, r.body.p + pos + 2, n);
			printf("saved     %s and %s\n", file, entry_path);
		}
		pos += 2 + n;
	}
	sp_buf_free(&r.body);
	json_decref(logs);
	return rc;
}

int simpul_track_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"node", required_argument, NULL, 'N'}, {"receipt", required_argument, NULL, 'r'},
		{"json", no_argument, NULL, 'j'},       {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *cmd = argv[0], *node = NULL, *receipt = NULL;
	int c, raw = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'N')
			node = optarg;
		else if (c == 'r')
			receipt = optarg;
		else if (c == 'j')
			raw = 1;
		else if (c == 'h')
			return track_help(cmd), SIMPUL_OK;
		else
			return simpul_bad_option(cmd);
	}
	if (need_node(cmd, node))
		return SIMPUL_USAGE;
	if (optind + 1 != argc)
		return simpul_usage(cmd, "give one REPORT_ID");
	char path[256];
	snprintf(path, sizeof(path), "/v1/reports/%.64s", argv[optind]);
	json_t *j = call(node, "GET", path, NULL, 200, raw);
	int rc = j == NULL ? SIMPUL_FAIL : raw ? SIMPUL_OK : track_print(j);
	if (j && receipt && save_receipt(node, j, receipt) != 0)
		rc = SIMPUL_FAIL;
	json_decref(j);
	return rc;
}

/* ---- open ----------------------------------------------------------------------------- */

/* open_body signs an open request for report id (64 hex) with the
 * officer's secret key sk and returns its JSON text (caller frees), or
 * NULL after printing why. */
static char *open_body(const uint8_t sk[SP_SECRET_BYTES], const char *id, const char *purpose)
{
	struct sp_report_open_req q = {.issued_ms = sp_now_ms(),
				       .purpose = {purpose, strlen(purpose)}};
	char sig[sodium_base64_ENCODED_LEN(SP_SIG_BYTES, sodium_base64_VARIANT_ORIGINAL)];
	char off[2 * SP_KEY_BYTES + 1];
	if (sp_hex_parse(id, q.report, 32) != 0)
		return simpul_usage("simpul open", "a report id is 64 hex digits"), NULL;
	int rc = sp_report_open_req_sign(&q, sk);
	if (rc)
		return simpul_fail(rc, "cannot sign the open request (purpose: 1 to %d bytes)",
				   SP_REPORT_PURPOSE_MAX), NULL;
	sodium_bin2base64(sig, sizeof(sig), q.sig, SP_SIG_BYTES, sodium_base64_VARIANT_ORIGINAL);
	simpul_hex(q.officer, SP_KEY_BYTES, off);
	json_t *o = json_pack("{s:s,s:s,s:I,s:s,s:s}", "report", id, "purpose", purpose, "issued",
			      (json_int_t)q.issued_ms, "officer", off, "sig", sig);
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return text;
}

/* open_report asks the node to open report id for the officer: the
 * node's JSON answer (plaintext and content key), or NULL after printing
 * the error. raw prints the answer as it came. */
static json_t *open_report(const char *node, const uint8_t sk[SP_SECRET_BYTES], const char *id,
			   const char *purpose, int raw)
{
	char path[128], *body = open_body(sk, id, purpose);
	if (body == NULL)
		return NULL;
	snprintf(path, sizeof(path), "/v1/reports/%.64s/open", id);
	json_t *j = call(node, "POST", path, body, 200, raw);
	free(body);
	return j;
}

static void open_help(const char *cmd)
{
	printf("usage: %s --node URL --key OFFICER.key [--passphrase-file PASS] REPORT_ID\n"
	       "       [--purpose TEXT] [--json]\n"
	       "\n"
	       "Read a sealed report: its rahasia title and content, the reporter's name and\n"
	       "contact. The request is signed with the officer's key; the node answers only an\n"
	       "officer of a current holder or of the national coordinator, and only if it holds\n"
	       "a key copy (the node of a holder). --purpose says why; it is signed with the\n"
	       "request (default \"penanganan\"). --json adds the content key (base64), for\n"
	       "sealed attachments. Use https:// in production: the answer is the plaintext.\n"
	       SIMPUL_PASS_HELP,
	       cmd);
}

static void open_print(json_t *j)
{
	static const char *const fields[] = {"title", "content", "name", "contact"};
	printf("report    %s (%s)\n", jstr(j, "report_id"), jstr(j, "visibility"));
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (json_is_string(json_object_get(j, fields[i])))
			printf("%-9s %s\n", fields[i], jstr(j, fields[i]));
}

int simpul_open_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"node", required_argument, NULL, 'N'},    {"key", required_argument, NULL, 'k'},
		{"purpose", required_argument, NULL, 'p'}, {"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},          {"passphrase-file", required_argument, NULL, 'P'},
		{NULL, 0, NULL, 0},
	};
	const char *cmd = argv[0], *node = NULL, *key = NULL, *pass = NULL, *purpose = "penanganan";
	int c, raw = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'N')
			node = optarg;
		else if (c == 'k')
			key = optarg;
		else if (c == 'p')
			purpose = optarg;
		else if (c == 'P')
			pass = optarg;
		else if (c == 'j')
			raw = 1;
		else if (c == 'h')
			return open_help(cmd), SIMPUL_OK;
		else
			return simpul_bad_option(cmd);
	}
	if (need_node(cmd, node))
		return SIMPUL_USAGE;
	if (key == NULL)
		return simpul_usage(cmd, "--key OFFICER.key is required");
	if (optind + 1 != argc)
		return simpul_usage(cmd, "give one REPORT_ID");
	uint8_t pk[SP_KEY_BYTES], sk[SP_SECRET_BYTES];
	if (simpul_signing_key(key, pass, pk, sk) != SIMPUL_OK)
		return SIMPUL_FAIL;
	json_t *j = open_report(node, sk, argv[optind], purpose, raw);
	sodium_memzero(sk, sizeof(sk));
	if (j && !raw)
		open_print(j);
	int rc = j ? SIMPUL_OK : SIMPUL_FAIL;
	json_decref(j);
	return rc;
}

/* ---- act ------------------------------------------------------------------------------ */

static void act_help(const char *cmd)
{
	printf("usage: %s --node URL (--key OFFICER.key [--passphrase-file PASS] |\n"
	       "       --secret HEX) REPORT_ID ACTION [--to INST]... [--reason N] [--text T]\n"
	       "       [--rating N] [--merge-into ID] [--json]\n"
	       "\n"
	       "Sign an action on a report and send it to the node of the officer's\n"
	       "institution. Officer actions (--key): verifikasi tunda arsip disposisi\n"
	       "bukan_wewenang tindak_lanjut ambil_alih gabung. Reporter actions, signed with\n"
	       "the key of the tracking secret (--secret): balas selesai buka_kembali nilai.\n"
	       "Reasons: tunda 1-2, arsip 10-13, bukan_wewenang 20-22 (docs/reports.md).\n"
	       "A disposisi of a sealed report re-seals its content key to every --to\n"
	       "(fetched with the officer's signed open request, as 'simpul open').\n"
	       SIMPUL_PASS_HELP,
	       cmd);
}

struct act_opts {
	const char *node, *key, *pass, *secret, *text, *merge;
	const char *to[SP_REPORT_MAX_TARGETS];
	size_t n_to;
	uint64_t reason, rating;
	int raw;
};

/* seal_to seals the content key to institution inst, with the X25519 key
 * the node's directory lists for it (out->inst borrows inst). */
static int seal_to(const char *node, const char *inst, const uint8_t key[SP_REPORT_CKEY_BYTES],
		   struct sp_report_key *out)
{
	char path[128];
	uint8_t pk[SP_REPORT_X25519_BYTES];
	if (!sp_dir_id_valid(inst))
		return simpul_usage("simpul act", "'%s' is not an institution id", inst);
	snprintf(path, sizeof(path), "/v1/directory/institutions/%s", inst);
	json_t *j = call(node, "GET", path, NULL, 200, 0);
	const char *hex = json_string_value(json_object_get(j, "seal_key"));
	int ok = sp_hex_parse(hex, pk, sizeof(pk)) == 0;
	json_decref(j);
	if (!ok)
		return j ? simpul_fail(SP_ERR_SEALED, "no seal key for %s", inst) : SIMPUL_FAIL;
	struct sp_report_reader r = {inst, pk};
	int rc = sp_report_seal_key(key, &r, out);
	return rc ? simpul_fail(rc, "cannot seal the key to %s", inst) : SIMPUL_OK;
}

/* reseal: a disposisi of a sealed report carries its content key sealed
 * to every target (docs/reports.md, act key 8). The key comes from the
 * node through the officer's signed open request; nothing sealed (no
 * content key): no copies. */
static int reseal(const struct act_opts *o, const uint8_t sk[SP_SECRET_BYTES], const char *id,
		  struct sp_report_action *a)
{
	json_t *j = open_report(o->node, sk, id, "disposisi", 0);
	const char *b64 = json_string_value(json_object_get(j, "content_key"));
	uint8_t key[SP_REPORT_CKEY_BYTES];
	size_t got = 0;
	int rc = j ? SIMPUL_OK : SIMPUL_FAIL;
	if (b64 && (sodium_base642bin(key, sizeof(key), b64, strlen(b64), NULL, &got, NULL,
				      sodium_base64_VARIANT_ORIGINAL) != 0 || got != sizeof(key)))
		rc = simpul_fail(SP_ERR_SEALED, "the node's content key is malformed");
	for (size_t i = 0; b64 && rc == SIMPUL_OK && i < o->n_to; i++)
		rc = seal_to(o->node, o->to[i], key, &a->keys[i]);
	a->n_keys = b64 && rc == SIMPUL_OK ? o->n_to : 0;
	sodium_memzero(key, sizeof(key));
	json_decref(j);
	return rc;
}

/* reporter_sk re-derives the reporter key of report id from the tracking
 * secret: the salt is the report's own (public, from the node). The secret
 * stays here; only the signature travels. */
static int reporter_sk(const struct act_opts *o, const char *id, uint8_t sk[SP_SECRET_BYTES])
{
	uint8_t secret[SP_REPORTER_SECRET_BYTES], salt[SP_REPORTER_SALT_BYTES];
	if (sp_hex_parse(o->secret, secret, sizeof(secret)) != 0)
		return simpul_usage("simpul act", "--secret takes the 64-hex-digit tracking secret");
	char path[128];
	snprintf(path, sizeof(path), "/v1/reports/%s", id);
	json_t *j = call(o->node, "GET", path, NULL, 200, 0);
	const char *hex = json_string_value(json_object_get(j, "reporter_salt"));
	int rc = SIMPUL_FAIL;
	if (j && (hex == NULL || sp_hex_parse(hex, salt, sizeof(salt)) != 0))
		fprintf(stderr, "simpul act: report %s has no reporter salt: its reporter key was "
				"not made from a tracking secret\n", id);
	else if (j && sp_reporter_derive(secret, salt, NULL, sk) == 0)
		rc = SIMPUL_OK;
	json_decref(j);
	sodium_memzero(secret, sizeof(secret));
	return rc;
}

/* act_build fills a from the options and signs it into *body. */
static int act_build(const struct act_opts *o, const char *id, const char *action,
		     struct sp_report_action *a, uint8_t **body, size_t *len)
{
	const char *cmd = "simpul act";
	a->code = 0;
	for (int c = 1; c <= SP_ACT_MAX_; c++)
		if (strcmp(sp_report_act_name(c), action) == 0)
			a->code = (uint32_t)c;
	if (a->code == 0)
		return simpul_usage(cmd, "unknown action '%s'", action);
	if (sp_hex_parse(id, a->report, 32) != 0)
		return simpul_usage(cmd, "a report id is 64 hex digits");
	if (o->merge && sp_hex_parse(o->merge, a->merge_into, 32) != 0)
		return simpul_usage(cmd, "--merge-into takes a report id");
	a->has_merge = o->merge != NULL;
	a->issued_ms = sp_now_ms();
	for (size_t i = 0; i < o->n_to; i++)
		a->targets[i] = (struct sp_str){o->to[i], strlen(o->to[i])};
	a->n_targets = o->n_to;
	a->reason = (uint32_t)o->reason;
	a->rating = (uint32_t)o->rating;
	if (o->text)
		a->text = (struct sp_str){o->text, strlen(o->text)};
	/* the key is loaded once (a passphrase on standard input is read once),
	 * before anything is asked of the node */
	uint8_t sk[SP_SECRET_BYTES], pk[SP_KEY_BYTES];
	int rc = o->key ? simpul_signing_key(o->key, o->pass, pk, sk) : reporter_sk(o, id, sk);
	if (rc != SIMPUL_OK)
		return rc;
	if (a->code == SP_ACT_DISPOSISI && o->key)
		rc = reseal(o, sk, id, a);
	if (rc == SIMPUL_OK) {
		rc = o->key ? sp_report_action_build_officer(a, sk, body, len)
			    : sp_report_action_build_reporter(a, sk, body, len);
		rc = rc ? simpul_fail(rc, "cannot build the %s act", action) : SIMPUL_OK;
	}
	sodium_memzero(sk, sizeof(sk));
	return rc;
}

static int act_send(const struct act_opts *o, const char *id, const uint8_t *body, size_t len)
{
	size_t b64_len = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
	char *b64 = malloc(b64_len), path[256];
	if (b64 == NULL)
		return simpul_fail(SP_ERR_NOMEM, "act");
	sodium_bin2base64(b64, b64_len, body, len, sodium_base64_VARIANT_ORIGINAL);
	json_t *req = json_pack("{s:s}", "body", b64);
	char *text = json_dumps(req, JSON_COMPACT);
	snprintf(path, sizeof(path), "/v1/reports/%s/actions", id);
	json_t *j = text ? call(o->node, "POST", path, text, 201, o->raw) : NULL;
	int rc = j == NULL ? SIMPUL_FAIL : o->raw ? SIMPUL_OK : track_print(j);
	json_decref(j);
	json_decref(req);
	free(text);
	free(b64);
	return rc;
}

int simpul_act_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"node", required_argument, NULL, 'N'},   {"key", required_argument, NULL, 'k'},
		{"secret", required_argument, NULL, 's'}, {"to", required_argument, NULL, 't'},
		{"reason", required_argument, NULL, 'r'}, {"text", required_argument, NULL, 'x'},
		{"rating", required_argument, NULL, 'R'}, {"merge-into", required_argument, NULL, 'm'},
		{"json", no_argument, NULL, 'j'},         {"help", no_argument, NULL, 'h'},
		{"passphrase-file", required_argument, NULL, 'P'}, {NULL, 0, NULL, 0},
	};
	const char *cmd = argv[0];
	struct act_opts o = {0};
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'N': o.node = optarg; break;
		case 'k': o.key = optarg; break;
		case 'P': o.pass = optarg; break;
		case 's': o.secret = optarg; break;
		case 'x': o.text = optarg; break;
		case 'm': o.merge = optarg; break;
		case 'j': o.raw = 1; break;
		case 't':
			if (o.n_to == SP_REPORT_MAX_TARGETS)
				return simpul_usage(cmd, "at most %d --to", SP_REPORT_MAX_TARGETS);
			o.to[o.n_to++] = optarg;
			break;
		case 'r':
		case 'R':
			if (simpul_parse_u64(optarg, c == 'r' ? &o.reason : &o.rating) || !*optarg ||
			    (c == 'r' ? o.reason : o.rating) > 1000)
				return simpul_usage(cmd, "'%s' is not a small number", optarg);
			break;
		case 'h': act_help(cmd); return SIMPUL_OK;
		default: return simpul_bad_option(cmd);
		}
	}
	if (need_node(cmd, o.node))
		return SIMPUL_USAGE;
	if ((o.key == NULL) == (o.secret == NULL))
		return simpul_usage(cmd, "give exactly one of --key OFFICER.key and --secret HEX");
	if (o.pass && o.key == NULL)
		return simpul_usage(cmd, "--passphrase-file goes with --key");
	if (optind + 2 != argc)
		return simpul_usage(cmd, "give REPORT_ID and ACTION");
	struct sp_report_action a = {0};
	uint8_t *body = NULL;
	size_t len = 0;
	int rc = act_build(&o, argv[optind], argv[optind + 1], &a, &body, &len);
	if (rc == SIMPUL_OK)
		rc = act_send(&o, argv[optind], body, len);
	free(body);
	return rc;
}

/* ---- query ------------------------------------------------------------------------------ */

static void query_help(const char *cmd)
{
	printf("usage: %s --node URL [--institution INST] [--status S] [--overdue]\n"
	       "       [--region CODE] [--since MS] [--until MS] [--limit N] [--cursor C] [--json]\n"
	       "\n"
	       "List reports (one line each) and the cursor of the next page, if any.\n",
	       cmd);
}

int simpul_query_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"node", required_argument, NULL, 'N'},  {"institution", required_argument, NULL, 'i'},
		{"status", required_argument, NULL, 's'}, {"overdue", no_argument, NULL, 'o'},
		{"region", required_argument, NULL, 'r'}, {"since", required_argument, NULL, 'S'},
		{"until", required_argument, NULL, 'U'}, {"limit", required_argument, NULL, 'l'},
		{"cursor", required_argument, NULL, 'c'}, {"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
	};
	const char *cmd = argv[0], *node = NULL;
	char path[URL_MAX] = "/v1/reports?";
	int c, raw = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		const struct option *opt = opts;
		while (opt->name && opt->val != c)
			opt++;
		if (c == 'N') {
			node = optarg;
		} else if (c == 'j') {
			raw = 1;
		} else if (c == 'h') {
			return query_help(cmd), SIMPUL_OK;
		} else if (opt->name) {
			char *esc = curl_easy_escape(NULL, c == 'o' ? "1" : optarg, 0);
			size_t n = strlen(path);
			snprintf(path + n, sizeof(path) - n, "%s=%s&", opt->name, esc ? esc : "");
			curl_free(esc);
		} else {
			return simpul_bad_option(cmd);
		}
	}
	if (need_node(cmd, node))
		return SIMPUL_USAGE;
	if (optind < argc)
		return simpul_usage(cmd, "unexpected argument '%s'", argv[optind]);
	path[strlen(path) - 1] = '\0';
	json_t *j = call(node, "GET", path, NULL, 200, raw);
	if (j == NULL)
		return SIMPUL_FAIL;
	size_t i;
	json_t *r;
	json_array_foreach(raw ? NULL : json_object_get(j, "reports"), i, r)
		printf("%s %-15s %-10s %-13s %s%s\n", jstr(r, "report_id"), jstr(r, "status"),
		       jstr(r, "routed_to"), jstr(r, "region"), jstr(r, "category"),
		       json_is_true(json_object_get(r, "overdue")) ? " OVERDUE" : "");
	if (!raw && json_is_string(json_object_get(j, "next_cursor")))
		printf("next page: --cursor %s\n", jstr(j, "next_cursor"));
	json_decref(j);
	return SIMPUL_OK;
}

/* ---- verify-receipt ----------------------------------------------------------------------- */

static void verify_help(const char *cmd)
{
	printf("usage: %s --vkey VKEY RECEIPT_FILE ENTRY_FILE\n"
	       "\n"
	       "Check a C2SP tlog-proof receipt offline: the checkpoint is signed by VKEY (the\n"
	       "log's verifier key, as /v1/status shows it) and ENTRY_FILE (the submission\n"
	       "entry, as 'simpul track --receipt' saves it) is in that log at the receipt's\n"
	       "index. Prints the report id (the entry's hash), the origin and the index.\n",
	       cmd);
}

int simpul_verify_receipt_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"vkey", required_argument, NULL, 'k'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *cmd = argv[0], *vkey = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'k')
			vkey = optarg;
		else if (c == 'h')
			return verify_help(cmd), SIMPUL_OK;
		else
			return simpul_bad_option(cmd);
	}
	struct sp_note_key k;
	if (vkey == NULL || sp_note_vkey_parse(vkey, &k) != 0)
		return simpul_usage(cmd, "--vkey takes the log's verifier key");
	if (optind + 2 != argc)
		return simpul_usage(cmd, "give RECEIPT_FILE and ENTRY_FILE");
	struct sp_buf rec, ent;
	sp_buf_init(&rec);
	sp_buf_init(&ent);
	int rc = sp_file_read(argv[optind], SP_NOTE_MAX * 2, &rec);
	if (rc == 0)
		rc = sp_file_read(argv[optind + 1], SP_ENTRY_MAX, &ent);
	struct sp_receipt out;
	if (rc == 0)
		rc = sp_receipt_verify((const char *)rec.p, rec.len, ent.p, ent.len, &k, &out);
	if (rc == 0) {
		uint8_t h[SP_HASH_BYTES];
		char hex[65];
		sp_entry_hash(ent.p, ent.len, h);
		simpul_hex(h, sizeof(h), hex);
		printf("receipt OK\nreport    %s\norigin    %s\nindex     %llu of %llu\n", hex,
		       out.checkpoint.origin, (unsigned long long)out.index,
		       (unsigned long long)out.checkpoint.size);
	}
	sp_buf_free(&rec);
	sp_buf_free(&ent);
	return rc ? simpul_fail(rc, "receipt does not verify") : SIMPUL_OK;
}
