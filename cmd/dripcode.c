/*
 * dripcode: the command line. The only code that reads argv, prints and
 * exits; everything else returns statuses and reports to a diagnostics sink.
 */
#include "config.h"

#include "engine/dc_status.h"
#include "engine/diag.h"
#include "engine/ledger.h"
#include "engine/output.h"
#include "engine/reconcile.h"
#include "engine/run.h"
#include "parsers/dc_reader.h"
#include "rulesets/dc_rules.h"
#include "rulesets/import_asp.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* Exit statuses (batch.md). */
enum dc_exit {
	DC_EXIT_OK = 0,       /* every encounter coded (or already billed) */
	DC_EXIT_HELD = 1,     /* completed; some encounters held or rows rejected */
	DC_EXIT_USAGE = 2,    /* usage or configuration error: nothing done */
	DC_EXIT_INPUT = 3,    /* an input unreadable or only partly read */
	DC_EXIT_OUTPUT = 4,   /* an output or the ledger could not be written */
	DC_EXIT_LOCKED = 5,   /* another run holds the ledger */
	DC_EXIT_BUG = 6       /* internal error */
};

struct printer {
	int quiet;
	unsigned long warnings_shown, warnings_suppressed;
};

#define MAX_WARNINGS_SHOWN 200

static void print_diag(void *ctx, const struct dc_diag *d)
{
	struct printer *p = ctx;
	if (d->sev < DC_SEV_ERROR) {
		if (p->quiet)
			return;
		/* a dump with a million held rows must not become a million lines of mail */
		if (p->warnings_shown == MAX_WARNINGS_SHOWN) {
			p->warnings_suppressed++;
			return;
		}
		p->warnings_shown++;
	}
	const char *sev = d->sev == DC_SEV_ERROR ? "error" : d->sev == DC_SEV_WARNING ? "warning"
										     : "note";
	if (d->input && d->line)
		fprintf(stderr, "dripcode: %s:%lu: %s: %s\n", d->input, d->line, sev, d->msg);
	else if (d->input)
		fprintf(stderr, "dripcode: %s: %s: %s\n", d->input, sev, d->msg);
	else
		fprintf(stderr, "dripcode: %s: %s\n", sev, d->msg);
}

static void print_suppressed(const struct printer *p)
{
	if (p->warnings_suppressed)
		fprintf(stderr, "dripcode: note: %lu more warnings not shown; see held.csv, "
			"rejects.csv and summary.json\n", p->warnings_suppressed);
}

static int exit_for(const struct dc_run_result *r)
{
	if (r->config_error)
		return DC_EXIT_USAGE;
	if (r->locked)
		return DC_EXIT_LOCKED;
	if (r->bug)
		return DC_EXIT_BUG;
	if (r->output_failed)
		return DC_EXIT_OUTPUT;
	if (r->input_failed)
		return DC_EXIT_INPUT;
	if (r->any_held)
		return DC_EXIT_HELD;
	return DC_EXIT_OK;
}

static const char usage_text[] =
	"usage: dripcode <command> [options] ...\n"
	"\n"
	"commands:\n"
	"  code    [OPTIONS] INPUT...              code extracts into claims\n"
	"  check   [OPTIONS] INPUT...              read, code and check; write the report files only\n"
	"  explain [OPTIONS] INPUT ENCOUNTER_ID    show how one encounter was coded, and why\n"
	"  rules   check | show CODE               validate the rulesets, or show a code's entries\n"
	"  rules   import-asp PRICING.csv CROSSWALK.csv [-o DIR]\n"
	"                                          update us/drugs.csv units and us/ndc.csv\n"
	"                                          from the CMS quarterly ASP files\n"
	"  ledger  show | merge LEDGER...          what the ledger holds; add shards' ledgers\n"
	"  reconcile [--ledger FILE] [--claims 837...] --remit FILE... [-o DIR]\n"
	"          [--audit-threshold PCT]         match 835s and UK remittances to the claims\n"
	"\n"
	"options of code, check and explain:\n"
	"  -o, --out DIR          output directory, created if missing, must be empty\n"
	"                         (default ./dripcode-out)\n"
	"  -f, --format FMT       csv | hl7xml | auto (default auto: sniff the content)\n"
	"      --scheme S         us | uk: scheme of encounters whose payer does not say\n"
	"      --rules DIR        rulesets directory (default: installed; DRIPCODE_RULES)\n"
	"      --rules-overlay DIR  local tables that add or replace rows\n"
	"      --now YYYY-MM-DDTHH:MM  the run's timestamp (reproducible runs)\n"
	"      --map FILE         column aliases: canonical_name = their_name\n"
	"      --delimiter C      field separator: , ; | or tab\n"
	"      --mode OCTAL       permissions of the files written (default 0600)\n"
	"      --profile FILE     submitter, receiver and billing provider (default: the\n"
	"                         built-in demo profile; its claims are marked test)\n"
	"      --ledger FILE      the ledger (default $DRIPCODE_LEDGER, else\n"
	"                         $XDG_DATA_HOME/dripcode/ledger.sqlite)\n"
	"      --wait S           wait up to S seconds for another run's ledger lock\n"
	"      --dry-run          everything but writing claims and touching the ledger\n"
	"      --rebill           code encounters already billed, as replacement claims\n"
	"  -j, --jobs N           threads (default: the number of cores); 2 or more read,\n"
	"                         code, write and record in the ledger side by side\n"
	"      --shard K/N        keep only encounters whose encounter_id hashes (FNV-1a\n"
	"                         64-bit, mod N) to shard K\n"
	"  -q, --quiet            only errors on stderr\n"
	"      --progress, --no-progress  a progress line on stderr (default: only when\n"
	"                         stderr is a terminal)\n"
	"  -h, --help             this text\n"
	"      --version          print the version\n"
	"\n"
	"INPUT may be - for standard input; gzip is detected by its magic bytes.\n"
	"\n"
	"exit status: 0 all coded, 1 some held or rejected, 2 usage or configuration error,\n"
	"3 an input unreadable or partly read, 4 an output could not be written,\n"
	"5 another run holds the ledger, 6 internal error\n";

static int usage_error(const char *fmt, const char *arg)
{
	fputs("dripcode: error: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\ntry 'dripcode --help'\n", stderr);
	return DC_EXIT_USAGE;
}

struct cli {
	struct dc_run_opts run;
	int out_given;                /* -o was given (rules import-asp writes in place without it) */
	int progress;                 /* -1 unset, 0 off, 1 on */
	struct dc_profile profile;
	struct dc_colmap map;
	int have_map;
	char now[32];
};

enum { OPT_SCHEME = 256, OPT_RULES, OPT_OVERLAY, OPT_NOW, OPT_MAP, OPT_DELIM, OPT_MODE,
       OPT_VERSION, OPT_LEDGER, OPT_WAIT, OPT_DRY_RUN, OPT_REBILL, OPT_PROFILE,
       OPT_PROGRESS, OPT_NO_PROGRESS, OPT_SHARD };


static const struct option long_opts[] = {
	{ "out", required_argument, NULL, 'o' },
	{ "format", required_argument, NULL, 'f' },
	{ "scheme", required_argument, NULL, OPT_SCHEME },
	{ "rules", required_argument, NULL, OPT_RULES },
	{ "rules-overlay", required_argument, NULL, OPT_OVERLAY },
	{ "now", required_argument, NULL, OPT_NOW },
	{ "map", required_argument, NULL, OPT_MAP },
	{ "delimiter", required_argument, NULL, OPT_DELIM },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "ledger", required_argument, NULL, OPT_LEDGER },
	{ "profile", required_argument, NULL, OPT_PROFILE },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "shard", required_argument, NULL, OPT_SHARD },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "wait", required_argument, NULL, OPT_WAIT },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "rebill", no_argument, NULL, OPT_REBILL },
	{ "jobs", required_argument, NULL, 'j' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

static int valid_now(const char *s)
{
	int y, mo, d, h, mi;
	char tail;
	if (strlen(s) != 16 || sscanf(s, "%4d-%2d-%2dT%2d:%2d%c", &y, &mo, &d, &h, &mi, &tail) != 5)
		return 0;
	return y >= 1900 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 && mi < 60;
}

/* Parses the common options; returns -1 to go on, or an exit status. */
static int parse_opts(int argc, char **argv, struct cli *c, struct dc_diag_sink *ds)
{
	struct dc_run_opts *o = &c->run;
	o->out_dir = "dripcode-out";
	o->format = DC_FMT_AUTO;
	o->default_scheme = 0;
	o->delim = ',';
	o->mode = 0600;
	o->version = PACKAGE_VERSION;
	o->exit_status = exit_for;
	c->progress = -1;
	dc_profile_demo(&c->profile);
	o->profile = &c->profile;
	time_t t = time(NULL);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(c->now, sizeof c->now, "%Y-%m-%dT%H:%M", &tm);
	o->now = c->now;
	optind = 1;
	int ch;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	o->jobs = cores > 0 ? (int)cores : 1;
	while ((ch = getopt_long(argc, argv, "o:f:j:qh", long_opts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			o->out_dir = optarg;
			c->out_given = 1;
			break;
		case 'f':
			if (!strcmp(optarg, "csv"))
				o->format = DC_FMT_CSV;
			else if (!strcmp(optarg, "hl7xml"))
				o->format = DC_FMT_HL7XML;
			else if (!strcmp(optarg, "auto"))
				o->format = DC_FMT_AUTO;
			else
				return usage_error("unknown format '%s'", optarg);
			break;
		case OPT_SCHEME:
			if (!strcasecmp(optarg, "us"))
				o->default_scheme = 0;
			else if (!strcasecmp(optarg, "uk"))
				o->default_scheme = 1;
			else
				return usage_error("unknown scheme '%s'", optarg);
			break;
		case OPT_RULES:
			o->rules_dir = optarg;
			break;
		case OPT_OVERLAY:
			o->overlay = optarg;
			break;
		case OPT_NOW:
			if (!valid_now(optarg))
				return usage_error("--now wants YYYY-MM-DDTHH:MM, not '%s'", optarg);
			o->now = optarg;
			break;
		case OPT_MAP:
			if (c->have_map)
				dc_colmap_release(&c->map);
			if (dc_colmap_load(&c->map, optarg, ds) < 0)
				return DC_EXIT_USAGE;
			c->have_map = 1;
			o->map = &c->map;
			break;
		case OPT_DELIM:
			if (!strcmp(optarg, "tab") || !strcmp(optarg, "\\t") || !strcmp(optarg, "\t"))
				o->delim = '\t';
			else if (strlen(optarg) == 1 && strchr(",;|", optarg[0]))
				o->delim = optarg[0];
			else
				return usage_error("delimiter must be , ; | or tab, not '%s'", optarg);
			break;
		case OPT_MODE: {
			char *end;
			long m = strtol(optarg, &end, 8);
			if (*end || m < 0 || m > 0777)
				return usage_error("--mode wants octal permissions, not '%s'", optarg);
			o->mode = (mode_t)m;
			break;
		}
		case OPT_LEDGER:
			o->ledger_path = optarg;
			break;
		case OPT_PROFILE:
			if (dc_profile_load(&c->profile, optarg, ds) < 0)
				return DC_EXIT_USAGE;
			break;
		case OPT_WAIT: {
			char *end;
			long w = strtol(optarg, &end, 10);
			if (*end || w < 0 || w > 86400)
				return usage_error("--wait wants seconds, not '%s'", optarg);
			o->wait_s = (int)w;
			break;
		}
		case OPT_SHARD: {
			int k, n;
			char tail;
			if (sscanf(optarg, "%d/%d%c", &k, &n, &tail) != 2 || n < 1 || k < 1 || k > n ||
			    n > 100000)
				return usage_error("--shard wants K/N with 1 <= K <= N, not '%s'", optarg);
			o->shard_k = k;
			o->shard_n = n;
			break;
		}
		case OPT_PROGRESS:
			c->progress = 1;
			break;
		case OPT_NO_PROGRESS:
			c->progress = 0;
			break;
		case OPT_DRY_RUN:
			o->dry_run = 1;
			break;
		case OPT_REBILL:
			o->rebill = 1;
			break;
		case 'j': {
			char *end;
			long j = strtol(optarg, &end, 10);
			if (*end || j < 1 || j > 256)
				return usage_error("--jobs wants a number of threads, not '%s'", optarg);
			o->jobs = (int)j;
			break;
		}
		case 'q':
			o->quiet = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return DC_EXIT_OK;
		case OPT_VERSION:
			printf("dripcode %s\n", PACKAGE_VERSION);
			return DC_EXIT_OK;
		default:
			fputs("try 'dripcode --help'\n", stderr);
			return DC_EXIT_USAGE;
		}
	}
	return -1;
}

/*
 * The progress line: one line on stderr, rewritten in place, only on a
 * terminal or with --progress, so redirected logs and cron mail never see it.
 */
static void human_bytes(double b, char *out, size_t n)
{
	const char *u[] = { "B", "KB", "MB", "GB", "TB" };
	int i = 0;
	while (b >= 1000 && i < 4) {
		b /= 1000;
		i++;
	}
	snprintf(out, n, i ? "%.1f %s" : "%.0f %s", b, u[i]);
}

static void show_progress(void *ctx, const struct dc_progress *p)
{
	(void)ctx;
	char done[32], total[32], rate[32], line[256];
	double r = p->elapsed_s > 0 ? (double)p->bytes / p->elapsed_s : 0;
	human_bytes((double)p->bytes, done, sizeof done);
	human_bytes(r, rate, sizeof rate);
	int n;
	if (p->size > 0) {
		human_bytes((double)p->size, total, sizeof total);
		double left = r > 0 ? ((double)p->size - (double)p->bytes) / r : 0;
		n = snprintf(line, sizeof line, "dripcode: %s: %s of %s (%d%%), %lu encounters, %s/s",
			     p->input, done, total, (int)(100.0 * (double)p->bytes / (double)p->size),
			     p->encounters, rate);
		if (!p->done && left >= 1)
			snprintf(line + n, sizeof line - (size_t)n, ", %d:%02d left",
				 (int)left / 60, (int)left % 60);
	} else {
		snprintf(line, sizeof line, "dripcode: %s: %s, %lu encounters, %s/s", p->input, done,
			 p->encounters, rate);
	}
	fprintf(stderr, "\r\033[K%s%s", line, p->done ? "\n" : "");
	fflush(stderr);
}

/* What every command starts from: its options, the printer and the sink. */
struct env {
	struct cli c;
	struct printer pr;
	struct dc_diag_sink ds;
};

/* Parses the common options; returns -1 to go on, or an exit status. */
static int start(struct env *e, int argc, char **argv)
{
	memset(e, 0, sizeof *e);
	e->ds.emit = print_diag;
	e->ds.ctx = &e->pr;
	int rc = parse_opts(argc, argv, &e->c, &e->ds);
	e->pr.quiet = e->c.run.quiet;
	return rc;
}

static int cmd_run(int argc, char **argv, const char *name)
{
	struct env e;
	int rc = start(&e, argc, argv);
	if (rc >= 0)
		goto out;
	if (optind >= argc) {
		rc = usage_error("%s needs at least one INPUT", name);
		goto out;
	}
	e.c.run.command = name;
	e.c.run.write_claims = !strcmp(name, "code");
	if (e.c.progress == 1 || (e.c.progress == -1 && !e.c.run.quiet && isatty(2))) {
		e.c.run.progress = show_progress;
		e.c.run.progress_ctx = &e.c;
	}
	e.c.run.inputs = argv + optind;
	e.c.run.ninputs = argc - optind;
	struct dc_run_result res;
	dc_run(&e.c.run, &e.ds, &res);
	print_suppressed(&e.pr);
	rc = exit_for(&res);
out:
	if (e.c.have_map)
		dc_colmap_release(&e.c.map);
	return rc;
}

static int cmd_code(int argc, char **argv)
{
	return cmd_run(argc, argv, "code");
}

static int cmd_check(int argc, char **argv)
{
	return cmd_run(argc, argv, "check");
}

/* ---- explain ---- */

static void explain_one(void *ctx, const struct dc_encounter *enc, const struct dc_coded *c)
{
	const char *input = ctx;
	char units[48], money[48];
	printf("encounter %s: %s, %s, %s lines %lu-%lu\n", enc->f[DC_E_ENCOUNTER_ID],
	       enc->scheme == DC_SCHEME_UK ? "UK" : "US",
	       enc->facility ? "facility" : "physician", input, enc->first_line, enc->last_line);
	if (enc->hold != DC_HOLD_NONE) {
		printf("held: %s: %s\n", dc_hold_names[enc->hold],
		       enc->hold_reason ? enc->hold_reason : "");
	}
	if (c->nnotes) {
		printf("administrations:\n");
		for (size_t i = 0; i < c->nnotes; i++)
			printf("  %s\n", c->notes[i]);
	}
	if (enc->hold == DC_HOLD_NONE) {
		if (!c->nlines)
			printf("lines: none (nothing billable; no claim)\n");
		else
			printf("lines:\n");
		for (size_t i = 0; i < c->nlines; i++) {
			const struct dc_line *l = &c->lines[i];
			printf("  %s #%d %s%s%s x%s %s", l->claim_id, l->line_no, l->code,
			       l->modifiers[0] ? "-" : "", l->modifiers,
			       dc_dec_format(l->units, units, sizeof units),
			       dc_money_format(l->charge, money, sizeof money));
			if (l->arith[0])
				printf(": %s", l->arith);
			printf("  [%s]", l->rule);
			if (l->ndc[0])
				printf(" ndc %s", l->ndc);
			printf("\n");
		}
	}
	if (c->nwarnings) {
		printf("warnings:\n");
		for (size_t i = 0; i < c->nwarnings; i++)
			printf("  %s (line %lu): %s\n", c->warnings[i].rule, c->warnings[i].line,
			       c->warnings[i].msg);
	}
}

static int cmd_explain(int argc, char **argv)
{
	struct env e;
	int rc = start(&e, argc, argv);
	if (rc >= 0)
		goto out;
	if (argc - optind != 2) {
		rc = usage_error("%s", "explain needs INPUT and ENCOUNTER_ID");
		goto out;
	}
	const char *input = argv[optind], *id = argv[optind + 1];
	int found = dc_run_explain(&e.c.run, input, id, &e.ds, explain_one, (void *)input);
	if (found == DC_ERR_RULE)
		rc = DC_EXIT_USAGE;
	else if (found < 0)
		rc = DC_EXIT_INPUT;
	else if (found == 0) {
		fprintf(stderr, "dripcode: %s: error: encounter '%s' not found\n", input, id);
		rc = DC_EXIT_HELD;
	} else
		rc = DC_EXIT_OK;
out:
	if (e.c.have_map)
		dc_colmap_release(&e.c.map);
	return rc;
}

/* ---- rules ---- */

int dc_rules_check(const struct dc_rules *r, struct dc_diag_sink *ds);

static int rules_import_asp(const struct cli *c, int argc, char **argv, struct dc_diag_sink *ds)
{
	if (argc - optind != 3)
		return usage_error("%s", "rules import-asp needs PRICING.csv CROSSWALK.csv [-o DIR]");
	const char *dir = c->run.rules_dir ? c->run.rules_dir : dc_rules_default_dir();
	int rc = dc_rules_import_asp(dir, argv[optind + 1], argv[optind + 2],
				     c->out_given ? c->run.out_dir : NULL,
				     c->run.quiet ? NULL : stdout, ds);
	if (rc == DC_OK)
		return DC_EXIT_OK;
	if (rc == DC_ERR_USAGE)
		return DC_EXIT_USAGE;
	if (rc == DC_ERR_IO)
		return DC_EXIT_OUTPUT;
	return DC_EXIT_BUG;
}
int dc_rules_show(const struct dc_rules *r, const char *code, FILE *out);

static int cmd_rules(int argc, char **argv)
{
	struct env e;
	int rc = start(&e, argc, argv);
	if (rc >= 0)
		return rc;
	if (optind >= argc)
		return usage_error("%s", "rules needs check or show CODE");
	const char *verb = argv[optind];
	if (!strcmp(verb, "import-asp"))
		return rules_import_asp(&e.c, argc, argv, &e.ds);
	if (strcmp(verb, "check") && strcmp(verb, "show"))
		return usage_error("unknown rules command '%s'", verb);
	if (!strcmp(verb, "show") && optind + 1 >= argc)
		return usage_error("%s", "rules show needs a CODE");
	struct dc_rules rules;
	const char *dir = e.c.run.rules_dir ? e.c.run.rules_dir : dc_rules_default_dir();
	if (dc_rules_load(&rules, dir, e.c.run.overlay, &e.ds) < 0) {
		dc_rules_release(&rules);
		return DC_EXIT_USAGE;
	}
	if (!strcmp(verb, "check")) {
		int problems = dc_rules_check(&rules, &e.ds);
		if (!problems && !e.c.run.quiet)
			printf("rulesets in %s: no problems found\n", dir);
		rc = problems ? DC_EXIT_USAGE : DC_EXIT_OK;
	} else {
		rc = dc_rules_show(&rules, argv[optind + 1], stdout) ? DC_EXIT_OK : DC_EXIT_HELD;
		if (rc)
			fprintf(stderr, "dripcode: error: code '%s' is in no table\n", argv[optind + 1]);
	}
	dc_rules_release(&rules);
	return rc;
}

/* ---- ledger ---- */

static int cmd_ledger(int argc, char **argv)
{
	struct env e;
	int rc = start(&e, argc, argv);
	if (rc >= 0)
		return rc;
	if (optind >= argc || (strcmp(argv[optind], "show") && strcmp(argv[optind], "merge")))
		return usage_error("%s", "ledger needs show, or merge LEDGER...");
	int merge = !strcmp(argv[optind], "merge");
	if (merge && optind + 1 >= argc)
		return usage_error("%s", "ledger merge needs the ledgers to merge");
	char *path = e.c.run.ledger_path ? strdup(e.c.run.ledger_path) : dc_ledger_default_path();
	struct dc_ledger *l;
	rc = dc_ledger_open(&l, path, e.c.run.wait_s, 0600, &e.ds);
	free(path);
	if (rc == DC_ERR_BUSY)
		return DC_EXIT_LOCKED;
	if (rc < 0)
		return DC_EXIT_OUTPUT;
	if (merge) {
		rc = DC_EXIT_OK;
		for (int i = optind + 1; i < argc && rc == DC_EXIT_OK; i++) {
			int m = dc_ledger_merge(l, argv[i], &e.ds);
			rc = m == DC_ERR_USAGE ? DC_EXIT_HELD : m < 0 ? DC_EXIT_OUTPUT : DC_EXIT_OK;
		}
	} else {
		rc = dc_ledger_show(l, stdout) < 0 ? DC_EXIT_OUTPUT : DC_EXIT_OK;
	}
	dc_ledger_close(l);
	return rc;
}

/* ---- reconcile ---- */

static int cmd_reconcile(int argc, char **argv)
{
	enum { O_LEDGER = 256, O_CLAIMS, O_REMIT, O_THR, O_NOW, O_RULES, O_OVERLAY, O_WAIT, O_MODE };
	static const struct option opts[] = {
		{ "ledger", required_argument, NULL, O_LEDGER },
		{ "claims", required_argument, NULL, O_CLAIMS },
		{ "remit", required_argument, NULL, O_REMIT },
		{ "out", required_argument, NULL, 'o' },
		{ "audit-threshold", required_argument, NULL, O_THR },
		{ "now", required_argument, NULL, O_NOW },
		{ "rules", required_argument, NULL, O_RULES },
		{ "rules-overlay", required_argument, NULL, O_OVERLAY },
		{ "wait", required_argument, NULL, O_WAIT },
		{ "mode", required_argument, NULL, O_MODE },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct dc_reconcile_opts o;
	struct dc_reconcile_result res;
	struct printer pr = { 0, 0, 0 };
	int ch, last = 0;   /* last: 1 after --claims, 2 after --remit */
	memset(&o, 0, sizeof o);
	o.version = PACKAGE_VERSION;
	o.claims = calloc((size_t)argc + 1, sizeof *o.claims);
	o.remits = calloc((size_t)argc + 1, sizeof *o.remits);
	int rc = -1;
	optind = 1;
	/* '-' first: operands after --claims A or --remit A are more files of that
	 * kind (--remit a.835 b.835), as the synopsis `--remit FILE...` says */
	while (rc < 0 && (ch = getopt_long(argc, argv, "-o:qh", opts, NULL)) != -1) {
		switch (ch) {
		case 1:
			if (last == 1)
				o.claims[o.nclaims++] = optarg;
			else if (last == 2)
				o.remits[o.nremits++] = optarg;
			else
				rc = usage_error("unexpected argument '%s'", optarg);
			continue;
		case O_LEDGER: o.ledger_path = optarg; break;
		case O_CLAIMS: o.claims[o.nclaims++] = optarg; last = 1; continue;
		case O_REMIT: o.remits[o.nremits++] = optarg; last = 2; continue;
		case 'o': o.out_dir = optarg; break;
		case O_THR: o.audit_threshold = optarg; break;
		case O_NOW:
			if (!valid_now(optarg))
				rc = usage_error("--now wants YYYY-MM-DDTHH:MM, not '%s'", optarg);
			o.now = optarg;
			break;
		case O_RULES: o.rules_dir = optarg; break;
		case O_OVERLAY: o.overlay = optarg; break;
		case O_WAIT: {
			char *end;
			long w = strtol(optarg, &end, 10);
			if (*end || w < 0 || w > 86400)
				rc = usage_error("--wait wants seconds, not '%s'", optarg);
			o.wait_s = (int)w;
			break;
		}
		case O_MODE: {
			char *end;
			long m = strtol(optarg, &end, 8);
			if (*end || m < 0 || m > 0777)
				rc = usage_error("--mode wants octal permissions, not '%s'", optarg);
			o.mode = (mode_t)m;
			break;
		}
		case 'q': pr.quiet = 1; break;
		case 'h':
			puts("usage: dripcode reconcile [--ledger FILE] [--claims 837...] --remit FILE..."
			     " [-o DIR] [--audit-threshold PCT] [--now YYYY-MM-DDTHH:MM]");
			rc = DC_EXIT_OK;
			break;
		default:
			fputs("try 'dripcode --help'\n", stderr);
			rc = DC_EXIT_USAGE;
		}
		last = 0;
	}
	if (rc < 0 && o.nremits == 0)
		rc = usage_error("%s", "reconcile needs --remit FILE...");
	if (rc < 0) {
		struct dc_diag_sink ds = { print_diag, &pr, 0, 0 };
		dc_reconcile(&o, &ds, &res);
		print_suppressed(&pr);
		rc = res.config_error ? DC_EXIT_USAGE : res.locked ? DC_EXIT_LOCKED
		   : res.bug ? DC_EXIT_BUG : res.output_failed ? DC_EXIT_OUTPUT
		   : res.input_failed ? DC_EXIT_INPUT : res.attention ? DC_EXIT_HELD : DC_EXIT_OK;
	}
	free(o.claims);
	free(o.remits);
	return rc;
}

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "code", cmd_code },
	{ "check", cmd_check },
	{ "explain", cmd_explain },
	{ "rules", cmd_rules },
	{ "ledger", cmd_ledger },
	{ "reconcile", cmd_reconcile },
};

/*
 * Failure injection for the test suite: DRIPCODE_TEST_FAIL=OP:N makes the
 * N-th write, fsync, rename or ledger commit of the run fail with "No space
 * left on device", as a full disk would, and lookup:N and mark:N the N-th
 * ledger lookup or mark of an encounter, as an unreadable ledger would, and
 * marks:N the N-th batch of marks written to the run's table of them;
 * kill:N kills the process with
 * SIGKILL at the N-th of any of them; selfcheck:N damages the N-th 837 file
 * just before the writer checks it.
 */
static char fail_op[16];
static long fail_at;
static atomic_long fail_seen;   /* the writer and the ledger thread both count */

static int injected_failure(const char *op)
{
	if (!strcmp(fail_op, "kill")) {
		/* the writes, syncs, renames and commits: where a crash leaves traces */
		if (!strcmp(op, "selfcheck") || !strcmp(op, "lookup") || !strcmp(op, "mark") ||
		    !strcmp(op, "marks"))
			return 0;
		if (atomic_fetch_add(&fail_seen, 1) + 1 == fail_at)
			raise(SIGKILL);
		return 0;
	}
	if (strcmp(op, fail_op) != 0)
		return 0;
	return atomic_fetch_add(&fail_seen, 1) + 1 == fail_at ? ENOSPC : 0;
}

static int out_fail(const char *op, const char *path)
{
	(void)path;
	return injected_failure(op);
}

static void setup_fail_injection(void)
{
	const char *spec = getenv("DRIPCODE_TEST_FAIL");
	if (!spec || sscanf(spec, "%15[a-z]:%ld", fail_op, &fail_at) != 2)
		return;
	dc_out_fail_hook = out_fail;
	dc_ledger_fail_hook = injected_failure;
}

int main(int argc, char **argv)
{
	setup_fail_injection();
	if (argc < 2) {
		fputs(usage_text, stderr);
		return DC_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		fputs(usage_text, stdout);
		return DC_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("dripcode %s\n", PACKAGE_VERSION);
		return DC_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		if (!strcmp(argv[1], commands[i].name)) {
			int rc = commands[i].fn(argc - 1, argv + 1);
			if (fflush(stdout) != 0 || ferror(stdout)) {
				fprintf(stderr, "dripcode: error: cannot write standard output: %s\n",
					strerror(errno));
				return DC_EXIT_OUTPUT;
			}
			return rc;
		}
	fprintf(stderr, "dripcode: error: unknown command '%s'\ntry 'dripcode --help'\n", argv[1]);
	return DC_EXIT_USAGE;
}
