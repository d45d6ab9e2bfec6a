/*
 * Arena: bump allocator for everything one encounter owns.
 *
 * Readers allocate an encounter's strings and arrays here; the engine calls
 * dc_arena_reset() once the encounter is written or held, so memory stays flat
 * whatever the input size. Nothing allocated from an arena may be kept past
 * the next reset. Allocation failure aborts (see dc_xmalloc): a batch tool
 * that cannot get a few kilobytes has no meaningful way to continue.
 */
#ifndef DC_ARENA_H
#define DC_ARENA_H

#include <stddef.h>

struct dc_arena_block;

struct dc_arena {
	struct dc_arena_block *head;  /* current block; older blocks chained */
	size_t block_size;            /* default size of a new block */
	size_t used_total;            /* bytes handed out since the last reset */
	size_t peak;                  /* largest used_total seen */
};

void dc_arena_init(struct dc_arena *a, size_t block_size);
/* Frees every block but the first (keeps one block for reuse). */
void dc_arena_reset(struct dc_arena *a);
void dc_arena_release(struct dc_arena *a);
/* Number of blocks held (1 after a reset). */
size_t dc_arena_blocks(const struct dc_arena *a);

void *dc_arena_alloc(struct dc_arena *a, size_t n);   /* 16-byte aligned, zeroed */
/* As dc_arena_alloc, not zeroed: for memory the caller fills at once. */
void *dc_arena_alloc_raw(struct dc_arena *a, size_t n);
char *dc_arena_strndup(struct dc_arena *a, const char *s, size_t n);
char *dc_arena_strdup(struct dc_arena *a, const char *s);
/* The first |max| bytes of |s|, then |sep| (none if '\0'), then the decimal
 * digits of |v| ("ENC1-3"): dc_arena_printf("%.*s-%ld") without printf. */
char *dc_arena_join_num(struct dc_arena *a, const char *s, size_t max, char sep, long v);
char *dc_arena_printf(struct dc_arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Heap helpers that abort on failure (never return NULL). */
void *dc_xmalloc(size_t n);
void *dc_xcalloc(size_t n, size_t m);
void *dc_xrealloc(void *p, size_t n);
char *dc_xstrdup(const char *s);

#endif
