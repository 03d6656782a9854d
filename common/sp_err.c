/*
 * sp_err.c - names and strings of the project-wide error codes, made from
 * SP_ERR_MAP in sp_err.h, and the "why" sentence a service gives with one.
 */
#include "sp_err.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

struct sp_err_desc {
	int code;
	const char *name;
	const char *text;
};

static const struct sp_err_desc sp_err_table[] = {
	{SP_OK, "SP_OK", "success"},
#define SP_ERR_DESC_(name, value, text) {SP_ERR_##name, "SP_ERR_" #name, text},
	SP_ERR_MAP(SP_ERR_DESC_)
#undef SP_ERR_DESC_
};

static const struct sp_err_desc *sp_err_find(int err)
{
	for (size_t i = 0; i < sizeof(sp_err_table) / sizeof(sp_err_table[0]); i++)
		if (sp_err_table[i].code == err)
			return &sp_err_table[i];
	return NULL;
}

const char *sp_strerror(int err)
{
	const struct sp_err_desc *d = sp_err_find(err);
	return d ? d->text : "unknown error";
}

const char *sp_errname(int err)
{
	const struct sp_err_desc *d = sp_err_find(err);
	return d ? d->name : "SP_ERR_UNKNOWN";
}

int sp_err_why(char why[SP_ERR_WHY_MAX], int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, SP_ERR_WHY_MAX, fmt, ap);
	va_end(ap);
	return code;
}
