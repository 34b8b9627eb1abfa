/* note_parse.c: reading a note: the file checks (size, binary, symlinks out of the notes
 * folder), encoding facts, the YAML frontmatter with libyaml (every top-level key with
 * the byte spans of key and value, the known keys validated), then the body pass
 * (note_body.c) and the stable ids. Not here: writing (note_write.c), cmark details.
 *
 * libyaml marks count characters, not bytes, so a character -> byte map is built for
 * frontmatters that are not pure ASCII; spans in note_key are always byte offsets. */
#include "study/note_impl.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

/* ---- small shared helpers ---------------------------------------------------------- */

void *note_grow(void *p, size_t n, size_t size) {
    if (n == 0) return xrealloc(p, 4 * size);
    if (n >= 4 && (n & (n - 1)) == 0) return xrealloc(p, 2 * n * size);
    return p;
}

size_t note_hmap_add(note_hmap *m, uint64_t h, size_t idx, size_t *first) {
    if (2 * (m->n + 1) > m->cap) { /* grow to keep the load under one half */
        note_hmap old = *m;
        m->cap   = old.cap ? 2 * old.cap : 64;
        m->hash  = xcalloc(m->cap, sizeof *m->hash);
        m->first = xcalloc(m->cap, sizeof *m->first);
        m->count = xcalloc(m->cap, sizeof *m->count);
        for (size_t i = 0; i < old.cap; i++) {
            if (!old.count[i]) continue;
            size_t j = old.hash[i] & (m->cap - 1);
            while (m->count[j]) j = (j + 1) & (m->cap - 1);
            m->hash[j] = old.hash[i], m->first[j] = old.first[i], m->count[j] = old.count[i];
        }
        note_hmap_free(&old);
    }
    size_t j = h & (m->cap - 1);
    while (m->count[j] && m->hash[j] != h) j = (j + 1) & (m->cap - 1);
    if (!m->count[j]) {
        m->hash[j]  = h;
        m->first[j] = idx;
        m->n++;
    }
    if (first) *first = m->first[j];
    return m->count[j]++;
}

void note_hmap_free(note_hmap *m) {
    free(m->hash);
    free(m->first);
    free(m->count);
    memset(m, 0, sizeof *m);
}

void note_warn(note *n, int line, int column, const char *fmt, ...) {
    char    msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    n->warnings = note_grow(n->warnings, n->n_warnings, sizeof *n->warnings);
    n->warnings[n->n_warnings++] = (note_warning){line, column, xstrdup(msg)};
}

void note_hash_id(char out[17], const char *const *parts, size_t n_parts) {
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a 64, inlined so parts chain */
    for (size_t i = 0; i < n_parts; i++) {
        const unsigned char *s = (const unsigned char *)(parts[i] ? parts[i] : "");
        for (; *s; s++) h = (h ^ *s) * 0x100000001b3ULL;
        h = (h ^ 0) * 0x100000001b3ULL;
    }
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}

int note_line_of(const note *n, size_t off) { /* \n, \r\n and a lone \r end a line, as for libyaml and cmark */
    int line = 1;
    for (size_t i = 0; i < off && i < n->raw_len; i++)
        line += n->raw[i] == '\n' || (n->raw[i] == '\r' && (i + 1 >= n->raw_len || n->raw[i + 1] != '\n'));
    return line;
}

const char *note_status_str(note_status s) {
    switch (s) {
    case NOTE_STATUS_NEW:       return "new";
    case NOTE_STATUS_LEARNING:  return "learning";
    case NOTE_STATUS_REVIEWING: return "reviewing";
    case NOTE_STATUS_MASTERED:  return "mastered";
    default:                    return "";
    }
}

int note_status_from_str(const char *s) {
    for (int k = NOTE_STATUS_NEW; k <= NOTE_STATUS_MASTERED; k++)
        if (s && !strcmp(s, note_status_str((note_status)k))) return k;
    return -1;
}

int note_date_valid(const char *s) {
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-') return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)s[i])) return 0;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1 || m < 1 || m > 12 || d < 1) return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= mdays[m - 1] + (m == 2 && leap);
}

char *note_warnings_text(const note *n) {
    dls_buf b;
    dls_buf_init(&b);
    for (size_t i = 0; i < n->n_warnings; i++) {
        const note_warning *w = &n->warnings[i];
        if (w->line > 0)
            dls_buf_printf(&b, "%s:%d:%d: %s\n", n->path, w->line, w->column, w->message);
        else
            dls_buf_printf(&b, "%s: %s\n", n->path, w->message);
    }
    return dls_buf_take(&b);
}

static void strv_free(char **v, size_t n) {
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

void note_free(note *n) {
    if (!n) return;
    free(n->path);
    free(n->file);
    if (n->body && (n->body < n->raw || n->body > n->raw + n->raw_len)) free((char *)n->body);
    free(n->raw);
    free(n->title);
    free(n->category);
    strv_free(n->tags, n->n_tags);
    free(n->review_dates);
    strv_free(n->related, n->n_related);
    strv_free(n->labs, n->n_labs);
    for (size_t i = 0; i < n->n_keys; i++) {
        free(n->keys[i].name);
        strv_free(n->keys[i].items, n->keys[i].n_items);
        free(n->keys[i].item_spans);
    }
    free(n->keys);
    for (size_t i = 0; i < n->n_warnings; i++) free(n->warnings[i].message);
    free(n->warnings);
    for (size_t i = 0; i < n->n_concepts; i++) {
        free(n->concepts[i].heading);
        free(n->concepts[i].path);
    }
    free(n->concepts);
    for (size_t i = 0; i < n->n_cards; i++) {
        free(n->cards[i].question);
        free(n->cards[i].answer);
    }
    free(n->cards);
    free(n);
}

/* ---- file identity ------------------------------------------------------------------ */

int64_t note_mtime_ns(const struct stat *st) {
    return (int64_t)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
}

int note_stat(const char *file, note_file_id *id, dls_error *e) {
    struct stat st;
    if (stat(file, &st) != 0) return dls_fail(e, DLS_ERR_IO, "%s: %s", file, strerror(errno));
    memset(id, 0, sizeof *id);
    id->size     = (int64_t)st.st_size;
    id->mtime_ns = note_mtime_ns(&st);
    return DLS_OK;
}

int note_file_unchanged(const char *file, int64_t size, int64_t mtime) {
    struct stat st;
    return stat(file, &st) == 0 && (int64_t)st.st_size == size && note_mtime_ns(&st) == mtime;
}

/* ---- frontmatter (libyaml) ---------------------------------------------------------- */

typedef struct yp {
    note          *n;
    dls_error     *e;
    yaml_parser_t  p;
    size_t         base;   /* raw offset of the YAML text */
    size_t        *cmap;   /* character index -> byte offset in the YAML, or NULL (ASCII) */
    size_t         nchars;
    int            line0;  /* file line (1-based) of the YAML's first line */
    int            last_line, last_col; /* the last yfail, for soft keys' warnings */
    char           last_msg[200];
} yp;

typedef struct yval {
    note_style  style;
    size_t      start, end;    /* raw offsets */
    yaml_mark_t mark;
    char       *text;          /* scalars */
    int         is_null;
    char      **items;         /* sequences whose items are all scalars */
    note_span  *spans;
    yaml_mark_t *marks;
    size_t      n_items;
    int         nested;        /* a sequence holding something other than scalars */
} yval;

static size_t yoff(const yp *c, yaml_mark_t m) {
    if (!c->cmap) return c->base + m.index;
    return c->base + c->cmap[m.index < c->nchars ? m.index : c->nchars];
}

static int yfail(yp *c, yaml_mark_t m, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int yfail(yp *c, yaml_mark_t m, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->last_msg, sizeof c->last_msg, fmt, ap);
    va_end(ap);
    c->last_line = c->line0 + (int)m.line;
    c->last_col  = (int)m.column + 1;
    return dls_fail(c->e, code, "%s:%d:%d: %s", c->n->path, c->last_line, c->last_col, c->last_msg);
}

static int ynext(yp *c, yaml_event_t *ev) {
    if (yaml_parser_parse(&c->p, ev)) return DLS_OK;
    yaml_mark_t m = c->p.problem_mark;
    if (c->p.context)
        return yfail(c, m, DLS_ERR_PARSE, "invalid YAML: %s %s (from line %d)", c->p.problem ? c->p.problem : "error",
                     c->p.context, c->line0 + (int)c->p.context_mark.line);
    return yfail(c, m, DLS_ERR_PARSE, "invalid YAML: %s", c->p.problem ? c->p.problem : "error");
}

static void yval_free(yval *v) {
    free(v->text);
    strv_free(v->items, v->n_items);
    free(v->spans);
    free(v->marks);
    memset(v, 0, sizeof *v);
}

static int is_null_text(const char *s) {
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

/* Consumes the rest of a collection whose start event was just read; *end gets the
 * raw offset after its last byte. */
static int skip_collection(yp *c, int depth, size_t *end) {
    if (depth > 64) return yfail(c, c->p.mark, DLS_ERR_PARSE, "frontmatter nested too deeply");
    for (;;) {
        yaml_event_t ev;
        int          rc = ynext(c, &ev);
        if (rc) return rc;
        yaml_event_type_t t = ev.type;
        size_t            o = yoff(c, ev.end_mark);
        int               flow_end = (t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT) && o > *end &&
                       o > c->base && strchr("]}", c->n->raw[o - 1]);
        if (t == YAML_SCALAR_EVENT || t == YAML_ALIAS_EVENT || flow_end) *end = o > *end ? o : *end;
        yaml_event_delete(&ev);
        if (t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT) {
            rc = skip_collection(c, depth + 1, end);
            if (rc) return rc;
        } else if (t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT) {
            return DLS_OK;
        }
    }
}

/* Reads one value node starting at ev (which it deletes). */
static int read_value(yp *c, yaml_event_t *ev, yval *v) {
    memset(v, 0, sizeof *v);
    v->mark  = ev->start_mark;
    v->start = yoff(c, ev->start_mark);
    v->end   = yoff(c, ev->end_mark);
    int rc   = DLS_OK;
    switch (ev->type) {
    case YAML_SCALAR_EVENT: {
        static const note_style st[] = {NOTE_STYLE_PLAIN, NOTE_STYLE_PLAIN, NOTE_STYLE_SINGLE,
                                        NOTE_STYLE_DOUBLE, NOTE_STYLE_LITERAL, NOTE_STYLE_FOLDED};
        v->text    = xstrndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
        v->style   = st[ev->data.scalar.style <= YAML_FOLDED_SCALAR_STYLE ? ev->data.scalar.style : 1];
        v->is_null = v->style == NOTE_STYLE_PLAIN && !ev->data.scalar.tag && is_null_text(v->text);
        if (v->is_null && v->start == v->end) v->style = NOTE_STYLE_EMPTY;
        break;
    }
    case YAML_ALIAS_EVENT:
        v->style = NOTE_STYLE_ALIAS;
        break;
    case YAML_MAPPING_START_EVENT:
        v->style = ev->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE ? NOTE_STYLE_FLOW_MAP : NOTE_STYLE_BLOCK_MAP;
        v->end   = v->start;
        rc       = skip_collection(c, 1, &v->end);
        break;
    case YAML_SEQUENCE_START_EVENT:
        v->style = ev->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE ? NOTE_STYLE_FLOW_SEQ : NOTE_STYLE_BLOCK_SEQ;
        v->end   = v->start;
        for (;;) {
            yaml_event_t it;
            if ((rc = ynext(c, &it))) break;
            if (it.type == YAML_SEQUENCE_END_EVENT) {
                if (v->style == NOTE_STYLE_FLOW_SEQ) v->end = yoff(c, it.end_mark);
                yaml_event_delete(&it);
                break;
            }
            size_t s = yoff(c, it.start_mark), t = yoff(c, it.end_mark);
            if (it.type == YAML_SCALAR_EVENT) {
                v->items = note_grow(v->items, v->n_items, sizeof *v->items);
                v->spans = note_grow(v->spans, v->n_items, sizeof *v->spans);
                v->marks = note_grow(v->marks, v->n_items, sizeof *v->marks);
                v->items[v->n_items] = xstrndup((const char *)it.data.scalar.value, it.data.scalar.length);
                v->spans[v->n_items] = (note_span){s, t - s};
                v->marks[v->n_items] = it.start_mark;
                v->n_items++;
                v->end = t;
            } else if (it.type == YAML_ALIAS_EVENT) {
                v->nested = 1;
                v->end    = t;
            } else {
                int coll = it.type == YAML_SEQUENCE_START_EVENT || it.type == YAML_MAPPING_START_EVENT;
                v->nested = 1;
                yaml_event_delete(&it);
                if (coll && (rc = skip_collection(c, 2, &v->end))) break;
                continue;
            }
            yaml_event_delete(&it);
        }
        break;
    default:
        rc = yfail(c, ev->start_mark, DLS_ERR_PARSE, "unexpected YAML event");
    }
    yaml_event_delete(ev);
    return rc;
}

static char *display(const note *n, const char *s) {
    if (!n->double_encoded) return xstrdup(s);
    char  *out;
    size_t len;
    note_repair_double_encoding(s, strlen(s), &out, &len, NULL);
    return out;
}

/* "a/./b/../c.md" -> "a/c.md"; NULL when absolute or leaving the root. */
static char *norm_rel(const char *p) {
    if (p[0] == '/' || p[0] == '\\' || (isalpha((unsigned char)p[0]) && p[1] == ':')) return NULL;
    size_t len = strlen(p);
    char  *out = xmalloc(len + 1);
    size_t o   = 0;
    const char *s = p;
    while (*s) {
        const char *t = s;
        while (*t && *t != '/' && *t != '\\') t++;
        size_t k = (size_t)(t - s);
        if (k == 2 && s[0] == '.' && s[1] == '.') {
            if (o == 0) { free(out); return NULL; }
            while (o > 0 && out[o - 1] != '/') o--;
            if (o > 0) o--; /* the slash */
        } else if (k > 0 && !(k == 1 && s[0] == '.')) {
            if (o) out[o++] = '/';
            memcpy(out + o, s, k);
            o += k;
        }
        s = *t ? t + 1 : t;
    }
    out[o] = 0;
    if (!o) { free(out); return NULL; }
    return out;
}

/* A date value: YYYY-MM-DD, optionally followed by a time (the date part is kept). */
static int date_of(const char *s, char out[11]) {
    if (strlen(s) < 10) return 0;
    char d[11];
    memcpy(d, s, 10);
    d[10] = 0;
    if (!note_date_valid(d)) return 0;
    if (s[10] && !((s[10] == 'T' || s[10] == 't' || s[10] == ' ') && isdigit((unsigned char)s[11]))) return 0;
    memcpy(out, d, 11);
    return 1;
}

static int want_scalar(yp *c, const char *key, yval *v) {
    if (v->style == NOTE_STYLE_ALIAS)
        return yfail(c, v->mark, DLS_ERR_INVALID, "%s: aliases are not supported for this key", key);
    if (!v->text) return yfail(c, v->mark, DLS_ERR_INVALID, "%s: expected a single value, found a list or map", key);
    return DLS_OK;
}

/* The items of a key that takes a list (a single scalar counts as one item). */
static int want_list(yp *c, const char *key, yval *v, size_t *n, char ***items, yaml_mark_t **marks) {
    if (v->style == NOTE_STYLE_ALIAS)
        return yfail(c, v->mark, DLS_ERR_INVALID, "%s: aliases are not supported for this key", key);
    if (v->style == NOTE_STYLE_BLOCK_MAP || v->style == NOTE_STYLE_FLOW_MAP || v->nested)
        return yfail(c, v->mark, DLS_ERR_INVALID, "%s: expected a list of values", key);
    if (v->text) {
        *n = v->is_null ? 0 : 1;
        *items = v->is_null ? NULL : &v->text;
        *marks = &v->mark;
    } else {
        *n = v->n_items;
        *items = v->items;
        *marks = v->marks;
    }
    return DLS_OK;
}

static int want_int(yp *c, const char *key, yval *v, int lo, int hi, int *out) {
    int rc = want_scalar(c, key, v);
    if (rc) return rc;
    if (v->is_null) return DLS_OK;
    const char *s = v->text;
    size_t      k = strlen(s);
    int         ok = k > 0 && k <= 4;
    for (size_t i = 0; i < k && ok; i++) ok = isdigit((unsigned char)s[i]) || (i == 0 && (s[i] == '+' || s[i] == '-') && k > 1);
    if (!ok) return yfail(c, v->mark, DLS_ERR_INVALID, "%s: expected a whole number %d-%d, found '%.40s'", key, lo, hi, s);
    int x = atoi(s);
    if (x < lo || x > hi) return yfail(c, v->mark, DLS_ERR_INVALID, "%s: %d is out of range %d-%d", key, x, lo, hi);
    *out = x;
    return DLS_OK;
}

static char **copy_list(const note *n, char **items, size_t k, size_t *out_n) {
    char **v = k ? xcalloc(k, sizeof *v) : NULL;
    size_t m = 0;
    for (size_t i = 0; i < k; i++)
        if (*items[i]) v[m++] = display(n, items[i]);
    *out_n = m;
    return v;
}

/* Checks and stores one known key; DLS_OK for unknown keys. */
static int apply_key_(yp *c, const char *key, yval *v, int *known) {
    note  *n = c->n;
    int    rc;
    size_t k;
    char **items;
    yaml_mark_t *marks;
    *known = 1;
    if (!strcmp(key, "title") || !strcmp(key, "category")) {
        if ((rc = want_scalar(c, key, v))) return rc;
        if (v->is_null || !*v->text) return DLS_OK;
        char **dst = key[0] == 't' ? &n->title : &n->category;
        *dst = display(n, v->text);
    } else if (!strcmp(key, "tags") || !strcmp(key, "labs")) {
        if ((rc = want_list(c, key, v, &k, &items, &marks))) return rc;
        if (key[0] == 't') n->tags = copy_list(n, items, k, &n->n_tags);
        else n->labs = copy_list(n, items, k, &n->n_labs);
    } else if (!strcmp(key, "created") || !strcmp(key, "updated")) {
        if ((rc = want_scalar(c, key, v))) return rc;
        if (v->is_null) return DLS_OK;
        if (!date_of(v->text, key[0] == 'c' ? n->created : n->updated))
            return yfail(c, v->mark, DLS_ERR_INVALID, "%s: '%.40s' is not a date (expected YYYY-MM-DD)", key, v->text);
    } else if (!strcmp(key, "mastery")) {
        return want_int(c, key, v, 0, 5, &n->mastery);
    } else if (!strcmp(key, "difficulty")) {
        return want_int(c, key, v, 1, 5, &n->difficulty);
    } else if (!strcmp(key, "status")) {
        if ((rc = want_scalar(c, key, v))) return rc;
        if (v->is_null) return DLS_OK;
        int s = note_status_from_str(v->text);
        if (s < 0)
            return yfail(c, v->mark, DLS_ERR_INVALID, "status: '%.40s' is not one of new, learning, reviewing, mastered", v->text);
        n->status = (note_status)s;
    } else if (!strcmp(key, "review_dates")) {
        if ((rc = want_list(c, key, v, &k, &items, &marks))) return rc;
        n->review_dates = k ? xcalloc(k, sizeof *n->review_dates) : NULL;
        for (size_t i = 0; i < k; i++)
            if (!date_of(items[i], n->review_dates[i]))
                return yfail(c, marks[i], DLS_ERR_INVALID, "review_dates: '%.40s' is not a date (expected YYYY-MM-DD)", items[i]);
        n->n_review_dates = k;
    } else if (!strcmp(key, "related")) {
        if ((rc = want_list(c, key, v, &k, &items, &marks))) return rc;
        n->related = k ? xcalloc(k, sizeof *n->related) : NULL;
        for (size_t i = 0; i < k; i++) {
            if (!*items[i]) continue;
            char *d = display(n, items[i]), *p = norm_rel(d);
            free(d);
            if (!p) {
                note_warn(n, c->line0 + (int)marks[i].line, (int)marks[i].column + 1,
                          "related: '%.80s' leaves the notes folder; ignored", items[i]);
                continue;
            }
            n->related[n->n_related++] = p;
        }
    } else {
        *known = 0;
    }
    return DLS_OK;
}

/* The keys only shown to the reader (title, category, tags, labs, related) are soft:
 * a value of the wrong shape (a list for the title, a map for the tags) is a warning
 * and is ignored, rather than a note skipped. The rest (dates, mastery, difficulty,
 * status, review_dates) feed the schedule and the write-back, so they are errors. */
static int apply_key(yp *c, const char *key, yval *v, int *known) {
    static const char *const soft[] = {"title", "category", "tags", "labs", "related"};
    int is_soft = 0;
    for (size_t i = 0; i < sizeof soft / sizeof *soft; i++) is_soft |= !strcmp(key, soft[i]);
    if (!is_soft) return apply_key_(c, key, v, known);
    dls_error *keep = c->e, scratch = {0};
    c->e   = &scratch;
    int rc = apply_key_(c, key, v, known);
    c->e   = keep;
    if (rc) note_warn(c->n, c->last_line, c->last_col, "%s; ignored", c->last_msg);
    return DLS_OK;
}

static int parse_yaml(note *n, dls_error *e) {
    yp c = {.n = n, .e = e, .base = n->yaml.off, .line0 = note_line_of(n, n->yaml.off)};
    note_hmap seen = {0}; /* key names, for duplicates */
    const unsigned char *y = (const unsigned char *)n->raw + n->yaml.off;
    size_t ylen = n->yaml.len, nonascii = 0;
    if (ylen >= 3 && !memcmp(y, "\xEF\xBB\xBF", 3)) { /* libyaml drops a leading BOM without counting it */
        y += 3;
        ylen -= 3;
        c.base += 3;
    }
    for (size_t i = 0; i < ylen; i++) nonascii += y[i] >= 0x80;
    if (nonascii) { /* character index -> byte offset */
        c.cmap = xmalloc((ylen + 1) * sizeof *c.cmap);
        for (size_t i = 0; i < ylen; i++)
            if ((y[i] & 0xC0) != 0x80) c.cmap[c.nchars++] = i;
        c.cmap[c.nchars] = ylen;
    }
    yaml_parser_initialize(&c.p);
    yaml_parser_set_input_string(&c.p, y, ylen);
    yaml_parser_set_encoding(&c.p, YAML_UTF8_ENCODING);

    yaml_event_t ev;
    int rc = ynext(&c, &ev); /* STREAM_START */
    if (rc) goto done;
    yaml_event_delete(&ev);
    if ((rc = ynext(&c, &ev))) goto done;
    if (ev.type == YAML_STREAM_END_EVENT) { /* empty or only comments */
        yaml_event_delete(&ev);
        goto done;
    }
    yaml_event_delete(&ev); /* DOCUMENT_START */
    if ((rc = ynext(&c, &ev))) goto done;
    if (ev.type == YAML_SCALAR_EVENT && ev.data.scalar.length == 0) {
        yaml_event_delete(&ev);
    } else if (ev.type != YAML_MAPPING_START_EVENT) {
        rc = yfail(&c, ev.start_mark, DLS_ERR_PARSE, "the frontmatter must be a map of `key: value` lines");
        yaml_event_delete(&ev);
        goto done;
    } else {
        yaml_event_delete(&ev);
        for (;;) {
            if ((rc = ynext(&c, &ev))) goto done;
            if (ev.type == YAML_MAPPING_END_EVENT) {
                yaml_event_delete(&ev);
                break;
            }
            if (ev.type != YAML_SCALAR_EVENT) {
                rc = yfail(&c, ev.start_mark, DLS_ERR_PARSE, "keys must be plain text");
                yaml_event_delete(&ev);
                goto done;
            }
            note_key k = {0};
            k.name   = xstrndup((const char *)ev.data.scalar.value, ev.data.scalar.length);
            k.key    = (note_span){yoff(&c, ev.start_mark), yoff(&c, ev.end_mark) - yoff(&c, ev.start_mark)};
            k.line   = c.line0 + (int)ev.start_mark.line;
            k.column = (int)ev.start_mark.column + 1;
            yaml_mark_t km = ev.start_mark;
            yaml_event_delete(&ev);
            size_t first;
            if (note_hmap_add(&seen, dls_fnv1a64(k.name, strlen(k.name)), n->n_keys, &first) &&
                !strcmp(n->keys[first].name, k.name)) {
                rc = yfail(&c, km, DLS_ERR_PARSE, "duplicate key '%s' (first on line %d)", k.name, n->keys[first].line);
                free(k.name);
                goto done;
            }
            yval v;
            if ((rc = ynext(&c, &ev))) {
                free(k.name);
                goto done;
            }
            if ((rc = read_value(&c, &ev, &v))) {
                yval_free(&v);
                free(k.name);
                goto done;
            }
            k.value   = (note_span){v.start, v.end - v.start};
            k.style   = v.style;
            rc = apply_key(&c, k.name, &v, &k.known);
            k.items   = v.items; /* the key keeps the item texts and spans */
            k.item_spans = v.spans;
            k.n_items = v.n_items;
            v.items   = NULL;
            v.spans   = NULL;
            v.n_items = 0;
            yval_free(&v);
            n->keys = note_grow(n->keys, n->n_keys, sizeof *n->keys);
            n->keys[n->n_keys++] = k;
            if (rc) goto done;
        }
    }
    if ((rc = ynext(&c, &ev))) goto done; /* DOCUMENT_END */
    yaml_event_delete(&ev);
    if ((rc = ynext(&c, &ev))) goto done;
    if (ev.type != YAML_STREAM_END_EVENT)
        rc = yfail(&c, ev.start_mark, DLS_ERR_PARSE, "more than one YAML document in the frontmatter");
    yaml_event_delete(&ev);
done:
    yaml_parser_delete(&c.p);
    free(c.cmap);
    note_hmap_free(&seen);
    return rc;
}

/* ---- the whole note ------------------------------------------------------------------ */

/* Line:column (1-based, column in characters) of a byte offset, for file-level errors.
 * Lines are counted as note_line_of counts them (a lone \r ends one too), so these
 * errors agree with the YAML and body positions of the same file. */
static void line_col(const note *n, size_t off, int *line, int *col) {
    *line     = note_line_of(n, off);
    size_t ls = off;
    while (ls > 0 && n->raw[ls - 1] != '\n' && n->raw[ls - 1] != '\r') ls--;
    *col = 1;
    for (size_t i = ls; i < off; i++) *col += ((unsigned char)n->raw[i] & 0xC0) != 0x80;
}

/* Length of the line starting at off if it is a fence (`---`, or `...` when closing
 * is set) with optional trailing blanks, including its line break; 0 otherwise. */
static size_t fence_at(const note *n, size_t off, int closing) {
    const char *s = n->raw + off;
    size_t      left = n->raw_len - off;
    if (left < 3 || !(memcmp(s, "---", 3) == 0 || (closing && memcmp(s, "...", 3) == 0))) return 0;
    size_t i = 3;
    while (i < left && (s[i] == ' ' || s[i] == '\t')) i++;
    if (i < left && s[i] == '\r' && i + 1 < left && s[i + 1] == '\n') return i + 2;
    if (i < left && s[i] == '\n') return i + 1;
    if (i == left) return i;
    return 0;
}

static void file_name_title(note *n) {
    const char *b = strrchr(n->path, '/');
    b = b ? b + 1 : n->path;
    size_t k = strlen(b);
    if (k > 3 && !strcmp(b + k - 3, ".md")) k -= 3;
    n->title = xstrndup(b, k);
    n->title_src = NOTE_TITLE_FILENAME;
}

static int parse_all(note *n, dls_error *e) {
    int line, col;
    const unsigned char *u = (const unsigned char *)n->raw;
    if (n->raw_len >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF)))
        return dls_fail(e, DLS_ERR_INVALID, "%s:1:1: UTF-16 text; save the note as UTF-8", n->path);
    const char *nul = memchr(n->raw, 0, n->raw_len);
    if (nul) {
        line_col(n, (size_t)(nul - n->raw), &line, &col);
        return dls_fail(e, DLS_ERR_INVALID, "%s:%d:%d: binary file (NUL byte), not a text note", n->path, line, col);
    }
    size_t bad = note_utf8_invalid_at(n->raw, n->raw_len);
    if (bad < n->raw_len) {
        line_col(n, bad, &line, &col);
        return dls_fail(e, DLS_ERR_INVALID, "%s:%d:%d: not valid UTF-8 (byte 0x%02X): a binary file or another encoding",
                        n->path, line, col, u[bad]);
    }
    size_t p = 0;
    if (n->raw_len >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF) {
        n->has_bom = 3;
    } else if (n->raw_len >= 6 && !memcmp(u, "\xC3\xAF\xC2\xBB\xC2\xBF", 6)) {
        n->has_bom = 6; /* "ï»¿": a BOM that went through the double encoding too */
    }
    p = (size_t)n->has_bom;
    size_t crlf = 0, lf = 0;
    for (const char *s = n->raw; (s = memchr(s, '\n', n->raw_len - (size_t)(s - n->raw))); s++) {
        if (s > n->raw && s[-1] == '\r') crlf++;
        else lf++;
    }
    n->eol = crlf && lf ? NOTE_EOL_MIXED : crlf ? NOTE_EOL_CRLF : lf ? NOTE_EOL_LF : NOTE_EOL_NONE;
    if (n->eol == NOTE_EOL_MIXED)
        note_warn(n, 0, 0, "mixed line endings (%zu CRLF, %zu LF); write-back keeps each line's own", crlf, lf);
    if (note_looks_double_encoded(n->raw, n->raw_len)) {
        n->double_encoded = 1;
        char  *tmp;
        size_t tl;
        note_repair_double_encoding(n->raw, n->raw_len, &tmp, &tl, &n->unrecoverable);
        free(tmp);
        note_warn(n, 0, 0,
                  "looks double-encoded (UTF-8 read as Windows-1252 and saved again); shown repaired, "
                  "%zu sequence(s) cannot be restored; `dlstudy note repair` can fix the file",
                  n->unrecoverable);
    }

    /* Frontmatter: a `---` first line, up to the next `---` or `...` line. */
    size_t open = fence_at(n, p, 0);
    n->body_off = p;
    if (open) {
        size_t q = p + open, close = 0;
        while (q < n->raw_len) {
            if ((close = fence_at(n, q, 1))) break;
            const char *nl = memchr(n->raw + q, '\n', n->raw_len - q);
            q = nl ? (size_t)(nl - n->raw) + 1 : n->raw_len;
        }
        if (!close)
            return dls_fail(e, DLS_ERR_PARSE, "%s:1:1: the frontmatter starting here has no closing `---` line",
                            n->path);
        n->has_frontmatter = 1;
        n->yaml     = (note_span){p + open, q - (p + open)};
        n->fm_end   = q + close;
        n->body_off = n->fm_end;
        int rc = parse_yaml(n, e);
        if (rc) return rc;
    }
    n->body_line = note_line_of(n, n->body_off);
    if (n->double_encoded) {
        char  *rep;
        size_t rl;
        note_repair_double_encoding(n->raw + n->body_off, n->raw_len - n->body_off, &rep, &rl, NULL);
        n->body     = rep;
        n->body_len = rl;
    } else {
        n->body     = n->raw + n->body_off;
        n->body_len = n->raw_len - n->body_off;
    }

    char *h1 = note_body_parse(n);
    if (!n->title && h1 && *h1) {
        n->title     = h1;
        n->title_src = NOTE_TITLE_HEADING;
        h1 = NULL;
    }
    free(h1);
    if (!n->title) file_name_title(n);
    const char *parts[3] = {"note", n->title, n->created};
    note_hash_id(n->key, parts, 3);
    note_body_ids(n);
    note_body_fingerprint(n);
    return DLS_OK;
}

static note *note_alloc(const char *path) {
    note *n = xcalloc(1, sizeof *n);
    n->path       = xstrdup(path);
    n->mastery    = -1;
    n->difficulty = 0;
    return n;
}

int note_parse(const char *bytes, size_t len, const char *path, note **out, dls_error *e) {
    if (len > NOTE_MAX_BYTES)
        return dls_fail(e, DLS_ERR_INVALID, "%s: %zu bytes is over the %zu-byte limit for a note", path, len,
                        NOTE_MAX_BYTES);
    note *n = note_alloc(path);
    n->raw = xmalloc(len + 1);
    if (len) memcpy(n->raw, bytes, len);
    n->raw[len] = 0;
    n->raw_len  = len;
    n->id.size  = (int64_t)len;
    dls_sha256_hex(n->raw, len, n->id.sha256);
    int rc = parse_all(n, e);
    if (rc) {
        note_free(n);
        return rc;
    }
    *out = n;
    return DLS_OK;
}

/* The path relative to root: lexically when file is under root as written, else from
 * the resolved paths. */
static char *rel_path(const char *file, const char *root, const char *rfile, const char *rroot) {
    size_t rl = strlen(root);
    while (rl > 1 && root[rl - 1] == '/') rl--;
    if (!strncmp(file, root, rl) && file[rl] == '/') {
        const char *r = file + rl;
        while (*r == '/' || (r[0] == '.' && r[1] == '/')) r += r[0] == '/' ? 1 : 2;
        if (*r) return xstrdup(r);
    }
    size_t k = strlen(rroot);
    return xstrdup(rfile + k + (rfile[k] == '/'));
}

int note_load(const char *file, const char *root_dir, note **out, dls_error *e) {
    char *rel;
    if (root_dir) {
        char rroot[PATH_MAX], rfile[PATH_MAX];
        if (!realpath(root_dir, rroot)) return dls_fail(e, DLS_ERR_IO, "%s: %s", root_dir, strerror(errno));
        if (!realpath(file, rfile)) return dls_fail(e, DLS_ERR_IO, "%s: %s", file, strerror(errno));
        size_t k = strlen(rroot);
        if (!(strncmp(rfile, rroot, k) == 0 && (rfile[k] == '/' || (k == 1 && rfile[1]))))
            return dls_fail(e, DLS_ERR_INVALID, "%s: leaves the notes folder (it resolves to %s); not read", file, rfile);
        rel = rel_path(file, root_dir, rfile, k == 1 ? "" : rroot);
    } else {
        rel = xstrdup(file);
    }
    int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        int rc = dls_fail(e, DLS_ERR_IO, "%s: %s", rel, strerror(errno));
        free(rel);
        return rc;
    }
    struct stat st;
    int rc = DLS_OK;
    note *n = NULL;
    if (fstat(fd, &st) != 0) {
        rc = dls_fail(e, DLS_ERR_IO, "%s: %s", rel, strerror(errno));
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = dls_fail(e, DLS_ERR_INVALID, "%s: not a regular file", rel);
        goto fail;
    }
    if ((uint64_t)st.st_size > NOTE_MAX_BYTES) {
        rc = dls_fail(e, DLS_ERR_INVALID, "%s: %lld bytes is over the %zu-byte limit for a note", rel,
                      (long long)st.st_size, NOTE_MAX_BYTES);
        goto fail;
    }
    n = note_alloc(rel);
    size_t cap = (size_t)st.st_size, len = 0;
    n->raw = xmalloc(cap + 1);
    for (;;) { /* a file may grow while read: read to EOF, within the limit */
        if (len == cap) {
            if (len > NOTE_MAX_BYTES) {
                rc = dls_fail(e, DLS_ERR_INVALID, "%s: over the %zu-byte limit for a note", rel, NOTE_MAX_BYTES);
                goto fail;
            }
            /* at most one byte over the limit, so a file that grew past it is refused
             * above rather than read whole */
            cap = cap * 2 + 4096;
            if (cap > NOTE_MAX_BYTES + 1) cap = NOTE_MAX_BYTES + 1;
            n->raw = xrealloc(n->raw, cap + 1);
        }
        ssize_t r = read(fd, n->raw + len, cap - len);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            rc = dls_fail(e, DLS_ERR_IO, "%s: %s", rel, strerror(errno));
            goto fail;
        }
        if (r == 0) break;
        len += (size_t)r;
    }
    n->raw[len]    = 0;
    n->raw_len     = len;
    n->file        = xstrdup(file);
    n->id.size     = (int64_t)len;
    n->id.mtime_ns = note_mtime_ns(&st);
    dls_sha256_hex(n->raw, len, n->id.sha256);
    close(fd);
    fd = -1;
    if ((rc = parse_all(n, e))) goto fail;
    free(rel);
    *out = n;
    return DLS_OK;
fail:
    if (fd >= 0) close(fd);
    note_free(n);
    free(rel);
    return rc;
}
