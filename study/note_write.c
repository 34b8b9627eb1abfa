/* note_write.c: the write-back of the four frontmatter keys dlstudy owns (mastery,
 * status, updated, review_dates). The new bytes are the original bytes with a few
 * sorted splices (value spans from note_parse.c), so everything else (key order,
 * comments, quoting, list style, line endings, BOM, body) stays byte for byte; then an
 * atomic replace of the file. Not here: deciding the values (the scheduler does).
 *
 * Block lists are edited item by item: a review that adds one date inserts one line
 * after the last item, in that item's own prefix ("  - ") and line ending, so comments
 * between items survive. A list that shrinks loses the dropped items' lines. A flow
 * list stays a flow list. An absent or empty review_dates becomes a block list, one
 * date a line as in the user's format, indented like the note's other block lists.
 * Every result is read back and checked (verify) before anyone may write it. */
#include "study/note_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct edit {
    size_t off, len; /* bytes of raw replaced */
    char  *text;     /* owned */
} edit;

typedef struct edits {
    edit  *v;
    size_t n;
} edits;

static void add_edit(edits *E, size_t off, size_t len, char *text) {
    E->v = note_grow(E->v, E->n, sizeof *E->v);
    E->v[E->n++] = (edit){off, len, text};
}

static const note_key *find_key(const note *n, const char *name) {
    for (size_t i = 0; i < n->n_keys; i++)
        if (!strcmp(n->keys[i].name, name)) return &n->keys[i];
    return NULL;
}

/* The line ending used by the frontmatter: that of the opening `---` line. */
static const char *fm_eol(const note *n) {
    if (n->has_frontmatter) {
        size_t o = n->yaml.off;
        return o >= 2 && n->raw[o - 2] == '\r' ? "\r\n" : "\n";
    }
    return n->eol == NOTE_EOL_CRLF ? "\r\n" : "\n";
}

/* The line ending of the line holding offset off ("" at the end of the file); a lone CR
 * counts as a line break, as it does for libyaml. */
static const char *eol_at(const note *n, size_t off, size_t *line_end) {
    for (size_t i = off; i < n->raw_len; i++) {
        if (n->raw[i] == '\n') {
            *line_end = i;
            return "\n";
        }
        if (n->raw[i] == '\r') {
            *line_end = i;
            return i + 1 < n->raw_len && n->raw[i + 1] == '\n' ? "\r\n" : "\r";
        }
    }
    *line_end = n->raw_len;
    return "";
}

static size_t line_start(const note *n, size_t off) {
    while (off > 0 && n->raw[off - 1] != '\n' && n->raw[off - 1] != '\r') off--;
    return off;
}

static char quote_of(const note *n, note_span s) {
    char c = s.len ? n->raw[s.off] : 0;
    return c == '\'' || c == '"' ? c : 0;
}

static char *quoted(const char *v, char q) {
    return q ? xasprintf("%c%s%c", q, v, q) : xstrdup(v);
}

/* Refuses values dlstudy cannot rewrite without changing their meaning. */
static int check_rewritable(const note *n, const note_key *k, dls_error *e) {
    char c = k->value.len ? n->raw[k->value.off] : 0;
    if (k->style == NOTE_STYLE_ALIAS || c == '&' || c == '!' || k->style == NOTE_STYLE_LITERAL ||
        k->style == NOTE_STYLE_FOLDED || k->style == NOTE_STYLE_BLOCK_MAP || k->style == NOTE_STYLE_FLOW_MAP)
        return dls_fail(e, DLS_ERR_INVALID, "%s:%d:%d: %s: this value (anchor, alias, tag, block text or map) is "
                        "not rewritten by dlstudy; make it a plain value", n->path, k->line, k->column, k->name);
    return DLS_OK;
}

/* A scalar key: replace its value, keeping its quotes. */
static int set_scalar(const note *n, edits *E, const note_key *k, const char *val, dls_error *e) {
    int rc = check_rewritable(n, k, e);
    if (rc) return rc;
    if (k->style == NOTE_STYLE_EMPTY) {
        add_edit(E, k->value.off, 0, xasprintf(" %s", val));
    } else if (k->style == NOTE_STYLE_BLOCK_SEQ || k->style == NOTE_STYLE_FLOW_SEQ) {
        return dls_fail(e, DLS_ERR_INVALID, "%s:%d:%d: %s: a list where one value belongs", n->path, k->line,
                        k->column, k->name);
    } else {
        add_edit(E, k->value.off, k->value.len, quoted(val, quote_of(n, k->value)));
    }
    return DLS_OK;
}

/* "[a, b]" in the style of an existing flow list (its separator, padding, quotes). */
static char *flow_list(const note *n, const note_key *k, const char *const *v, size_t m) {
    const char *sep = ", ", *pad = "";
    char        q = 0;
    if (k && k->style == NOTE_STYLE_FLOW_SEQ) {
        if (k->value.len > 2 && n->raw[k->value.off + 1] == ' ') pad = " ";
        if (k->n_items >= 2) {
            size_t a = k->item_spans[0].off + k->item_spans[0].len, b = k->item_spans[1].off;
            if (b > a && n->raw[a] == ',' && b == a + 1) sep = ",";
        }
        if (k->n_items) q = quote_of(n, k->item_spans[0]);
    }
    dls_buf b;
    dls_buf_init(&b);
    dls_buf_printf(&b, "[%s", m ? pad : "");
    for (size_t i = 0; i < m; i++) {
        char *t = quoted(v[i], q);
        dls_buf_printf(&b, "%s%s", i ? sep : "", t);
        free(t);
    }
    dls_buf_printf(&b, "%s]", m ? pad : "");
    return dls_buf_take(&b);
}

/* What precedes the top-level keys on their lines (usually nothing). */
static char *key_indent(const note *n) {
    if (!n->n_keys) return xstrdup("");
    size_t s = n->keys[n->n_keys - 1].key.off, ls = line_start(n, s);
    for (size_t i = ls; i < s; i++)
        if (n->raw[i] != ' ') return xstrdup(""); /* e.g. a BOM before the first key */
    return xstrndup(n->raw + ls, s - ls);
}

/* The text before a list item on its line, when it is a plain "  - " (spaces, a dash,
 * blanks); NULL otherwise (an empty item, an item on the line after its dash, ...). */
static char *item_prefix(const note *n, note_span item) {
    if (!item.len) return NULL;
    size_t ls = line_start(n, item.off), i = ls;
    while (i < item.off && n->raw[i] == ' ') i++;
    if (i == item.off || n->raw[i++] != '-' || i == item.off) return NULL;
    while (i < item.off && (n->raw[i] == ' ' || n->raw[i] == '\t')) i++;
    return i == item.off ? xstrndup(n->raw + ls, item.off - ls) : NULL;
}

/* The "  - " prefix of block list items in this note, default two spaces in from the keys. */
static char *block_prefix(const note *n) {
    for (size_t i = 0; i < n->n_keys; i++) {
        const note_key *k = &n->keys[i];
        char *p = k->style == NOTE_STYLE_BLOCK_SEQ && k->n_items ? item_prefix(n, k->item_spans[0]) : NULL;
        if (p) return p;
    }
    char *ind = key_indent(n), *p = xasprintf("%s  - ", ind);
    free(ind);
    return p;
}

static char *block_items(const char *prefix, const char *eol, const char *const *v, size_t m, char q) {
    dls_buf b;
    dls_buf_init(&b);
    for (size_t i = 0; i < m; i++) {
        char *t = quoted(v[i], q);
        dls_buf_printf(&b, "%s%s%s", eol, prefix, t);
        free(t);
    }
    return dls_buf_take(&b);
}

/* 1 when the note's review dates are exactly v[0..k). */
static int same_dates(const note *m, const char *const *v, size_t k) {
    if (m->n_review_dates != k) return 0;
    for (size_t i = 0; i < k; i++)
        if (strcmp(m->review_dates[i], v[i])) return 0;
    return 1;
}

static int set_dates(const note *n, edits *E, const note_key *k, const char *const *v, size_t m, dls_error *e) {
    int rc = check_rewritable(n, k, e);
    if (rc) return rc;
    /* Unchanged list: nothing to do (even if written in another style). */
    if (same_dates(n, v, m)) return DLS_OK;
    if (k->style == NOTE_STYLE_EMPTY) {
        if (!m) return DLS_OK;
        size_t le;
        const char *eol = eol_at(n, k->value.off, &le);
        char *pre = block_prefix(n);
        add_edit(E, le, 0, block_items(pre, *eol ? eol : fm_eol(n), v, m, 0));
        free(pre);
        return DLS_OK;
    }
    if (k->style != NOTE_STYLE_BLOCK_SEQ || !m || !k->n_items) {
        /* Flow list, a single scalar, or emptied: the whole value becomes a flow list. */
        if (k->style == NOTE_STYLE_BLOCK_SEQ) { /* from just after the colon */
            size_t c = k->key.off + k->key.len;
            while (c < k->value.off && n->raw[c] != ':') c++;
            add_edit(E, c + 1, k->value.off + k->value.len - (c + 1), xasprintf(" %s", "[]"));
        } else {
            add_edit(E, k->value.off, k->value.len, flow_list(n, k, v, m));
        }
        return DLS_OK;
    }
    /* Block list: splice item by item. */
    size_t keep = m < k->n_items ? m : k->n_items;
    for (size_t i = 0; i < keep; i++) {
        note_span s = k->item_spans[i];
        if (i < n->n_review_dates && !strcmp(v[i], n->review_dates[i])) continue;
        add_edit(E, s.off, s.len, quoted(v[i], quote_of(n, s)));
    }
    note_span last = k->item_spans[k->n_items - 1];
    if (m > k->n_items) {
        size_t      le;
        const char *eol = eol_at(n, last.off + last.len, &le); /* the line where it ends */
        char       *pre = item_prefix(n, last);
        if (!pre) pre = block_prefix(n);
        add_edit(E, le, 0, block_items(pre, *eol ? eol : fm_eol(n), v + k->n_items, m - k->n_items, quote_of(n, last)));
        free(pre);
    } else if (m < k->n_items) { /* drop the lines of items m.. (to the end of the last one's line) */
        note_span   prev = k->item_spans[m - 1];
        size_t      a, b;
        eol_at(n, prev.off + prev.len, &a);
        eol_at(n, last.off + last.len, &b);
        add_edit(E, a, b - a, xstrdup(""));
    }
    return DLS_OK;
}

static int cmp_edit(const void *a, const void *b) {
    const edit *x = a, *y = b;
    return x->off < y->off ? -1 : x->off > y->off;
}

static int check_owned(const note *n, const note_owned *o, dls_error *e) {
    if (o->mastery < -1 || o->mastery > 5)
        return dls_fail(e, DLS_ERR_INVALID, "%s: mastery %d is out of range 0-5", n->path, o->mastery);
    if ((int)o->status < 0 || o->status > NOTE_STATUS_MASTERED)
        return dls_fail(e, DLS_ERR_INVALID, "%s: invalid status %d", n->path, (int)o->status);
    if (o->updated && !note_date_valid(o->updated))
        return dls_fail(e, DLS_ERR_INVALID, "%s: updated '%s' is not a date (YYYY-MM-DD)", n->path, o->updated);
    for (size_t i = 0; o->review_dates && i < o->n_review_dates; i++)
        if (!note_date_valid(o->review_dates[i]))
            return dls_fail(e, DLS_ERR_INVALID, "%s: review date '%s' is not a date (YYYY-MM-DD)", n->path,
                            o->review_dates[i] ? o->review_dates[i] : "(null)");
    return DLS_OK;
}

/* 1 when the frontmatter is one flow map ({a: 1, b: 2}): keys cannot be appended. */
static int flow_frontmatter(const note *n) {
    const char *s = n->raw + n->yaml.off, *end = s + n->yaml.len;
    while (s < end) {
        if (*s == '#') {
            while (s < end && *s != '\n') s++;
        } else if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') {
            s++;
        } else {
            return *s == '{';
        }
    }
    return 0;
}

static int is_owned(const char *k) {
    return !strcmp(k, "mastery") || !strcmp(k, "status") || !strcmp(k, "updated") || !strcmp(k, "review_dates");
}

/* The safety net: the new bytes are read back, and must hold exactly the asked values,
 * every other key with the same bytes in the same order, and the same body. Whatever
 * the splicer got wrong is refused here instead of being written. */
static int verify(const note *n, const note_owned *o, const char *out, size_t len, dls_error *e) {
    note     *m = NULL;
    dls_error pe = {0};
    if (note_parse(out, len, n->path, &m, &pe) != DLS_OK)
        return dls_fail(e, DLS_ERR_INVALID, "%s: the written note would not read back (%s); not written", n->path,
                        pe.msg);
    int ok = m->mastery == (o->mastery >= 0 ? o->mastery : n->mastery) &&
             m->status == (o->status != NOTE_STATUS_NONE ? o->status : n->status) &&
             !strcmp(m->updated, o->updated ? o->updated : n->updated) && m->has_bom == n->has_bom &&
             m->raw_len - m->body_off == n->raw_len - n->body_off &&
             !memcmp(m->raw + m->body_off, n->raw + n->body_off, n->raw_len - n->body_off);
    if (ok && o->review_dates) ok = same_dates(m, o->review_dates, o->n_review_dates);
    if (ok && !o->review_dates) { /* kept: the same dates as before */
        ok = m->n_review_dates == n->n_review_dates;
        for (size_t i = 0; ok && i < n->n_review_dates; i++)
            ok = !strcmp(m->review_dates[i], n->review_dates[i]);
    }
    for (size_t i = 0, j = 0; ok && i < n->n_keys; i++) {
        if (is_owned(n->keys[i].name)) continue;
        while (j < m->n_keys && is_owned(m->keys[j].name)) j++;
        const note_key *a = &n->keys[i], *b = j < m->n_keys ? &m->keys[j++] : NULL;
        ok = b && !strcmp(a->name, b->name) && a->value.len == b->value.len &&
             !memcmp(n->raw + a->value.off, m->raw + b->value.off, a->value.len);
    }
    note_free(m);
    if (!ok)
        return dls_fail(e, DLS_ERR_INVALID, "%s: the write-back would change more than the owned keys; not written",
                        n->path);
    return DLS_OK;
}

int note_render_owned(const note *n, const note_owned *o, char **out, size_t *out_len, dls_error *e) {
    int rc = check_owned(n, o, e);
    if (rc) return rc;
    edits       E = {0};
    const char *eol = fm_eol(n);
    char        num[16];
    dls_buf     add; /* keys appended at the end of the frontmatter */
    dls_buf_init(&add);
    char       *ind = key_indent(n); /* appended keys line up with the others */
    static const char *const order[4] = {"updated", "mastery", "review_dates", "status"};
    for (int i = 0; i < 4 && !rc; i++) {
        const char *name = order[i];
        const char *val  = NULL;
        if (i == 0 && o->updated) {
            if (find_key(n, name) && !strcmp(n->updated, o->updated)) continue;
            val = o->updated;
        } else if (i == 1 && o->mastery >= 0) {
            if (find_key(n, name) && n->mastery == o->mastery) continue;
            snprintf(num, sizeof num, "%d", o->mastery);
            val = num;
        } else if (i == 3 && o->status != NOTE_STATUS_NONE) {
            if (find_key(n, name) && n->status == o->status) continue;
            val = note_status_str(o->status);
        } else if (i != 2 || !o->review_dates) {
            continue;
        }
        const note_key *k = find_key(n, name);
        if (i == 2) {
            if (k) {
                rc = set_dates(n, &E, k, o->review_dates, o->n_review_dates, e);
            } else if (o->n_review_dates) {
                char *pre = block_prefix(n), *items = block_items(pre, eol, o->review_dates, o->n_review_dates, 0);
                dls_buf_printf(&add, "%sreview_dates:%s%s", ind, items, eol);
                free(pre);
                free(items);
            } else {
                char *fl = flow_list(n, NULL, o->review_dates, o->n_review_dates);
                dls_buf_printf(&add, "%sreview_dates: %s%s", ind, fl, eol);
                free(fl);
            }
        } else if (k) {
            rc = set_scalar(n, &E, k, val, e);
        } else {
            dls_buf_printf(&add, "%s%s: %s%s", ind, name, val, eol);
        }
    }
    if (rc) goto done;
    if (add.len && n->has_frontmatter && flow_frontmatter(n)) {
        rc = dls_fail(e, DLS_ERR_INVALID, "%s: the frontmatter is one {flow map}; dlstudy cannot add keys to it, "
                      "write it as `key: value` lines", n->path);
        goto done;
    }
    if (add.len) {
        if (n->has_frontmatter) {
            add_edit(&E, n->yaml.off + n->yaml.len, 0, dls_buf_take(&add));
        } else { /* the only case where dlstudy adds a frontmatter */
            char *fm = xasprintf("---%s%s---%s", eol, add.data, eol);
            add_edit(&E, (size_t)n->has_bom, 0, fm);
        }
    }
    if (E.n) qsort(E.v, E.n, sizeof *E.v, cmp_edit);
    dls_buf b;
    dls_buf_init(&b);
    size_t at = 0;
    for (size_t i = 0; i < E.n; i++) {
        if (E.v[i].off < at) { /* overlapping edits: a layout this splicer does not handle */
            dls_buf_deinit(&b);
            rc = dls_fail(e, DLS_ERR_INVALID, "%s: the owned keys' layout is too unusual to rewrite safely", n->path);
            goto done;
        }
        dls_buf_append(&b, n->raw + at, E.v[i].off - at);
        dls_buf_puts(&b, E.v[i].text);
        at = E.v[i].off + E.v[i].len;
    }
    dls_buf_append(&b, n->raw + at, n->raw_len - at);
    if ((rc = verify(n, o, b.data, b.len, e)) != DLS_OK) {
        dls_buf_deinit(&b);
        goto done;
    }
    *out_len = b.len;
    *out     = dls_buf_take(&b);
done:
    for (size_t i = 0; i < E.n; i++) free(E.v[i].text);
    free(E.v);
    dls_buf_deinit(&add);
    free(ind);
    return rc;
}

/* ---- atomic write ------------------------------------------------------------------- */

static int fail_stage, fail_errno;

void note_write_fail_next(int stage, int err) {
    fail_stage = stage;
    fail_errno = err;
}

static int injected(int stage) {
    if (fail_stage != stage) return 0;
    fail_stage = 0;
    errno      = fail_errno;
    return 1;
}

/* DLS_OK when the file still has the identity recorded when it was read. */
static int same_on_disk(const char *name, const note_file_id *expect, const char *file, struct stat *st,
                        dls_error *e) {
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return dls_fail(e, DLS_ERR_IO, "%s: %s; not written", name, strerror(errno));
    int rc = DLS_OK;
    if (fstat(fd, st) != 0) {
        rc = dls_fail(e, DLS_ERR_IO, "%s: %s; not written", name, strerror(errno));
    } else if ((int64_t)st->st_size != expect->size || (expect->mtime_ns && note_mtime_ns(st) != expect->mtime_ns)) {
        rc = DLS_ERR_CHANGED;
    } else { /* same size and time: compare the bytes too (an edit within the same tick) */
        dls_sha256 h;
        dls_sha256_init(&h);
        char    buf[65536];
        ssize_t r;
        while ((r = read(fd, buf, sizeof buf)) > 0) dls_sha256_update(&h, buf, (size_t)r);
        uint8_t d[32];
        char    hex[65];
        dls_sha256_final(&h, d);
        dls_hex(d, 32, hex);
        if (r < 0) rc = dls_fail(e, DLS_ERR_IO, "%s: %s; not written", name, strerror(errno));
        else if (strcmp(hex, expect->sha256)) rc = DLS_ERR_CHANGED;
    }
    close(fd);
    if (rc == DLS_ERR_CHANGED)
        dls_fail(e, rc, "%s: changed on disk since it was read; not written (sync again first)", name);
    return rc;
}

int note_replace_file(const char *file, const char *name, const note_file_id *expect, const char *out,
                      size_t len, note_file_id *new_id, dls_error *e) {
    int rc = DLS_OK;
    char target[PATH_MAX], tmp[PATH_MAX + 32];
    int  fd = -1;
    tmp[0]  = 0;
    struct stat st;
    /* Write through a symlink to its target, so the link stays a link. */
    if (!realpath(file, target)) {
        rc = dls_fail(e, DLS_ERR_IO, "%s: %s; not written", name, strerror(errno));
        goto fail;
    }
    if ((rc = same_on_disk(name, expect, target, &st, e))) goto fail;
    const char *slash = strrchr(target, '/');
    snprintf(tmp, sizeof tmp, "%.*s/.%s.dlstudy-XXXXXX", (int)(slash - target), target, slash + 1);
    fd = mkstemp(tmp);
    if (fd < 0) {
        tmp[0] = 0;
        rc = dls_fail(e, DLS_ERR_IO, "%s: cannot create a temporary file beside it: %s; not written", name,
                      strerror(errno));
        goto fail;
    }
    (void)fchmod(fd, st.st_mode & 07777);
    if (fchown(fd, st.st_uid, st.st_gid) != 0) { /* not permitted for others' files: keep ours */ }
    for (size_t done = 0; done < len;) {
        ssize_t w = injected(1) ? -1 : write(fd, out + done, len - done);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) {
            rc = dls_fail(e, DLS_ERR_IO, "%s: writing failed: %s; the note is unchanged", name, strerror(errno));
            goto fail;
        }
        done += (size_t)w;
    }
    if (injected(2) || fsync(fd) != 0) {
        rc = dls_fail(e, DLS_ERR_IO, "%s: fsync failed: %s; the note is unchanged", name, strerror(errno));
        goto fail;
    }
    if (close(fd) != 0) {
        fd = -1;
        rc = dls_fail(e, DLS_ERR_IO, "%s: writing failed: %s; the note is unchanged", name, strerror(errno));
        goto fail;
    }
    fd = -1;
    /* Checked again right before the rename: an editor may have saved meanwhile. */
    if ((rc = same_on_disk(name, expect, target, &st, e))) goto fail;
    if (injected(3) || rename(tmp, target) != 0) {
        rc = dls_fail(e, DLS_ERR_IO, "%s: replacing the file failed: %s; the note is unchanged", name,
                      strerror(errno));
        goto fail;
    }
    tmp[0] = 0;
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - target) ? (int)(slash - target) : 1, target);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) { /* make the rename durable; some file systems refuse fsync on dirs */
        (void)fsync(dfd);
        close(dfd);
    }
    if (new_id) {
        struct stat ns;
        memset(new_id, 0, sizeof *new_id);
        if (stat(target, &ns) == 0) {
            new_id->size     = (int64_t)ns.st_size;
            new_id->mtime_ns = note_mtime_ns(&ns);
        }
        dls_sha256_hex(out, len, new_id->sha256);
    }
    return DLS_OK;
fail:
    if (fd >= 0) close(fd);
    if (tmp[0]) unlink(tmp);
    return rc;
}

/* Replaces n->file with out (taking ownership of it) atomically; see note_write_owned. */
static int write_atomic(const note *n, char *out, size_t len, note_file_id *new_id, dls_error *e) {
    int rc = DLS_OK;
    if (len == n->raw_len && !memcmp(out, n->raw, len)) { /* nothing changes: leave the file alone */
        if (new_id) *new_id = n->id;
    } else {
        rc = note_replace_file(n->file, n->path, &n->id, out, len, new_id, e);
    }
    free(out);
    return rc;
}

int note_write_owned(const note *n, const note_owned *o, note_file_id *new_id, dls_error *e) {
    if (!n->file) return dls_fail(e, DLS_ERR_INVALID, "%s: not read from a file; nothing to write", n->path);
    char  *out;
    size_t len;
    int    rc = note_render_owned(n, o, &out, &len, e);
    if (rc) return rc;
    return write_atomic(n, out, len, new_id, e);
}

int note_repair_file(const note *n, size_t *unrecoverable, note_file_id *new_id, dls_error *e) {
    if (!n->file) return dls_fail(e, DLS_ERR_INVALID, "%s: not read from a file; nothing to write", n->path);
    if (!n->double_encoded)
        return dls_fail(e, DLS_ERR_INVALID, "%s: does not look double-encoded; left as it is", n->path);
    char  *out;
    size_t len, lost;
    note_repair_double_encoding(n->raw, n->raw_len, &out, &len, &lost);
    if (unrecoverable) *unrecoverable = lost;
    return write_atomic(n, out, len, new_id, e);
}
