/* dls.c: error reporting, aborting allocators, byte buffers and file reading
 * (see dls.h). Library code never prints except in dls_assert_fail/OOM, which abort. */
#include "util/dls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int dls_fail(dls_error *e, int code, const char *fmt, ...) {
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        e->code = code;
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

const char *dls_code_str(int code) {
    switch (code) {
#define DLS_CASE_(name, value, text) case value: return text;
        DLS_ERRORS(DLS_CASE_)
#undef DLS_CASE_
    }
    return "unknown error";
}

void dls_assert_fail(const char *expr, const char *file, int line) {
    fprintf(stderr, "dlstudy: internal error: assertion '%s' failed at %s:%d\n", expr, file, line);
    abort();
}

static void oom(size_t n) {
    fprintf(stderr, "dlstudy: out of memory (asked for %zu bytes)\n", n);
    abort();
}

void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) oom(n);
    return p;
}

void *xcalloc(size_t count, size_t size) {
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) oom(count * size);
    return p;
}

void *xrealloc(void *p, size_t n) {
    p = realloc(p, n ? n : 1);
    if (!p) oom(n);
    return p;
}

char *xstrdup(const char *s) { return xstrndup(s, strlen(s)); }

char *xstrndup(const char *s, size_t n) {
    size_t len = strnlen(s, n);
    char  *d   = xmalloc(len + 1);
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

char *xasprintf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    DLS_ASSERT(n >= 0);
    char *s = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

void dls_buf_init(dls_buf *b) { b->data = NULL, b->len = 0, b->cap = 0; }

void dls_buf_deinit(dls_buf *b) {
    free(b->data);
    dls_buf_init(b);
}

/* Makes room for n more bytes and the NUL, doubling, so that appends are amortised O(1). */
static void reserve(dls_buf *b, size_t n) {
    if (b->len + n + 1 <= b->cap) return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + n + 1) cap *= 2;
    b->data = xrealloc(b->data, cap);
    b->cap  = cap;
}

void dls_buf_append(dls_buf *b, const void *p, size_t n) {
    reserve(b, n);
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void dls_buf_puts(dls_buf *b, const char *s) { dls_buf_append(b, s, strlen(s)); }

void dls_buf_join(dls_buf *b, char *const *items, size_t n, const char *sep) {
    dls_buf_puts(b, "");
    for (size_t i = 0; i < n; i++) {
        if (i) dls_buf_puts(b, sep);
        dls_buf_puts(b, items[i]);
    }
}

void dls_buf_printf(dls_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    DLS_ASSERT(n >= 0);
    reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *dls_buf_take(dls_buf *b) {
    char *p = b->data ? b->data : xstrdup("");
    dls_buf_init(b);
    return p;
}

int dls_read_file(const char *path, size_t max_bytes, char **out, size_t *len, dls_error *e) {
    FILE *f = fopen(path, "rb");
    if (!f) return dls_fail(e, DLS_ERR_IO, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        return dls_fail(e, DLS_ERR_IO, "%s: is a directory", path);
    }
    dls_buf b;
    dls_buf_init(&b);
    char   chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (max_bytes && b.len + n > max_bytes) {
            fclose(f);
            dls_buf_deinit(&b);
            return dls_fail(e, DLS_ERR_INVALID, "%s: larger than %zu bytes", path, max_bytes);
        }
        dls_buf_append(&b, chunk, n);
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        dls_buf_deinit(&b);
        return dls_fail(e, DLS_ERR_IO, "%s: read error", path);
    }
    if (len) *len = b.len;
    *out = dls_buf_take(&b);
    return DLS_OK;
}

uint64_t dls_fnv1a64(const void *data, size_t n) {
    const unsigned char *p = data;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}
