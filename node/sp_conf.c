/*
 * sp_conf.c - reading and validating node config files (see sp_conf.h).
 *
 * inih does the INI syntax; we feed it through our own line reader so we
 * know the line number of every key (inih only reports the first error's),
 * can see section headers that hold no keys (inih never reports those), and
 * can refuse lines longer than inih's fixed buffer instead of having them
 * split silently in two.
 */
#include "sp_conf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include <ini.h>

#include "sp_err.h"
#include "sp_keyfile.h"

/* One parse in progress. */
struct parse {
	struct sp_conf *c;
	const char *name, *base;
	const char *text;
	size_t len, pos;
	unsigned line;          /* line number of the line last handed to inih */
	unsigned err_line;      /* first error's line (0: none yet) */
	char *why;
	size_t cap;
	uint64_t seen;          /* bit per key of the table below */
};

typedef int (*set_fn)(struct parse *p, void *field, const char *v, uint64_t lo, uint64_t hi);

struct key {
	const char *section, *name;
	set_fn set;
	size_t off;
	uint64_t lo, hi; /* bounds for numbers, lengths for strings */
	int required;
};

__attribute__((format(printf, 2, 3))) static int fail(struct parse *p, const char *fmt, ...)
{
	if (p->err_line)
		return 0; /* keep the first error */
	p->err_line = p->line ? p->line : 1;
	int n = snprintf(p->why, p->cap, "%s:%u: ", p->name, p->line);
	if (n < 0 || (size_t)n >= p->cap)
		return 0;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->why + n, p->cap - (size_t)n, fmt, ap);
	va_end(ap);
	return 0; /* inih: stop treating this line as good */
}

/* ---- value parsers ----------------------------------------------------------- */

static int set_u32(struct parse *p, void *field, const char *v, uint64_t lo, uint64_t hi)
{
	char *end;
	errno = 0;
	unsigned long long x = *v >= '0' && *v <= '9' ? strtoull(v, &end, 10) : 0;
	if (*v < '0' || *v > '9' || errno || *end != '\0' || x < lo || x > hi)
		return fail(p, "'%s' is not a whole number from %llu to %llu", v,
			    (unsigned long long)lo, (unsigned long long)hi);
	*(uint32_t *)field = (uint32_t)x;
	return 1;
}

/* name_ok: institution ids and federation names are path and key-name
 * components: letters, digits, '.', '-', '_' only. */
static int name_ok(const char *v, size_t max)
{
	size_t n = strlen(v);
	if (n == 0 || n > max || v[0] == '.' || v[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)v[i]) && !strchr(".-_", v[i]))
			return 0;
	return strstr(v, "..") == NULL;
}

static int set_name(struct parse *p, void *field, const char *v, uint64_t lo, uint64_t hi)
{
	if (!name_ok(v, (size_t)hi))
		return fail(p, "'%s' must be 1 to %llu letters, digits, '.', '-' or '_' "
			    "(no leading '.' or '-', no '..')", v, (unsigned long long)hi);
	strcpy(field, v);
	return 1;
}

static int set_path(struct parse *p, void *field, const char *v, uint64_t lo, uint64_t hi)
{
	if (*v == '\0')
		return fail(p, "a path is required");
	int n = *v == '/' ? snprintf(field, PATH_MAX, "%s", v)
			  : snprintf(field, PATH_MAX, "%s/%s", p->base, v);
	if (n < 0 || n >= PATH_MAX)
		return fail(p, "path too long");
	return 1;
}

/* set_opt_path: like set_path, but empty means "none". */
static int set_opt_path(struct parse *p, void *field, const char *v, uint64_t lo, uint64_t hi)
{
	if (*v == '\0') {
		*(char *)field = '\0';
		return 1;
	}
	return set_path(p, field, v, lo, hi);
}

static int set_level(struct parse *p, void *field, const char *v, uint64_t lo, uint64_t hi)
{
	if (sp_logx_level_parse(v, field) != 0)
		return fail(p, "'%s' is not one of debug, info, warn, error", v);
	return 1;
}

static int set_listen(struct parse *p, void *field, const char *v, uint64_t lo, uint64_t hi)
{
	char host[64];
	uint16_t port;
	if (strlen(v) > SP_CONF_ADDR_MAX || sp_conf_parse_listen(v, host, sizeof(host), &port))
		return fail(p, "'%s' is not a numeric address and port (127.0.0.1:8080, "
			    "0.0.0.0:8080, [::1]:8080; port 0 picks a free one)", v);
	strcpy(field, v);
	return 1;
}

/* url_ok: a peer URL is tcp://host:port or tls+tcp://host:port (nng). */
static int url_ok(const char *v)
{
	const char *rest = NULL;
	if (strncmp(v, "tcp://", 6) == 0)
		rest = v + 6;
	else if (strncmp(v, "tls+tcp://", 10) == 0)
		rest = v + 10;
	if (rest == NULL || strlen(v) > SP_CONF_URL_MAX)
		return 0;
	const char *colon = strrchr(rest, ':');
	if (colon == NULL || colon == rest || colon[1] == '\0')
		return 0;
	for (const char *c = rest; c < colon; c++)
		if (!isalnum((unsigned char)*c) && !strchr(".-[]:", *c))
			return 0;
	char *end;
	unsigned long port = strtoul(colon + 1, &end, 10);
	return *end == '\0' && isdigit((unsigned char)colon[1]) && port <= 65535;
}

static int set_url(struct parse *p, void *field, const char *v, uint64_t lo, uint64_t hi)
{
	if (*v != '\0' && !url_ok(v))
		return fail(p, "'%s' is not tcp://HOST:PORT or tls+tcp://HOST:PORT", v);
	strcpy(field, v);
	return 1;
}

/* set_hook_url: a webhook endpoint, http:// or https:// ("": none). */
static int set_hook_url(struct parse *p, void *field, const char *v, uint64_t lo, uint64_t hi)
{
	size_t n = strlen(v);
	if (n > SP_CONF_URL_MAX ||
	    (n && strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0) ||
	    strpbrk(v, " \t\r\n") != NULL || (n && n <= 8))
		return fail(p, "'%s' is not an http:// or https:// URL", v);
	strcpy(field, v);
	return 1;
}

/* each_item calls fn(p, item, n) for each non-empty item of the list v,
 * items separated by spaces, tabs or commas; stops at the first refusal.
 * The items are not NUL-terminated. */
static int each_item(struct parse *p, const char *v,
		     int (*fn)(struct parse *p, const char *item, size_t n))
{
	while (*v) {
		size_t n = strcspn(v, " \t,");
		if (n > 0) {
			int ok = fn(p, v, n);
			if (ok != 1)
				return ok;
		}
		v += n;
		v += strspn(v, " \t,");
	}
	return 1;
}

static int add_peer(struct parse *p, const char *item, size_t n)
{
	struct sp_conf *c = p->c;
	char tmp[SP_CONF_URL_MAX + 1];
	if (n > SP_CONF_URL_MAX)
		return fail(p, "peer URL too long (at most %d bytes)", SP_CONF_URL_MAX);
	memcpy(tmp, item, n);
	tmp[n] = '\0';
	if (!url_ok(tmp))
		return fail(p, "peer '%s' is not tcp://HOST:PORT or tls+tcp://HOST:PORT", tmp);
	if (c->npeers == SP_CONF_PEERS_MAX)
		return fail(p, "more than %d peers", SP_CONF_PEERS_MAX);
	strcpy(c->peers[c->npeers++], tmp);
	return 1;
}

static int add_seal_prev(struct parse *p, const char *item, size_t n)
{
	struct sp_conf *c = p->c;
	char tmp[PATH_MAX];
	if (n >= sizeof(tmp))
		return fail(p, "path too long");
	if (c->nseal_prev == SP_CONF_SEALS_PREV_MAX)
		return fail(p, "more than %d previous seal keys", SP_CONF_SEALS_PREV_MAX);
	memcpy(tmp, item, n);
	tmp[n] = '\0';
	return set_path(p, c->seal_prev[c->nseal_prev++], tmp, 0, 0);
}

/* set_seal_prev reads the earlier seal key files, separated by spaces. */
static int set_seal_prev(struct parse *p, void *field, const char *v, uint64_t lo, uint64_t hi)
{
	p->c->nseal_prev = 0;
	return each_item(p, v, add_seal_prev);
}

/* set_peers reads a list of peer URLs separated by spaces or commas. */
static int set_peers(struct parse *p, void *field, const char *v, uint64_t lo, uint64_t hi)
{
	p->c->npeers = 0;
	return each_item(p, v, add_peer);
}

static int set_vkey(struct parse *p, void *field, const char *v, uint64_t lo, uint64_t hi)
{
	struct sp_conf *c = p->c;
	c->has_root_key = 0;
	if (*v == '\0')
		return 1; /* standalone: this node trusts no coordinator */
	if (sp_note_vkey_parse(v, &c->root_key) != 0 || c->root_key.type != SP_NOTE_TYPE_ED25519)
		return fail(p, "not an Ed25519 verifier key (NAME+KEYID+BASE64, as printed by "
			    "'simpul keygen --show FILE --name NAME')");
	c->has_root_key = 1;
	return 1;
}

static int add_peer_key(struct parse *p, const char *item, size_t n)
{
	struct sp_conf *c = p->c;
	char tmp[SP_NOTE_NAME_MAX + 128];
	if (n >= sizeof(tmp))
		return fail(p, "peer key too long");
	memcpy(tmp, item, n);
	tmp[n] = '\0';
	if (c->npeer_keys == SP_CONF_PEERS_MAX)
		return fail(p, "more than %d peer keys", SP_CONF_PEERS_MAX);
	if (sp_note_vkey_parse(tmp, &c->peer_keys[c->npeer_keys]) != 0 ||
	    c->peer_keys[c->npeer_keys].type != SP_NOTE_TYPE_ED25519)
		return fail(p, "peer key '%s' is not an Ed25519 verifier key", tmp);
	c->npeer_keys++;
	return 1;
}

/* set_peer_keys reads verifier keys separated by spaces or commas. */
static int set_peer_keys(struct parse *p, void *field, const char *v, uint64_t lo, uint64_t hi)
{
	p->c->npeer_keys = 0;
	return each_item(p, v, add_peer_key);
}

/* ---- [webhook.NAME] sections ------------------------------------------------- */

#define HOOK_PREFIX "webhook."
#define HOOK_PREFIX_LEN (sizeof(HOOK_PREFIX) - 1)

static int set_bool(struct parse *p, void *field, const char *v, uint64_t lo, uint64_t hi)
{
	if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
		return fail(p, "'%s' is not true or false", v);
	*(int *)field = strcmp(v, "true") == 0;
	return 1;
}

#define HOFF(f) offsetof(struct sp_conf_hook, f)

static const struct key hook_keys[] = {
	{"", "url", set_hook_url, HOFF(url), 0, 0, 1},
	{"", "secret", set_path, HOFF(secret_path), 0, 0, 1},
	{"", "include_contact", set_bool, HOFF(include_contact), 0, 0, 0},
};
#define NHOOK_KEYS (sizeof(hook_keys) / sizeof(hook_keys[0]))

static int is_hook_section(const char *s, size_t n)
{
	return n > HOOK_PREFIX_LEN && memcmp(s, HOOK_PREFIX, HOOK_PREFIX_LEN) == 0;
}

static struct sp_conf_hook *find_hook(struct sp_conf *c, const char *name, size_t n)
{
	for (size_t i = 0; i < c->nhooks; i++)
		if (strlen(c->hooks[i].name) == n && memcmp(c->hooks[i].name, name, n) == 0)
			return &c->hooks[i];
	return NULL;
}

/* hook_section: the reader met [webhook.NAME]: a new endpoint, once. */
static void hook_section(struct parse *p, const char *s, size_t n)
{
	struct sp_conf *c = p->c;
	const char *id = s + HOOK_PREFIX_LEN;
	size_t nn = n - HOOK_PREFIX_LEN;
	char name[SP_CONF_HOOK_NAME_MAX + 1] = "";
	if (nn <= SP_CONF_HOOK_NAME_MAX)
		memcpy(name, id, nn);
	struct sp_conf_hook *h = find_hook(c, id, nn);
	if (nn > SP_CONF_HOOK_NAME_MAX || !name_ok(name, SP_CONF_HOOK_NAME_MAX))
		fail(p, "[%.*s]: an endpoint name is 1 to %d letters, digits, '.', '-' or '_'",
		     (int)n, s, SP_CONF_HOOK_NAME_MAX);
	else if (h)
		fail(p, "[%.*s] appears twice (first on line %u)", (int)n, s, h->line);
	else if (c->nhooks == SP_CONF_HOOKS_MAX)
		fail(p, "more than %d [webhook.NAME] sections", SP_CONF_HOOKS_MAX);
	else {
		h = &c->hooks[c->nhooks++];
		*h = (struct sp_conf_hook){.line = p->line};
		memcpy(h->name, name, sizeof(name));
	}
}

/* on_hook_key sets one key of a [webhook.NAME] section. */
static int on_hook_key(struct parse *p, const char *section, const char *name, const char *value)
{
	struct sp_conf_hook *h = find_hook(p->c, section + HOOK_PREFIX_LEN,
					   strlen(section + HOOK_PREFIX_LEN));
	if (h == NULL)
		return 1; /* the reader already reported the section */
	for (size_t i = 0; i < NHOOK_KEYS; i++) {
		if (strcmp(hook_keys[i].name, name) != 0)
			continue;
		if (h->seen & (1u << i))
			return fail(p, "[%s] %s is set twice", section, name);
		h->seen |= 1u << i;
		return hook_keys[i].set(p, (char *)h + hook_keys[i].off, value, 0, 0);
	}
	return fail(p, "unknown key '%s' in [%s] (url, secret, include_contact)", name, section);
}

/* check_hooks: every endpoint has its url and secret; [webhooks] url has
 * its secret. */
static int check_hooks(struct parse *p)
{
	const struct sp_conf *c = p->c;
	for (size_t i = 0; i < c->nhooks; i++)
		for (size_t k = 0; k < NHOOK_KEYS; k++)
			if (hook_keys[k].required && !(c->hooks[i].seen & (1u << k))) {
				snprintf(p->why, p->cap, "%s:%u: [webhook.%s] %s is required", p->name,
					 c->hooks[i].line, c->hooks[i].name, hook_keys[k].name);
				return SP_ERR_CONFIG;
			}
	if (c->hook_url[0] && c->hook_secret_path[0] == '\0') {
		snprintf(p->why, p->cap, "%s: [webhooks] url is set but [webhooks] secret is not",
			 p->name);
		return SP_ERR_CONFIG;
	}
	return 0;
}

#define OFF(f) offsetof(struct sp_conf, f)

static const struct key keys[] = {
	{"node", "id", set_name, OFF(id), 1, SP_INST_ID_MAX, 1},
	{"node", "federation", set_name, OFF(federation), 1, SP_ORIGIN_NAME_MAX, 1},
	{"node", "key", set_path, OFF(key_path), 0, 0, 0},
	{"node", "key_previous", set_opt_path, OFF(key_prev), 0, 0, 0},
	{"node", "data", set_path, OFF(data_dir), 0, 0, 0},
	{"node", "log_level", set_level, OFF(log_level), 0, 0, 0},
	{"node", "seal_key", set_opt_path, OFF(seal_path), 0, 0, 0},
	{"node", "seal_keys_previous", set_seal_prev, 0, 0, 0, 0},
	{"http", "listen", set_listen, OFF(http_listen), 0, 0, 0},
	{"http", "max_body_bytes", set_u32, OFF(max_body_bytes), 1024, 64u << 20, 0},
	{"http", "max_connections", set_u32, OFF(max_connections), 1, 100000, 0},
	{"http", "max_connections_per_address", set_u32, OFF(max_per_address), 0, 100000, 0},
	{"http", "request_timeout_s", set_u32, OFF(request_timeout_s), 1, 3600, 0},
	{"http", "header_timeout_s", set_u32, OFF(header_timeout_s), 0, 3600, 0},
	{"http", "threads", set_u32, OFF(threads), 1, 64, 0},
	{"http", "rate_limit", set_u32, OFF(rate_limit), 0, 1000000, 0},
	{"http", "rate_burst", set_u32, OFF(rate_burst), 1, 1000000, 0},
	{"http", "tls_cert", set_opt_path, OFF(http_tls_cert), 0, 0, 0},
	{"http", "tls_key", set_opt_path, OFF(http_tls_key), 0, 0, 0},
	{"peer", "listen", set_url, OFF(peer_listen), 0, 0, 0},
	{"peer", "peers", set_peers, 0, 0, 0, 0},
	{"peer", "keys", set_peer_keys, 0, 0, 0, 0},
	{"peer", "tls_cert_key", set_opt_path, OFF(peer_tls_cert_key), 0, 0, 0},
	{"peer", "tls_ca", set_opt_path, OFF(peer_tls_ca), 0, 0, 0},
	{"peer", "attach_rate", set_u32, OFF(attach_rate), 0, 1u << 30, 0},
	{"peer", "siblings", set_u32, OFF(peer_siblings), 0, 1, 0},
	{"peer", "backup", set_u32, OFF(peer_backup), 0, 1, 0},
	{"peer", "penalty_ms", set_u32, OFF(penalty_ms), 0, 86400000, 0},
	{"peer", "penalty_max_ms", set_u32, OFF(penalty_max_ms), 0, 86400000, 0},
	{"federation", "root_key", set_vkey, 0, 0, 0, 0},
	{"federation", "directory", set_opt_path, OFF(directory), 0, 0, 0},
	{"federation", "await_record", set_u32, OFF(await_record), 0, 1, 0},
	{"deadlines", "verify_days", set_u32, OFF(verify_days), 1, 366, 0},
	{"deadlines", "answer_days", set_u32, OFF(answer_days), 1, 366, 0},
	{"deadlines", "window_days", set_u32, OFF(window_days), 1, 366, 0},
	{"deadlines", "ceiling_days", set_u32, OFF(ceiling_days), 1, 3660, 0},
	{"deadlines", "escalate_s", set_u32, OFF(escalate_s), 1, 86400, 0},
	{"checkpoint", "interval_ms", set_u32, OFF(checkpoint_ms), 10, 3600000, 0},
	{"webhooks", "url", set_hook_url, OFF(hook_url), 0, 0, 0},
	{"webhooks", "secret", set_opt_path, OFF(hook_secret_path), 0, 0, 0},
	{"webhooks", "interval_ms", set_u32, OFF(hook_interval_ms), 100, 3600000, 0},
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))
_Static_assert(NKEYS <= SP_CONF_KEYS && NKEYS <= 64, "a key's line and seen bit need room");

static int section_known(const char *s, size_t n)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strlen(keys[i].section) == n && memcmp(keys[i].section, s, n) == 0)
			return 1;
	return 0;
}

/* on_key is inih's handler: one call per "name = value". */
static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	int section_seen = 0;
	if (is_hook_section(section, strlen(section)))
		return on_hook_key(p, section, name, value);
	for (size_t i = 0; i < NKEYS; i++) {
		if (strcmp(keys[i].section, section) != 0)
			continue;
		section_seen = 1;
		if (strcmp(keys[i].name, name) != 0)
			continue;
		if (p->seen & (1ull << i))
			return fail(p, "[%s] %s is set twice (continuation lines are not supported)",
				    section, name);
		p->seen |= 1ull << i;
		p->c->line[i] = (uint16_t)(p->line < UINT16_MAX ? p->line : UINT16_MAX);
		return keys[i].set(p, (char *)p->c + keys[i].off, value, keys[i].lo, keys[i].hi);
	}
	if (*section == '\0')
		return fail(p, "'%s' is outside any section", name);
	if (!section_seen)
		return 1; /* the reader already reported the unknown section */
	return fail(p, "unknown key '%s' in [%s]", name, section);
}

/* reader gives inih one line at a time, counting lines and checking the
 * things inih cannot: line length and section names. */
static char *reader(char *str, int num, void *stream)
{
	struct parse *p = stream;
	if (p->pos >= p->len)
		return NULL;
	const char *s = p->text + p->pos;
	const char *nl = memchr(s, '\n', p->len - p->pos);
	size_t n = nl ? (size_t)(nl - s) + 1 : p->len - p->pos;
	p->pos += n;
	p->line++;
	if (n >= (size_t)num) {
		fail(p, "line longer than %d bytes", num - 2);
		n = 0;
	}
	memcpy(str, s, n);
	str[n] = '\0';
	const char *t = str + strspn(str, " \t");
	if (*t == '[') {
		size_t len = strcspn(t + 1, "]");
		if (t[1 + len] == ']' && is_hook_section(t + 1, len))
			hook_section(p, t + 1, len);
		else if (t[1 + len] == ']' && !section_known(t + 1, len))
			fail(p, "unknown section [%.*s]", (int)len, t + 1);
	}
	return str;
}

/* check_whole checks what only the whole file can show. */
static int check_whole(struct parse *p)
{
	struct sp_conf *c = p->c;
	for (size_t i = 0; i < NKEYS; i++) {
		if (keys[i].required && !(p->seen & (1ull << i))) {
			snprintf(p->why, p->cap, "%s: [%s] %s is required", p->name, keys[i].section,
				 keys[i].name);
			return SP_ERR_CONFIG;
		}
	}
	char origin[SP_ORIGIN_MAX + 1];
	struct sp_note_key k;
	static const uint8_t no_pk[32];
	if (sp_conf_origin(c, origin, sizeof(origin)) ||
	    sp_note_key_init(&k, origin, SP_NOTE_TYPE_ED25519, no_pk)) {
		snprintf(p->why, p->cap, "%s: origin '%s/%s' is not a valid key name", p->name,
			 c->federation, c->id);
		return SP_ERR_CONFIG;
	}
	if (!c->http_tls_cert[0] != !c->http_tls_key[0]) {
		snprintf(p->why, p->cap, "%s: [http] tls_cert and tls_key go together (HTTPS needs "
			 "the certificate and its private key)", p->name);
		return SP_ERR_CONFIG;
	}
	if (strncmp(c->peer_listen, "tls+tcp://", 10) == 0 && c->peer_tls_cert_key[0] == '\0') {
		snprintf(p->why, p->cap, "%s: [peer] listen is tls+tcp:// but [peer] tls_cert_key "
			 "(certificate and key, one PEM file) is not set", p->name);
		return SP_ERR_CONFIG;
	}
	if (c->penalty_max_ms < c->penalty_ms) {
		snprintf(p->why, p->cap, "%s: [peer] penalty_max_ms (%u) is below penalty_ms (%u)",
			 p->name, c->penalty_max_ms, c->penalty_ms);
		return SP_ERR_CONFIG;
	}
	if (check_hooks(p) != 0)
		return SP_ERR_CONFIG;
	uint32_t longest = c->verify_days > c->answer_days ? c->verify_days : c->answer_days;
	if (c->ceiling_days < longest) {
		snprintf(p->why, p->cap, "%s: [deadlines] ceiling_days (%u) is shorter than a stage",
			 p->name, c->ceiling_days);
		return SP_ERR_CONFIG;
	}
	return 0;
}

void sp_conf_defaults(struct sp_conf *c)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->key_path, "node.key");
	strcpy(c->data_dir, "data");
	c->log_level = SP_LOGX_INFO;
	strcpy(c->http_listen, "127.0.0.1:8080");
	c->max_body_bytes = 1u << 20;
	c->max_connections = 512;
	c->request_timeout_s = 30;
	c->max_per_address = 32;
	c->header_timeout_s = 10;
	c->threads = 4;
	c->hook_interval_ms = 2000;
	c->rate_limit = 20;
	c->rate_burst = 100;
	c->penalty_ms = 30000;
	c->penalty_max_ms = 3600000;
	c->peer_siblings = 1;
	c->peer_backup = 1;
	c->verify_days = 3;
	c->answer_days = 5;
	c->window_days = 10;
	c->ceiling_days = 60;
	c->escalate_s = 60;
	c->checkpoint_ms = 1000;
}

int sp_conf_parse(struct sp_conf *c, const char *text, size_t len, const char *name,
		  const char *base_dir, char *why, size_t cap)
{
	struct parse p = {.c = c, .name = name, .base = base_dir, .text = text, .len = len,
			  .why = why, .cap = cap};
	why[0] = '\0';
	snprintf(c->name, sizeof(c->name), "%s", name);
	/* Relative defaults start at the config's folder too. */
	char def[PATH_MAX];
	snprintf(def, sizeof(def), "%s", c->key_path);
	if (def[0] != '/')
		set_path(&p, c->key_path, def, 0, 0);
	snprintf(def, sizeof(def), "%s", c->data_dir);
	if (def[0] != '/')
		set_path(&p, c->data_dir, def, 0, 0);
	int line = ini_parse_stream(reader, &p, on_key, &p);
	if (line > 0 && (p.err_line == 0 || (unsigned)line < p.err_line)) {
		p.err_line = 0;
		p.line = (unsigned)line;
		fail(&p, "expected 'key = value', '[section]' or a ';' comment");
	}
	if (line < 0) {
		snprintf(why, cap, "%s: out of memory", name);
		return SP_ERR_NOMEM;
	}
	if (p.err_line)
		return SP_ERR_CONFIG;
	return check_whole(&p);
}

int sp_conf_load(struct sp_conf *c, const char *path, char *why, size_t cap)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(why, cap, "%s: %s", path, strerror(errno));
		return SP_ERR_IO;
	}
	char *text = malloc(1 << 20);
	size_t n = text ? fread(text, 1, 1 << 20, f) : 0;
	int bad = text == NULL || ferror(f) || n == 1 << 20;
	fclose(f);
	if (bad) {
		free(text);
		snprintf(why, cap, "%s: cannot read it (or it is over 1 MiB)", path);
		return SP_ERR_IO;
	}
	char base[PATH_MAX];
	snprintf(base, sizeof(base), "%s", path);
	char *slash = strrchr(base, '/');
	if (slash == NULL)
		strcpy(base, ".");
	else if (slash == base)
		base[1] = '\0';
	else
		*slash = '\0';
	sp_conf_defaults(c);
	int rc = sp_conf_parse(c, text, n, path, base, why, cap);
	free(text);
	return rc;
}

int sp_conf_load_default(struct sp_conf *c, const char *base_dir, char *why, size_t cap)
{
	sp_conf_defaults(c);
	return sp_conf_parse(c, sp_conf_default_ini, strlen(sp_conf_default_ini), "(built-in)",
			     base_dir, why, cap);
}

const char *sp_conf_where(const struct sp_conf *c, const char *section, const char *name,
			  char *buf, size_t cap)
{
	unsigned line = 0;
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].name, name) == 0)
			line = c->line[i];
	if (line)
		snprintf(buf, cap, "%s:%u: [%s] %s", c->name, line, section, name);
	else
		snprintf(buf, cap, "%s: [%s] %s (default)", c->name, section, name);
	return buf;
}

int sp_conf_origin(const struct sp_conf *c, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "%s/%s", c->federation, c->id);
	return n < 0 || (size_t)n >= cap ? SP_ERR_RANGE : 0;
}

int sp_conf_parse_listen(const char *s, char *host, size_t host_cap, uint16_t *port)
{
	const char *colon;
	size_t hlen;
	int v6 = s[0] == '[';
	if (v6) {
		const char *close = strchr(s, ']');
		if (close == NULL || close[1] != ':')
			return SP_ERR_ARG;
		hlen = (size_t)(close - s - 1);
		colon = close + 1;
		s++;
	} else {
		colon = strchr(s, ':');
		if (colon == NULL || strchr(colon + 1, ':'))
			return SP_ERR_ARG;
		hlen = (size_t)(colon - s);
	}
	if (hlen == 0 || hlen >= host_cap || !isdigit((unsigned char)colon[1]))
		return SP_ERR_ARG;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	char *end;
	unsigned long p = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || p > 65535 || (colon[1] == '0' && colon[2] != '\0'))
		return SP_ERR_ARG;
	unsigned char tmp[16];
	if (inet_pton(v6 ? AF_INET6 : AF_INET, host, tmp) != 1)
		return SP_ERR_ARG;
	*port = (uint16_t)p;
	return 0;
}

/* ---- what --check-config checks beyond the file ------------------------------------------ */

/* port_free: 1 if host:port can be bound now (0 is always free). */
static int port_free(const char *listen)
{
	char host[64];
	uint16_t port;
	if (sp_conf_parse_listen(listen, host, sizeof(host), &port) != 0 || port == 0)
		return 1;
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	socklen_t len;
	int v6 = strchr(host, ':') != NULL;
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		inet_pton(AF_INET6, host, &a->sin6_addr);
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		inet_pton(AF_INET, host, &a->sin_addr);
		len = sizeof(*a);
	}
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return 1;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	int ok = bind(fd, (struct sockaddr *)&ss, len) == 0 || errno != EADDRINUSE;
	close(fd);
	return ok;
}

/* check_secret: a webhook's key file can be read and holds 1 to 1024
 * bytes (section "webhooks" or an endpoint's name, line its section's). */
static int check_secret(const char *path, char *why, size_t cap, const char *name, unsigned line,
			const char *section)
{
	struct stat st;
	char where[64] = "";
	if (line)
		snprintf(where, sizeof(where), ":%u", line);
	int bad = stat(path, &st) != 0 || access(path, R_OK) != 0;
	if (bad || !S_ISREG(st.st_mode) || st.st_size < 1 || st.st_size > 1024) {
		snprintf(why, cap, "%s%s: [%s%s] secret = %s: %s", name, where,
			 line ? HOOK_PREFIX : "", section, path,
			 bad ? strerror(errno) : "not a file of 1 to 1024 bytes");
		return SP_ERR_CONFIG;
	}
	return 0;
}

int sp_conf_check_env(const struct sp_conf *c, char *why, size_t cap)
{
	uint8_t pk[SP_KEYFILE_PK], sk[SP_KEYFILE_SK], seed[SP_KEYFILE_SEED];
	char kwhy[SP_KEYFILE_WHY], w[PATH_MAX + 64];
	struct stat st;
	int rc = sp_keyfile_load(c->key_path, pk, sk, kwhy, sizeof(kwhy));
	sodium_memzero(sk, sizeof(sk));
	if (rc) {
		snprintf(why, cap, "%s = %s: %s", sp_conf_where(c, "node", "key", w, sizeof(w)),
			 c->key_path, kwhy);
		return SP_ERR_CONFIG;
	}
	if (c->key_prev[0] && sp_keyfile_load(c->key_prev, pk, sk, kwhy, sizeof(kwhy)) != 0) {
		sodium_memzero(sk, sizeof(sk));
		snprintf(why, cap, "%s = %s: %s",
			 sp_conf_where(c, "node", "key_previous", w, sizeof(w)), c->key_prev, kwhy);
		return SP_ERR_CONFIG;
	}
	sodium_memzero(sk, sizeof(sk));
	if (c->seal_path[0]) {
		rc = sp_sealfile_load(c->seal_path, pk, seed, kwhy, sizeof(kwhy));
		sodium_memzero(seed, sizeof(seed));
		if (rc) {
			snprintf(why, cap, "%s = %s: %s",
				 sp_conf_where(c, "node", "seal_key", w, sizeof(w)), c->seal_path,
				 kwhy);
			return SP_ERR_CONFIG;
		}
	}
	for (size_t i = 0; i < c->nseal_prev; i++) {
		rc = sp_sealfile_load(c->seal_prev[i], pk, seed, kwhy, sizeof(kwhy));
		sodium_memzero(seed, sizeof(seed));
		if (rc) {
			snprintf(why, cap, "%s: %s: %s",
				 sp_conf_where(c, "node", "seal_keys_previous", w, sizeof(w)),
				 c->seal_prev[i], kwhy);
			return SP_ERR_CONFIG;
		}
	}
	if (stat(c->data_dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
		snprintf(why, cap, "%s = %s: not a folder",
			 sp_conf_where(c, "node", "data", w, sizeof(w)), c->data_dir);
		return SP_ERR_CONFIG;
	}
	if (c->directory[0] && stat(c->directory, &st) != 0) {
		snprintf(why, cap, "%s = %s: %s",
			 sp_conf_where(c, "federation", "directory", w, sizeof(w)), c->directory,
			 strerror(errno));
		return SP_ERR_CONFIG;
	}
	const char *const tls[2][2] = {{"tls_cert", c->http_tls_cert}, {"tls_key", c->http_tls_key}};
	for (int i = 0; i < 2; i++)
		if (tls[i][1][0] && access(tls[i][1], R_OK) != 0) {
			snprintf(why, cap, "%s = %s: %s",
				 sp_conf_where(c, "http", tls[i][0], w, sizeof(w)), tls[i][1],
				 strerror(errno));
			return SP_ERR_CONFIG;
		}
	if (c->hook_url[0] && check_secret(c->hook_secret_path, why, cap, c->name, 0, "webhooks"))
		return SP_ERR_CONFIG;
	for (size_t i = 0; i < c->nhooks; i++)
		if (check_secret(c->hooks[i].secret_path, why, cap, c->name, c->hooks[i].line,
				 c->hooks[i].name))
			return SP_ERR_CONFIG;
	if (!port_free(c->http_listen)) {
		snprintf(why, cap, "%s = %s: the port is in use",
			 sp_conf_where(c, "http", "listen", w, sizeof(w)), c->http_listen);
		return SP_ERR_CONFIG;
	}
	const char *hostport = strstr(c->peer_listen, "://");
	if (hostport && !port_free(hostport + 3)) {
		snprintf(why, cap, "%s = %s: the port is in use",
			 sp_conf_where(c, "peer", "listen", w, sizeof(w)), c->peer_listen);
		return SP_ERR_CONFIG;
	}
	return 0;
}
