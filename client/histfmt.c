/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * histfmt.c - option parsing and time/duration formatting shared by the
 * history commands of ggenc. Called by client/cmd_{history,show,stats,
 * trace,diff,trim}.c. Pure apart from localtime_r; no allocation.
 */
#include "histfmt.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"

int
histfmt_option(int argc, char **argv, int *i, const char *name,
    const char **value, bool *matched, struct gerr *err)
{
	int found = cmd_option(argc, argv, i, name, value, err);

	*matched = found > 0;
	if (found < 0)
		return GERR_INVALID;
	if (found > 0)
		(*i)++;
	return 0;
}

int
histfmt_filter_arg(const char *cmd, int argc, char **argv, int *i,
    cJSON *fields, bool *matched, struct gerr *err)
{
	char root[PATH_MAX];
	const char *v;
	const cJSON *phase;
	int rc;

	if ((rc = histfmt_option(argc, argv, i, "--root", &v, matched,
	    err)) != 0)
		return rc;
	if (*matched) {
		if (realpath(v, root) == NULL)
			return gerr_set(err, GERR_ROOT_NOT_FOUND,
			    "--root %.200s: %s", v, strerror(errno));
		cJSON_AddStringToObject(fields, "root", root);
		return 0;
	}
	if (argv[*i][0] == '-' && argv[*i][1] != '\0')
		return 0;
	phase = cJSON_GetObjectItemCaseSensitive(fields, "phase");
	if (phase != NULL)
		return gerr_set(err, GERR_INVALID, "%s: one PHASE at most (got "
		    "\"%.64s\" and \"%.64s\")", cmd, phase->valuestring,
		    argv[*i]);
	cJSON_AddStringToObject(fields, "phase", argv[(*i)++]);
	*matched = true;
	return 0;
}

int
histfmt_run_id(const char *what, const char *text, cJSON *fields,
    const char *name, struct gerr *err)
{
	uint64_t id;
	int rc;

	if (strcmp(text, "last") == 0) {
		cJSON_AddNumberToObject(fields, name, -1);
		return 0;
	}
	if (text[0] == '-' && text[1] >= '1' && text[1] <= '9') {
		if ((rc = histfmt_uint(what, text + 1, 1, 1000000, &id,
		    err)) != 0)
			return rc;
		cJSON_AddNumberToObject(fields, name, -(double)id);
		return 0;
	}
	if (text[0] < '0' || text[0] > '9')
		return gerr_set(err, GERR_INVALID, "%s: expected a run id, "
		    "\"last\" or -N (-1 = the latest), found \"%.32s\"",
		    what, text);
	if ((rc = histfmt_uint(what, text, 1, UINT64_C(1) << 53, &id,
	    err)) != 0)
		return rc;
	cJSON_AddNumberToObject(fields, name, (double)id);
	return 0;
}

int
histfmt_scope(cJSON *fields, bool all, struct gerr *err)
{
	char cwd[PATH_MAX], real[PATH_MAX];

	if (all) {
		cJSON_AddTrueToObject(fields, "all_roots");
		return 0;
	}
	if (cJSON_GetObjectItemCaseSensitive(fields, "root") != NULL)
		return 0;
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return gerr_set(err, GERR_IO, "getcwd: %s", strerror(errno));
	cJSON_AddStringToObject(fields, "cwd", realpath(cwd, real) != NULL ?
	    real : cwd);
	return 0;
}

int
histfmt_uint(const char *what, const char *text, uint64_t min, uint64_t max,
    uint64_t *out, struct gerr *err)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(text, &end, 10);
	if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0 ||
	    v < min || v > max)
		return gerr_set(err, GERR_INVALID, "%s: expected a number from "
		    "%llu to %llu, found \"%.32s\"", what,
		    (unsigned long long)min, (unsigned long long)max, text);
	*out = v;
	return 0;
}

int
histfmt_unknown(const char *cmd, const char *arg, struct gerr *err)
{
	return gerr_set(err, GERR_INVALID, "unknown option \"%.64s\" for %s",
	    arg, cmd);
}

const char *
histfmt_duration(double ms, char *buf, size_t size)
{
	long long s;

	if (ms < 0)
		snprintf(buf, size, "-");
	else if (ms < 1.0)
		snprintf(buf, size, "%.0f us", ms * 1000.0);
	else if (ms < 1000.0)
		snprintf(buf, size, "%.1f ms", ms);
	else if (ms < 60000.0)
		snprintf(buf, size, "%.2f s", ms / 1000.0);
	else {
		s = (long long)(ms / 1000.0);
		snprintf(buf, size, "%lldm%02llds", s / 60, s % 60);
	}
	return buf;
}

const char *
histfmt_when(double us, char *buf, size_t size)
{
	time_t t = (time_t)(us / 1000000.0);
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, size, "?");
	return buf;
}

double
histfmt_num(const cJSON *obj, const char *name)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);

	return cJSON_IsNumber(item) ? item->valuedouble : 0.0;
}

const char *
histfmt_str(const cJSON *obj, const char *name)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);

	return cJSON_IsString(item) ? item->valuestring : "";
}
