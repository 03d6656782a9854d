/*
 * sp_conf.h - a node's configuration: one INI file (read with inih).
 *
 * Sections and keys are listed in docs/operations.md; config/default.ini
 * holds every key with its default and is compiled into simpuld
 * (sp_conf_default_ini) so a node can start with no file at all. Every key
 * is validated; an unknown section or key, a repeated key, a bad value or
 * a missing required key is an error reported as "file:line: what is
 * wrong" (no line when the whole file lacks something).
 *
 * Relative paths (node.key, node.data) are taken relative to the folder
 * holding the config file, so a node folder can be moved as a whole.
 *
 * Pure data: no threads, no globals. A struct sp_conf owns nothing on the
 * heap; copy it freely.
 */
#ifndef SP_CONF_H
#define SP_CONF_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "sp_event.h"
#include "sp_logx.h"
#include "sp_note.h"

#define SP_CONF_WHY 512       /* room for an error message */
#define SP_CONF_PEERS_MAX 32  /* most peers listed */
#define SP_CONF_URL_MAX 255   /* longest peer URL */
#define SP_CONF_SEALS_PREV_MAX 4 /* [node] seal_keys_previous */
#define SP_CONF_ADDR_MAX 63   /* longest host:port */
#define SP_CONF_KEYS 64       /* room for every key's line */
#define SP_CONF_HOOKS_MAX 8   /* most [webhook.NAME] endpoints */
#define SP_CONF_HOOK_NAME_MAX 32

/* One [webhook.NAME] endpoint (sp_webhook.h): where events are POSTed, the
 * file holding its HMAC key, and whether its events carry the reporter's
 * contact (include_contact, only at the report's holder). line: where its
 * section starts in the file, for messages. */
struct sp_conf_hook {
	char name[SP_CONF_HOOK_NAME_MAX + 1];
	char url[SP_CONF_URL_MAX + 1];
	char secret_path[PATH_MAX];
	int include_contact;
	unsigned line;
	unsigned seen; /* bit per key set, to refuse repeats and missing keys */
};

struct sp_conf {
	/* [node] */
	char id[SP_INST_ID_MAX + 1];             /* institution id, "73.12" */
	char federation[SP_ORIGIN_NAME_MAX + 1]; /* "lapor.go.id" */
	char key_path[PATH_MAX];                 /* node key file (resolved) */
	char key_prev[PATH_MAX];                 /* the one it replaces ("": none) */
	char data_dir[PATH_MAX];                 /* data folder (resolved) */
	char seal_path[PATH_MAX];                /* X25519 seal key file ("": none) */
	/* earlier seal keys, kept to open reports sealed before a rotation */
	char seal_prev[SP_CONF_SEALS_PREV_MAX][PATH_MAX];
	size_t nseal_prev;
	enum sp_logx_level log_level;

	/* [http] */
	char http_listen[SP_CONF_ADDR_MAX + 1];  /* "127.0.0.1:8080"; port 0: any free one */
	uint32_t max_body_bytes;
	uint32_t max_connections;
	uint32_t max_per_address;                /* connections from one address; 0: no limit */
	uint32_t request_timeout_s;
	uint32_t header_timeout_s;               /* whole request head within; 0: no limit */
	uint32_t threads;                        /* HTTP worker threads */
	uint32_t rate_limit;                     /* requests/s per address; 0: no limit */
	uint32_t rate_burst;
	/* HTTPS: the certificate chain and its private key, PEM files ("":
	 * plain HTTP). Both or neither. */
	char http_tls_cert[PATH_MAX];
	char http_tls_key[PATH_MAX];

	/* [peer] */
	char peer_listen[SP_CONF_URL_MAX + 1];   /* "" : no peer listener */
	char peers[SP_CONF_PEERS_MAX][SP_CONF_URL_MAX + 1];
	size_t npeers;
	/* With no directory, the node keys of the peers to accept (verifier
	 * keys named "<federation>/<inst>"); with one, the directory decides. */
	struct sp_note_key peer_keys[SP_CONF_PEERS_MAX];
	size_t npeer_keys;
	/* tls+tcp://: our certificate and its private key in one PEM file
	 * (required to listen on tls+tcp://), and the CAs that must have
	 * signed the certificates of the peers we dial ("": encrypt without
	 * checking them; node keys still authenticate every session). */
	char peer_tls_cert_key[PATH_MAX];
	char peer_tls_ca[PATH_MAX];
	uint32_t attach_rate;                    /* attachment bytes/s fetched from peers; 0: no cap */
	uint32_t peer_siblings;                  /* 1: a province also dials the other provinces */
	uint32_t peer_backup;                    /* 1: a ministry or agency also dials its backup
						  * province (sp_topo.h) */
	/* A peer refused for bad data is held off penalty_ms (0: never),
	 * doubling with repeats up to penalty_max_ms (sp_peer_score.h). */
	uint32_t penalty_ms, penalty_max_ms;

	/* [federation] */
	int has_root_key;                        /* 0: standalone node */
	struct sp_note_key root_key;
	char directory[PATH_MAX];                /* directory folder or .entries file ("": none) */
	/* 1: start even though the directory has no record of [node] id yet
	 * (a joining node, `simpul init --join`), accepting nothing until the
	 * record arrives from peers; 0: such a start is refused. */
	uint32_t await_record;

	/* [deadlines] (working days, except the ceiling: calendar days) */
	uint32_t verify_days, answer_days, window_days, ceiling_days;
	uint32_t escalate_s;                     /* how often overdue reports are checked */

	/* [checkpoint] */
	uint32_t checkpoint_ms;

	/* [webhooks] (sp_webhook.h): where report state changes are POSTed
	 * ("": nowhere), the file holding the HMAC key, how often to look */
	char hook_url[SP_CONF_URL_MAX + 1];
	char hook_secret_path[PATH_MAX];
	uint32_t hook_interval_ms;

	/* where each value came from, for messages (sp_conf_where) */
	char name[PATH_MAX];                     /* the file's name, "(built-in)" */
	uint16_t line[SP_CONF_KEYS];             /* line of each key set, 0: default */
	/* [webhook.NAME] sections: more endpoints, each its own outbox */
	struct sp_conf_hook hooks[SP_CONF_HOOKS_MAX];
	size_t nhooks;
};

/* The compiled-in default configuration (config/default.ini), NUL-ended. */
extern const char sp_conf_default_ini[];

/* sp_conf_defaults fills c with every default (id and federation empty). */
void sp_conf_defaults(struct sp_conf *c);

/* sp_conf_parse reads INI text[0..len) over c (which should hold the
 * defaults). name is the file name used in messages; base_dir is where
 * relative paths start. On error returns SP_ERR_CONFIG with
 * "name:line: what is wrong" in why (cap bytes), and c is undefined. */
int sp_conf_parse(struct sp_conf *c, const char *text, size_t len, const char *name,
		  const char *base_dir, char *why, size_t cap);

/* sp_conf_load reads the file at path (relative paths inside it start at
 * the file's folder). SP_ERR_CONFIG or SP_ERR_IO, with why. */
int sp_conf_load(struct sp_conf *c, const char *path, char *why, size_t cap);

/* sp_conf_load_default parses the built-in default with base_dir as the
 * folder for its relative paths. */
int sp_conf_load_default(struct sp_conf *c, const char *base_dir, char *why, size_t cap);

/* sp_conf_where writes into buf (cap bytes) and returns where a setting
 * came from, to start a message about its value: "FILE:LINE: [section]
 * name", or "FILE: [section] name (default)" when the file does not set
 * it. */
const char *sp_conf_where(const struct sp_conf *c, const char *section, const char *name,
			  char *buf, size_t cap);

/* sp_conf_origin writes the own log's origin "<federation>/<id>". */
int sp_conf_origin(const struct sp_conf *c, char *buf, size_t cap);

/* sp_conf_parse_listen splits "host:port" or "[v6]:port" into a numeric
 * host and a port (0..65535). SP_ERR_ARG if malformed or not numeric. */
int sp_conf_parse_listen(const char *s, char *host, size_t host_cap, uint16_t *port);

/* sp_conf_check_env checks what a loaded config points at, as a start
 * would use it: the key file (present, mode 0600, well-formed), the seal
 * key file if set, the data path (a folder or not there yet), the
 * directory path if set, and the HTTP and peer ports (not in use). The
 * message in why starts with the setting's file:line (sp_conf_where).
 * 0 or SP_ERR_CONFIG. */
int sp_conf_check_env(const struct sp_conf *c, char *why, size_t cap);

#endif
