/*
 * sp_topo.h - the peer topology rule that gives every institution two
 * node-disjoint paths to every other (docs/replication.md §10.7).
 *
 * Every node dials its nearest ancestor node and the national
 * coordinator, and a province every other province. That leaves one kind
 * of node with a single way out: an institution whose parent is the
 * coordinator and which is not a province (a ministry, an agency, a unit
 * directly under the coordinator), whose ancestor node and coordinator are
 * the same node. Such an institution also dials one province, its
 * *backup province*, chosen by rendezvous (highest random weight) hashing:
 *
 *   weight(inst, prov) = first 8 bytes, big-endian, of
 *       BLAKE2b-256("simpul/backup-province/v1\n" || inst || "\n" || prov)
 *
 * over the provinces in service; the highest weight wins (equal weights:
 * the smaller province id). Every node computes the same answer from the
 * directory, a ministry's backup changes only when a province that
 * outweighs the old one joins or the old one retires, and the ministries
 * spread evenly over the provinces. The backup province replicates what
 * the institutions it backs replicate (sp_peer_offer.c), so with the
 * coordinator down their complaints flow through it and the provinces'
 * own links.
 *
 * Pure code: no I/O, no globals.
 */
#ifndef SP_TOPO_H
#define SP_TOPO_H

#include <stddef.h>
#include <stdint.h>

#include "sp_dir.h"

#define SP_TOPO_DOMAIN "simpul/backup-province/v1\n"

/* sp_topo_needs_backup: 1 if an institution of this tier whose parent is
 * (parent_is_coordinator) or is not the coordinator dials a backup
 * province, else 0. */
int sp_topo_needs_backup(enum sp_dir_tier tier, int parent_is_coordinator);

/* sp_topo_weight: the rendezvous weight of province prov for inst. */
uint64_t sp_topo_weight(const char *inst, const char *prov);

/* sp_topo_pick: the index in prov[0..n) of inst's backup province, or n
 * when n is 0. */
size_t sp_topo_pick(const char *inst, const char *const *prov, size_t n);

/* sp_topo_backup copies into out the backup province of institution id in
 * directory d (provinces retired are not candidates). SP_ERR_NOT_FOUND if
 * id needs none (sp_topo_needs_backup) or no province is in service;
 * SP_ERR_UNKNOWN_INSTITUTION; SP_ERR_NOMEM. */
int sp_topo_backup(const struct sp_dir *d, const char *id, char out[SP_INST_ID_MAX + 1]);

/* sp_topo_backed lists the institutions province prov backs (none for an
 * id that is not a province in service). *out is the caller's (free; NULL
 * when *n is 0). SP_ERR_NOMEM. */
int sp_topo_backed(const struct sp_dir *d, const char *prov, char (**out)[SP_INST_ID_MAX + 1],
		   size_t *n);

#endif
