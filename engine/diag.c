#include "engine/diag.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* threads of one run (--jobs) may report at once: one message at a time */
static pthread_mutex_t diag_mu = PTHREAD_MUTEX_INITIALIZER;

int dc_diag_vreport(struct dc_diag_sink *ds, enum dc_severity sev, int code,
		    const char *input, unsigned long line, int sys_errno,
		    const char *fmt, va_list ap)
{
	struct dc_diag d;
	d.sev = sev;
	d.code = code;
	d.input = input;
	d.line = line;
	d.sys_errno = sys_errno;
	vsnprintf(d.msg, sizeof d.msg, fmt, ap);
	if (sys_errno) {
		size_t n = strlen(d.msg);
		snprintf(d.msg + n, sizeof d.msg - n, ": %s", strerror(sys_errno));
	}
	if (!ds)
		return code;
	pthread_mutex_lock(&diag_mu);
	if (sev == DC_SEV_ERROR)
		ds->nerrors++;
	else if (sev == DC_SEV_WARNING)
		ds->nwarnings++;
	if (ds->emit)
		ds->emit(ds->ctx, &d);
	pthread_mutex_unlock(&diag_mu);
	return code;
}

int dc_diag_report(struct dc_diag_sink *ds, enum dc_severity sev, int code,
		   const char *input, unsigned long line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	dc_diag_vreport(ds, sev, code, input, line, 0, fmt, ap);
	va_end(ap);
	return code;
}

int dc_diag_syserr(struct dc_diag_sink *ds, int code, const char *input,
		   int sys_errno, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	dc_diag_vreport(ds, DC_SEV_ERROR, code, input, 0, sys_errno, fmt, ap);
	va_end(ap);
	return code;
}

void dc_diag_forward(struct dc_diag_sink *ds, const struct dc_diag *d)
{
	pthread_mutex_lock(&diag_mu);
	if (d->sev == DC_SEV_ERROR)
		ds->nerrors++;
	else if (d->sev == DC_SEV_WARNING)
		ds->nwarnings++;
	if (ds->emit)
		ds->emit(ds->ctx, d);
	pthread_mutex_unlock(&diag_mu);
}
