/* note_impl.h: what the note_*.c files share among themselves and nobody else uses:
 * warnings, id hashing, line/offset helpers and the body pass. Not a public API. */
#ifndef STUDY_NOTE_IMPL_H
#define STUDY_NOTE_IMPL_H

#include "study/note.h"

/* Appends a warning (line/column 1-based, 0 = whole file). */
void note_warn(note *n, int line, int column, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* 16 hex digits of FNV-1a 64 over the parts joined by NUL bytes (NULL parts count as ""). */
void note_hash_id(char out[17], const char *const *parts, size_t n_parts);

/* Grows an array about to receive element n (doubling), so appends stay linear. */
void *note_grow(void *p, size_t n, size_t size);

/* A map from 64-bit hashes to (first index, count), open addressing, so duplicate checks
 * stay linear on hostile input (a frontmatter of 100,000 keys, 300,000 equal headings). */
typedef struct note_hmap {
    uint64_t *hash;
    size_t   *first, *count; /* count 0 = empty slot */
    size_t    cap, n;
} note_hmap;
/* Counts h once more; returns how often it was added before and sets *first (may be
 * NULL) to the idx given the first time. */
size_t note_hmap_add(note_hmap *m, uint64_t h, size_t idx, size_t *first);
void   note_hmap_free(note_hmap *m);

/* 1-based line of a byte offset in raw (counts '\n' before it). */
int note_line_of(const note *n, size_t off);

/* The body pass (note_body.c): fills concepts and cards (without ids) from n->body, and
 * returns the text of the first level-1 heading (caller frees) or NULL. */
char *note_body_parse(note *n);
/* Gives ids to concepts and cards once n->key is known. */
void note_body_ids(note *n);
/* The body's fingerprint (see note.h) into n->body_sha. */
void note_body_fingerprint(note *n);

#endif
