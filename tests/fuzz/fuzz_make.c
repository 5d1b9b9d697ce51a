/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_make.c - libFuzzer target for the make.toml model and what is built
 * on it: common/make.c (depends_on, environments, overrides, command
 * hooks), common/plan.c (the DAG, environments) and common/graph.c.
 *
 * Each input is one make.toml. When it is valid, every phase is planned
 * alone and all together, without an environment and in each declared
 * one, and drawn in every format: a plan must succeed or fail with a
 * message, every step index must match its place, every edge must join two
 * steps, and nothing may leak or crash. Seeds: tests/fuzz/corpus/make/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "make.h"
#include "plan.h"
#include "strbuf.h"
#include "xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_make_plan(const struct make_project *p, const char *const *phases,
    size_t n, const char *env)
{
	struct plan_request req = {
		.phases = phases, .n_phases = n, .jobs = 2, .dag_jobs = 2,
		.env = env,
	};
	struct plan plan;
	struct strbuf sb;
	struct gerr err;

	gerr_clear(&err);
	if (plan_build(p, &req, &plan, &err) != 0) {
		if (err.code == GERR_OK || err.msg[0] == '\0' ||
		    plan.root != NULL)
			abort();
		return;
	}
	for (size_t i = 0; i < plan.n_steps; i++)
		if (plan.steps[i]->step != i)
			abort();
	for (size_t i = 0; i < plan.n_edges; i++)
		if (plan.edges[i].from->step >= plan.n_steps ||
		    plan.edges[i].to->step >= plan.n_steps ||
		    plan.steps[plan.edges[i].from->step] != plan.edges[i].from)
			abort();
	strbuf_init(&sb);
	for (int f = GRAPH_TEXT; f <= GRAPH_MERMAID; f++)
		graph_render(&plan, "fuzz", (enum graph_format)f, NULL, NULL,
		    &sb);
	strbuf_release(&sb);
	plan_release(&plan);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct make_project *p;
	struct make_findings f;
	const char **names;

	make_findings_init(&f);
	if (make_parse_buffer((const char *)data, size, "fuzz", &p, &f,
	    NULL) != 0) {
		if (f.errors == 0)
			abort();
		make_findings_release(&f);
		return 0;
	}
	make_findings_release(&f);
	/* Bounded work per input: the first phases only. */
	names = xcalloc(p->phases_len + 1, sizeof(*names));
	for (size_t i = 0; i < p->phases_len && i < 32; i++) {
		names[i] = p->phases[i].name;
		fuzz_make_plan(p, &names[i], 1, NULL);
	}
	if (p->phases_len > 0) {
		size_t n = p->phases_len < 32 ? p->phases_len : 32;

		fuzz_make_plan(p, names, n, NULL);
		for (size_t i = 0; i < p->profiles_len && i < 4; i++)
			fuzz_make_plan(p, names, n, p->profiles[i].name);
		for (size_t i = 0; i < n; i++)
			for (size_t k = 0; k < p->phases[i].variants_len &&
			    k < 2; k++)
				fuzz_make_plan(p, names, n,
				    p->phases[i].variants[k].env);
		fuzz_make_plan(p, names, n, "no-such-env");
	}
	free(names);
	make_project_free(p);
	return 0;
}
