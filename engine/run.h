/*
 * The run: every input read, each encounter validated, coded or held, and
 * the run's files written (lines.csv, held.csv, rejects.csv,
 * uk-line-items.csv, summary.json). Used by `code` and `check`.
 *
 * Nothing here prints or exits: diagnostics go to the sink, and the outcome
 * comes back in struct dc_run_result for cmd/ to turn into an exit status.
 */
#ifndef DC_RUN_H
#define DC_RUN_H

#include <stdint.h>
#include <sys/types.h>

#include "engine/coded.h"
#include "engine/diag.h"
#include "engine/encounter.h"
#include "engine/profile.h"
#include "parsers/dc_reader.h"

enum dc_format { DC_FMT_AUTO = 0, DC_FMT_CSV, DC_FMT_HL7XML };

struct dc_run_result;

/* Where an input is, for a progress line. */
struct dc_progress {
	const char *input;
	uint64_t bytes;               /* raw bytes read so far */
	int64_t size;                 /* raw size, -1 when unknown (a pipe) */
	unsigned long encounters;
	double elapsed_s;             /* since the input was opened */
	int done;                     /* the input has been read */
};

struct dc_run_opts {
	const char *command;          /* "code" or "check" */
	const char *out_dir;
	enum dc_format format;
	int default_scheme;           /* enum dc_scheme */
	const char *rules_dir, *overlay;
	const char *now;              /* YYYY-MM-DDTHH:MM */
	const struct dc_colmap *map;
	char delim;
	mode_t mode;
	int quiet;
	const char *version;
	int write_claims;             /* code: claim files and the ledger; check: reports only */
	const char *ledger_path;      /* NULL: the default */
	int wait_s;
	int dry_run, rebill;
	int shard_k, shard_n;         /* keep encounters whose id hashes to shard k of n */
	int jobs;                     /* threads: 2 or more reads and codes in parallel */
	const struct dc_profile *profile;   /* submitter, receiver, billing provider */
	char **inputs;
	int ninputs;
	/* called about twice a second while reading, and once at each input's end */
	void (*progress)(void *ctx, const struct dc_progress *p);
	void *progress_ctx;
	/* maps a result to the exit status summary.json reports */
	int (*exit_status)(const struct dc_run_result *res);
};

struct dc_run_result {
	int any_held;                 /* some encounter held or row rejected */
	int input_failed;             /* some input unreadable or partly read */
	int output_failed;            /* an output could not be written */
	int config_error;             /* rulesets, output directory: nothing done */
	int bug;
	int locked;                   /* another run holds the ledger: nothing done */
};

int dc_run(const struct dc_run_opts *o, struct dc_diag_sink *ds, struct dc_run_result *res);

/*
 * For `explain`: reads |input| until the encounter |id|, validates and codes
 * it, and calls |fn| with the result (enc->hold set when held). Returns 1
 * when found, 0 when not, or a negative status.
 */
int dc_run_explain(const struct dc_run_opts *o, const char *input, const char *id,
		   struct dc_diag_sink *ds,
		   void (*fn)(void *ctx, const struct dc_encounter *enc,
			      const struct dc_coded *coded),
		   void *ctx);

#endif
