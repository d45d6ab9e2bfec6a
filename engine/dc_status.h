/*
 * Status codes shared by every module: 0 is success, failures are negative.
 * Functions document which of these they return.
 */
#ifndef DC_STATUS_H
#define DC_STATUS_H

enum dc_status {
	DC_OK = 0,
	DC_ERR_NOMEM = -1,   /* allocation failed */
	DC_ERR_IO = -2,      /* read or write failed; errno kept in the diagnostic */
	DC_ERR_PARSE = -3,   /* input not readable as its format: ends that input */
	DC_ERR_RECORD = -4,  /* one record skipped; reading goes on */
	DC_ERR_RULE = -5,    /* rulesets missing or malformed */
	DC_ERR_USAGE = -6,   /* bad option or configuration */
	DC_ERR_LIMIT = -7,   /* a documented size limit was exceeded */
	DC_ERR_BUSY = -8,    /* another run holds the ledger */
	DC_ERR_BUG = -9      /* internal check failed */
};

#define DC_BUG(msg) dc_bug(__FILE__, __LINE__, (msg))
void dc_bug(const char *file, int line, const char *msg);

#endif
