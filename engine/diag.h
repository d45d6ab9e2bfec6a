/*
 * Diagnostics sink: library code reports, cmd/ prints, tests count.
 *
 * A diagnostic names the input, the line (0 = none) and states the problem
 * first, lowercase, with the offending value in quotes. Messages never carry
 * patient names, dates of birth or member numbers.
 */
#ifndef DC_DIAG_H
#define DC_DIAG_H

#include <stdarg.h>

enum dc_severity { DC_SEV_NOTE = 0, DC_SEV_WARNING = 1, DC_SEV_ERROR = 2 };

struct dc_diag {
	enum dc_severity sev;
	int code;               /* a dc_status, or 0 */
	const char *input;      /* borrowed, may be NULL */
	unsigned long line;     /* 0 when not tied to a line */
	int sys_errno;
	char msg[512];
};

struct dc_diag_sink {
	void (*emit)(void *ctx, const struct dc_diag *d);
	void *ctx;
	unsigned long nerrors, nwarnings;
};

/*
 * Reports a diagnostic and returns |code| so callers can write
 * `return dc_diag_report(...)`.
 */
/* Counts and emits a diagnostic made elsewhere (another thread's sink). */
void dc_diag_forward(struct dc_diag_sink *ds, const struct dc_diag *d);
int dc_diag_report(struct dc_diag_sink *ds, enum dc_severity sev, int code,
		   const char *input, unsigned long line, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
int dc_diag_vreport(struct dc_diag_sink *ds, enum dc_severity sev, int code,
		    const char *input, unsigned long line, int sys_errno,
		    const char *fmt, va_list ap);
/* As dc_diag_report, with errno text appended (": No space left on device"). */
int dc_diag_syserr(struct dc_diag_sink *ds, int code, const char *input,
		   int sys_errno, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

#endif
