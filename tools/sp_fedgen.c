/*
 * sp_fedgen.c - generate a federation from wilayah.csv (see sp_fedgen.h
 * for the output layout and docs/directory.md for the records).
 *
 * The run reads the provinces and kabupaten/kota, gives every institution
 * fresh Ed25519 and X25519 keys (written to key files as it goes), appends
 * the directory records to the coordinator's own log in a store, signs a
 * checkpoint, and then writes the entries and the description files. Keys
 * are written before anything names them, so a failure leaves no record
 * pointing at a key that was never saved.
 */
#include "sp_fedgen.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "sp_dir.h"
#include "sp_err.h"
#include "sp_event.h"
#include "sp_files.h"
#include "sp_keyfile.h"
#include "sp_note.h"
#include "sp_store.h"
#include "sp_topo.h"

#define LINE_MAX_LEN 1024
#define PATH_LEN 4096
#define MAX_AGENCY_CATS 3

/* Ministries and agencies with national jurisdiction: each category they
 * list gets a national routing rule (region prefix "") to them. */
struct agency {
	const char *id, *name;
	enum sp_dir_tier tier;
	const char *cats[MAX_AGENCY_CATS + 1];
};

static const struct agency agencies[] = {
	{"KEMENDAGRI", "Kementerian Dalam Negeri", SP_DIR_TIER_MINISTRY,
	 {"pemerintahan-daerah", NULL}},
	{"KEMENKES", "Kementerian Kesehatan", SP_DIR_TIER_MINISTRY, {"rs-vertikal", NULL}},
	{"KEMENDIKDASMEN", "Kementerian Pendidikan Dasar dan Menengah", SP_DIR_TIER_MINISTRY,
	 {"tunjangan-guru", NULL}},
	{"KEMENPU", "Kementerian Pekerjaan Umum", SP_DIR_TIER_MINISTRY,
	 {"jalan-nasional", "sungai-bendungan", NULL}},
	{"KEMENSOS", "Kementerian Sosial", SP_DIR_TIER_MINISTRY, {"bansos", NULL}},
	{"BKN", "Badan Kepegawaian Negara", SP_DIR_TIER_AGENCY, {"kepegawaian", NULL}},
	{"BPOM", "Badan Pengawas Obat dan Makanan", SP_DIR_TIER_AGENCY, {"obat-makanan", NULL}},
	{"OMBUDSMAN", "Ombudsman Republik Indonesia", SP_DIR_TIER_AGENCY,
	 {"maladministrasi", NULL}},
	{"BPJS-KESEHATAN", "BPJS Kesehatan", SP_DIR_TIER_AGENCY, {"bpjs-kesehatan", NULL}},
	{"PLN", "PT PLN (Persero)", SP_DIR_TIER_AGENCY, {"listrik", NULL}},
};

/* What regional governments handle; with no rule, a complaint goes to the
 * government of its region anyway, so these are jurisdiction, not rules. */
static const char *const kabkota_cats[] = {"jalan",      "kesehatan",  "pendidikan",
					   "adminduk",   "air-bersih", "pelayanan-publik",
					   "lingkungan", NULL};
/* Provinces also own these (UU 23/2014: provincial roads, SMA/SMK), so each
 * province gets a rule for its own region prefix. */
static const char *const province_cats[] = {"jalan-provinsi", "pendidikan-menengah", NULL};

/* A province or kabupaten/kota row of wilayah.csv. */
struct region {
	char code[SP_DIR_REGION_MAX + 1];
	char name[SP_DIR_NAME_MAX + 1];
	int province;
};

/* The state of one run. */
struct gen {
	const struct sp_fedgen_opts *o;
	const char *name;
	char *why;
	size_t why_cap;
	struct region *regions;
	size_t nregions, capregions;
	struct sp_dir_inst *insts;
	size_t ninsts, capinsts;
	uint8_t (*officers)[2][SP_KEY_BYTES]; /* per institution: admin, penghubung */
	uint8_t coord_sk[SP_SECRET_BYTES];
	struct sp_store *store;
	struct sp_fedgen_result *res;
	/* appends in flight: the commit thread reports into these */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t queued, done;
	int append_err;
};

static int say(struct gen *g, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int say(struct gen *g, int rc, const char *fmt, ...)
{
	if (g->why && g->why_cap) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(g->why, g->why_cap, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	sodium_bin2hex(out, 2 * n + 1, p, n);
}

/* ---- reading wilayah.csv ------------------------------------------------------ */

/* csv_field copies the next comma-separated field of *p (possibly quoted,
 * with "" as a quote inside) into out and advances *p past its comma. */
static int csv_field(const char **p, char *out, size_t cap)
{
	const char *s = *p;
	size_t n = 0;
	int quoted = *s == '"';
	if (quoted)
		s++;
	for (;; s++) {
		if (*s == '\0' || *s == '\n' || *s == '\r') {
			if (quoted)
				return -1;
			break;
		}
		if (quoted && *s == '"') {
			if (s[1] != '"') {
				s++;
				break;
			}
			s++;
		} else if (!quoted && *s == ',') {
			break;
		}
		if (n + 1 >= cap)
			return -1;
		out[n++] = *s;
	}
	out[n] = '\0';
	if (*s == ',')
		s++;
	else if (*s != '\0' && *s != '\n' && *s != '\r')
		return -1;
	*p = s;
	return 0;
}

static int in_subset(const struct sp_fedgen_opts *o, const char *code)
{
	if (o->nsubset == 0)
		return 1;
	for (size_t i = 0; i < o->nsubset; i++)
		if (strncmp(code, o->subset[i], 2) == 0)
			return 1;
	return 0;
}

/* csv_row keeps one row if it is a province or kabupaten/kota wanted. */
static int csv_row(struct gen *g, const char *line, size_t lineno)
{
	char code[64], name[SP_DIR_NAME_MAX + 1], level[32];
	const char *p = line;
	if (csv_field(&p, code, sizeof(code)) || csv_field(&p, name, sizeof(name)) ||
	    csv_field(&p, level, sizeof(level)) || *p == ',')
		return say(g, SP_ERR_CONFIG, "%s:%zu: not a kode,nama,level row", g->o->wilayah,
			   lineno);
	int prov = strcmp(level, "provinsi") == 0;
	if (!prov && strcmp(level, "kabkota") != 0)
		return 0;
	if (!sp_dir_region_valid(code) || (strchr(code, '.') == NULL) != prov || name[0] == '\0')
		return say(g, SP_ERR_CONFIG, "%s:%zu: bad %s row '%s'", g->o->wilayah, lineno,
			   level, code);
	if (!in_subset(g->o, code))
		return 0;
	if (sp_grow((void **)&g->regions, &g->capregions, g->nregions, sizeof(*g->regions)))
		return SP_ERR_NOMEM;
	struct region *r = &g->regions[g->nregions++];
	memcpy(r->code, code, strlen(code) + 1); /* a valid code fits */
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->province = prov;
	return 0;
}

static int csv_read(struct gen *g)
{
	FILE *f = fopen(g->o->wilayah, "r");
	if (f == NULL)
		return say(g, SP_ERR_IO, "cannot open %s: %s", g->o->wilayah, strerror(errno));
	char line[LINE_MAX_LEN];
	size_t lineno = 0;
	int rc = 0;
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f))
			rc = say(g, SP_ERR_CONFIG, "%s:%zu: line too long", g->o->wilayah, lineno);
		else if (lineno == 1)
			rc = strncmp(line, "kode,nama,level", 15) == 0
				     ? 0
				     : say(g, SP_ERR_CONFIG,
					   "%s: first line must be the header kode,nama,level",
					   g->o->wilayah);
		else
			rc = csv_row(g, line, lineno);
	}
	if (rc == 0 && ferror(f))
		rc = say(g, SP_ERR_IO, "cannot read %s", g->o->wilayah);
	fclose(f);
	return rc;
}

/* check_subset: every requested province is a province code in the file. */
static int check_subset(struct gen *g)
{
	for (size_t i = 0; i < g->o->nsubset; i++) {
		int found = 0;
		for (size_t j = 0; j < g->nregions && !found; j++)
			found = g->regions[j].province &&
				strcmp(g->regions[j].code, g->o->subset[i]) == 0;
		if (!found)
			return say(g, SP_ERR_ARG, "--subset %s: no such province in %s",
				   g->o->subset[i], g->o->wilayah);
	}
	if (g->nregions == 0)
		return say(g, SP_ERR_CONFIG, "%s holds no provinces", g->o->wilayah);
	return 0;
}

/* ---- institutions and their keys ---------------------------------------------- */

static int key_path(struct gen *g, const char *id, const char *ext, char *out)
{
	int n = snprintf(out, PATH_LEN, "%s/keys/%s.%s", g->o->out, id, ext);
	return n < 0 || n >= PATH_LEN ? say(g, SP_ERR_ARG, "output path too long") : 0;
}

/* new_keys makes and saves the institution's signing and sealing keys. */
static int new_keys(struct gen *g, struct sp_dir_inst *r)
{
	char path[PATH_LEN];
	uint8_t sk[SP_SECRET_BYTES], seal_sk[32];
	int rc = key_path(g, r->id, "key", path);
	if (rc == 0)
		rc = sp_keyfile_generate(path, r->sign_key, sk, g->why, g->why_cap);
	if (rc == 0 && r->tier == SP_DIR_TIER_COORDINATOR)
		memcpy(g->coord_sk, sk, sizeof(sk));
	sodium_memzero(sk, sizeof(sk));
	if (rc == 0)
		rc = key_path(g, r->id, "seal", path);
	if (rc == 0) {
		crypto_box_keypair(r->seal_key, seal_sk);
		rc = sp_sealfile_create(path, seal_sk, g->why, g->why_cap);
		sodium_memzero(seal_sk, sizeof(seal_sk));
	}
	return rc;
}

static void set_list(char (*rows)[SP_DIR_CATEGORY_MAX + 1], size_t *n,
		     const char *const *items)
{
	for (*n = 0; items[*n] != NULL && *n < SP_DIR_MAX_CATEGORIES; (*n)++)
		snprintf(rows[*n], SP_DIR_CATEGORY_MAX + 1, "%s", items[*n]);
}

/* add_inst appends an institution with fresh keys and loopback addresses. */
static int add_inst(struct gen *g, const char *id, const char *name, enum sp_dir_tier tier,
		    const char *parent, struct sp_dir_inst **out)
{
	if (sp_grow((void **)&g->insts, &g->capinsts, g->ninsts, sizeof(*g->insts)))
		return SP_ERR_NOMEM;
	struct sp_dir_inst *r = &g->insts[g->ninsts];
	memset(r, 0, sizeof(*r));
	snprintf(r->id, sizeof(r->id), "%s", id);
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->tier = tier;
	snprintf(r->parent, sizeof(r->parent), "%s", parent);
	unsigned port = g->o->port_base + 2 * (unsigned)g->ninsts;
	r->npeers = 1;
	snprintf(r->peers[0], sizeof(r->peers[0]), "tcp://127.0.0.1:%u", port);
	snprintf(r->http, sizeof(r->http), "http://127.0.0.1:%u", port + 1);
	int rc = new_keys(g, r);
	if (rc)
		return rc;
	g->ninsts++;
	*out = r;
	return 0;
}

static int add_agencies(struct gen *g)
{
	for (size_t i = 0; i < sizeof(agencies) / sizeof(agencies[0]); i++) {
		const struct agency *a = &agencies[i];
		struct sp_dir_inst *r;
		int rc = add_inst(g, a->id, a->name, a->tier, SP_FEDGEN_COORDINATOR, &r);
		if (rc)
			return rc;
		set_list(r->categories, &r->ncategories, a->cats);
		g->res->agencies++;
	}
	return 0;
}

/* gov_name: "Pemerintah Provinsi Aceh", "Pemerintah Kabupaten Soppeng". */
static int gov_name(struct gen *g, const struct region *reg, char out[SP_DIR_NAME_MAX + 1])
{
	char tmp[SP_DIR_NAME_MAX + 32];
	int n = snprintf(tmp, sizeof(tmp), "Pemerintah %s%s", reg->province ? "Provinsi " : "",
			 reg->name);
	if (n < 0 || n > SP_DIR_NAME_MAX)
		return say(g, SP_ERR_CONFIG, "region %s: name too long", reg->code);
	memcpy(out, tmp, (size_t)n + 1);
	return 0;
}

static int add_regions(struct gen *g)
{
	char parent[SP_INST_ID_MAX + 1];
	for (size_t i = 0; i < g->nregions; i++) {
		const struct region *reg = &g->regions[i];
		char name[SP_DIR_NAME_MAX + 1];
		if (gov_name(g, reg, name) != 0)
			return SP_ERR_CONFIG;
		if (reg->province)
			snprintf(parent, sizeof(parent), "%s", SP_FEDGEN_COORDINATOR);
		else
			snprintf(parent, sizeof(parent), "%.2s", reg->code);
		struct sp_dir_inst *r;
		int rc = add_inst(g, reg->code, name,
				  reg->province ? SP_DIR_TIER_PROVINCE : SP_DIR_TIER_KABKOTA, parent,
				  &r);
		if (rc)
			return rc;
		r->nregions = 1;
		snprintf(r->regions[0], sizeof(r->regions[0]), "%s", reg->code);
		set_list(r->categories, &r->ncategories, kabkota_cats);
		if (reg->province) {
			size_t n;
			set_list(r->categories + r->ncategories, &n, province_cats);
			r->ncategories += n;
			g->res->provinces++;
		} else {
			g->res->kabkota++;
		}
	}
	return 0;
}

/* ---- the coordinator's log ------------------------------------------------------ */

static void appended(void *arg, int err, uint64_t index, const uint8_t hash[SP_HASH_BYTES])
{
	(void)index;
	(void)hash;
	struct gen *g = arg;
	pthread_mutex_lock(&g->mu);
	if (err && g->append_err == 0)
		g->append_err = err;
	g->done++;
	pthread_cond_signal(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

/* queue hands one record to the store; the store signs and fsyncs in
 * groups, so queueing all before waiting costs a few fsyncs, not one each. */
static int queue(struct gen *g, uint64_t type, struct sp_buf *body, int rc)
{
	if (rc == 0)
		rc = sp_store_append_async(g->store, type, body->p, body->len, appended, g);
	sp_buf_free(body);
	if (rc)
		return say(g, rc, "cannot append a directory record: %s", sp_strerror(rc));
	pthread_mutex_lock(&g->mu);
	g->queued++;
	pthread_mutex_unlock(&g->mu);
	return 0;
}

static int wait_appends(struct gen *g)
{
	pthread_mutex_lock(&g->mu);
	while (g->done < g->queued)
		pthread_cond_wait(&g->cv, &g->mu);
	int rc = g->append_err;
	pthread_mutex_unlock(&g->mu);
	return rc ? say(g, rc, "appending the directory failed: %s", sp_strerror(rc)) : 0;
}

static int queue_route(struct gen *g, const char *rule, const char *cat, const char *region,
		       const char *inst)
{
	struct sp_dir_route r;
	struct sp_buf b;
	sp_buf_init(&b);
	int rc = sp_dir_route_make(&r, rule, cat, region, inst);
	g->res->routes++;
	return queue(g, SP_EV_ROUTE, &b, rc ? rc : sp_dir_route_encode(&r, &b));
}

/* National rules send an agency's categories to it from anywhere; each
 * province gets its own categories for its own prefix. */
static int queue_routes(struct gen *g)
{
	char rule[SP_DIR_RULE_MAX + 1];
	int rc = 0;
	for (size_t i = 0; i < sizeof(agencies) / sizeof(agencies[0]) && !rc; i++)
		for (size_t c = 0; agencies[i].cats[c] && !rc; c++) {
			snprintf(rule, sizeof(rule), "nasional:%s", agencies[i].cats[c]);
			rc = queue_route(g, rule, agencies[i].cats[c], "", agencies[i].id);
		}
	for (size_t i = 0; i < g->nregions && !rc; i++) {
		const struct region *reg = &g->regions[i];
		for (size_t c = 0; reg->province && province_cats[c] && !rc; c++) {
			snprintf(rule, sizeof(rule), "%s:%s", reg->code, province_cats[c]);
			rc = queue_route(g, rule, province_cats[c], reg->code, reg->code);
		}
	}
	return rc;
}

/* new_officers makes the key files of institution i's two first
 * officers, an admin and a pejabat penghubung: keys/<ID>.admin.key and
 * keys/<ID>.officer.key (in a real federation each officer makes their own
 * key on their own machine, and only the public key travels). */
static int new_officers(struct gen *g, size_t i)
{
	static const char *const ext[2] = {"admin.key", "officer.key"};
	char path[PATH_LEN];
	int rc = 0;
	for (int k = 0; k < 2 && rc == 0; k++) {
		rc = key_path(g, g->insts[i].id, ext[k], path);
		if (rc == 0)
			rc = sp_keyfile_generate(path, g->officers[i][k], NULL, g->why, g->why_cap);
	}
	return rc;
}

/* queue_officers enrols every institution's admin and pejabat penghubung. */
static int queue_officers(struct gen *g)
{
	g->officers = calloc(g->ninsts ? g->ninsts : 1, sizeof(*g->officers));
	if (g->officers == NULL)
		return say(g, SP_ERR_NOMEM, "out of memory");
	int rc = 0;
	for (size_t i = 0; i < g->ninsts && !rc; i++) {
		rc = new_officers(g, i);
		for (int k = 0; k < 2 && !rc; k++) {
			struct sp_dir_officer o;
			memset(&o, 0, sizeof(o));
			snprintf(o.inst, sizeof(o.inst), "%s", g->insts[i].id);
			memcpy(o.key, g->officers[i][k], SP_KEY_BYTES);
			snprintf(o.name, sizeof(o.name), "%s %s", k ? "Pejabat Penghubung" : "Admin",
				 g->insts[i].id);
			o.role = k ? SP_DIR_ROLE_PENGHUBUNG : SP_DIR_ROLE_ADMIN;
			o.action = SP_DIR_ENROL;
			struct sp_buf b;
			sp_buf_init(&b);
			g->res->officers++;
			rc = queue(g, SP_EV_OFFICER, &b, sp_dir_officer_encode(&o, &b));
		}
	}
	return rc;
}

static int queue_records(struct gen *g)
{
	int rc = 0;
	for (size_t i = 0; i < g->ninsts && !rc; i++) {
		struct sp_buf b;
		sp_buf_init(&b);
		rc = queue(g, SP_EV_INSTITUTION, &b, sp_dir_inst_encode(&g->insts[i], &b));
	}
	/* Every institution may enrol its own units and officers. */
	for (size_t i = 1; i < g->ninsts && !rc; i++) {
		struct sp_dir_delegate del;
		memset(&del, 0, sizeof(del));
		snprintf(del.delegate, sizeof(del.delegate), "%s", g->insts[i].id);
		snprintf(del.root, sizeof(del.root), "%s", g->insts[i].id);
		del.grant = 1;
		struct sp_buf b;
		sp_buf_init(&b);
		g->res->delegations++;
		rc = queue(g, SP_EV_DELEGATE, &b, sp_dir_delegate_encode(&del, &b));
	}
	if (!rc)
		rc = queue_officers(g);
	if (!rc)
		rc = queue_routes(g);
	if (!rc) {
		static const struct sp_dir_policy pol = {"", 3, 5, 10, 60};
		struct sp_buf b;
		sp_buf_init(&b);
		rc = queue(g, SP_EV_POLICY, &b, sp_dir_policy_encode(&pol, &b));
	}
	return rc;
}

static int put_entry(void *arg, uint64_t index, const uint8_t *entry, size_t len)
{
	(void)index;
	uint8_t be[2] = {(uint8_t)(len >> 8), (uint8_t)len};
	sp_buf_put(arg, be, 2);
	sp_buf_put(arg, entry, len);
	return 0;
}

/* write_file writes b (freed) to dir/file. */
static int write_file(const char *dir, const char *file, struct sp_buf *b)
{
	char path[PATH_LEN];
	int n = snprintf(path, sizeof(path), "%s/%s", dir, file);
	int rc = n < 0 || (size_t)n >= sizeof(path) ? SP_ERR_ARG
		 : b->err                          ? SP_ERR_NOMEM
						   : sp_file_replace(path, b->p, b->len);
	sp_buf_free(b);
	return rc;
}

int sp_fedgen_export(struct sp_store *s, const char *dir, size_t *entries)
{
	uint32_t id;
	struct sp_log_info info;
	struct sp_buf b;
	sp_buf_init(&b);
	int rc = sp_store_checkpoint_sign(s);
	if (!rc)
		rc = sp_store_own_log(s, &id);
	if (!rc)
		rc = sp_store_log_info(s, id, &info);
	if (!rc)
		rc = sp_store_scan(s, id, 0, info.size, put_entry, &b);
	if (!rc && entries)
		*entries = info.size;
	if (!rc)
		rc = write_file(dir, "directory.entries", &b);
	if (!rc)
		rc = sp_store_checkpoint(s, id, &b, NULL);
	if (!rc)
		rc = write_file(dir, "directory.checkpoint", &b);
	sp_buf_free(&b);
	return rc;
}

/* export_log writes the signed entries and checkpoint next to the store. */
static int export_log(struct gen *g)
{
	int rc = sp_fedgen_export(g->store, g->o->out, &g->res->entries);
	return rc ? say(g, rc, "cannot export the directory log to %s: %s", g->o->out,
			sp_strerror(rc))
		  : 0;
}

static int write_log(struct gen *g)
{
	char path[PATH_LEN], origin[SP_ORIGIN_NAME_MAX + 1];
	snprintf(path, sizeof(path), "%s/store", g->o->out);
	snprintf(origin, sizeof(origin), "%s/%s", g->name, SP_FEDGEN_COORDINATOR);
	struct sp_store_opts so = {0};
	so.own_origin = origin;
	so.own_sk = g->coord_sk;
	so.checkpoint_ms = 1000;
	so.verify_threads = 1;
	int rc = sp_store_open(path, &so, &g->store);
	if (rc)
		return say(g, rc, "cannot create the store %s: %s", path, sp_strerror(rc));
	rc = queue_records(g);
	int wrc = wait_appends(g); /* always drain before closing */
	if (!rc)
		rc = wrc;
	if (!rc)
		rc = export_log(g);
	sp_store_close(g->store);
	g->store = NULL;
	return rc;
}

/* ---- the description file ------------------------------------------------------------ */

static const char *tier_name(enum sp_dir_tier t)
{
	static const char *const names[] = {"national-coordinator", "ministry", "agency",
					    "province", "kabkota", "unit"};
	return (unsigned)t <= SP_DIR_TIER_UNIT ? names[t] : "?";
}

/* ini_inst writes r's section; backup is its backup province (sp_topo.h)
 * or NULL. */
static void ini_inst(struct sp_buf *b, const struct sp_dir_inst *r, const char *backup)
{
	char k[65];
	sp_buf_printf(b, "\n[institution %s]\nname = %s\ntier = %s\nparent = %s\n", r->id, r->name,
		tier_name(r->tier), r->parent);
	hex(r->sign_key, 32, k);
	sp_buf_printf(b, "sign_key = %s\nkey_file = keys/%s.key\n", k, r->id);
	hex(r->seal_key, 32, k);
	sp_buf_printf(b, "seal_key = %s\nseal_file = keys/%s.seal\n", k, r->id);
	sp_buf_printf(b, "admin_key_file = keys/%s.admin.key\nofficer_key_file = keys/%s.officer.key\n",
		r->id, r->id);
	sp_buf_printf(b, "peer = %s\nhttp = %s\nregions =", r->peers[0], r->http);
	for (size_t i = 0; i < r->nregions; i++)
		sp_buf_printf(b, " %s", r->regions[i]);
	sp_buf_printf(b, "\ncategories =");
	for (size_t i = 0; i < r->ncategories; i++)
		sp_buf_printf(b, " %s", r->categories[i]);
	sp_buf_printf(b, "\n");
	if (backup)
		sp_buf_printf(b, "backup = %s\n", backup);
}

/* backup_of: the backup province of institution r, or NULL
 * (prov[0..n): the provinces' ids). */
static const char *backup_of(const struct sp_dir_inst *r, const char *const *prov, size_t n)
{
	if (!sp_topo_needs_backup(r->tier, strcmp(r->parent, SP_FEDGEN_COORDINATOR) == 0))
		return NULL;
	size_t k = sp_topo_pick(r->id, prov, n);
	return k < n ? prov[k] : NULL;
}

static int write_ini(struct gen *g)
{
	struct sp_buf b;
	sp_buf_init(&b);
	char k[65], origin[SP_ORIGIN_NAME_MAX + 1];
	hex(g->insts[0].sign_key, 32, k);
	snprintf(origin, sizeof(origin), "%s/%s", g->name, SP_FEDGEN_COORDINATOR);
	sp_buf_printf(&b, "; Simpul federation, written by `simpul federation init`.\n"
		    "; Format: docs/directory.md. Secret keys are in keys/ (mode 0600).\n\n");
	sp_buf_printf(&b, "[federation]\nname = %s\ncoordinator = %s\nroot_key = %s\nroot_vkey = ",
		g->name, SP_FEDGEN_COORDINATOR, k);
	struct sp_note_key nk;
	if (sp_note_key_init(&nk, origin, SP_NOTE_TYPE_ED25519, g->insts[0].sign_key) == 0)
		sp_note_vkey_format(&nk, &b);
	sp_buf_printf(&b, "\nlog_origin = %s\nstore = store\ndirectory = directory.entries\n"
		    "checkpoint = directory.checkpoint\n",
		origin);
	sp_buf_printf(&b, "entries = %zu\ninstitutions = %zu\nprovinces = %zu\nkabkota = %zu\n",
		g->res->entries, g->ninsts, g->res->provinces, g->res->kabkota);
	const char **prov = malloc((g->ninsts + 1) * sizeof(*prov));
	size_t np = 0;
	for (size_t i = 0; prov && i < g->ninsts; i++)
		if (g->insts[i].tier == SP_DIR_TIER_PROVINCE)
			prov[np++] = g->insts[i].id;
	for (size_t i = 0; prov && i < g->ninsts; i++)
		ini_inst(&b, &g->insts[i], backup_of(&g->insts[i], prov, np));
	int rc = prov ? write_file(g->o->out, "federation.ini", &b) : SP_ERR_NOMEM;
	free(prov);
	return rc ? say(g, rc, "cannot write %s/federation.ini: %s", g->o->out, sp_strerror(rc))
		  : 0;
}

/* ---- the run ----------------------------------------------------------------------------- */

static int prepare_out(struct gen *g)
{
	char path[PATH_LEN];
	struct stat st;
	int n = snprintf(path, sizeof(path), "%s/federation.ini", g->o->out);
	if (n < 0 || (size_t)n >= sizeof(path))
		return say(g, SP_ERR_ARG, "output path too long");
	if (stat(path, &st) == 0)
		return say(g, SP_ERR_EXISTS, "%s already holds a federation; not overwriting it",
			   g->o->out);
	snprintf(path, sizeof(path), "%s/keys", g->o->out);
	if (sp_mkdirs(g->o->out, 0755) != 0 || sp_mkdirs(path, 0700) != 0)
		return say(g, SP_ERR_IO, "cannot create %s: %s", path, strerror(errno));
	return 0;
}

static int check_opts(struct gen *g)
{
	const struct sp_fedgen_opts *o = g->o;
	if (o->wilayah == NULL || o->out == NULL || o->out[0] == '\0')
		return say(g, SP_ERR_ARG, "both the wilayah file and the output folder are needed");
	if (strlen(g->name) + 1 + strlen(SP_FEDGEN_COORDINATOR) > SP_ORIGIN_NAME_MAX ||
	    strchr(g->name, ' ') || strchr(g->name, '+') || g->name[0] == '\0')
		return say(g, SP_ERR_ARG, "federation name '%s' is not usable in a log origin",
			   g->name);
	if (o->nsubset > SP_FEDGEN_MAX_SUBSET)
		return say(g, SP_ERR_ARG, "at most %d --subset provinces", SP_FEDGEN_MAX_SUBSET);
	for (size_t i = 0; i < o->nsubset; i++)
		if (strlen(o->subset[i]) != 2 || !sp_dir_region_valid(o->subset[i]))
			return say(g, SP_ERR_ARG, "--subset '%s' is not a province code (two digits)",
				   o->subset[i]);
	if (o->port_base + 2 * 4096u > 65535u)
		return say(g, SP_ERR_ARG, "port base %u too high", o->port_base);
	return 0;
}

static int generate(struct gen *g)
{
	int rc = check_opts(g);
	if (!rc)
		rc = csv_read(g);
	if (!rc)
		rc = check_subset(g);
	if (!rc)
		rc = prepare_out(g);
	struct sp_dir_inst *coord;
	if (!rc)
		rc = add_inst(g, SP_FEDGEN_COORDINATOR,
			      "Kementerian Pendayagunaan Aparatur Negara dan Reformasi Birokrasi",
			      SP_DIR_TIER_COORDINATOR, "", &coord);
	if (!rc)
		rc = add_agencies(g);
	if (!rc)
		rc = add_regions(g);
	if (!rc)
		rc = write_log(g);
	if (!rc)
		rc = write_ini(g);
	return rc;
}

int sp_fedgen_run(const struct sp_fedgen_opts *o, struct sp_fedgen_result *res, char *why,
		  size_t why_cap)
{
	if (o == NULL || res == NULL)
		return SP_ERR_ARG;
	if (sodium_init() < 0)
		return SP_ERR_INTERNAL;
	struct sp_fedgen_opts opts = *o;
	if (opts.port_base == 0)
		opts.port_base = SP_FEDGEN_PORT_BASE;
	memset(res, 0, sizeof(*res));
	struct gen g;
	memset(&g, 0, sizeof(g));
	g.o = &opts;
	g.name = o->name ? o->name : SP_FEDGEN_NAME;
	g.why = why;
	g.why_cap = why_cap;
	g.res = res;
	pthread_mutex_init(&g.mu, NULL);
	pthread_cond_init(&g.cv, NULL);
	int rc = generate(&g);
	if (rc == 0) {
		res->institutions = g.ninsts;
		memcpy(res->root_key, g.insts[0].sign_key, 32);
	}
	sodium_memzero(g.coord_sk, sizeof(g.coord_sk));
	pthread_cond_destroy(&g.cv);
	pthread_mutex_destroy(&g.mu);
	free(g.regions);
	free(g.insts);
	free(g.officers);
	return rc;
}
