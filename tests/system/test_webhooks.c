/*
 * test_webhooks.c - notifications to several endpoints, end to end: a real
 * simpuld (73.12 of the harness's federation of province 73) with two
 * [webhook.NAME] endpoints, each a real HTTP receiver in this process
 * (libmicrohttpd on 127.0.0.1:0) that checks every HMAC signature:
 *
 * - "mail" (no contact) refuses everything for a while: "sms" meanwhile
 *   receives every event in order; then mail gets them all, in order.
 * - "sms" (include_contact = true) gets the reporter's contact of a
 *   rahasia and of a publik report while 73.12 holds them; after a
 *   disposisi to 73 the node is no longer a holder: that event has none,
 *   though this node could still open its envelope copy. An anonim
 *   report's events never carry contact, though it has a sealed one.
 * - Then sms refuses for a while: the event with a contact waits in a
 *   file of mode 0600 (mail still gets it), and is delivered after.
 * - The waiting outbox files are mode 0600; once delivered nothing with
 *   the contact is left in the data folder; the log holds no contact, key
 *   or URL token.
 * - A cursor past the end of the index's change feed is brought back to
 *   its end, and new changes are notified.
 * - The feed keeps only what the webhook has not read yet: after many
 *   changes it keeps none (simpul_index_feed_changes), and every change
 *   was notified to both endpoints.
 */
#define _GNU_SOURCE /* memmem */
#include "sp_testutil.h"

#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <sodium.h>

#include "sp_keyfile.h"
#include "sp_node_harness.h"

#define CONTACT_R "0813-5550-1111 rahasia@contoh.id"
#define CONTACT_P "0813-5550-2222 publik@contoh.id"
#define CONTACT_A "0813-5550-3333 anonim@contoh.id"
#define SMS_KEY "kunci-sms-uji-9f2c"
#define MAIL_KEY "kunci-mail-uji-41ab"
#define TOKEN "TOKEN-GERBANG-77q"

/* One receiver: what it accepted (in order), how many it refused, how
 * many bad signatures it saw. */
struct recv {
	struct MHD_Daemon *d;
	unsigned port;
	const char *key;
	pthread_mutex_t mu;
	json_t *events;
	int refuse, refused, bad;
};

static struct {
	struct sp_h_fed f;
	struct recv sms, mail;
	char cli_key[PATH_MAX + 16], url[96];
	char rahasia[65], publik[65], anonim[65];
} g;

static int signed_ok(const struct recv *r, struct MHD_Connection *c, const struct sp_buf *b)
{
	const char *ts = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Simpul-Timestamp");
	const char *sig = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Simpul-Signature");
	if (ts == NULL || sig == NULL)
		return 0;
	uint8_t mac[crypto_auth_hmacsha256_BYTES];
	char hex[2 * sizeof(mac) + 1], want[sizeof(hex) + 8];
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, (const uint8_t *)r->key, strlen(r->key));
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)ts, strlen(ts));
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)".", 1);
	crypto_auth_hmacsha256_update(&st, b->p, b->len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
	snprintf(want, sizeof(want), "sha256=%s", hex);
	return strcmp(want, sig) == 0;
}

static enum MHD_Result on_req(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **ctx)
{
	(void)url;
	(void)method;
	(void)version;
	struct recv *r = cls;
	struct sp_buf *b = *ctx;
	if (b == NULL) {
		b = calloc(1, sizeof(*b));
		sp_buf_init(b);
		*ctx = b;
		return MHD_YES;
	}
	if (*upload_size) {
		sp_buf_put(b, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	unsigned status = 204;
	pthread_mutex_lock(&r->mu);
	if (!signed_ok(r, c, b))
		r->bad++;
	if (r->refuse) {
		r->refused++;
		status = 503;
	} else {
		json_t *ev = json_loadb((const char *)b->p, b->len, 0, NULL);
		if (ev)
			json_array_append_new(r->events, ev);
		else
			r->bad++;
	}
	pthread_mutex_unlock(&r->mu);
	struct MHD_Response *res = MHD_create_response_from_buffer(0, (void *)"",
								   MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ok = MHD_queue_response(c, status, res);
	MHD_destroy_response(res);
	return ok;
}

static void on_done(void *cls, struct MHD_Connection *c, void **ctx,
		    enum MHD_RequestTerminationCode why)
{
	(void)cls;
	(void)c;
	(void)why;
	if (*ctx) {
		sp_buf_free(*ctx);
		free(*ctx);
	}
	*ctx = NULL;
}

static void recv_start(struct recv *r, const char *key, int refuse)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	r->key = key;
	r->refuse = refuse;
	r->events = json_array();
	pthread_mutex_init(&r->mu, NULL);
	r->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
				on_req, r, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&a,
				MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL, MHD_OPTION_END);
	assert_non_null(r->d);
	r->port = MHD_get_daemon_info(r->d, MHD_DAEMON_INFO_BIND_PORT)->port;
	assert_true(r->port > 0);
}

static void recv_stop(struct recv *r)
{
	if (r->d)
		MHD_stop_daemon(r->d);
	r->d = NULL;
	json_decref(r->events);
	pthread_mutex_destroy(&r->mu);
}

/* events_of copies what r accepted about report id (all if NULL). */
static json_t *events_of(struct recv *r, const char *id)
{
	json_t *out = json_array();
	pthread_mutex_lock(&r->mu);
	size_t i;
	json_t *e;
	json_array_foreach(r->events, i, e)
		if (id == NULL ||
		    strcmp(json_string_value(json_object_get(e, "report_id")), id) == 0)
			json_array_append(out, e);
	pthread_mutex_unlock(&r->mu);
	return out;
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	sp_h_fed_init(&g.f, "webhooks");
	uint8_t seed[32], pk[32];
	memset(seed, 91, sizeof(seed));
	snprintf(g.cli_key, sizeof(g.cli_key), "%s/officer.key", g.f.dir);
	assert_int_equal(sp_keyfile_create(g.cli_key, seed, NULL, 0), 0);
	assert_int_equal(sp_keyfile_load(g.cli_key, pk, NULL, NULL, 0), 0);
	sp_h_fed_enrol(&g.f, "73.12", pk, "Petugas Soppeng");
	recv_start(&g.sms, SMS_KEY, 0);
	recv_start(&g.mail, MAIL_KEY, 1);
	char path[PATH_MAX + 32], extra[2 * PATH_MAX + 512];
	snprintf(path, sizeof(path), "%s/sms.key", g.f.dir);
	write_text(path, SMS_KEY "\n");
	snprintf(path, sizeof(path), "%s/mail.key", g.f.dir);
	write_text(path, MAIL_KEY);
	snprintf(extra, sizeof(extra),
		 "[webhooks]\ninterval_ms = 100\n"
		 "[webhook.sms]\nurl = http://127.0.0.1:%u/sms?token=" TOKEN "\n"
		 "secret = %s/sms.key\ninclude_contact = true\n"
		 "[webhook.mail]\nurl = http://127.0.0.1:%u/mail\nsecret = %s/mail.key\n",
		 g.sms.port, g.f.dir, g.mail.port, g.f.dir);
	FILE *f = fopen(g.f.ini, "a");
	assert_non_null(f);
	fputs(extra, f);
	fclose(f);
	sp_h_fed_start(&g.f);
	/* the node serves HTTP before its webhooks start, and a first start
	 * takes what it finds as the baseline: submit after that */
	assert_int_equal(sp_h_wait_text(g.f.log, "webhook: 2 endpoint(s)", 30000), 0);
	snprintf(g.url, sizeof(g.url), "http://%s", g.f.addr);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sp_h_fed_free(&g.f);
	recv_stop(&g.sms);
	recv_stop(&g.mail);
	return 0;
}

static void submit(const char *vis, const char *contact, char id[65])
{
	json_t *b = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "kind", "pengaduan", "visibility", vis,
			      "category", "pelayanan-publik", "region", "73.12.01", "title",
			      "Jalan rusak", "content", "Lubang besar di jalan desa", "contact",
			      contact);
	char *s = json_dumps(b, 0);
	json_t *j = sp_h_call(&g.f, "POST", "/v1/reports", "application/json", s, strlen(s), 201);
	snprintf(id, 65, "%s", json_string_value(json_object_get(j, "report_id")));
	assert_string_equal(json_string_value(json_object_get(j, "routed_to")), "73.12");
	json_decref(j);
	free(s);
	json_decref(b);
}

/* wait_for waits up to 30 s until r accepted at least n events about id. */
static json_t *wait_for(struct recv *r, const char *id, size_t n)
{
	for (int i = 0; i < 300; i++) {
		json_t *e = events_of(r, id);
		if (json_array_size(e) >= n)
			return e;
		json_decref(e);
		usleep(100 * 1000);
	}
	fail_msg("fewer than %zu events about %s within 30 s", n, id ? id : "anything");
	return NULL;
}

static const char *contact_of(json_t *ev)
{
	return json_string_value(json_object_get(ev, "contact"));
}

/* in_order: event ids strictly increase (a repeat of the last one, at
 * least once delivery, is allowed). */
static void assert_in_order(json_t *evs)
{
	const char *last = "";
	size_t i;
	json_t *e;
	json_array_foreach(evs, i, e) {
		const char *id = json_string_value(json_object_get(e, "event_id"));
		assert_non_null(id);
		if (strcmp(id, last) < 0)
			fail_msg("event %s arrived after %s", id, last);
		last = id;
	}
}

/* outbox_check counts endpoint name's waiting events: files of mode 0600,
 * and, with no_contact, none carrying a contact. */
static size_t outbox_check(const char *name, int no_contact)
{
	char dir[PATH_MAX + 64];
	snprintf(dir, sizeof(dir), "%s/webhooks/endpoint.%s", g.f.data, name);
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *de;
	size_t n = 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char path[PATH_MAX + 400];
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
		char *text = sp_h_slurp(path, NULL);
		assert_non_null(text);
		if (no_contact)
			assert_null(strstr(text, "contact"));
		free(text);
		n++;
	}
	closedir(d);
	return n;
}

static void test_contact_and_refusal(void **state)
{
	(void)state;
	submit("rahasia", CONTACT_R, g.rahasia);
	submit("publik", CONTACT_P, g.publik);
	submit("anonim", CONTACT_A, g.anonim);

	/* sms gets each with its contact where it may, while mail refuses */
	json_t *r = wait_for(&g.sms, g.rahasia, 1), *p = wait_for(&g.sms, g.publik, 1),
	       *a = wait_for(&g.sms, g.anonim, 1);
	assert_string_equal(contact_of(json_array_get(r, 0)), CONTACT_R);
	assert_string_equal(contact_of(json_array_get(p, 0)), CONTACT_P);
	assert_null(json_object_get(json_array_get(a, 0), "contact"));
	json_decref(r);
	json_decref(p);
	json_decref(a);
	for (int i = 0; i < 300 && outbox_check("mail", 1) < 3; i++)
		usleep(100 * 1000); /* sms may be served before mail's file is written */
	assert_true(outbox_check("mail", 1) >= 3);
	pthread_mutex_lock(&g.mail.mu);
	int refused = g.mail.refused;
	size_t got = json_array_size(g.mail.events);
	pthread_mutex_unlock(&g.mail.mu);
	assert_true(refused >= 1);
	assert_int_equal(got, 0);

	/* a disposisi to 73: the node no longer holds the report */
	const char *act[] = {"act",	  "--node", g.url, "--key", g.cli_key, g.rahasia,
			     "disposisi", "--to",   "73",  NULL};
	free(sp_h_simpul(g.f.dir, 0, act));
	json_t *moved = NULL;
	for (int i = 0; i < 300 && moved == NULL; i++) {
		json_t *e = events_of(&g.sms, g.rahasia);
		json_t *last = json_array_get(e, json_array_size(e) - 1);
		json_t *h = json_object_get(last, "holders");
		if (json_array_size(h) == 1 && strcmp(json_string_value(json_array_get(h, 0)), "73") == 0)
			moved = json_incref(last);
		json_decref(e);
		if (moved == NULL)
			usleep(100 * 1000);
	}
	assert_non_null(moved);
	assert_string_equal(json_string_value(json_object_get(moved, "status")), "didisposisikan");
	assert_null(json_object_get(moved, "contact"));
	json_decref(moved);

	/* mail comes back: it gets every event, in order, without contact */
	json_t *sms_all = events_of(&g.sms, NULL);
	pthread_mutex_lock(&g.mail.mu);
	g.mail.refuse = 0;
	pthread_mutex_unlock(&g.mail.mu);
	json_t *mail_all = wait_for(&g.mail, NULL, json_array_size(sms_all));
	assert_in_order(sms_all);
	assert_in_order(mail_all);
	size_t i;
	json_t *e;
	json_array_foreach(mail_all, i, e) {
		assert_null(json_object_get(e, "contact"));
		assert_string_equal(json_string_value(json_object_get(e, "event_id")),
				    json_string_value(json_object_get(json_array_get(sms_all, i),
								      "event_id")));
	}
	json_array_foreach(sms_all, i, e)
		if (strcmp(json_string_value(json_object_get(e, "report_id")), g.anonim) == 0)
			assert_null(json_object_get(e, "contact"));
	json_decref(sms_all);
	json_decref(mail_all);
	assert_int_equal(g.sms.bad, 0);
	assert_int_equal(g.mail.bad, 0);
}

/* sms refuses in turn: the event with the contact waits in a 0600 file,
 * mail still gets it; once sms is back it is delivered and removed. */
static void test_contact_waits(void **state)
{
	(void)state;
	char later[65], dir[PATH_MAX + 64];
	pthread_mutex_lock(&g.sms.mu);
	g.sms.refuse = 1;
	int refused = g.sms.refused;
	pthread_mutex_unlock(&g.sms.mu);
	submit("publik", CONTACT_P, later);
	json_decref(wait_for(&g.mail, later, 1));
	int waiting = 0;
	snprintf(dir, sizeof(dir), "%s/webhooks/endpoint.sms", g.f.data);
	for (int i = 0; i < 300 && !waiting; i++) {
		DIR *d = opendir(dir);
		assert_non_null(d);
		struct dirent *de;
		while ((de = readdir(d)) != NULL) {
			char path[PATH_MAX + 400];
			struct stat st;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			char *text = de->d_name[0] == '.' ? NULL : sp_h_slurp(path, NULL);
			if (text && strstr(text, CONTACT_P) && strstr(text, later)) {
				assert_int_equal(stat(path, &st), 0);
				assert_int_equal(st.st_mode & 0777, 0600);
				waiting = 1;
			}
			free(text);
		}
		closedir(d);
		pthread_mutex_lock(&g.sms.mu);
		waiting &= g.sms.refused > refused;
		pthread_mutex_unlock(&g.sms.mu);
		if (!waiting)
			usleep(100 * 1000);
	}
	assert_true(waiting);
	pthread_mutex_lock(&g.sms.mu);
	g.sms.refuse = 0;
	pthread_mutex_unlock(&g.sms.mu);
	json_t *e = wait_for(&g.sms, later, 1);
	assert_string_equal(contact_of(json_array_get(e, 0)), CONTACT_P);
	json_decref(e);
}

/* ---- privacy ------------------------------------------------------------------------------- */

static const struct sp_h_needle g_needles[] = {SP_H_LIT(CONTACT_R), SP_H_LIT(CONTACT_P),
					       SP_H_LIT(CONTACT_A), SP_H_LIT(SMS_KEY),
					       SP_H_LIT(MAIL_KEY),  SP_H_LIT(TOKEN)};
#define N_NEEDLES (sizeof(g_needles) / sizeof(g_needles[0]))

static void test_privacy(void **state)
{
	(void)state;
	for (int i = 0; i < 300 && outbox_check("mail", 1) + outbox_check("sms", 0) > 0; i++)
		usleep(100 * 1000);
	assert_int_equal(outbox_check("sms", 0), 0);
	sp_h_fed_stop(&g.f);
	char found_in[PATH_MAX];
	if (sp_h_find_in_tree(g.f.data, g_needles, N_NEEDLES, found_in, sizeof(found_in)) != 0)
		fail_msg("a contact or key in clear in %s", found_in);
	if (sp_h_find_in_tree(g.f.log, g_needles, N_NEEDLES, found_in, sizeof(found_in)) != 0)
		fail_msg("a contact or key in the node's log");
	char *log = sp_h_slurp(g.f.log, NULL);
	assert_non_null(log);
	assert_non_null(strstr(log, "mail: event "));
	assert_non_null(strstr(log, "not delivered status=503"));
	free(log);
}

/* A cursor past the index's change feed (a new index, or its last writes
 * lost with the power) does not silence the webhooks: the node reads
 * from the feed's end and notifies what comes. */
static void test_cursor_past_end(void **state)
{
	(void)state;
	char path[PATH_MAX + 32], id[65];
	snprintf(path, sizeof(path), "%s/webhooks/cursor", g.f.data);
	write_text(path, "987654321\n");
	sp_h_fed_start(&g.f);
	assert_int_equal(sp_h_wait_text(g.f.log, "index ends at", 30000), 0);
	submit("publik", CONTACT_P, id);
	json_decref(wait_for(&g.mail, id, 1));
}

static void test_feed_pruned(void **state)
{
	(void)state;
	enum { N = 30 };
	char ids[N][65];
	for (int i = 0; i < N; i++)
		submit("publik", CONTACT_P, ids[i]);
	for (int i = 0; i < N; i++) {
		json_decref(wait_for(&g.sms, ids[i], 1));
		json_decref(wait_for(&g.mail, ids[i], 1));
	}
	long long kept = -1;
	for (int i = 0; i < 300 && (kept = sp_h_metric(g.f.addr, "simpul_index_feed_changes")) != 0; i++)
		usleep(100 * 1000);
	assert_int_equal(kept, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_contact_and_refusal),
		cmocka_unit_test(test_contact_waits),
		cmocka_unit_test(test_privacy),
		cmocka_unit_test(test_cursor_past_end),
		cmocka_unit_test(test_feed_pruned),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, setup, teardown));
}
