/*
 * sp_report_sign.c - officer and reporter proofs on actions: the officer's
 * and the reporter's Ed25519 signatures over SP_REPORT_ACT_DOMAIN || act
 * (sp_report.h; the reporter key comes from sp_reporter.h).
 */
#include "sp_report.h"

#include <string.h>

#include <sodium.h>

#include "sp_cbor.h"
#include "sp_err.h"
#include "sp_report_int.h"

#define ACT_DOMAIN_LEN (sizeof(SP_REPORT_ACT_DOMAIN) - 1)

/* act_message builds SP_REPORT_ACT_DOMAIN || act, the signed message. */
static void act_message(struct sp_buf *m, const uint8_t *act, size_t act_len)
{
	sp_buf_put(m, SP_REPORT_ACT_DOMAIN, ACT_DOMAIN_LEN);
	sp_buf_put(m, act, act_len);
}

/* sign_act encodes a's act into *act and signs it with sk into a->sig. */
static int sign_act(struct sp_report_action *a, const uint8_t *sk, struct sp_buf *act)
{
	struct sp_buf m;
	int err;

	if (a->n_targets > SP_REPORT_MAX_TARGETS || a->n_keys > SP_REPORT_MAX_KEYS)
		return SP_ERR_ARG;
	sp_buf_init(act);
	sp_report_act_put(act, a);
	if (act->err)
		return act->err;
	if (sk == NULL)
		return 0;
	sp_buf_init(&m);
	act_message(&m, act->p, act->len);
	err = m.err;
	if (err == 0)
		crypto_sign_ed25519_detached(a->sig, NULL, m.p, m.len, sk);
	sp_buf_free(&m);
	return err;
}

int sp_report_action_build_officer(struct sp_report_action *a,
				   const uint8_t officer_sk[SP_SECRET_BYTES], uint8_t **out,
				   size_t *out_len)
{
	struct sp_buf act;
	int err;

	if (a == NULL || officer_sk == NULL || out == NULL || out_len == NULL)
		return SP_ERR_ARG;
	a->actor = SP_ACTOR_OFFICER;
	crypto_sign_ed25519_sk_to_pk(a->officer, officer_sk);
	err = sign_act(a, officer_sk, &act);
	if (err == 0)
		err = sp_report_action_body(a, &act, out, out_len);
	sp_buf_free(&act);
	return err;
}

int sp_report_action_build_reporter(struct sp_report_action *a, const uint8_t *reporter_sk,
				    uint8_t **out, size_t *out_len)
{
	struct sp_buf act;
	int err;

	if (a == NULL || out == NULL || out_len == NULL || reporter_sk == NULL)
		return SP_ERR_ARG;
	a->actor = SP_ACTOR_REPORTER_SIG;
	err = sign_act(a, reporter_sk, &act);
	if (err == 0)
		err = sp_report_action_body(a, &act, out, out_len);
	sp_buf_free(&act);
	return err;
}

/* verify_act checks sig over DOMAIN || act with key pk. */
static int verify_act(const struct sp_report_action *a, const uint8_t *pk)
{
	struct sp_buf m;
	int err;

	if (a->act == NULL)
		return SP_ERR_ARG;
	sp_buf_init(&m);
	act_message(&m, a->act, a->act_len);
	err = m.err;
	if (err == 0 && crypto_sign_ed25519_verify_detached(a->sig, m.p, m.len, pk) != 0)
		err = SP_ERR_BAD_SIGNATURE;
	sp_buf_free(&m);
	return err;
}

int sp_report_action_verify_officer(const struct sp_report_action *a)
{
	if (a == NULL)
		return SP_ERR_ARG;
	if (a->actor != SP_ACTOR_OFFICER)
		return SP_ERR_AUTHORITY;
	return verify_act(a, a->officer);
}

int sp_report_action_verify_reporter(const struct sp_report_action *a, const struct sp_report *r)
{
	if (a == NULL || r == NULL)
		return SP_ERR_ARG;
	if (a->actor != SP_ACTOR_REPORTER_SIG)
		return SP_ERR_AUTHORITY;
	if (!r->has_reporter_key)
		return SP_ERR_REPORTER_PROOF;
	return verify_act(a, r->reporter_key) ? SP_ERR_REPORTER_PROOF : 0;
}
