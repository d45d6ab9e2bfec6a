#include "engine/coded.h"
#include "engine/arena.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct dc_line *dc_coded_add_line(struct dc_coded *c, struct dc_arena *a)
{
	if (c->nlines == c->lcap) {
		size_t ncap = c->lcap ? c->lcap * 2 : 16;
		/* not zeroed: each line is, as it is added */
		struct dc_line *nl = dc_arena_alloc_raw(a, ncap * sizeof *nl);
		if (c->nlines)
			memcpy(nl, c->lines, c->nlines * sizeof *nl);
		c->lines = nl;
		c->lcap = ncap;
	}
	struct dc_line *l = &c->lines[c->nlines++];
	memset(l, 0, sizeof *l);
	l->claim_id = l->claim_type = l->line_control = l->kind = l->code = "";
	l->modifiers = l->ndc = l->ndc_unit = l->dmd_code = l->description = "";
	l->dx_pointers = l->rule = l->source_lines = l->unit = l->arith = "";
	return l;
}

void dc_coded_warn(struct dc_coded *c, struct dc_arena *a, const char *rule,
		   unsigned long line, const char *fmt, ...)
{
	if (c->nwarnings == c->wcap) {
		size_t ncap = c->wcap ? c->wcap * 2 : 8;
		struct dc_warning *nw = dc_arena_alloc(a, ncap * sizeof *nw);
		if (c->nwarnings)
			memcpy(nw, c->warnings, c->nwarnings * sizeof *nw);
		c->warnings = nw;
		c->wcap = ncap;
	}
	struct dc_warning *w = &c->warnings[c->nwarnings++];
	w->rule = rule;
	w->line = line;
	w->msg = "";
	/* a batch run counts warnings by rule; only explain shows the text */
	if (!c->explain)
		return;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	w->msg = dc_arena_strdup(a, msg);
}

void dc_coded_note(struct dc_coded *c, struct dc_arena *a, const char *fmt, ...)
{
	/* a batch run never shows the notes: not formatting them saves time */
	if (!c->explain)
		return;
	if (c->nnotes == c->ncap) {
		size_t ncap = c->ncap ? c->ncap * 2 : 8;
		const char **nn = dc_arena_alloc(a, ncap * sizeof *nn);
		if (c->nnotes)
			memcpy(nn, c->notes, c->nnotes * sizeof *nn);
		c->notes = nn;
		c->ncap = ncap;
	}
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	c->notes[c->nnotes++] = dc_arena_strdup(a, msg);
}

const char *dc_claim_id(const char *encounter_id, struct dc_arena *a)
{
	size_t n = strlen(encounter_id);
	if (n <= 20)
		return encounter_id;
	/*
	 * A stable id of 20 characters: the first 7 characters, '-', and 12 hex
	 * digits of the FNV-1a hash of the whole id. Collisions are checked
	 * against the ledger, never merged silently.
	 */
	uint64_t h = dc_fnv1a64(encounter_id, n);
	return dc_arena_printf(a, "%.7s-%012llx", encounter_id,
			       (unsigned long long)(h & 0xffffffffffffULL));
}
