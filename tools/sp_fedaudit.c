/*
 * sp_fedaudit.c - the coordinator's audit (see sp_fedaudit.h): sources,
 * the directory, and every institution's log fetched over tlog-tiles and
 * verified, with the checkpoints of every source and the previous audit
 * compared with the verified tree.
 */
#include "sp_fedaudit.h"
#include "sp_fedaudit_fig.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "sp_dirlog.h"
#include "sp_err.h"
#include "sp_files.h"
#include "sp_hex.h"
#include "sp_progress.h"

#define HTTP_TIMEOUT_S 30L

/* textf: snprintf for messages, where cutting a long URL short is fine. */
static void textf(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void textf(char *out, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out, cap, fmt, ap);
	va_end(ap);
}

const char *sp_fa_status_name(enum sp_fa_log_status s)
{
	static const char *const names[] = {"ok", "partial", "unverified", "forked", "absent"};
	return (unsigned)s < 5 ? names[s] : "?";
}

/* ---- sources ---------------------------------------------------------------------- */

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct sp_buf *b = arg;
	sp_buf_put(b, p, size * n);
	return b->err ? 0 : size * n;
}

/* http_get fetches URL into out (at most max bytes): 0, SP_ERR_NOT_FOUND on
 * 404, SP_ERR_IO otherwise (why says what). */
static int http_get(struct sp_fa_source *s, const char *url, size_t max, struct sp_buf *out,
		    char *why, size_t cap)
{
	CURL *c = s->conn;
	if (c == NULL && (c = s->conn = curl_easy_init()) == NULL)
		return SP_ERR_NOMEM;
	out->len = 0;
	out->err = 0;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, HTTP_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	CURLcode cc = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (cc != CURLE_OK) {
		textf(why, cap, "%s: %s", url, curl_easy_strerror(cc));
		return SP_ERR_IO;
	}
	s->reached = 1;
	if (status == 404)
		return SP_ERR_NOT_FOUND;
	if (status != 200) {
		textf(why, cap, "%s: HTTP %ld", url, status);
		return SP_ERR_IO;
	}
	if (out->len > max)
		return SP_ERR_RANGE;
	return out->err;
}

/* What an sp_audit_src reads through: one source, one log. */
struct getter {
	struct sp_fa *a;
	struct sp_fa_source *s;
	const char *inst;
	char why[SP_FA_WHY];
};

static void save_copy(const struct sp_fa *a, const char *inst, const char *rel,
		      const struct sp_buf *b)
{
	char path[PATH_MAX];
	if (a->o.save == NULL ||
	    snprintf(path, sizeof(path), "%s/%s/%s", a->o.save, inst, rel) >= (int)sizeof(path))
		return;
	char *slash = strrchr(path, '/');
	*slash = '\0';
	sp_mkdirs(path, 0755);
	*slash = '/';
	sp_file_replace(path, b->p, b->len);
}

static int src_get(void *arg, const char *rel, size_t max, struct sp_buf *out)
{
	struct getter *g = arg;
	char path[PATH_MAX];
	int n = g->s->http ? snprintf(path, sizeof(path), "%s/logs/%s/%s", g->s->name, g->inst, rel)
			   : snprintf(path, sizeof(path), "%s/%s/%s", g->s->name, g->inst, rel);
	if (n >= (int)sizeof(path))
		return SP_ERR_RANGE;
	int rc;
	if (g->s->http) {
		rc = http_get(g->s, path, max, out, g->why, sizeof(g->why));
	} else {
		out->len = 0;
		out->err = 0;
		rc = sp_file_read(path, max, out);
		g->s->reached = 1;
	}
	if (rc == 0 && strcmp(rel, "checkpoint") != 0)
		save_copy(g->a, g->inst, rel, out);
	return rc;
}

static int sources_open(struct sp_fa *a)
{
	if (a->o.n_sources == 0 || a->o.n_sources > SP_FA_MAX_SOURCES)
		return sp_say(a->why, sizeof(a->why), SP_ERR_ARG, "give 1..%d sources",
			      SP_FA_MAX_SOURCES);
	for (size_t i = 0; i < a->o.n_sources; i++) {
		struct sp_fa_source *s = &a->src[a->n_src++];
		const char *n = a->o.sources[i];
		size_t len = strlen(n);
		while (len > 1 && n[len - 1] == '/')
			len--; /* "http://x/" and "dir/" name the same thing as without */
		if (len >= sizeof(s->name))
			return sp_say(a->why, sizeof(a->why), SP_ERR_ARG, "source too long: %s", n);
		memcpy(s->name, n, len);
		s->name[len] = '\0';
		s->http = strncmp(n, "http://", 7) == 0 || strncmp(n, "https://", 8) == 0;
		struct stat st;
		if (!s->http && (stat(s->name, &st) != 0 || !S_ISDIR(st.st_mode)))
			snprintf(s->why, sizeof(s->why), "not a folder");
	}
	return 0;
}

static void sources_close(struct sp_fa *a)
{
	for (size_t i = 0; i < a->n_src; i++)
		if (a->src[i].conn)
			curl_easy_cleanup(a->src[i].conn);
}

/* ---- the previous audit ------------------------------------------------------------- */

static int b64_root(const char *s, uint8_t out[32])
{
	size_t n = 0;
	if (s == NULL || sodium_base642bin(out, 32, s, strlen(s), NULL, &n, NULL,
					   sodium_base64_VARIANT_ORIGINAL) != 0 || n != 32)
		return SP_ERR_BASE64;
	return 0;
}

static void b64_of(const uint8_t root[32], char out[64])
{
	sodium_bin2base64(out, 64, root, 32, sodium_base64_VARIANT_ORIGINAL);
}

/* state_load reads the previous audit's state (none yet: fine). */
static int state_load(struct sp_fa *a)
{
	if (a->o.state_in == NULL)
		return 0;
	json_error_t je;
	struct stat st;
	if (stat(a->o.state_in, &st) != 0)
		return 0; /* the first audit: nothing to compare with */
	json_t *j = json_load_file(a->o.state_in, 0, &je);
	if (j == NULL)
		return sp_say(a->why, sizeof(a->why), SP_ERR_CORRUPT, "state file %s: %s",
			      a->o.state_in, je.text);
	const char *root = json_string_value(json_object_get(j, "root_vkey"));
	if (root == NULL || strcmp(root, a->o.root_vkey) != 0) {
		json_decref(j);
		return sp_say(a->why, sizeof(a->why), SP_ERR_INCONSISTENT,
			      "state file %s is of another federation (root_vkey)", a->o.state_in);
	}
	a->state = j;
	return 0;
}

/* prev_of fills l's prev fields from the previous audit's state. */
static void prev_of(const struct sp_fa *a, struct sp_fa_log *l)
{
	json_t *e = json_object_get(json_object_get(a->state, "logs"), l->inst);
	json_int_t size = json_integer_value(json_object_get(e, "size"));
	if (e == NULL || size <= 0 ||
	    b64_root(json_string_value(json_object_get(e, "root")), l->prev_root))
		return;
	l->prev = 1;
	l->prev_size = (uint64_t)size;
}

int sp_fa_state_write(const struct sp_fa *a, const char *path)
{
	json_t *logs = json_object();
	for (size_t i = 0; i < a->n_logs; i++) {
		const struct sp_fa_log *l = &a->logs[i];
		char b64[64];
		/* a tree that reached a resolution's size is of the branch kept
		 * (audit_log set aside the others): it replaces a previous audit's
		 * longer tree, which may be of the branch set aside */
		int kept = l->resolved && l->verified >= l->res.size;
		int mine = l->verified > 0 && (!l->prev || l->verified >= l->prev_size || kept) &&
			   l->status != SP_FA_LOG_FORKED;
		if (!mine && !l->prev)
			continue;
		b64_of(mine ? l->root : l->prev_root, b64);
		json_object_set_new(logs, l->inst,
				    json_pack("{s:I,s:s}", "size",
					      (json_int_t)(mine ? l->verified : l->prev_size), "root",
					      b64));
	}
	json_t *j = json_pack("{s:s,s:I,s:o}", "root_vkey", a->o.root_vkey, "at",
			      (json_int_t)a->o.now_ms, "logs", logs);
	char *text = j ? json_dumps(j, JSON_SORT_KEYS | JSON_INDENT(1)) : NULL;
	json_decref(j);
	int rc = text ? sp_file_replace(path, text, strlen(text)) : SP_ERR_NOMEM;
	free(text);
	return rc;
}

/* ---- collecting verified entries ------------------------------------------------------ */

/* An attempt at one log from one source: the entries it accepted. */
struct attempt {
	struct sp_fa *a;
	struct sp_fa_log *l;
	uint32_t log;
	int directory; /* the coordinator's log: keep directory records too */
	uint8_t *bytes;
	size_t bytes_len, bytes_cap;
	struct sp_fa_item *items;
	size_t n_items, cap_items;
};

static int keep_entry(void *arg, const struct sp_entry *e, const uint8_t *bytes, size_t len,
		      const uint8_t hash[SP_HASH_BYTES])
{
	struct attempt *t = arg;
	int report = e->type == SP_EV_REPORT || e->type == SP_EV_ACTION ||
		     e->type == SP_EV_ESCALATION || e->type == SP_EV_TRANSFER ||
		     e->type == SP_EV_KEY_GRANT;
	int dir = t->directory && e->type < SP_EV_REPORT;
	if (!report && !dir)
		return 0;
	if (sp_grow_to((void **)&t->bytes, &t->bytes_cap, t->bytes_len + len, 1) ||
	    sp_grow_to((void **)&t->items, &t->cap_items, t->n_items + 1, sizeof(*t->items)))
		return SP_ERR_NOMEM;
	struct sp_fa_item *it = &t->items[t->n_items++];
	memset(it, 0, sizeof(*it));
	it->log = t->log;
	it->index = e->index;
	it->time_ms = e->time_ms;
	it->type = e->type;
	it->off = t->bytes_len;
	it->len = len;
	it->body_off = (size_t)(e->body - bytes); /* e was decoded from bytes */
	it->body_len = e->body_len;
	memcpy(it->hash, hash, SP_HASH_BYTES);
	memcpy(t->bytes + t->bytes_len, bytes, len);
	t->bytes_len += len;
	return 0;
}

static void attempt_free(struct attempt *t)
{
	free(t->bytes);
	free(t->items);
	t->bytes = NULL;
	t->items = NULL;
	t->bytes_len = t->bytes_cap = t->n_items = t->cap_items = 0;
}

/* ---- one log --------------------------------------------------------------------------- */

/* A checkpoint as one source served it. */
struct served {
	struct sp_buf note;
	struct sp_checkpoint c;
};

static void count_cosigs(struct sp_fa *a, struct sp_fa_log *l, const struct sp_buf *note,
			 struct sp_fa_seen *seen, int fill)
{
	struct sp_note *n = malloc(sizeof(*n));
	if (n == NULL || sp_note_parse((const char *)note->p, note->len, n) != 0) {
		free(n);
		return;
	}
	size_t flen = strlen(a->federation);
	for (size_t i = 0; i < n->nsigs; i++) {
		const struct sp_note_sig *sg = &n->sigs[i];
		if (sg->name_len == strlen(l->origin) && memcmp(sg->name, l->origin, sg->name_len) == 0)
			continue; /* the log's own signature */
		char inst[SP_INST_ID_MAX + 1] = "";
		struct sp_dir_inst w;
		struct sp_note_key k;
		if (sg->name_len > flen + 1 && sg->name_len - flen - 1 <= SP_INST_ID_MAX &&
		    memcmp(sg->name, a->federation, flen) == 0 && sg->name[flen] == '/')
			memcpy(inst, sg->name + flen + 1, sg->name_len - flen - 1);
		if (inst[0] == '\0' || a->dir == NULL ||
		    sp_dir_institution(a->dir, inst, SP_DIR_TIME_MAX, &w) != 0) {
			seen->cosigs_unknown++;
			continue;
		}
		char name[SP_ORIGIN_MAX + 1];
		snprintf(name, sizeof(name), "%.*s", (int)sg->name_len, sg->name);
		/* the witness key is its node key: any of its history */
		struct sp_keyhist wh;
		int found = sp_dir_keyhist(a->dir, inst, &wh) == 0;
		for (size_t j = wh.n; found && j-- > 0;)
			if (sp_note_key_init(&k, name, SP_NOTE_TYPE_COSIG, wh.pk[j]) == 0 &&
			    memcmp(k.id, sg->id, 4) == 0)
				break;
			else if (j == 0)
				found = 0;
		if (!found) {
			seen->cosigs_unknown++;
			continue;
		}
		uint64_t ts;
		if (sp_cosig_verify((const char *)note->p, note->len, &k, &ts) != 0) {
			seen->cosigs_bad++;
			continue;
		}
		seen->cosigs_ok++;
		if (fill) {
			size_t used = strlen(l->cosigners);
			snprintf(l->cosigners + used, sizeof(l->cosigners) - used, "%s%s",
				 used ? " " : "", inst);
			l->n_cosigners++;
		}
	}
	free(n);
}

/* cosigners_of lists who cosigned the checkpoint used, and saves it. */
static void cosigners_of(struct sp_fa *a, struct sp_fa_log *l)
{
	struct sp_fa_seen dummy = {0};
	struct sp_buf b = {.p = (uint8_t *)l->note, .len = l->note_len};
	l->n_cosigners = 0;
	l->cosigners[0] = '\0';
	count_cosigs(a, l, &b, &dummy, 1);
	save_copy(a, l->inst, "checkpoint", &b);
}

/* fetch_checkpoints asks every source for the log's checkpoint. */
static void fetch_checkpoints(struct sp_fa *a, struct sp_fa_log *l, struct served *sv)
{
	for (size_t s = 0; s < a->n_src; s++) {
		struct sp_fa_seen *seen = &l->seen[s];
		seen->agrees = -1;
		sp_buf_init(&sv[s].note);
		if (a->src[s].why[0] && !a->src[s].reached) {
			/* a folder that is not one, a node that never answered */
			seen->err = SP_ERR_IO;
			snprintf(seen->why, sizeof(seen->why), "%s", a->src[s].why);
			continue;
		}
		struct getter g = {a, &a->src[s], l->inst, ""};
		int rc = src_get(&g, "checkpoint", SP_NOTE_MAX, &sv[s].note);
		if (rc == 0)
			rc = sp_keyhist_checkpoint_open(&l->keys, 0, l->origin,
							(const char *)sv[s].note.p, sv[s].note.len,
							&sv[s].c, NULL);
		seen->err = rc;
		if (rc == SP_ERR_IO && g.why[0]) {
			snprintf(seen->why, sizeof(seen->why), "%s", g.why);
			if (!a->src[s].reached && a->src[s].why[0] == '\0')
				textf(a->src[s].why, sizeof(a->src[s].why), "unreachable: %s", g.why);
		} else if (rc && rc != SP_ERR_NOT_FOUND) {
			snprintf(seen->why, sizeof(seen->why), "checkpoint: %s", sp_errname(rc));
		}
		if (rc)
			continue;
		seen->size = sv[s].c.size;
		memcpy(seen->root, sv[s].c.root, 32);
		count_cosigs(a, l, &sv[s].note, seen, 0);
		if (sv[s].c.size > l->cp_size)
			l->cp_size = sv[s].c.size;
	}
}

/* settled: a signed statement of size `size` that contradicts the verified
 * tree is the fork the coordinator resolved, not a new one: it is about
 * the tree the resolution fixed (the nodes' rule, sp_dir_forkres_covers),
 * or its source's own entries have another root at the resolution's size
 * (aside). */
static int settled(const struct sp_fa_log *l, uint64_t size, int aside)
{
	return l->resolved && (aside || sp_dir_forkres_covers(l->res.size, 1, size));
}

/* kept_branch: attempt au is not of the branch a resolution set aside: it
 * has the resolution's root at its size, or it is shorter (nothing to tell
 * it by), or the log has no resolution. */
static int kept_branch(const struct sp_fa_log *l, const struct sp_audit *au)
{
	uint8_t root[32];
	return !l->resolved || sp_audit_marked(au, l->res.size, root) != 0 ||
	       sodium_memcmp(root, l->res.root, 32) == 0;
}

/* compare_seen checks every source's checkpoint, and the previous audit,
 * against the tree a verified: a signed checkpoint whose size the tree
 * reached and whose root it does not have is proof of a fork. */
static void compare_seen(struct sp_fa *a, struct sp_fa_log *l, const struct sp_audit *au)
{
	uint8_t root[32];
	for (size_t s = 0; s < a->n_src; s++) {
		struct sp_fa_seen *seen = &l->seen[s];
		if (seen->err || sp_audit_marked(au, seen->size, root) != 0)
			continue;
		seen->agrees = sodium_memcmp(root, seen->root, 32) == 0;
		if (!seen->agrees && settled(l, seen->size, seen->set_aside)) {
			seen->set_aside = 1;
			textf(seen->why, sizeof(seen->why),
			      "the branch set aside by the coordinator's resolution (entry %llu of "
			      "its log): another root at size %llu",
			      (unsigned long long)l->res_entry, (unsigned long long)seen->size);
		} else if (!seen->agrees) {
			l->status = SP_FA_LOG_FORKED;
			textf(l->why, sizeof(l->why),
				 "fork: the checkpoint of size %llu from %s is signed by the log's key "
				 "but the signed entries have another root",
				 (unsigned long long)seen->size, a->src[s].name);
		}
	}
	l->prev_ok = -1;
	if (l->prev && sp_audit_marked(au, l->prev_size, root) == 0) {
		l->prev_ok = sodium_memcmp(root, l->prev_root, 32) == 0;
		l->prev_set_aside = !l->prev_ok && settled(l, l->prev_size, 0);
		if (!l->prev_ok && !l->prev_set_aside) {
			l->status = SP_FA_LOG_FORKED;
			snprintf(l->why, sizeof(l->why),
				 "rewritten: the tree of size %llu verified by the previous audit has "
				 "another root now", (unsigned long long)l->prev_size);
		}
	}
}

/* try_source verifies the log's tiles at source s up to its checkpoint,
 * into attempt t; returns the checker's error (0: all verified). */
static int try_source(struct sp_fa *a, struct sp_fa_log *l, size_t s, const struct served *sv,
		      struct attempt *t, struct sp_audit *au)
{
	sp_audit_init(au, &l->keys, a->o.pool);
	au->entry_fn = keep_entry;
	au->entry_ctx = t;
	_Static_assert(SP_AUDIT_MARKS >= SP_FA_MAX_SOURCES + 2, "a size per source, prev, resolution");
	if (l->resolved)
		sp_audit_mark(au, l->res.size);
	if (l->prev)
		sp_audit_mark(au, l->prev_size);
	for (size_t k = 0; k < a->n_src; k++)
		if (l->seen[k].err == 0)
			sp_audit_mark(au, l->seen[k].size);
	struct getter g = {a, &a->src[s], l->inst, ""};
	struct sp_audit_src src = {src_get, &g, a->src[s].name};
	struct sp_progress prog;
	if (!a->o.quiet)
		sp_progress_init(&prog, l->inst, sv[s].c.size);
	uint64_t tiles = 0;
	int rc = sp_audit_tiles_check(au, &src, sv[s].c.size, a->o.quiet ? NULL : &prog, &tiles);
	if (!a->o.quiet)
		sp_progress_done(&prog);
	l->tiles = tiles;
	if (rc) {
		l->seen[s].tiles_err = rc;
		textf(l->seen[s].why, sizeof(l->seen[s].why), "%s at %s%s%s", sp_errname(rc),
			 au->fail.where, g.why[0] ? ": " : "", g.why);
	}
	return rc;
}

/* keep_attempt makes attempt t (verified au->tree.size entries from source
 * s) the log's result. */
static void keep_attempt(struct sp_fa_log *l, struct attempt *t, const struct sp_audit *au,
			 size_t s)
{
	free(l->bytes);
	free(l->items);
	l->bytes = t->bytes;
	l->bytes_len = t->bytes_len;
	l->bytes_cap = t->bytes_cap;
	l->items = t->items;
	l->n_items = t->n_items;
	l->cap_items = t->cap_items;
	t->bytes = NULL;
	t->items = NULL;
	t->bytes_len = t->bytes_cap = t->n_items = t->cap_items = 0;
	l->verified = au->tree.size;
	sp_audit_root(au, l->root);
	l->src = (int)s;
}

/* best_source: the unused source with the largest valid checkpoint. */
static int best_source(const struct sp_fa_log *l, size_t n, const int *tried)
{
	int best = -1;
	for (size_t s = 0; s < n; s++)
		if (!tried[s] && l->seen[s].err == 0 &&
		    (best < 0 || l->seen[s].size > l->seen[best].size))
			best = (int)s;
	return best;
}

static void why_unverified(struct sp_fa *a, struct sp_fa_log *l)
{
	size_t held = 0, down = 0, bad = 0;
	for (size_t s = 0; s < a->n_src; s++) {
		held += l->seen[s].err == 0;
		down += l->seen[s].err == SP_ERR_IO;
		bad += l->seen[s].err && l->seen[s].err != SP_ERR_IO &&
		       l->seen[s].err != SP_ERR_NOT_FOUND;
	}
	if (held == 0 && down == 0 && bad == 0) {
		l->status = SP_FA_LOG_ABSENT;
		snprintf(l->why, sizeof(l->why), "no source holds this log");
	} else if (held == 0) {
		snprintf(l->why, sizeof(l->why), "no source serves a validly signed checkpoint%s",
			 down ? " (some sources unreachable)" : "");
	}
}

/* audit_log: every source's checkpoint, then the tiles of the largest one
 * (the next largest if a source serves bad data), then the comparisons. */
static int audit_log(struct sp_fa *a, uint32_t i, int directory)
{
	struct sp_fa_log *l = &a->logs[i];
	struct sp_note_key key;
	l->src = -1;
	l->status = SP_FA_LOG_UNVERIFIED;
	l->seen = calloc(a->n_src, sizeof(*l->seen));
	struct served *sv = calloc(a->n_src, sizeof(*sv));
	int *tried = calloc(a->n_src, sizeof(int));
	if (l->seen == NULL || sv == NULL || tried == NULL) {
		free(sv);
		free(tried);
		return SP_ERR_NOMEM;
	}
	int rc = sp_note_key_init(&key, l->origin, SP_NOTE_TYPE_ED25519, l->pk);
	if (rc == 0)
		fetch_checkpoints(a, l, sv);
	int s, kept = -1;
	while (rc == 0 && (s = best_source(l, a->n_src, tried)) >= 0) {
		tried[s] = 1;
		struct attempt t = {a, l, i, directory, NULL, 0, 0, NULL, 0, 0};
		struct sp_audit au;
		int bad = try_source(a, l, (size_t)s, sv, &t, &au);
		if (bad == SP_ERR_NOMEM)
			rc = bad;
		int aside = rc == 0 && !kept_branch(l, &au);
		if (aside) { /* never the log's result; the next source is tried */
			l->seen[s].set_aside = 1;
			textf(l->seen[s].why, sizeof(l->seen[s].why),
			      "the branch set aside by the coordinator's resolution (entry %llu of "
			      "its log): another root at size %llu",
			      (unsigned long long)l->res_entry, (unsigned long long)l->res.size);
			bad = SP_ERR_FORK_RESOLVED;
		}
		if (rc == 0 && !aside && (kept < 0 || bad == 0 || au.tree.size > l->verified)) {
			keep_attempt(l, &t, &au, (size_t)s);
			l->why[0] = '\0';
			kept = s;
			l->status = bad ? SP_FA_LOG_PARTIAL : SP_FA_LOG_OK;
			compare_seen(a, l, &au);
		}
		attempt_free(&t);
		sp_audit_free(&au);
		if (bad == 0)
			break;
	}
	if (l->status == SP_FA_LOG_PARTIAL && l->why[0] == '\0')
		textf(l->why, sizeof(l->why), "%llu of %llu entries verified: %s",
			 (unsigned long long)l->verified, (unsigned long long)l->cp_size,
			 l->seen[kept].why);
	if (l->status == SP_FA_LOG_UNVERIFIED)
		why_unverified(a, l);
	if (kept < 0 && l->resolved && l->why[0] == '\0')
		textf(l->why, sizeof(l->why),
		      "only the branch the coordinator's resolution set aside is served (resolution: "
		      "%llu entries, entry %llu of its log)",
		      (unsigned long long)l->res.size, (unsigned long long)l->res_entry);
	if (kept >= 0) {
		l->note = (char *)sp_buf_take(&sv[kept].note, &l->note_len);
		cosigners_of(a, l);
	}
	for (size_t k = 0; k < a->n_src; k++)
		sp_buf_free(&sv[k].note);
	free(sv);
	free(tried);
	return rc;
}

/* ---- the directory ----------------------------------------------------------------------- */

/* keep_resolution records the coordinator's entry buf[0..len) if it is a
 * fork resolution in force (the nodes' rule, sp_dir_forkres_entry); a
 * later one of the same log replaces an earlier one. */
static int keep_resolution(struct sp_fa *a, const uint8_t *buf, size_t len)
{
	struct sp_fa_res x;
	if (sp_dir_forkres_entry(a->dir, buf, len, &x.r, &x.entry) != 0)
		return 0; /* refused by every node too */
	for (size_t i = 0; i < a->n_res; i++)
		if (strcmp(a->res[i].r.inst, x.r.inst) == 0) {
			a->res[i] = x;
			return 0;
		}
	struct sp_fa_res *n = realloc(a->res, (a->n_res + 1) * sizeof(*n));
	if (n == NULL)
		return SP_ERR_NOMEM;
	a->res = n;
	a->res[a->n_res++] = x;
	return 0;
}

/* resolution_of gives log l the resolution in force for it, if any. */
static void resolution_of(const struct sp_fa *a, struct sp_fa_log *l)
{
	for (size_t i = 0; i < a->n_res; i++)
		if (strcmp(a->res[i].r.inst, l->inst) == 0) {
			l->resolved = 1;
			l->res = a->res[i].r;
			l->res_entry = a->res[i].entry;
		}
}

/* apply_directory builds the directory and calendar from the verified
 * entries of the coordinator's log, in log order, as every node does. */
static int apply_directory(struct sp_fa *a)
{
	struct sp_fa_log *l = &a->logs[0];
	uint8_t *cal2026;
	size_t cal_len;
	int rc = sp_cal_default_2026(&cal2026, &cal_len);
	if (rc == 0) {
		rc = sp_cal_load_year(&a->cal, cal2026, cal_len);
		free(cal2026);
	}
	if (rc == 0)
		rc = sp_dir_new(a->root.pk, &a->dir);
	size_t keep = 0;
	for (size_t i = 0; rc == 0 && i < l->n_items; i++) {
		struct sp_fa_item *it = &l->items[i];
		if (it->type >= SP_EV_REPORT) {
			l->items[keep++] = *it;
			continue;
		}
		struct sp_entry e, rec;
		int r = sp_entry_decode(l->bytes + it->off, it->len, &e);
		if (r == 0)
			r = sp_dirlog_apply(a->dir, &a->cal, &e, &rec);
		if (r == SP_ERR_NOMEM)
			rc = r; /* a refused record is skipped, as every node skips it */
		if (r == 0 && it->type == SP_EV_FORK_RESOLVE)
			rc = keep_resolution(a, l->bytes + it->off, it->len);
	}
	l->n_items = keep;
	if (rc == 0 && sp_dir_coordinator(a->dir, a->coordinator) != 0)
		rc = sp_say(a->why, sizeof(a->why), SP_ERR_DIR_RECORD,
			    "the coordinator's log holds no coordinator record");
	return rc;
}

struct collect {
	struct sp_fa *a;
	int rc;
};

static int add_inst(void *arg, const struct sp_dir_inst *in)
{
	struct collect *c = arg;
	struct sp_fa *a = c->a;
	struct sp_fa_log *l = NULL;
	for (size_t i = 0; i < a->n_logs && l == NULL; i++)
		if (strcmp(a->logs[i].inst, in->id) == 0)
			l = &a->logs[i];
	if (l == NULL) {
		struct sp_fa_log *n = realloc(a->logs, (a->n_logs + 1) * sizeof(*n));
		if (n == NULL)
			return c->rc = SP_ERR_NOMEM;
		a->logs = n;
		l = &a->logs[a->n_logs++];
		memset(l, 0, sizeof(*l));
		snprintf(l->inst, sizeof(l->inst), "%s", in->id);
		textf(l->origin, sizeof(l->origin), "%s/%s", a->federation, in->id);
		memcpy(l->pk, in->sign_key, SP_KEY_BYTES);
		if (sp_dir_keyhist(a->dir, in->id, &l->keys) != 0)
			sp_keyhist_init(&l->keys, in->sign_key);
		prev_of(a, l);
		resolution_of(a, l);
	}
	snprintf(l->name, sizeof(l->name), "%s", in->name);
	snprintf(l->parent, sizeof(l->parent), "%s", in->parent);
	l->tier = in->tier;
	return 0;
}

/* ---- the root key across the coordinator's rotations -------------------------------- */

/* The bootstrap pass over the coordinator's log: each accepted entry is
 * applied to a scratch directory, and the key history the checker uses
 * grows with the coordinator's records (docs/protocol.md §9, "Following
 * the root key"). */
struct follow {
	struct sp_audit *au;
	struct sp_dir *dir;
	const uint8_t *root;
};

static int follow_entry(void *arg, const struct sp_entry *e, const uint8_t *bytes, size_t len,
			const uint8_t hash[SP_HASH_BYTES])
{
	(void)bytes, (void)len, (void)hash;
	struct follow *f = arg;
	int rc = sp_dir_apply(f->dir, e);
	if (rc == SP_ERR_NOMEM)
		return rc; /* a refused record is skipped, as every node skips it */
	return sp_dirlog_follow(f->dir, f->root, &f->au->keys);
}

/* follow_source reads the coordinator's log from source s up to the size
 * its checkpoint (note, signature not checked yet) claims, from the
 * genesis key, following every rotation; if that checkpoint then opens
 * with the key of its last entry or a later one, *keys gets the history. */
static int follow_source(struct sp_fa *a, struct sp_fa_log *l, size_t s, const struct sp_buf *note,
			 struct sp_keyhist *keys)
{
	struct sp_note *n = malloc(sizeof(*n));
	struct sp_checkpoint c;
	int rc = n == NULL ? SP_ERR_NOMEM
	       : sp_note_parse((const char *)note->p, note->len, n) != 0 ||
			 sp_checkpoint_parse(n->text, n->text_len, &c) != 0
		   ? SP_ERR_CHECKPOINT
		   : 0;
	free(n);
	struct sp_audit au;
	struct sp_keyhist genesis;
	sp_keyhist_init(&genesis, a->root.pk);
	sp_audit_init(&au, &genesis, a->o.pool);
	struct follow f = {&au, NULL, a->root.pk};
	if (rc == 0)
		rc = sp_dir_new(a->root.pk, &f.dir);
	au.entry_fn = follow_entry;
	au.entry_ctx = &f;
	struct getter g = {a, &a->src[s], l->inst, ""};
	struct sp_audit_src src = {src_get, &g, a->src[s].name};
	if (rc == 0)
		rc = sp_audit_tiles_check(&au, &src, c.size, NULL, NULL);
	if (rc == 0)
		rc = sp_keyhist_checkpoint_open(&au.keys, au.key_pos, l->origin,
						(const char *)note->p, note->len, &c, NULL);
	if (rc == 0)
		*keys = au.keys;
	sp_dir_free(f.dir);
	sp_audit_free(&au);
	return rc;
}

/* root_keys gives the coordinator's log (l) the key history its sources'
 * checkpoints need: a checkpoint that does not open with the keys known
 * (at first the genesis root key alone) may be signed by a key the
 * coordinator rotated to; the log is then read from that source, from
 * genesis (follow_source), and the longer history kept. The audit proper
 * (audit_log) then verifies every source against it, in order: a key
 * signs nothing before the record that published it. */
static void root_keys(struct sp_fa *a, struct sp_fa_log *l)
{
	struct sp_buf note;
	sp_buf_init(&note);
	for (size_t s = 0; s < a->n_src; s++) {
		struct getter g = {a, &a->src[s], l->inst, ""};
		struct sp_checkpoint c;
		struct sp_keyhist h;
		if ((a->src[s].why[0] && !a->src[s].reached) ||
		    src_get(&g, "checkpoint", SP_NOTE_MAX, &note) != 0 ||
		    sp_keyhist_checkpoint_open(&l->keys, 0, l->origin, (const char *)note.p, note.len,
					       &c, NULL) == 0)
			continue;
		if (follow_source(a, l, s, &note, &h) == 0 && sp_keyhist_extends(&l->keys, &h))
			l->keys = h;
	}
	sp_buf_free(&note);
}

/* ---- the whole audit ------------------------------------------------------------------------ */

static int audit_root(struct sp_fa *a)
{
	if (sp_note_vkey_parse(a->o.root_vkey, &a->root) != 0 ||
	    a->root.type != SP_NOTE_TYPE_ED25519)
		return sp_say(a->why, sizeof(a->why), SP_ERR_KEY_FORMAT,
			      "not an Ed25519 verifier key: %s", a->o.root_vkey);
	const char *slash = strrchr(a->root.name, '/');
	if (slash == NULL || slash == a->root.name || strlen(slash + 1) > SP_INST_ID_MAX)
		return sp_say(a->why, sizeof(a->why), SP_ERR_KEY_FORMAT,
			      "the root key's name is not '<federation>/<coordinator>': %s",
			      a->root.name);
	snprintf(a->federation, sizeof(a->federation), "%.*s", (int)(slash - a->root.name),
		 a->root.name);
	a->logs = calloc(1, sizeof(*a->logs));
	if (a->logs == NULL)
		return SP_ERR_NOMEM;
	a->n_logs = 1;
	struct sp_fa_log *l = &a->logs[0];
	snprintf(l->inst, sizeof(l->inst), "%s", slash + 1);
	snprintf(l->origin, sizeof(l->origin), "%s", a->root.name);
	memcpy(l->pk, a->root.pk, SP_KEY_BYTES);
	sp_keyhist_init(&l->keys, a->root.pk);
	prev_of(a, l);
	root_keys(a, l);
	int rc = audit_log(a, 0, 1);
	if (rc == 0 && l->verified == 0)
		rc = sp_say(a->why, sizeof(a->why), SP_ERR_NOT_FOUND,
			    "the coordinator's log (the directory) could not be verified from any "
			    "source: %s", l->why);
	return rc ? rc : apply_directory(a);
}

int sp_fa_run(const struct sp_fa_opts *o, struct sp_fa *a)
{
	memset(a, 0, sizeof(*a));
	a->o = *o;
	sp_cal_init(&a->cal);
	double t0 = sp_progress_now();
	int rc = sources_open(a);
	if (rc == 0)
		rc = state_load(a);
	if (rc == 0)
		rc = audit_root(a);
	struct collect c = {a, 0};
	if (rc == 0)
		rc = sp_dir_each(a->dir, add_inst, &c);
	if (rc == 0)
		rc = c.rc;
	if (rc == 0 && a->logs[0].note) /* cosigners are known now */
		cosigners_of(a, &a->logs[0]);
	for (size_t i = 1; rc == 0 && i < a->n_logs; i++)
		rc = audit_log(a, (uint32_t)i, 0);
	for (size_t i = 0; i < a->n_logs; i++)
		a->entries += a->logs[i].verified;
	a->verify_s = sp_progress_now() - t0;
	a->complete = rc == 0;
	for (size_t i = 0; i < a->n_logs; i++)
		a->complete &= a->logs[i].status == SP_FA_LOG_OK ||
			       a->logs[i].status == SP_FA_LOG_ABSENT;
	for (size_t s = 0; s < a->n_src; s++)
		a->complete &= a->src[s].reached;
	sources_close(a);
	if (rc == 0) {
		double t1 = sp_progress_now();
		rc = sp_fa_figures(a);
		a->figures_s = sp_progress_now() - t1;
	}
	return rc;
}

void sp_fa_free(struct sp_fa *a)
{
	for (size_t i = 0; i < a->n_logs; i++) {
		free(a->logs[i].seen);
		free(a->logs[i].note);
		free(a->logs[i].bytes);
		free(a->logs[i].items);
	}
	free(a->logs);
	free(a->res);
	sp_fa_fig_free(a->fig);
	sp_dir_free(a->dir);
	sp_cal_free(&a->cal);
	json_decref(a->state);
	memset(a, 0, sizeof(*a));
}
