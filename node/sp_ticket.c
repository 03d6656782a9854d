/*
 * sp_ticket.c - short tickets (see sp_ticket.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "sp_dir.h"
#include "sp_err.h"
#include "sp_ticket.h"

unsigned sp_ticket_check(const uint8_t id[SP_HASH_BYTES])
{
	return ((unsigned)id[0] * 256u + id[1]) % 100u;
}

int sp_ticket_format(const char *inst, uint64_t index, const uint8_t id[SP_HASH_BYTES],
		     char out[SP_TICKET_MAX])
{
	int n = snprintf(out, SP_TICKET_MAX, "%s-%llu-%02u", inst, (unsigned long long)index,
			 sp_ticket_check(id));
	return n > 0 && n < SP_TICKET_MAX ? 0 : SP_ERR_RANGE;
}

/* digits_at reads a decimal number of 1..max digits from s[0..n), no
 * leading zero (but "0"). 0 or SP_ERR_ARG. */
static int digits_at(const char *s, size_t n, size_t max, uint64_t *v)
{
	if (n == 0 || n > max || (n > 1 && s[0] == '0'))
		return SP_ERR_ARG;
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return SP_ERR_ARG;
		*v = *v * 10 + (uint64_t)(s[i] - '0');
	}
	return 0;
}

int sp_ticket_parse(const char *s, char inst[SP_INST_ID_MAX + 1], uint64_t *index,
		    unsigned *check)
{
	if (s == NULL)
		return SP_ERR_ARG;
	while (*s == ' ')
		s++;
	size_t n = strlen(s);
	while (n && s[n - 1] == ' ')
		n--;
	/* From the right: the two check digits, the index, then the id (which
	 * may itself contain '-'). */
	if (n < 6 || s[n - 3] != '-' || !isdigit((unsigned char)s[n - 2]) ||
	    !isdigit((unsigned char)s[n - 1]))
		return SP_ERR_ARG;
	*check = (unsigned)(s[n - 2] - '0') * 10u + (unsigned)(s[n - 1] - '0');
	size_t end = n - 3, dash = end;
	while (dash > 0 && s[dash - 1] != '-')
		dash--;
	if (dash < 2 || digits_at(s + dash, end - dash, 18, index) != 0)
		return SP_ERR_ARG;
	size_t il = dash - 1;
	if (il > SP_INST_ID_MAX)
		return SP_ERR_ARG;
	memcpy(inst, s, il);
	inst[il] = '\0';
	return sp_dir_id_valid(inst) ? 0 : SP_ERR_ARG;
}
