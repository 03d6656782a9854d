/*
 * sp_dirload.c - loading the coordinator's directory log into the store and
 * building the node's directory, calendar and rule table from it (see
 * sp_dirload.h).
 */
#include "sp_dirload.h"
#include "sp_dirlog.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* A scan of the stored directory log against the file's frames. */
struct held {
	const struct frames *f;
	size_t n; /* leading frames equal to the stored entries */
};

static int held_one(void *arg, uint64_t index, const uint8_t *buf, size_t len)
{
	struct held *h = arg;
	if (len != h->f->len[index] || memcmp(buf, h->f->p[index], len) != 0)
		return 1;
	h->n++;
	return 0;
}

/* held_prefix: how many leading frames the store already holds, byte for
 * byte, in the log of the coordinator named by the first frame whose
 * first key is the root key. The store checked their signatures when it
 * took them (sp_store_insert, or signed them itself), so a start does not
 * check them again: the whole directory at every start was a third of a
 * national node's restart. Every other rule of the chain still applies to
 * them (check_chain). 0 when in doubt. */
static size_t held_prefix(struct sp_store *s, const struct sp_conf *c, const struct frames *f)
{
	struct sp_entry e;
	struct sp_dir_inst inst;
	if (f->n == 0 || sp_entry_decode(f->p[0], f->len[0], &e) != 0 ||
	    e.type != SP_EV_INSTITUTION || sp_dir_inst_decode(e.body, e.body_len, &inst) != 0)
		return 0;
	char origin[SP_ORIGIN_MAX + 1];
	uint32_t id;
	struct sp_log_info li;
	snprintf(origin, sizeof(origin), "%s/%s", c->federation, inst.id);
	if (sp_store_log_find(s, origin, &id) != 0 || sp_store_log_info(s, id, &li) != 0 ||
	    memcmp(li.keys.pk[0], c->root_key.pk, 32) != 0)
		return 0;
	struct held h = {f, 0};
	sp_store_scan(s, id, 0, li.size < f->n ? li.size : f->n, held_one, &h);
	return h.n;
}

/* check_chain verifies every frame as an entry of the coordinator's log,
 * from the configured (genesis) root key and across the coordinator's own
 * key rotations the log records (sp_dirchain); the first `held` frames
 * (held_prefix) without their signatures. *keys gets the coordinator's
 * key history the file ends with, coord the coordinator's id (from the
 * first entry, its institution record), *sigs (optional) how many
 * signatures were checked. */
static int check_chain(const struct frames *f, size_t held, const struct sp_conf *c,
		       const char *path, struct sp_logx *log, char coord[SP_INST_ID_MAX + 1],
		       struct sp_keyhist *keys, uint64_t *sigs)
{
	struct sp_dirchain ch;
	int rc = sp_dirchain_init(&ch, c->root_key.pk);
	size_t i = 0;
	for (; rc == 0 && i < f->n; i++)
		rc = i < held ? sp_dirchain_add_known(&ch, f->p[i], f->len[i])
			      : sp_dirchain_add(&ch, f->p[i], f->len[i]);
	if (sigs)
		*sigs = ch.sigs;
	if (rc == 0) {
		snprintf(coord, SP_INST_ID_MAX + 1, "%s", ch.coordinator);
		*keys = ch.keys;
	} else {
		char w[PATH_MAX + 64];
		sp_logx(log, SP_LOGX_ERROR, "dir",
			"%s = %s: %s: entry %zu is not part of the coordinator's log that key "
			"signs (or a key it rotated to): %s (%s)%s",
			sp_conf_where(c, "federation", "root_key", w, sizeof(w)), c->root_key.name,
			path, i ? i - 1 : 0, sp_strerror(rc), sp_errname(rc),
			rc == SP_ERR_WRONG_AUTHOR ? "; is root_key this federation's?" : "");
	}
	sp_dirchain_free(&ch);
	return rc;
}

/* check_own: on the coordinator's own node the directory log is its own
 * log (a copy of the `federation init` store): the file must be a prefix
 * of it, byte for byte. */
static int check_own(struct sp_store *s, uint32_t id, const struct frames *f, size_t held)
{
	struct sp_buf e;
	sp_buf_init(&e);
	int rc = 0;
	for (size_t i = held; i < f->n && rc == 0; i++) {
		e.len = 0;
		rc = sp_store_entry(s, id, i, &e);
		if (rc == 0 && (e.len != f->len[i] || memcmp(e.p, f->p[i], e.len) != 0))
			rc = SP_ERR_INCONSISTENT;
	}
	sp_buf_free(&e);
	return rc;
}

/* read_frames reads and splits the directory file at path. */
static int read_frames(const struct sp_conf *c, const char *path, struct sp_logx *log,
		       struct frames *f)
{
	char w[PATH_MAX + 64];
	sp_buf_init(&f->buf);
	int rc = sp_file_read(path, DIR_FILE_MAX, &f->buf);
	if (rc)
		sp_logx(log, SP_LOGX_ERROR, "dir", "%s = %s: cannot read %s: %s",
			sp_conf_where(c, "federation", "directory", w, sizeof(w)), c->directory,
			path, sp_strerror(rc));
	if (rc == 0 && f->buf.len == 0) {
		sp_logx(log, SP_LOGX_ERROR, "dir", "%s = %s: %s: no entries",
			sp_conf_where(c, "federation", "directory", w, sizeof(w)), c->directory,
			path);
		rc = SP_ERR_CORRUPT;
	}
	return rc ? rc : split_frames(f, path, log);
}

/* store_file puts the file's entries (and checkpoint) into the store. */
static int store_file(const struct sp_conf *c, struct sp_store *s, struct sp_logx *log,
		      struct sp_dirload *d)
{
	char path[PATH_MAX + 32], cp_path[PATH_MAX + 32];
	paths(c->directory, path, cp_path, sizeof(path));
	struct frames f = {0};
	struct sp_keyhist keys;
	uint64_t sigs = 0;
	int rc = read_frames(c, path, log, &f);
	size_t held = rc == 0 ? held_prefix(s, c, &f) : 0;
	if (rc == 0)
		rc = check_chain(&f, held, c, path, log, d->coordinator, &keys, &sigs);
	char origin[SP_ORIGIN_MAX + 1];
	snprintf(origin, sizeof(origin), "%s/%s", c->federation, d->coordinator);
	if (rc == 0)
		rc = sp_store_log_add(s, origin, c->root_key.pk, &d->log_id);
	size_t added = 0;
	struct sp_log_info li = {0};
	if (rc == 0)
		sp_store_log_info(s, d->log_id, &li);
	/* the keys the coordinator rotated to within the file, before its
	 * entries by them are inserted (a store that knows more keeps them) */
	if (rc == 0 && !li.own && keys.n > li.keys.n)
		rc = sp_store_log_keys(s, d->log_id, &keys);
	if (rc == 0 && li.own)
		rc = check_own(s, d->log_id, &f, held);
	else if (rc == 0 && held < f.n) /* what the store holds was verified when stored */
		rc = sp_store_insert(s, d->log_id, f.p + held, f.len + held, f.n - held, &added);
	if (rc)
		sp_logx(log, SP_LOGX_ERROR, "dir", "directory %s not stored in log %s: %s (%s)", path,
			origin, sp_strerror(rc), sp_errname(rc));
	frames_free(&f);
	if (rc)
		return rc;
	d->has_log = 1;
	sp_logx(log, SP_LOGX_INFO, "dir",
		"directory file=%s origin=%s new_entries=%zu signatures_checked=%llu", path, origin,
		added, (unsigned long long)sigs);
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
 * whose writer's first key is the root key. */
static void find_log(struct sp_store *s, const uint8_t root[32], struct sp_dirload *d)
{
	uint32_t count = sp_store_log_count(s);
	for (uint32_t id = 0; id < count && !d->has_log; id++) {
		struct sp_log_info info;
		if (sp_store_log_info(s, id, &info) == 0 && !info.own &&
		    memcmp(info.keys.pk[0], root, 32) == 0) {
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

struct apply_ctx {
	struct sp_dirload *d;
	struct sp_logx *log;
	int live; /* the node runs: log each record applied */
};

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

struct owner {
	const uint8_t *key;
	int seal;
	char id[SP_INST_ID_MAX + 1];
};

static int owner_one(void *arg, const struct sp_dir_inst *inst)
{
	struct owner *o = arg;
	if (memcmp(o->seal ? inst->seal_key : inst->sign_key, o->key, 32) != 0)
		return 0;
	snprintf(o->id, sizeof(o->id), "%s", inst->id);
	return 1;
}

/* key_matches: the node's signing key (seal = 0, [node] key) or seal key
 * (seal = 1, [node] seal_key) is the one dir holds for [node] id (if dir
 * holds that id at all). Otherwise SP_ERR_CONFIG, the reason (naming the
 * setting and, if the key is another institution's, which) in why and, if
 * log is not NULL, logged. */
static int key_matches(const struct sp_conf *c, const struct sp_dir *dir, int seal,
		       const uint8_t key[32], struct sp_logx *log, char *why, size_t cap)
{
	struct sp_dir_inst me;
	if (dir == NULL || sp_dir_institution(dir, c->id, SP_DIR_TIME_MAX, &me) != 0 ||
	    memcmp(seal ? me.seal_key : me.sign_key, key, 32) == 0)
		return 0;
	struct owner o = {key, seal, ""};
	sp_dir_each(dir, owner_one, &o);
	char w[PATH_MAX + 64], other[SP_INST_ID_MAX + 64] = "";
	if (o.id[0])
		snprintf(other, sizeof(other), "; it is institution %s's", o.id);
	if (snprintf(why, cap, "%s = %s: not the %s key the directory holds for %s%s",
		     sp_conf_where(c, "node", seal ? "seal_key" : "key", w, sizeof(w)),
		     seal ? c->seal_path : c->key_path, seal ? "seal" : "signing", c->id,
		     other) >= (int)cap)
		why[cap - 1] = '\0'; /* cut by a long path: it still names the setting */
	if (log)
		sp_logx(log, SP_LOGX_ERROR, "dir", "%s", why);
	return SP_ERR_CONFIG;
}

/* check_member: the directory holds [node] id, or await_record says to
 * start and wait for its record; else SP_ERR_CONFIG with why (and logged
 * if log is not NULL). */
static int check_member(const struct sp_conf *c, const struct sp_dir *dir, struct sp_logx *log,
			char *why, size_t cap)
{
	struct sp_dir_inst me;
	char w[PATH_MAX + 64];
	why[0] = '\0';
	if (dir == NULL)
		return 0;
	if (sp_dir_institution(dir, c->id, SP_DIR_TIME_MAX, &me) == 0) {
		if (c->await_record && log)
			sp_logx(log, SP_LOGX_INFO, "dir",
				"%s = 1 is no longer needed: the directory holds %s",
				sp_conf_where(c, "federation", "await_record", w, sizeof(w)), c->id);
		return 0;
	}
	if (c->await_record) {
		snprintf(why, cap, "%s = 1: institution %s is not in the directory yet; the node "
			 "accepts nothing until its record arrives from a peer",
			 sp_conf_where(c, "federation", "await_record", w, sizeof(w)), c->id);
		if (log)
			sp_logx(log, SP_LOGX_WARN, "dir", "%s", why);
		return 0;
	}
	snprintf(why, cap, "%s = %s: the directory (%zu institutions) has no such institution; "
		 "a node joining the federation sets [federation] await_record = 1 (simpul init "
		 "--join does) to start and wait for the coordinator to publish it",
		 sp_conf_where(c, "node", "id", w, sizeof(w)), c->id, sp_dir_count(dir));
	if (log)
		sp_logx(log, SP_LOGX_ERROR, "dir", "%s", why);
	return SP_ERR_CONFIG;
}

int sp_dirload_admitted(const struct sp_dirload *d, const char *id, const uint8_t pk[32])
{
	struct sp_dir_inst me;
	if (d == NULL || d->dir == NULL)
		return 1;
	return sp_dir_institution(d->dir, id, SP_DIR_TIME_MAX, &me) == 0 &&
	       memcmp(me.sign_key, pk, 32) == 0;
}

/* A set of seal keys as loaded from the config. */
struct seals {
	size_t n;
	uint8_t pk[SP_DIRLOAD_SEALS][32], sk[SP_DIRLOAD_SEALS][32];
};

/* read_seal adds the seal key file at path (the value of [node] `name`) to k. */
static int read_seal(const struct sp_conf *c, const char *name, const char *path,
		     struct sp_logx *log, struct seals *k)
{
	char why[SP_KEYFILE_WHY], w[PATH_MAX + 64];
	int rc = sp_sealfile_load(path, k->pk[k->n], k->sk[k->n], why, sizeof(why));
	if (rc)
		sp_logx(log, SP_LOGX_ERROR, "dir", "%s = %s: cannot use it: %s",
			sp_conf_where(c, "node", name, w, sizeof(w)), path, why);
	else
		k->n++;
	return rc;
}

/* seals_match: one of the seal keys k is the one dir holds for [node] id
 * (or dir does not hold the id); else SP_ERR_CONFIG, why (naming the
 * institution seal_key belongs to, if another's) and, if log, logged. */
static int seals_match(const struct sp_conf *c, const struct sp_dir *dir, const struct seals *k,
		       struct sp_logx *log, char *why, size_t cap)
{
	struct sp_dir_inst me;
	why[0] = '\0';
	if (k->n == 0 || dir == NULL || sp_dir_institution(dir, c->id, SP_DIR_TIME_MAX, &me) != 0)
		return 0;
	for (size_t i = 0; i < k->n; i++)
		if (memcmp(me.seal_key, k->pk[i], 32) == 0) {
			if (i > 0 && log)
				sp_logx(log, SP_LOGX_WARN, "dir",
					"seal key %s is not published yet: the directory still "
					"holds an earlier one for %s (simpul institution update "
					"--seal-key)",
					c->seal_path, c->id);
			return 0;
		}
	return key_matches(c, dir, 1, k->pk[0], log, why, cap);
}

/* read_seals loads [node] seal_key and seal_keys_previous into *k and
 * checks that the directory's seal key for this node is one of them. */
static int read_seals(const struct sp_conf *c, struct sp_logx *log, const struct sp_dirload *d,
		      struct seals *k)
{
	char why[SP_CONF_WHY];
	k->n = 0;
	if (c->seal_path[0] == '\0')
		return 0;
	int rc = read_seal(c, "seal_key", c->seal_path, log, k);
	for (size_t i = 0; rc == 0 && i < c->nseal_prev; i++)
		rc = read_seal(c, "seal_keys_previous", c->seal_prev[i], log, k);
	return rc ? rc : seals_match(c, d->dir, k, log, why, sizeof(why));
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


/* check_sign_key: the node's log key must be one its directory record
 * gave it (a later one is the node's to switch to: sp_node_rekey). */
static int check_sign_key(const struct sp_conf *c, struct sp_store *s, struct sp_logx *log,
			  const struct sp_dirload *d)
{
	struct sp_log_info info;
	struct sp_keyhist h;
	uint32_t own;
	if (sp_store_own_log(s, &own) != 0 || sp_store_log_info(s, own, &info) != 0)
		return 0;
	if (d->dir && sp_dir_keyhist(d->dir, c->id, &h) == 0 && sp_keyhist_find(&h, info.pk) >= 0)
		return 0;
	char why[SP_CONF_WHY];
	return key_matches(c, d->dir, 0, info.pk, log, why, sizeof(why));
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
	char why[SP_CONF_WHY];
	if (rc == 0)
		rc = check_member(c, d->dir, log, why, sizeof(why));
	if (rc == 0)
		rc = check_sign_key(c, s, log, d);
	return rc ? rc : load_seal(c, log, d);
}

/* dirload_new: an empty sp_dirload (NULL if out of memory). */
static struct sp_dirload *dirload_new(void)
{
	struct sp_dirload *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	sp_cal_init(&d->cal);
	pthread_mutex_init(&d->rules_mu, NULL);
	pthread_mutex_init(&d->seal_mu, NULL);
	return d;
}

int sp_dirload_open(const struct sp_conf *c, struct sp_store *s, struct sp_logx *log,
		    struct sp_dirload **out)
{
	struct sp_dirload *d = dirload_new();
	if (d == NULL)
		return SP_ERR_NOMEM;
	int rc = load(c, s, log, d);
	if (rc) {
		sp_dirload_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

/* ---- --check-config ------------------------------------------------------------------------ */

/* store_in_use: a running node holds the store (RocksDB's fcntl lock on
 * its LOCK file); a read-only open beside it would rotate its info log. */
static int store_in_use(const char *store)
{
	char lock[PATH_MAX + 16];
	snprintf(lock, sizeof(lock), "%s/LOCK", store);
	int fd = open(lock, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	int busy = fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
	close(fd);
	return busy;
}

/* check_store applies, to t, the directory entries the node's store holds
 * beyond the file's `from` (records replicated since the file was made),
 * opening the store read-only if it is there and can be read now. */
static void check_store(const struct sp_conf *c, struct sp_logx *log, struct sp_dirload *t,
			size_t from, FILE *out)
{
	char path[PATH_MAX + 8];
	struct stat st;
	struct sp_store *s;
	struct sp_store_opts so = {.read_only = 1};
	snprintf(path, sizeof(path), "%s/store", c->data_dir);
	if (stat(path, &st) != 0)
		return;
	if (store_in_use(path)) {
		fprintf(out, "store      %s: in use by a running node: checked against the file "
			     "only\n", path);
		return;
	}
	if (sp_store_open(path, &so, &s) != 0) {
		fprintf(out, "store      %s: not readable: checked against the file only\n", path);
		return;
	}
	find_log(s, c->root_key.pk, t);
	struct sp_log_info info;
	struct apply_ctx a = {t, log, 0};
	if (t->has_log && sp_store_log_info(s, t->log_id, &info) == 0 && info.size > from &&
	    sp_store_scan(s, t->log_id, from, info.size, apply_one, &a) == 0)
		fprintf(out, "store      %s: %llu directory entries beyond the file\n", path,
			(unsigned long long)(info.size - from));
	sp_store_close(s);
}

/* check_build builds in t the directory a start would have: the file's
 * entries (checked against the root key), then the store's beyond them. */
static int check_build(const struct sp_conf *c, struct sp_logx *log, struct sp_dirload *t,
		       FILE *out)
{
	int rc = sp_dir_new(c->root_key.pk, &t->dir);
	size_t nfile = 0;
	if (rc == 0 && c->directory[0]) {
		char path[PATH_MAX + 32], cp[PATH_MAX + 32];
		paths(c->directory, path, cp, sizeof(path));
		struct frames f = {0};
		struct sp_keyhist keys;
		rc = read_frames(c, path, log, &f);
		if (rc == 0)
			rc = check_chain(&f, 0, c, path, log, t->coordinator, &keys, NULL);
		struct apply_ctx a = {t, log, 0};
		for (size_t i = 0; rc == 0 && i < f.n; i++)
			rc = apply_one(&a, i, f.p[i], f.len[i]);
		nfile = f.n;
		frames_free(&f);
		if (rc == 0)
			fprintf(out, "directory  %s: %zu entries, signed by the root key%s\n",
				path, nfile,
				keys.n > 1 ? " and the keys the coordinator rotated to" : "");
	}
	if (rc == 0)
		check_store(c, log, t, nfile, out);
	return rc;
}

/* check_keys: [node] key and the seal keys ([node] seal_key and
 * seal_keys_previous) are the directory's for [node] id. A seal key file
 * that cannot be read is logged to log. */
static int check_keys(const struct sp_conf *c, const struct sp_dir *dir, struct sp_logx *log,
		      char *why, size_t cap)
{
	uint8_t pk[SP_KEYFILE_PK], sk[SP_KEYFILE_SK];
	char kwhy[SP_KEYFILE_WHY] = "";
	why[0] = '\0';
	int rc = sp_keyfile_load(c->key_path, pk, sk, kwhy, sizeof(kwhy));
	sodium_memzero(sk, sizeof(sk));
	if (rc == 0)
		rc = key_matches(c, dir, 0, pk, NULL, why, cap);
	/* a rotation waiting for its record: the directory still holds the
	 * key [node] key replaces */
	if (rc && c->key_prev[0] && sp_keyfile_load(c->key_prev, pk, sk, kwhy, sizeof(kwhy)) == 0 &&
	    key_matches(c, dir, 0, pk, NULL, kwhy, sizeof(kwhy)) == 0)
		rc = 0;
	sodium_memzero(sk, sizeof(sk));
	struct seals k = {0};
	for (size_t i = 0; rc == 0 && c->seal_path[0] && i <= c->nseal_prev; i++)
		if (read_seal(c, i ? "seal_keys_previous" : "seal_key",
			      i ? c->seal_prev[i - 1] : c->seal_path, log, &k) != 0) {
			rc = SP_ERR_CONFIG;
			snprintf(kwhy, sizeof(kwhy), "a seal key file cannot be used (above)");
		}
	sodium_memzero(k.sk, sizeof(k.sk));
	if (rc == 0)
		rc = seals_match(c, dir, &k, NULL, why, cap);
	if (rc && why[0] == '\0')
		snprintf(why, cap, "%s", kwhy);
	return rc;
}

int sp_dirload_check(const struct sp_conf *c, FILE *out, struct sp_logx *log, char *why,
		     size_t cap)
{
	why[0] = '\0';
	if (!c->has_root_key) {
		fprintf(out, "standalone: no [federation] root_key, no directory to check "
			     "[node] id and its keys against\n");
		return 0;
	}
	struct sp_buf vk;
	sp_buf_init(&vk);
	sp_note_vkey_format(&c->root_key, &vk);
	fprintf(out, "root key   %.*s\n", (int)vk.len, vk.p ? (const char *)vk.p : "");
	sp_buf_free(&vk);
	struct sp_dirload *t = dirload_new();
	if (t == NULL)
		return SP_ERR_NOMEM;
	int rc = check_build(c, log, t, out);
	if (rc) {
		snprintf(why, cap, "%s: the directory does not check (the error above)", c->name);
		sp_dirload_free(t);
		return rc;
	}
	char coord[SP_INST_ID_MAX + 1] = "(none)";
	sp_dir_coordinator(t->dir, coord);
	fprintf(out, "directory  %zu institutions, coordinator %s\n", sp_dir_count(t->dir), coord);
	struct sp_dir_inst me;
	rc = check_member(c, t->dir, NULL, why, cap);
	if (rc == 0 && why[0]) {
		fprintf(out, "%s\n", why); /* waiting for the record: nothing more to check */
		why[0] = '\0';
	} else if (rc == 0 && sp_dir_institution(t->dir, c->id, SP_DIR_TIME_MAX, &me) == 0) {
		fprintf(out, "institution %s: %s (parent %s)\n", me.id, me.name,
			me.parent[0] ? me.parent : "none");
		rc = check_keys(c, t->dir, log, why, cap);
		if (rc == 0)
			fprintf(out, "keys       [node] key%s: the directory's for %s\n",
				c->seal_path[0] ? " and seal_key" : "", c->id);
	}
	sp_dirload_free(t);
	return rc;
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
