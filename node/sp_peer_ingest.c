/*
 * sp_peer_ingest.c - sp_peer's ingest pipeline: received ENTRIES batches
 * are checked and stored on a thread of their own, so that the loop keeps
 * serving, asking and receiving while signatures are verified.
 *
 * The loop queues a job per batch (sp_peer_ingest_queue). Two threads
 * take them in order, one stage each, so that one batch's signatures are
 * checked while the one before it is linked and written: the verify
 * thread decodes, checks the signatures of and hashes the entries
 * (sp_store_verify, on all cores); the ingest thread (so the batches of a
 * log reach the store in the order they arrived) checks the batch's
 * checkpoint and consistency proof, links the verified entries into the
 * log (sp_store_apply), passes the entries the log gained to the node's stored hook (the
 * report index, at once: see sp_peer.h), stores the checkpoint (and
 * cosigns it as witness, sp_peer_checkpoint_put), and hands the job back
 * to the loop as an SP_PEER_EV_INGESTED event. The loop keeps, per log, a
 * lane: the batches queued and the size the log will have once they are
 * stored, which the WANT planner takes as our size (so the next range is
 * asked for at once) and which bounds the pipeline (SP_PEER_LANE_JOBS per
 * log, SP_PEER_JOBS_MAX in all).
 *
 * Threads: lanes are loop-thread state; the job queue is guarded by
 * ing_mu. sp_peer_ingest_stop joins the thread, so the store is no longer
 * used once it returns.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "sp_err.h"
#include "sp_peer_int.h"
#include "sp_witness.h"

/* ---- checks on the ingest thread -------------------------------------------------------- */

/* check_batch_checkpoint: the batch's checkpoint is signed by a key of the
 * log's history, not older than our last entry's (SP_ERR_WRONG_AUTHOR),
 * and, when we hold the size it proves from, extends our tree.
 * SP_ERR_NOTE_NO_SIG: signed by a key we do not know (yet). */
static int check_batch_checkpoint(struct sp_peer *p, const struct sp_log_info *info,
			    const struct sp_gossip_entries *e)
{
	struct sp_checkpoint cp;
	size_t signer;
	int rc = sp_keyhist_checkpoint_open(&info->keys, 0, info->origin, e->checkpoint,
					    e->checkpoint_len, &cp, &signer);
	if (rc)
		return rc == SP_ERR_NOTE_NO_SIG ? rc : SP_ERR_BAD_SIGNATURE;
	if (cp.size >= info->size && info->size > 0 && signer < info->head_key)
		return SP_ERR_WRONG_AUTHOR; /* a rotated-away key's word on what came after */
	if (e->proof_from == 0 || e->proof_from > info->size)
		return 0;
	uint8_t old_root[32];
	rc = sp_store_root(p->store, info->id, e->proof_from, old_root);
	if (rc == 0)
		rc = sp_merkle_verify_consistency(e->proof_from, cp.size, old_root, cp.root,
						  (const sp_hash *)e->proof, e->nproof);
	return rc ? SP_ERR_PROOF : 0;
}

int sp_peer_checkpoint_put(struct sp_peer *p, uint32_t id, const char *cp, size_t len)
{
	struct sp_note note;
	struct sp_checkpoint body;
	struct sp_log_info held;
	if (sp_note_parse(cp, len, &note) != 0 ||
	    sp_checkpoint_parse(note.text, note.text_len, &body) != 0)
		return SP_ERR_CHECKPOINT;
	if (sp_store_log_info(p->store, id, &held) != 0 || body.size > held.size)
		return 0;
	if (held.own)
		return sp_store_own_checkpoint_put(p->store, cp, len);
	int rc = sp_store_checkpoint_put(p->store, id, cp, len);
	if (rc == SP_ERR_FORK_RESOLVED || rc == SP_ERR_NOTE_NO_SIG)
		return 0; /* of the branch resolved away, or by a key our directory does not
			   * have yet (a rotation): not kept, not the sender's fault */
	uint8_t sk[64];
	pthread_mutex_lock(&p->key_mu);
	memcpy(sk, p->sk, 64);
	pthread_mutex_unlock(&p->key_mu);
	if (rc == 0 && sp_witness_replica(p->store, p->origin, sk, id, cp, len,
					  (uint64_t)time(NULL)) == SP_ERR_INCONSISTENT)
		rc = SP_ERR_INCONSISTENT; /* contradicts what we cosigned: evidence kept */
	sodium_memzero(sk, sizeof(sk));
	return rc;
}

/* unknown_author: the refused entry (the first after the accepted prefix)
 * is signed by a key not in the log's history: a rotation our directory
 * does not have yet, asked for again once it does; not the sender's fault.
 * An older key of the history after a newer one stays refused. */
static int unknown_author(struct sp_peer *p, const struct sp_peer_job *j)
{
	const struct sp_gossip_entries *e = &j->m.u.entries;
	struct sp_log_info info;
	struct sp_entry ent;
	if (sp_store_log_info(p->store, j->id, &info) != 0 || info.size < e->first ||
	    info.size - e->first >= e->count)
		return 0;
	size_t at = (size_t)(info.size - e->first); /* the log stopped at the refused entry */
	return sp_entry_decode(e->entries[at], e->lens[at], &ent) == 0 &&
	       sp_keyhist_find(&info.keys, ent.author) < 0;
}

/* insert stores the batch; forks, frozen logs and the branch of a fork
 * the coordinator resolved away (a peer that has not applied the
 * resolution yet) are not the sender's fault, nor are gaps in a push (it raced our own catch-up; the range is
 * asked for again). An answer starts at our size (job_run skips it
 * otherwise), so a gap inside it means its entries do not carry the
 * indexes asked for: SP_ERR_WRONG_INDEX, held against the sender. */
static int insert(struct sp_peer *p, struct sp_peer_job *j)
{
	const struct sp_gossip_entries *e = &j->m.u.entries;
	int rc = p->has_own && j->id == p->own_id /* restore: our own entries back */
			 ? sp_store_own_insert(p->store, e->entries, e->lens, e->count, &j->acc)
		 : j->batch ? sp_store_apply(p->store, j->batch, &j->acc)
			    : sp_store_insert(p->store, j->id, e->entries, e->lens, e->count, &j->acc);
	if (rc == SP_ERR_FORK)
		j->fork = 1;
	if (rc == SP_ERR_FORK || rc == SP_ERR_BUSY || rc == SP_ERR_FORK_RESOLVED ||
	    (j->unsolicited && (rc == SP_ERR_GAP || rc == SP_ERR_WRONG_INDEX)) ||
	    (rc == SP_ERR_WRONG_AUTHOR && unknown_author(p, j)))
		return 0;
	return rc == SP_ERR_GAP ? SP_ERR_WRONG_INDEX : rc;
}

/* tell_stored hands the entries of the batch that the log gained (its
 * size went from `before` to what it is now) to the stored hook, so the
 * node's report index sees them at once, not at the next start, and
 * lists the attachments they name that we lack (fetched by the loop).
 * A batch verified ahead gives them decoded and hashed, so neither
 * decodes them again. */
static void tell_stored(struct sp_peer *p, struct sp_peer_job *j, uint64_t before)
{
	const struct sp_gossip_entries *e = &j->m.u.entries;
	struct sp_log_info now;
	if (sp_store_log_info(p->store, j->id, &now) != 0)
		return;
	if (now.size < before && p->reset) /* set aside by a fork resolution */
		p->reset(p->stored_arg, j->id);
	uint64_t from = before > e->first ? before : e->first;
	uint64_t to = now.size < e->first + e->count ? now.size : e->first + e->count;
	if (from >= to)
		return;
	size_t off = (size_t)(from - e->first), n = (size_t)(to - from);
	struct sp_store_run run = {.log = j->id,
				   .first = from,
				   .n = n,
				   .entries = e->entries + off,
				   .lens = e->lens + off};
	if (j->batch) /* leaves run as it is (bytes only) if it cannot */
		(void)sp_store_batch_run(j->batch, off, n, from, &run);
	if (p->stored)
		p->stored(p->stored_arg, &run);
	sp_peer_attach_collect(p, j, &run);
}

static void job_run(struct sp_peer *p, struct sp_peer_job *j)
{
	const struct sp_gossip_entries *e = &j->m.u.entries;
	struct sp_log_info info = {0};
	int rc = sp_store_log_info(p->store, j->id, &info);
	if (rc == 0 && e->first > info.size)
		return; /* a gap: asked for again once the lane is empty */
	int unknown = 0; /* the checkpoint's key is one our directory lacks yet */
	if (rc == 0 && e->checkpoint && (rc = check_batch_checkpoint(p, &info, e)) != 0) {
		unknown = rc == SP_ERR_NOTE_NO_SIG;
		rc = unknown ? 0 : rc;
		j->why = rc == SP_ERR_WRONG_AUTHOR
				 ? "checkpoint signed by a key rotated away before the entries it covers"
				 : "checkpoint or consistency proof does not verify";
	}
	if (rc == 0 && (rc = insert(p, j)) != 0)
		j->why = "entries refused";
	tell_stored(p, j, info.size); /* also the valid prefix of a refused batch */
	if (rc == 0 && e->checkpoint && !unknown &&
	    (rc = sp_peer_checkpoint_put(p, j->id, e->checkpoint, e->checkpoint_len)) != 0) {
		if (rc == SP_ERR_INCONSISTENT)
			j->cp_fork = 1, rc = 0;
		else
			j->why = "checkpoint refused";
	}
	j->rc = rc;
}

/* take pops the head of a queue (ing_mu held). */
static struct sp_peer_job *take(struct sp_peer_job **head, struct sp_peer_job **tail)
{
	struct sp_peer_job *j = *head;
	*head = j->next;
	if (*head == NULL)
		*tail = NULL;
	j->next = NULL;
	return j;
}

static void put(struct sp_peer_job **head, struct sp_peer_job **tail, struct sp_peer_job *j)
{
	j->next = NULL;
	if (*tail)
		(*tail)->next = j;
	else
		*head = j;
	*tail = j;
}

/* stage runs jobs from one queue, in order, until the module stops. */
static void stage(struct sp_peer *p, struct sp_peer_job **head, struct sp_peer_job **tail,
		  pthread_cond_t *cv, void (*run)(struct sp_peer *, struct sp_peer_job *))
{
	pthread_mutex_lock(&p->ing_mu);
	for (;;) {
		while (*head == NULL && !p->ing_stop)
			pthread_cond_wait(cv, &p->ing_mu);
		if (p->ing_stop)
			break;
		struct sp_peer_job *j = take(head, tail);
		pthread_mutex_unlock(&p->ing_mu);
		run(p, j);
		pthread_mutex_lock(&p->ing_mu);
	}
	pthread_mutex_unlock(&p->ing_mu);
}

/* verify_run: the first stage, then on to the ingest thread. The own log
 * (a restore) is left whole to the ingest thread, which stores it with
 * sp_store_own_insert. On failure j->batch stays NULL and the ingest
 * thread runs sp_store_insert, which reports the error. */
static void verify_run(struct sp_peer *p, struct sp_peer_job *j)
{
	const struct sp_gossip_entries *e = &j->m.u.entries;
	if (!(p->has_own && j->id == p->own_id))
		(void)sp_store_verify(p->store, j->id, e->entries, e->lens, e->count, &j->batch);
	pthread_mutex_lock(&p->ing_mu);
	put(&p->ing_head, &p->ing_tail, j);
	pthread_cond_signal(&p->ing_cv);
	pthread_mutex_unlock(&p->ing_mu);
}

static void ingest_run(struct sp_peer *p, struct sp_peer_job *j)
{
	job_run(p, j);
	sp_store_batch_free(j->batch);
	j->batch = NULL;
	sp_peer_net_post_job(p, j);
}

static void *verify_main(void *arg)
{
	struct sp_peer *p = arg;
	stage(p, &p->ver_head, &p->ver_tail, &p->ver_cv, verify_run);
	return NULL;
}

static void *ingest_main(void *arg)
{
	struct sp_peer *p = arg;
	stage(p, &p->ing_head, &p->ing_tail, &p->ing_cv, ingest_run);
	return NULL;
}

/* ---- queue ------------------------------------------------------------------------------ */

void sp_peer_job_free(struct sp_peer_job *j)
{
	if (j == NULL)
		return;
	sp_store_batch_free(j->batch);
	sp_gossip_msg_free(&j->m);
	free(j->att);
	free(j->buf);
	free(j->ev);
	if (j->c)
		sp_peer_net_unref(j->c);
	free(j);
}

int sp_peer_ingest_start(struct sp_peer *p)
{
	pthread_mutex_init(&p->ing_mu, NULL);
	pthread_cond_init(&p->ing_cv, NULL);
	pthread_cond_init(&p->ver_cv, NULL);
	if (pthread_create(&p->ing_thread, NULL, ingest_main, p) != 0)
		return SP_ERR_NOMEM;
	p->ing_started = 1;
	if (pthread_create(&p->ver_thread, NULL, verify_main, p) != 0)
		return SP_ERR_NOMEM;
	p->ver_started = 1;
	return 0;
}

static void drain(struct sp_peer_job **head, struct sp_peer_job **tail)
{
	while (*head)
		sp_peer_job_free(take(head, tail));
}

void sp_peer_ingest_stop(struct sp_peer *p)
{
	if (!p->ing_started)
		return;
	pthread_mutex_lock(&p->ing_mu);
	p->ing_stop = 1;
	pthread_cond_broadcast(&p->ing_cv);
	pthread_cond_broadcast(&p->ver_cv);
	pthread_mutex_unlock(&p->ing_mu);
	if (p->ver_started)
		pthread_join(p->ver_thread, NULL);
	pthread_join(p->ing_thread, NULL);
	p->ing_started = p->ver_started = 0;
	drain(&p->ver_head, &p->ver_tail);
	drain(&p->ing_head, &p->ing_tail);
}

void sp_peer_ingest_free(struct sp_peer *p)
{
	free(p->lanes);
	p->lanes = NULL;
	p->nlanes = 0;
	pthread_mutex_destroy(&p->ing_mu);
	pthread_cond_destroy(&p->ing_cv);
	pthread_cond_destroy(&p->ver_cv);
}

/* lane returns log id's lane, growing the table; NULL without memory. */
static struct sp_peer_lane *lane(struct sp_peer *p, uint32_t id)
{
	if (id >= p->nlanes) {
		size_t n = (size_t)id + 16;
		struct sp_peer_lane *v = realloc(p->lanes, n * sizeof(*v));
		if (v == NULL)
			return NULL;
		memset(v + p->nlanes, 0, (n - p->nlanes) * sizeof(*v));
		p->lanes = v;
		p->nlanes = n;
	}
	return &p->lanes[id];
}

int sp_peer_lane_full(struct sp_peer *p, uint32_t id)
{
	return p->njobs >= SP_PEER_JOBS_MAX ||
	       (id < p->nlanes && p->lanes[id].jobs >= SP_PEER_LANE_JOBS);
}

uint64_t sp_peer_lane_size(struct sp_peer *p, uint32_t id, uint64_t durable)
{
	if (id >= p->nlanes || p->lanes[id].jobs == 0 || p->lanes[id].next < durable)
		return durable;
	return p->lanes[id].next;
}

int sp_peer_ingest_queue(struct sp_peer *p, struct sp_peer_job *j, uint64_t durable)
{
	const struct sp_gossip_entries *e = &j->m.u.entries;
	struct sp_peer_lane *l = lane(p, j->id);
	if (l == NULL)
		return SP_ERR_NOMEM;
	uint64_t base = sp_peer_lane_size(p, j->id, durable);
	if (e->first <= base && e->first + e->count > base)
		l->next = e->first + e->count;
	else
		l->next = base;
	l->jobs++;
	p->njobs++;
	pthread_mutex_lock(&p->ing_mu);
	put(&p->ver_head, &p->ver_tail, j);
	pthread_cond_signal(&p->ver_cv);
	pthread_mutex_unlock(&p->ing_mu);
	return 0;
}

void sp_peer_lane_done(struct sp_peer *p, uint32_t id)
{
	if (id < p->nlanes && p->lanes[id].jobs > 0)
		p->lanes[id].jobs--;
	if (p->njobs > 0)
		p->njobs--;
}
