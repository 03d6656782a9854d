/*
 * sp_dirload.c - loading the coordinator's directory log into the store and
 * building the node's directory, calendar and rule table from it (see
 * sp_dirload.h).
 */
#include "sp_dirload.h"
#include "sp_dirlog.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "sp_err.h"
#include "sp_files.h"
#include "sp_keyfile.h"

#define DIR_FILE_MAX (256u << 20) /* largest directory.entries accepted */

/* A directory.entries file split into its frames (pointers into buf). */
struct frames {
	struct sp_buf buf;
	const uint8_t **p;
	size_t *len;
	size_t n;
};

static void frames_free(struct frames *f)
{
	sp_buf_free(&f->buf);
	free(f->p);
	free(f->len);
}

/* paths resolves [federation] directory: a folder holding directory.entries
 * (and maybe directory.checkpoint), or the entries file itself. */
static void paths(const char *conf, char *entries, char *cp, size_t cap)
{
	struct stat st;
	if (stat(conf, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(entries, cap, "%s/directory.entries", conf);
		snprintf(cp, cap, "%s/directory.checkpoint", conf);
		return;
	}
	snprintf(entries, cap, "%s", conf);
	const char *dot = strrchr(conf, '.');
	size_t stem = dot && strcmp(dot, ".entries") == 0 ? (size_t)(dot - conf) : strlen(conf);
	snprintf(cp, cap, "%.*s.checkpoint", (int)stem, conf);
}

static int split_frames(struct frames *f, const char *path, struct sp_logx *log)
{
	size_t cap = 0;
	for (size_t pos = 0; pos < f->buf.len; f->n++) {
		if (f->buf.len - pos < 2)
			goto bad;
		size_t len = (size_t)f->buf.p[pos] << 8 | f->buf.p[pos + 1];
		if (len == 0 || len > f->buf.len - pos - 2)
			goto bad;
		if (f->n == cap) {
			cap = cap ? 2 * cap : 1024;
			const uint8_t **np = realloc(f->p, cap * sizeof(*np));
			if (np)
				f->p = np;
			size_t *nl = realloc(f->len, cap * sizeof(*nl));
			if (nl)
				f->len = nl;
			if (np == NULL || nl == NULL)
				return SP_ERR_NOMEM;
		}
		f->p[f->n] = f->buf.p + pos + 2;
		f->len[f->n] = len;
		pos += 2 + len;
		continue;
	bad:
		sp_logx(log, SP_LOGX_ERROR, "dir", "%s: entry %zu: truncated or empty frame at byte %zu",
			path, f->n, pos);
		return SP_ERR_CORRUPT;
	}
	return 0;
}

/* check_chain verifies every frame as an entry of the coordinator's log and
 * reads the coordinator's id from the first (its institution record). */
static int check_chain(const struct frames *f, const uint8_t root[32], const char *path,
		       struct sp_logx *log, char coord[SP_INST_ID_MAX + 1])
{
	struct sp_entry prev = {0}, e;
	uint8_t prev_hash[SP_HASH_BYTES] = {0};
	for (size_t i = 0; i < f->n; i++) {
		int rc = sp_entry_open(f->p[i], f->len[i], &e);
		if (rc == 0 && memcmp(e.author, root, 32) != 0)
			rc = SP_ERR_WRONG_AUTHOR;
		if (rc == 0)
			rc = sp_entry_check_link(i ? &prev : NULL, prev_hash, &e);
		struct sp_dir_inst inst;
		if (rc == 0 && i == 0 &&
		    (e.type != SP_EV_INSTITUTION ||
		     sp_dir_inst_decode(e.body, e.body_len, &inst) != 0 ||
		     inst.tier != SP_DIR_TIER_COORDINATOR))
			rc = SP_ERR_DIR_RECORD;
		if (rc) {
			sp_logx(log, SP_LOGX_ERROR, "dir",
				"%s: entry %zu is not part of the coordinator's log (root_key): %s (%s)",
				path, i, sp_strerror(rc), sp_errname(rc));
			return rc;
		}
		if (i == 0)
			snprintf(coord, SP_INST_ID_MAX + 1, "%s", inst.id);
		prev = e;
		sp_entry_hash(f->p[i], f->len[i], prev_hash);
	}
	return 0;
}

/* check_own: on the coordinator's own node the directory log is its own
 * log (a copy of the `federation init` store): the file must be a prefix
 * of it, byte for byte. */
static int check_own(struct sp_store *s, uint32_t id, const struct frames *f)
{
	struct sp_buf e;
	sp_buf_init(&e);
	int rc = 0;
	for (size_t i = 0; i < f->n && rc == 0; i++) {
		e.len = 0;
		rc = sp_store_entry(s, id, i, &e);
		if (rc == 0 && (e.len != f->len[i] || memcmp(e.p, f->p[i], e.len) != 0))
			rc = SP_ERR_INCONSISTENT;
	}
	sp_buf_free(&e);
	return rc;
}

/* store_file puts the file's entries (and checkpoint) into the store. */
static int store_file(const struct sp_conf *c, struct sp_store *s, struct sp_logx *log,
		      struct sp_dirload *d)
{
	char path[PATH_MAX + 32], cp_path[PATH_MAX + 32];
	paths(c->directory, path, cp_path, sizeof(path));
	struct frames f = {0};
	sp_buf_init(&f.buf);
	int rc = sp_file_read(path, DIR_FILE_MAX, &f.buf);
	if (rc)
		sp_logx(log, SP_LOGX_ERROR, "dir", "cannot read directory %s: %s", path,
			sp_strerror(rc));
	if (rc == 0 && f.buf.len == 0) {
		sp_logx(log, SP_LOGX_ERROR, "dir", "%s: no entries", path);
		rc = SP_ERR_CORRUPT;
	}
	if (rc == 0)
		rc = split_frames(&f, path, log);
	if (rc == 0)
		rc = check_chain(&f, c->root_key.pk, path, log, d->coordinator);
	char origin[SP_ORIGIN_MAX + 1];
	snprintf(origin, sizeof(origin), "%s/%s", c->federation, d->coordinator);
	if (rc == 0)
		rc = sp_store_log_add(s, origin, c->root_key.pk, &d->log_id);
	size_t added = 0;
	struct sp_log_info li = {0};
	if (rc == 0)
		sp_store_log_info(s, d->log_id, &li);
	if (rc == 0 && li.own)
		rc = check_own(s, d->log_id, &f);
	else if (rc == 0)
		rc = sp_store_insert(s, d->log_id, f.p, f.len, f.n, &added);
	if (rc)
		sp_logx(log, SP_LOGX_ERROR, "dir", "directory %s not stored in log %s: %s (%s)", path,
			origin, sp_strerror(rc), sp_errname(rc));
	frames_free(&f);
	if (rc)
		return rc;
	d->has_log = 1;
	sp_logx(log, SP_LOGX_INFO, "dir", "directory file=%s origin=%s new_entries=%zu", path,
		origin, added);
	struct sp_buf cp;
	sp_buf_init(&cp);
	if (!li.own && sp_file_read(cp_path, SP_NOTE_MAX, &cp) == 0 && cp.len > 0) {
		rc = sp_store_checkpoint_put(s, d->log_id, (const char *)cp.p, cp.len);
		if (rc)
			sp_logx(log, SP_LOGX_ERROR, "dir", "%s: checkpoint refused: %s (%s)", cp_path,
				sp_strerror(rc), sp_errname(rc));
	}
	sp_buf_free(&cp);
	return rc;
}

/* find_log finds the directory log already in the store: the replica log
 * whose writer is the root key. */
static void find_log(struct sp_store *s, const uint8_t root[32], struct sp_dirload *d)
{
	uint32_t count = sp_store_log_count(s);
	for (uint32_t id = 0; id < count && !d->has_log; id++) {
		struct sp_log_info info;
		if (sp_store_log_info(s, id, &info) == 0 && !info.own &&
		    memcmp(info.pk, root, 32) == 0) {
			d->log_id = id;
			d->has_log = 1;
		}
	}
}

/* remember_rule: e is the route record (perhaps carried by an admin
 * request); buf the entry that holds it, whose hash a report records. */
static int remember_rule(struct sp_dirload *d, const struct sp_entry *e, const uint8_t *buf,
			 size_t len)
{
	struct sp_dir_route r;
	if (sp_dir_route_decode(e->body, e->body_len, &r) != 0)
		return 0;
	size_t i = 0;
	while (i < d->n_rules && strcmp(d->rules[i].id, r.rule_id) != 0)
		i++;
	if (i == d->n_rules) {
		struct sp_dirload_rule *nr = realloc(d->rules, (i + 1) * sizeof(*nr));
		if (nr == NULL)
			return SP_ERR_NOMEM;
		d->rules = nr;
		d->n_rules++;
		snprintf(d->rules[i].id, sizeof(d->rules[i].id), "%s", r.rule_id);
	}
	sp_entry_hash(buf, len, d->rules[i].hash);
	return 0;
}

/* note_calendar remembers the year of a calendar record applied live. */
static void note_calendar(struct sp_dirload *d, const struct sp_entry *rec)
{
	struct sp_cal_year y;
	if (sp_cal_year_decode(rec->body, rec->body_len, &y) != 0)
		return;
	pthread_mutex_lock(&d->rules_mu);
	if (d->cal_year == 0 || y.year < d->cal_year)
		d->cal_year = y.year;
	pthread_mutex_unlock(&d->rules_mu);
	sp_cal_year_free(&y);
}

int sp_dirload_calendar_taken(struct sp_dirload *d, uint32_t *year)
{
	pthread_mutex_lock(&d->rules_mu);
	*year = d->cal_year;
	d->cal_year = 0;
	pthread_mutex_unlock(&d->rules_mu);
	return *year != 0;
}

struct apply_ctx {
	struct sp_dirload *d;
	struct sp_logx *log;
	int live; /* the node runs: log each record applied */
};

/* apply_one: sp_entry_fn over the stored directory log. */
static int apply_one(void *arg, uint64_t index, const uint8_t *buf, size_t len)
{
	struct apply_ctx *a = arg;
	struct sp_entry e, rec;
	int rc = sp_entry_decode(buf, len, &e);
	a->d->next = index + 1;
	if (rc == 0)
		rc = sp_dirlog_apply(a->d->dir, &a->d->cal, &e, &rec);
	if (rc == SP_ERR_NOMEM)
		return rc;
	if (rc) {
		a->d->refused++;
		sp_logx(a->log, SP_LOGX_WARN, "dir", "directory entry %llu type %llu refused: %s",
			(unsigned long long)index, (unsigned long long)e.type, sp_errname(rc));
		return 0;
	}
	a->d->applied++;
	if (a->live)
		sp_logx(a->log, SP_LOGX_INFO, "dir", "directory entry %llu type %llu applied",
			(unsigned long long)index, (unsigned long long)e.type);
	if (rec.type == SP_EV_CALENDAR && a->live)
		note_calendar(a->d, &rec);
	if (rec.type != SP_EV_ROUTE)
		return 0;
	pthread_mutex_lock(&a->d->rules_mu);
	rc = remember_rule(a->d, &rec, buf, len);
	pthread_mutex_unlock(&a->d->rules_mu);
	return rc;
}

static int apply_log(struct sp_store *s, struct sp_logx *log, struct sp_dirload *d)
{
	struct sp_log_info info;
	int rc = sp_store_log_info(s, d->log_id, &info);
	struct apply_ctx a = {d, log, 0};
	if (rc == 0)
		rc = sp_store_scan(s, d->log_id, 0, info.size, apply_one, &a);
	if (rc == 0 && sp_dir_coordinator(d->dir, d->coordinator) != 0)
		d->coordinator[0] = '\0';
	if (rc)
		sp_logx(log, SP_LOGX_ERROR, "dir", "cannot read directory log: %s", sp_errname(rc));
	else
		sp_logx(log, SP_LOGX_INFO, "dir",
			"directory origin=%s entries=%llu institutions=%zu applied=%llu refused=%llu",
			info.origin, (unsigned long long)info.size, sp_dir_count(d->dir),
			(unsigned long long)d->applied, (unsigned long long)d->refused);
	return rc;
}

/* A set of seal keys as loaded from the config. */
struct seals {
	size_t n;
	uint8_t pk[SP_DIRLOAD_SEALS][32], sk[SP_DIRLOAD_SEALS][32];
};

static int read_seal(const char *path, struct sp_logx *log, struct seals *k)
{
	char why[SP_KEYFILE_WHY];
	int rc = sp_sealfile_load(path, k->pk[k->n], k->sk[k->n], why, sizeof(why));
	if (rc)
		sp_logx(log, SP_LOGX_ERROR, "dir", "cannot use seal key %s: %s", path, why);
	else
		k->n++;
	return rc;
}

/* read_seals loads [node] seal_key and seal_keys_previous into *k and
 * checks that the directory's seal key for this node is one of them. */
static int read_seals(const struct sp_conf *c, struct sp_logx *log, const struct sp_dirload *d,
		      struct seals *k)
{
	k->n = 0;
	if (c->seal_path[0] == '\0')
		return 0;
	int rc = read_seal(c->seal_path, log, k);
	for (size_t i = 0; rc == 0 && i < c->nseal_prev; i++)
		rc = read_seal(c->seal_prev[i], log, k);
	struct sp_dir_inst me;
	if (rc || d->dir == NULL || sp_dir_institution(d->dir, c->id, SP_DIR_TIME_MAX, &me) != 0)
		return rc;
	for (size_t i = 0; i < k->n; i++)
		if (memcmp(me.seal_key, k->pk[i], 32) == 0) {
			if (i > 0)
				sp_logx(log, SP_LOGX_WARN, "dir",
					"seal key %s is not published yet: the directory still "
					"holds an earlier one for %s (simpul institution update "
					"--seal-key)",
					c->seal_path, c->id);
			return 0;
		}
	sp_logx(log, SP_LOGX_ERROR, "dir",
		"none of the seal keys ([node] seal_key, seal_keys_previous) is the one the "
		"directory holds for %s",
		c->id);
	return SP_ERR_CONFIG;
}

/* load_seal puts the config's seal keys in use (at start, and on reload). */
static int load_seal(const struct sp_conf *c, struct sp_logx *log, struct sp_dirload *d)
{
	struct seals k;
	int rc = read_seals(c, log, d, &k);
	if (rc == 0) {
		pthread_mutex_lock(&d->seal_mu);
		sodium_memzero(d->seal_sk, sizeof(d->seal_sk));
		d->n_seals = k.n;
		memcpy(d->seal_pk, k.pk, sizeof(k.pk));
		memcpy(d->seal_sk, k.sk, sizeof(k.sk));
		pthread_mutex_unlock(&d->seal_mu);
	}
	sodium_memzero(k.sk, sizeof(k.sk));
	return rc;
}

int sp_dirload_seal_reload(struct sp_dirload *d, const struct sp_conf *c, struct sp_logx *log)
{
	int rc = load_seal(c, log, d);
	if (rc == 0)
		sp_logx(log, SP_LOGX_INFO, "dir", "seal keys loaded count=%zu", d->n_seals);
	return rc;
}

int sp_dirload_seal_check(const struct sp_dirload *d, const char *id, struct sp_logx *log)
{
	struct sp_dir_inst me;
	int held = d->n_seals == 0; /* a node without seal keys opens nothing anyway */
	if (d->dir == NULL || sp_dir_institution(d->dir, id, SP_DIR_TIME_MAX, &me) != 0)
		return 0;
	pthread_mutex_t *mu = (pthread_mutex_t *)&d->seal_mu;
	pthread_mutex_lock(mu);
	for (size_t i = 0; i < d->n_seals && !held; i++)
		held = memcmp(me.seal_key, d->seal_pk[i], 32) == 0;
	pthread_mutex_unlock(mu);
	if (!held)
		sp_logx(log, SP_LOGX_ERROR, "dir",
			"the directory now holds a seal key for %s that this node does not have: "
			"reports sealed to it cannot be opened here until it is set as [node] "
			"seal_key (and the node reloaded with SIGHUP)",
			id);
	return held ? 0 : SP_ERR_CONFIG;
}

int sp_dirload_open_key(const struct sp_dirload *d, const struct sp_report_key *keys, size_t n,
			const char *inst, uint8_t key_out[SP_REPORT_CKEY_BYTES])
{
	pthread_mutex_t *mu = (pthread_mutex_t *)&d->seal_mu;
	int rc = SP_ERR_SEALED;
	pthread_mutex_lock(mu);
	for (size_t i = 0; rc == SP_ERR_SEALED && i < d->n_seals; i++)
		rc = sp_report_open_key(keys, n, inst, d->seal_pk[i], d->seal_sk[i], key_out);
	pthread_mutex_unlock(mu);
	return rc;
}

/* check_sign_key: the node's log key must be its directory record's. */
static int check_sign_key(const struct sp_conf *c, struct sp_store *s, struct sp_logx *log,
			  const struct sp_dirload *d)
{
	struct sp_dir_inst me;
	struct sp_log_info info;
	uint32_t own;
	if (d->dir == NULL || sp_dir_institution(d->dir, c->id, SP_DIR_TIME_MAX, &me) != 0 ||
	    sp_store_own_log(s, &own) != 0 || sp_store_log_info(s, own, &info) != 0)
		return 0;
	if (memcmp(me.sign_key, info.pk, 32) == 0)
		return 0;
	sp_logx(log, SP_LOGX_ERROR, "dir",
		"node key %s is not the signing key the directory holds for %s", c->key_path, c->id);
	return SP_ERR_CONFIG;
}

static int load(const struct sp_conf *c, struct sp_store *s, struct sp_logx *log,
		struct sp_dirload *d)
{
	uint8_t *cal2026;
	size_t cal_len;
	int rc = sp_cal_default_2026(&cal2026, &cal_len);
	if (rc == 0) {
		rc = sp_cal_load_year(&d->cal, cal2026, cal_len);
		free(cal2026);
	}
	if (rc || !c->has_root_key)
		return rc ? rc : load_seal(c, log, d);
	rc = sp_dir_new(c->root_key.pk, &d->dir);
	if (rc == 0 && c->directory[0])
		rc = store_file(c, s, log, d);
	if (rc == 0 && !d->has_log)
		find_log(s, c->root_key.pk, d);
	if (rc == 0 && d->has_log)
		rc = apply_log(s, log, d);
	else if (rc == 0)
		sp_logx(log, SP_LOGX_WARN, "dir", "no directory yet ([federation] directory)");
	if (rc == 0)
		rc = check_sign_key(c, s, log, d);
	return rc ? rc : load_seal(c, log, d);
}

int sp_dirload_open(const struct sp_conf *c, struct sp_store *s, struct sp_logx *log,
		    struct sp_dirload **out)
{
	struct sp_dirload *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return SP_ERR_NOMEM;
	sp_cal_init(&d->cal);
	pthread_mutex_init(&d->rules_mu, NULL);
	pthread_mutex_init(&d->seal_mu, NULL);
	int rc = load(c, s, log, d);
	if (rc) {
		sp_dirload_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

void sp_dirload_free(struct sp_dirload *d)
{
	if (d == NULL)
		return;
	sp_dir_free(d->dir);
	sp_cal_free(&d->cal);
	free(d->rules);
	pthread_mutex_destroy(&d->rules_mu);
	pthread_mutex_destroy(&d->seal_mu);
	sodium_memzero(d->seal_sk, sizeof(d->seal_sk));
	free(d);
}

/* rules_lock: the rule table's mutex, also for a const sp_dirload. */
static pthread_mutex_t *rules_lock(const struct sp_dirload *d)
{
	return (pthread_mutex_t *)&d->rules_mu;
}

int sp_dirload_rule_hash(const struct sp_dirload *d, const char *id, uint8_t hash[SP_HASH_BYTES])
{
	int rc = SP_ERR_NOT_FOUND;
	pthread_mutex_lock(rules_lock(d));
	for (size_t i = 0; i < d->n_rules && rc; i++) {
		if (strcmp(d->rules[i].id, id) == 0) {
			memcpy(hash, d->rules[i].hash, SP_HASH_BYTES);
			rc = 0;
		}
	}
	pthread_mutex_unlock(rules_lock(d));
	return rc;
}

int sp_dirload_rule_name(const struct sp_dirload *d, const uint8_t hash[SP_HASH_BYTES],
			 char out[SP_DIR_RULE_MAX + 1])
{
	int rc = SP_ERR_NOT_FOUND;
	pthread_mutex_lock(rules_lock(d));
	for (size_t i = 0; i < d->n_rules && rc; i++) {
		if (memcmp(d->rules[i].hash, hash, SP_HASH_BYTES) == 0) {
			memcpy(out, d->rules[i].id, SP_DIR_RULE_MAX + 1);
			rc = 0;
		}
	}
	pthread_mutex_unlock(rules_lock(d));
	return rc;
}

int sp_dirload_grow(struct sp_dirload *d, struct sp_store *s, struct sp_logx *log,
		    uint64_t *added)
{
	if (added)
		*added = 0;
	if (d == NULL || d->dir == NULL || !d->has_log)
		return SP_ERR_ARG;
	struct sp_log_info info;
	int rc = sp_store_log_info(s, d->log_id, &info);
	uint64_t from = d->next;
	struct apply_ctx a = {d, log, 1};
	if (rc == 0 && info.size > from)
		rc = sp_store_scan(s, d->log_id, from, info.size, apply_one, &a);
	if (added)
		*added = d->next - from;
	return rc;
}
