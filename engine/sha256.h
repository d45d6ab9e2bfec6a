/* SHA-256 (FIPS 180-4), for the ledger's record of every input read. */
#ifndef DC_SHA256_H
#define DC_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct dc_sha256 {
	uint32_t h[8];
	uint64_t len;
	unsigned char buf[64];
	size_t nbuf;
};

void dc_sha256_init(struct dc_sha256 *s);
void dc_sha256_update(struct dc_sha256 *s, const void *data, size_t n);
/* Writes 64 lowercase hex digits and a NUL to |hex|. */
void dc_sha256_final_hex(struct dc_sha256 *s, char hex[65]);

/* Uses the processor's SHA instructions when it has them (default 1); 0
 * forces the portable code (tests compare both). */
void dc_sha256_use_hw(int on);

#endif
