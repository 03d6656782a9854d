/*
 * sp_sim.h - a discrete-event model of Simpul replication at federation
 * scale (docs/simulation.md). The topology is the real one: the
 * institutions of a `simpul federation init` folder (federation.ini), the
 * sessions `simpul federation up` sets up (each node dials its nearest
 * running ancestor and the coordinator), eager links between directory
 * parent and child, lazy links elsewhere; a ministry's or agency's lazy
 * link to its backup province (sp_topo.h), which replicates what it backs.
 * Each node is a CPU with a few
 * cores serving jobs first come, first served; each peer message costs
 * CPU at both ends and a hop of latency; an entry costs its verification
 * at the receiver. Entries spread as simpuld spreads them (docs/
 * replication.md §10.4): a node that stores an entry pushes it at once to
 * its eager peers that lack it (as far as their notes have told it) and
 * sends a notes delta to every peer holding the log; a node that learns of
 * an entry from notes asks for it (WANT) and gets it (ENTRIES).
 *
 * Pure computation: no sockets, no clocks; the random stream is seeded.
 */
#ifndef SP_SIM_H
#define SP_SIM_H

#include <stddef.h>
#include <stdint.h>

#define SP_SIM_ID_MAX 64

enum sp_sim_tier {
	SP_SIM_NATIONAL, SP_SIM_MINISTRY, SP_SIM_AGENCY, SP_SIM_PROVINCE, SP_SIM_KABKOTA,
	SP_SIM_UNIT
};

/* Which logs a node replicates. */
enum sp_sim_interest {
	SP_SIM_SETS,   /* the first interest sets: a report's entry in the door's log
			* goes to the door's ancestors and subtree, and to the
			* institution it is routed to */
	SP_SIM_ALL,    /* every node replicates every log (simpuld before interest sets) */
	SP_SIM_SETS_UP /* simpuld's interest sets (docs/replication.md §10.3): the sets,
			* and the routed-to institution's ancestors too */
};

/* Measured per-node costs (milliseconds) and the model's knobs. */
struct sp_sim_costs {
	double msg_ms;     /* CPU per peer message, at the sender and at the receiver */
	double verify_ms;  /* CPU per entry stored (decode, signature, hashes, store, index) */
	double hop_ms;     /* one-way network latency of a hop */
	unsigned cores;    /* cores per node */
	int shared;        /* 1: all nodes share one machine of `cores` (a local benchmark) */
	enum sp_sim_interest interest;
	int no_siblings;   /* 1: provinces have no sessions with each other ([peer] siblings = 0) */
	int no_backup;     /* 1: ministries and agencies dial no backup province ([peer] backup = 0) */
};

struct sp_sim_node {
	char id[SP_SIM_ID_MAX + 1];
	enum sp_sim_tier tier;
	int parent;        /* directory parent among the nodes, -1 */
	int province;      /* its province among the nodes (itself for a province), -1 */
	int *peers;        /* sessions */
	uint8_t *eager;    /* eager[i]: peers[i] is a tree neighbour */
	size_t npeers;
	int backup;        /* its backup province among the nodes (sp_topo.h), -1 */
	int *backs;        /* the nodes whose backup province it is */
	size_t nbacks;
	double *core_free; /* when each core is free (ms) */
	double busy_ms;    /* CPU used */
	uint64_t msgs;     /* messages sent and received */
	uint64_t entries;  /* entries stored (replicas) */
	int down;          /* down for the whole run: drops everything */
};

struct sp_sim_ev;

/* A model: the nodes and the event queue. Owned by the caller's
 * sp_sim_free. */
struct sp_sim {
	struct sp_sim_node *n;
	size_t nn;
	int coord;
	size_t sessions, eager_links;
	struct sp_sim_costs c;
	double *shared_free;
	struct sp_sim_ev *heap;
	size_t nheap, capheap;
	uint64_t rng;
};

/* sp_sim_load builds the model from the text of a federation.ini
 * (`simpul federation init`): every institution, or only those in `nodes`
 * (comma-separated ids; NULL: all), linked as `simpul federation up`
 * links them. why (if not NULL) gets a sentence on failure.
 * SP_ERR_CONFIG (malformed, unknown node), SP_ERR_NOMEM. */
int sp_sim_load(struct sp_sim *s, const char *ini, const char *nodes,
		const struct sp_sim_costs *c, uint64_t seed, char *why, size_t why_cap);

void sp_sim_free(struct sp_sim *s);

/* sp_sim_find: the index of node id, or -1. */
int sp_sim_find(const struct sp_sim *s, const char *id);

/* One report: where it was submitted, for whom, when; and, filled by
 * sp_sim_run, when its submission entry was stored at each node (ms after
 * the start; a negative value: never). at[] has s->nn slots and is the
 * caller's. */
struct sp_sim_report {
	int door, target;
	double t;
	double *at;
	size_t interested; /* nodes that replicate its log entry */
};

/* sp_sim_pick draws a report at time t: a random kabupaten/kota target
 * (of the nodes up) and a random door among the other nodes up.
 * SP_ERR_NOT_FOUND if there are none. */
int sp_sim_pick(struct sp_sim *s, double t, struct sp_sim_report *r);

/* sp_sim_run simulates the reports (in increasing t) to the end: every
 * node's CPU and message counts are added to; r[i].at is filled.
 * SP_ERR_NOMEM. */
int sp_sim_run(struct sp_sim *s, struct sp_sim_report *r, size_t n);

/* sp_sim_interested: node i replicates the log entry of report r (its
 * door's log). */
int sp_sim_interested(const struct sp_sim *s, const struct sp_sim_report *r, int i);

/* The outcome of sp_sim_every_down, for one node down. */
struct sp_sim_down {
	uint64_t complaints; /* door up, target any other node */
	uint64_t delivered;  /* reached the target (up) */
	uint64_t waiting;    /* the target is the node down: held by a peer of it */
	uint64_t lost;       /* neither */
};

/* Called for each complaint lost (door, target, the node down). */
typedef void (*sp_sim_lost_fn)(void *arg, int door, int target, int down);

/* sp_sim_every_down takes each node down in turn and decides, for a
 * complaint entered at every other node for every node, whether its entry
 * reaches the target: whether a path of nodes up that replicate the entry
 * (sp_sim_interested) joins door and target, which is what the event run
 * does with no time limit. A complaint for the node down counts as waiting
 * when a peer of it holds the entry (it gets it back on its return). out
 * has s->nn slots, one per node down. lost (may be NULL) is called for
 * each complaint that arrives nowhere. SP_ERR_NOMEM. */
int sp_sim_every_down(const struct sp_sim *s, struct sp_sim_down *out, sp_sim_lost_fn lost,
		      void *arg);

#endif
