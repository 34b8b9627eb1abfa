/* dls.h: the small utility layer every other layer may use: error codes and the
 * caller-owned error struct, allocation that aborts on OOM, a growable byte buffer,
 * whole-file reading and SHA-256. Not a place for domain logic. */
#ifndef DLS_H
#define DLS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Error codes and their one-line meaning, generated from one list so they cannot drift. */
#define DLS_ERRORS(X)                                                   \
    X(DLS_OK,          0, "ok")                                         \
    X(DLS_ERR_IO,      1, "input/output error")                         \
    X(DLS_ERR_PARSE,   2, "parse error")                                \
    X(DLS_ERR_INVALID, 3, "invalid value")                              \
    X(DLS_ERR_NOTFOUND,4, "not found")                                  \
    X(DLS_ERR_CHANGED, 5, "file changed on disk")                       \
    X(DLS_ERR_NOMEM,   6, "out of device memory")                       \
    X(DLS_ERR_CORRUPT, 7, "corrupt or truncated data")                  \
    X(DLS_ERR_MISMATCH,8, "does not match")                             \
    X(DLS_ERR_DB,      9, "database error")                             \
    X(DLS_ERR_BUSY,   10, "busy")                                       \
    X(DLS_ERR_UNSUPPORTED, 11, "unsupported")                           \
    X(DLS_ERR_NODEVICE, 12, "no such device")                           \
    X(DLS_ERR_INTERRUPTED, 13, "interrupted")                           \
    X(DLS_ERR_DIVERGED, 14, "training diverged")

enum dls_code {
#define DLS_ENUM_(name, value, text) name = value,
    DLS_ERRORS(DLS_ENUM_)
#undef DLS_ENUM_
};

/* Process exit codes of the dlstudy program (documented in dlstudy.1). */
enum { DLS_EXIT_OK = 0, DLS_EXIT_FAIL = 1, DLS_EXIT_USAGE = 2 };

typedef struct dls_error {
    int  code;
    char msg[256];
} dls_error;

/* Fills e (which may be NULL) with code and a printf-style message; returns code. */
int dls_fail(dls_error *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The fixed text of a code ("parse error"); never NULL. */
const char *dls_code_str(int code);

/* Bugs abort with file:line; hot loops assert, they do not validate. */
#define DLS_ASSERT(x) \
    ((x) ? (void)0 : dls_assert_fail(#x, __FILE__, __LINE__))
_Noreturn void dls_assert_fail(const char *expr, const char *file, int line);

/* Host allocation: aborts with a message on OOM, so callers need no NOMEM paths. */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable byte buffer; always NUL-terminated after any append. */
typedef struct dls_buf {
    char  *data;
    size_t len, cap;
} dls_buf;
void dls_buf_init(dls_buf *b);
void dls_buf_deinit(dls_buf *b);
void dls_buf_append(dls_buf *b, const void *p, size_t n);
void dls_buf_puts(dls_buf *b, const char *s);
void dls_buf_printf(dls_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the bytes to the caller (free() them); the buffer is left empty. */
char *dls_buf_take(dls_buf *b);
/* Appends items separated by sep; b->data is a string afterwards even for n == 0 (an
 * empty list is "", as the notes table's list columns store it). */
void dls_buf_join(dls_buf *b, char *const *items, size_t n, const char *sep);

/* Reads a whole file (at most max_bytes; 0 = no limit). *out is NUL-terminated and
 * owned by the caller; *len excludes the NUL. Fails with DLS_ERR_IO (naming path)
 * or DLS_ERR_INVALID when the file is larger than max_bytes. */
int dls_read_file(const char *path, size_t max_bytes, char **out, size_t *len, dls_error *e);

/* SHA-256. dls_sha256_hex writes 64 hex digits and a NUL into hex (65 bytes). */
typedef struct dls_sha256 {
    uint32_t h[8];
    uint64_t bytes;
    uint8_t  block[64];
    size_t   used;
} dls_sha256;
void dls_sha256_init(dls_sha256 *s);
void dls_sha256_update(dls_sha256 *s, const void *data, size_t n);
void dls_sha256_final(dls_sha256 *s, uint8_t out[32]);
void dls_sha256_hex(const void *data, size_t n, char hex[65]);
void dls_hex(const uint8_t *bytes, size_t n, char *hex); /* 2n digits + NUL */

/* 64-bit FNV-1a, for stable ids of text (card ids); not cryptographic. */
uint64_t dls_fnv1a64(const void *data, size_t n);

#endif
