/*
 * A blocked Bloom filter over 64-bit hashes: "certainly not added" or
 * "perhaps added". All of a hash's bits lie in one 512-bit block (a cache
 * line), so an add or a miss costs one memory access. The filter owns its
 * bits: a filter of 2 MiB or more is zeroed when made (all of it resident,
 * on huge pages where the system allows), a smaller one calloc'd.
 */
#ifndef DC_BLOOM_H
#define DC_BLOOM_H

#include <stddef.h>
#include <stdint.h>

struct dc_bloom {
	uint64_t *bits;
	uint64_t nbits;          /* a power of two, at least 512 */
};

void dc_bloom_init(struct dc_bloom *b, uint64_t nbits);
/* Forgets every hash added, keeping the memory. */
void dc_bloom_clear(struct dc_bloom *b);
void dc_bloom_release(struct dc_bloom *b);
void dc_bloom_add(struct dc_bloom *b, uint64_t h);
/* dc_bloom_add of each of |n| hashes. */
void dc_bloom_add_many(struct dc_bloom *b, const uint64_t *h, size_t n);
/* 0: |h| was never added; 1: it may have been. */
int dc_bloom_maybe(const struct dc_bloom *b, uint64_t h);

#endif
