#include "engine/bloom.h"
#include "engine/arena.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define BLOCK_WORDS 8
#define NHASH 10

#define HUGE_PAGE (2u << 20)

void dc_bloom_init(struct dc_bloom *b, uint64_t nbits)
{
	b->nbits = nbits;
	size_t n = nbits / 8;
	if (n < HUGE_PAGE) {
		b->bits = dc_xcalloc(n / sizeof(uint64_t), sizeof(uint64_t));
		return;
	}
	/*
	 * Written to at once, not calloc'd: a page first read (a miss) would
	 * map the shared zero page, and the first bit set in it would then
	 * replace that page, flushing the other threads' TLBs each time. On
	 * huge pages where the system allows them (one TLB entry per 2 MiB for
	 * a filter read at random).
	 */
	void *p;
	if (posix_memalign(&p, HUGE_PAGE, n) != 0) {
		fputs("dripcode: error: out of memory\n", stderr);
		abort();
	}
#ifdef MADV_HUGEPAGE
	madvise(p, n, MADV_HUGEPAGE);
#endif
	memset(p, 0, n);
	b->bits = p;
}

void dc_bloom_clear(struct dc_bloom *b)
{
	memset(b->bits, 0, b->nbits / 8);
}

void dc_bloom_release(struct dc_bloom *b)
{
	free(b->bits);
	b->bits = NULL;
	b->nbits = 0;
}

/* The block of |h| and the bits of it to set or test. */
static uint64_t *probes(const struct dc_bloom *b, uint64_t h1, uint64_t mask[BLOCK_WORDS])
{
	/* the bits within the block from a second, mixed hash */
	uint64_t h2 = h1 ^ (h1 >> 33);
	h2 *= 0xFF51AFD7ED558CCDULL;
	h2 ^= h2 >> 33;
	h2 *= 0xC4CEB9FE1A85EC53ULL;
	h2 ^= h2 >> 33;
	uint64_t nblocks = b->nbits / (64 * BLOCK_WORDS);
	memset(mask, 0, BLOCK_WORDS * sizeof *mask);
	for (int i = 0; i < NHASH; i++) {
		unsigned bit = (unsigned)(h2 >> (i * 6)) & 511;
		mask[bit >> 6] |= 1ULL << (bit & 63);
	}
	return b->bits + (h1 & (nblocks - 1)) * BLOCK_WORDS;
}

void dc_bloom_add_many(struct dc_bloom *b, const uint64_t *h, size_t n)
{
	/*
	 * Each add is a cache miss in a large filter: asked for all at once,
	 * the blocks are fetched side by side rather than one after another.
	 */
	uint64_t nblocks = b->nbits / (64 * BLOCK_WORDS);
	for (size_t i = 0; i < n; i++)
		__builtin_prefetch(b->bits + (h[i] & (nblocks - 1)) * BLOCK_WORDS, 1);
	for (size_t i = 0; i < n; i++)
		dc_bloom_add(b, h[i]);
}

void dc_bloom_add(struct dc_bloom *b, uint64_t h)
{
	uint64_t mask[BLOCK_WORDS];
	uint64_t *block = probes(b, h, mask);
	for (int i = 0; i < BLOCK_WORDS; i++)
		block[i] |= mask[i];
}

int dc_bloom_maybe(const struct dc_bloom *b, uint64_t h)
{
	uint64_t mask[BLOCK_WORDS];
	const uint64_t *block = probes(b, h, mask);
	for (int i = 0; i < BLOCK_WORDS; i++)
		if ((block[i] & mask[i]) != mask[i])
			return 0;
	return 1;
}
