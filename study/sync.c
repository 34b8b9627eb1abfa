/* sync.c: the notes folder -> the store (see sync.h for the rules). Reads the known notes
 * into memory (a few hundred bytes each), walks the folder, skips unchanged files by size
 * and mtime, parses the rest one at a time (so memory stays flat with 10,000 notes), and
 * matches each parsed note to a known one.
 *
 * Matching is decided at once when it is unambiguous (the key's row has this path: a
 * change in place; nothing known by key, fingerprint or path: a new note), which is every
 * note of a cold sync and of a daily edit. Only the rest (moves, renames, retitled notes,
 * copies) wait until every unambiguous file has claimed its row, and are then parsed
 * again and matched with the whole picture.
 *
 * Imported review_dates (a note seen for the first time): the dates carry no ratings, so
 * the memory state is estimated the way FSRS.md 1.9 suggests for external schedules:
 * the card is in Review, reps = number of past dates, last review = the last past date,
 * due = the next unpassed date (or last date + I(r, S)), D = the note's difficulty 1-5
 * mapped linearly onto 1-10 (D0(Good) when absent), and S from the note's own mastery
 * when it has one, chosen in the middle of that level's band of mastery.h, so the
 * imported note shows the mastery it claimed (1: 1 d, 2: 4 d, 3: 12 d, 4: 45 d, 5: 120 d;
 * 0: 1 d); without mastery, the last planned interval (days from the last past date to
 * the next date, else between the last two past dates, else S0(Good)). A fixed schedule
 * of review dates says when the user meant to look, not how well they remembered, so the
 * user's mastery is the better witness when present. */
#include "study/sync.h"

#include "study/note.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- a string -> index hash map (open addressing; keys copied, since rows change
 * their strings while the maps still hold the old entries) ---- */

typedef struct strmap {
    const char **keys;
    size_t      *vals;
    size_t       cap, n;
} strmap;

static void strmap_grow(strmap *m);

static size_t strmap_slot(const strmap *m, const char *k) {
    size_t i = (size_t)dls_fnv1a64(k, strlen(k)) & (m->cap - 1);
    while (m->keys[i] && strcmp(m->keys[i], k) != 0) i = (i + 1) & (m->cap - 1);
    return i;
}

static void strmap_put(strmap *m, const char *k, size_t v) {
    if (!k || !*k) return;
    if (2 * (m->n + 1) > m->cap) strmap_grow(m);
    size_t i = strmap_slot(m, k);
    if (!m->keys[i]) m->n++, m->keys[i] = xstrdup(k);
    m->vals[i] = v;
}

/* strmap_grow moves the copies it already owns */
static void strmap_move(strmap *m, const char *k, size_t v) {
    size_t i = strmap_slot(m, k);
    m->n++;
    m->keys[i] = k;
    m->vals[i] = v;
}

static void strmap_grow(strmap *m) {
    strmap old = *m;
    m->cap  = old.cap ? old.cap * 2 : 64;
    m->n    = 0;
    m->keys = xcalloc(m->cap, sizeof *m->keys);
    m->vals = xcalloc(m->cap, sizeof *m->vals);
    for (size_t i = 0; i < old.cap; i++)
        if (old.keys[i]) strmap_move(m, old.keys[i], old.vals[i]);
    free(old.keys), free(old.vals);
}

/* SIZE_MAX when absent */
static size_t strmap_get(const strmap *m, const char *k) {
    if (!m->cap || !k || !*k) return SIZE_MAX;
    size_t i = strmap_slot(m, k);
    return m->keys[i] ? m->vals[i] : SIZE_MAX;
}

static void strmap_free(strmap *m) {
    for (size_t i = 0; i < m->cap; i++) free((char *)m->keys[i]);
    free(m->keys), free(m->vals);
    memset(m, 0, sizeof *m);
}

/* ---- state of one sync ---- */

typedef struct row {        /* a known note */
    int64_t id;
    char   *key, *path, *fingerprint, *last_error;
    char    sha[65];        /* of the file's bytes when last read */
    int64_t size, mtime;
    int     parse_ok, gone;
    int     claimed;        /* a file of this sync is this note */
} row;

typedef struct file {       /* a .md file found in the folder */
    char   *rel;
    int64_t size, mtime;
} file;

typedef struct ctx {
    store        *s;
    const char   *root;
    int64_t       now;
    sched_params  p;
    sync_report  *r;
    dls_error    *e;
    row          *rows;
    size_t        n_rows, cap_rows;
    strmap        by_key, by_path, by_fp;   /* -> row index; by_path only for rows not gone */
    file         *files;
    size_t        n_files, cap_files;
    strmap        seen;                     /* rel path -> file index (NULL map: sync_file) */
    int           whole;                    /* 1 for sync_run */
    int           bulk;                     /* store_bulk_begin took: store_bulk_end after */
} ctx;

static void report(sync_report *r, int kind, const char *path, const char *detail) {
    if (r->n_items == r->cap) {
        r->cap   = r->cap ? 2 * r->cap : 16;
        r->items = xrealloc(r->items, r->cap * sizeof *r->items);
    }
    sync_item *it = &r->items[r->n_items++];
    it->kind   = kind;
    it->path   = xstrdup(path);
    it->detail = detail ? xstrdup(detail) : NULL;
    switch (kind) {
    case SYNC_ADDED: r->added++; break;
    case SYNC_CHANGED: r->changed++; break;
    case SYNC_MOVED: r->moved++; break;
    case SYNC_REMOVED: r->removed++; break;
    case SYNC_SKIPPED: r->skipped++; break;
    case SYNC_WARNING: r->warned++; break;
    }
}

void sync_report_deinit(sync_report *r) {
    for (size_t i = 0; i < r->n_items; i++) free(r->items[i].path), free(r->items[i].detail);
    free(r->items);
    memset(r, 0, sizeof *r);
}

const char *sync_kind_name(int kind) {
    static const char *names[] = {"added", "changed", "moved", "removed", "skipped", "warning"};
    return kind >= 0 && kind <= SYNC_WARNING ? names[kind] : "?";
}

static size_t add_row(ctx *c) {
    if (c->n_rows == c->cap_rows) {
        c->cap_rows = c->cap_rows ? 2 * c->cap_rows : 256;
        c->rows     = xrealloc(c->rows, c->cap_rows * sizeof *c->rows);
    }
    memset(&c->rows[c->n_rows], 0, sizeof(row));
    return c->n_rows++;
}

static void index_row(ctx *c, size_t i) {
    row *w = &c->rows[i];
    strmap_put(&c->by_key, w->key, i);
    if (!w->gone) strmap_put(&c->by_path, w->path, i);
    if (w->fingerprint && *w->fingerprint) strmap_put(&c->by_fp, w->fingerprint, i);
}

static int load_rows(ctx *c) {
    sqlite3_stmt *st = store_prepare(
        c->s, "SELECT id, key, path, fingerprint, last_error, file_size, file_mtime, parse_ok, gone, sha256 "
              "FROM notes ORDER BY gone DESC, id", c->e);
    if (!st) return c->e->code;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        size_t i = add_row(c);
        row *w = &c->rows[i];
        w->id          = sqlite3_column_int64(st, 0);
        w->key         = store_col_text(st, 1);
        w->path        = store_col_text(st, 2);
        w->fingerprint = store_col_text(st, 3);
        w->last_error  = store_col_text(st, 4);
        w->size        = sqlite3_column_int64(st, 5);
        w->mtime       = sqlite3_column_int64(st, 6);
        w->parse_ok    = sqlite3_column_int(st, 7);
        w->gone        = sqlite3_column_int(st, 8);
        const unsigned char *sha = sqlite3_column_text(st, 9);
        snprintf(w->sha, sizeof w->sha, "%s", sha ? (const char *)sha : "");
        /* gone rows first, so a live row wins a fingerprint shared with a gone one */
        index_row(c, i);
    }
    sqlite3_reset(st);
    return store_check(c->s, rc, "read notes", c->e);
}

/* ---- walking the folder ---- */

static int ends_with_md(const char *name) {
    size_t n = strlen(name);
    return n > 3 && !strcmp(name + n - 3, ".md");
}

static void add_file(ctx *c, const char *rel, const struct stat *st) {
    if (c->n_files == c->cap_files) {
        c->cap_files = c->cap_files ? 2 * c->cap_files : 256;
        c->files     = xrealloc(c->files, c->cap_files * sizeof *c->files);
    }
    file *f = &c->files[c->n_files++];
    f->rel   = xstrdup(rel);
    f->size  = st->st_size;
    f->mtime = note_mtime_ns(st);
}

/* 1 when real is root_real or inside it */
static int inside(const char *real, const char *root_real) {
    size_t n = strlen(root_real);
    return !strncmp(real, root_real, n) && (real[n] == '/' || real[n] == '\0' || n == 1);
}

static void walk(ctx *c, const char *root_real, const char *rel, int depth) {
    char *dir = *rel ? xasprintf("%s/%s", c->root, rel) : xstrdup(c->root);
    DIR  *d   = opendir(dir);
    if (!d) {
        char *why = xasprintf("%s: cannot read folder: %s", *rel ? rel : ".", strerror(errno));
        report(c->r, SYNC_SKIPPED, *rel ? rel : ".", why);
        free(why), free(dir);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue; /* dotfiles: .template.md, .git, . and .. */
        char *crel = *rel ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
        char *full = xasprintf("%s/%s", dir, de->d_name);
        struct stat lst, st;
        if (lstat(full, &lst) != 0) goto next;
        if (S_ISLNK(lst.st_mode)) {
            char *real = realpath(full, NULL);
            if (!real || stat(full, &st) != 0) {
                if (ends_with_md(de->d_name)) { /* the detail names the file, as every skip's does */
                    char *why = xasprintf("%s: broken symlink", crel);
                    report(c->r, SYNC_SKIPPED, crel, why);
                    free(why);
                }
                free(real);
                goto next;
            }
            int ok = inside(real, root_real);
            free(real);
            if (!ok) {
                if (S_ISDIR(st.st_mode) || ends_with_md(de->d_name)) {
                    char *why = xasprintf("%s: symlink leaves the notes folder; not followed", crel);
                    report(c->r, SYNC_SKIPPED, crel, why);
                    free(why);
                }
                goto next;
            }
            /* a symlink to a folder inside the root would list its notes twice (and may
             * loop): those notes are reached by their own path already */
            if (S_ISDIR(st.st_mode)) goto next;
        } else {
            st = lst;
        }
        if (S_ISDIR(st.st_mode)) {
            if (depth < 32) walk(c, root_real, crel, depth + 1);
        } else if (S_ISREG(st.st_mode) && ends_with_md(de->d_name)) {
            add_file(c, crel, &st);
        }
    next:
        free(crel), free(full);
    }
    closedir(d);
    free(dir);
}

static int cmp_file(const void *a, const void *b) {
    return strcmp(((const file *)a)->rel, ((const file *)b)->rel);
}

/* ---- writing one note ---- */

static char *join(char **items, size_t n) {
    dls_buf b;
    dls_buf_init(&b);
    dls_buf_join(&b, items, n, ",");
    return dls_buf_take(&b);
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s) {
    if (s && *s) sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else sqlite3_bind_null(st, i);
}

/* Inserts (row_i == SIZE_MAX) or updates the note's row; returns the row index. */
static int save_note(ctx *c, const note *n, const file *f, size_t *row_i) {
    int insert = *row_i == SIZE_MAX;
    sqlite3_stmt *st = store_prepare(
        c->s, insert
                  ? "INSERT INTO notes(key, path, title, category, tags, created, updated, mastery, "
                    "difficulty, status, review_dates, related, labs, file_size, file_mtime, sha256, "
                    "fingerprint, parse_ok, last_error, warnings, imported_at, synced_at, gone) VALUES "
                    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, 1, "
                    "NULL, ?18, ?19, ?19, 0)"
                  : "UPDATE notes SET key = ?1, path = ?2, title = ?3, category = ?4, tags = ?5, "
                    "created = ?6, updated = ?7, mastery = ?8, difficulty = ?9, status = ?10, "
                    "review_dates = ?11, related = ?12, labs = ?13, file_size = ?14, file_mtime = ?15, "
                    "sha256 = ?16, fingerprint = ?17, parse_ok = 1, last_error = NULL, warnings = ?18, "
                    "synced_at = ?19, gone = 0 WHERE id = ?20",
        c->e);
    if (!st) return c->e->code;
    char *tags = join(n->tags, n->n_tags), *related = join(n->related, n->n_related);
    char *labs = join(n->labs, n->n_labs);
    dls_buf dates;
    dls_buf_init(&dates);
    dls_buf_puts(&dates, "");
    for (size_t i = 0; i < n->n_review_dates; i++) {
        if (i) dls_buf_puts(&dates, ",");
        dls_buf_puts(&dates, n->review_dates[i]);
    }
    char *warn = n->n_warnings ? note_warnings_text(n) : xstrdup("");
    sqlite3_bind_text(st, 1, n->key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, f->rel, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, n->title, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, n->category ? n->category : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, tags, -1, SQLITE_TRANSIENT);
    bind_text_or_null(st, 6, n->created);
    bind_text_or_null(st, 7, n->updated);
    if (n->mastery >= 0) sqlite3_bind_int(st, 8, n->mastery);
    if (n->difficulty > 0) sqlite3_bind_int(st, 9, n->difficulty);
    bind_text_or_null(st, 10, note_status_str(n->status));
    sqlite3_bind_text(st, 11, dates.data, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 12, related, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 13, labs, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 14, f->size);
    sqlite3_bind_int64(st, 15, f->mtime);
    sqlite3_bind_text(st, 16, n->id.sha256, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 17, n->body_sha, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 18, warn, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 19, c->now);
    if (!insert) sqlite3_bind_int64(st, 20, c->rows[*row_i].id);
    int rc = store_step_done(c->s, st, "save note", c->e);
    free(tags), free(related), free(labs), free(warn);
    dls_buf_deinit(&dates);
    if (rc != DLS_OK) return rc;

    if (insert) {
        *row_i = add_row(c);
        c->rows[*row_i].id = sqlite3_last_insert_rowid(store_db(c->s));
    }
    row *w = &c->rows[*row_i];
    /* re-index under the new key, path and fingerprint (old entries may stay in the maps,
     * pointing at this row; lookups always compare the row's current values) */
    free(w->key), free(w->path), free(w->fingerprint), free(w->last_error);
    w->key         = xstrdup(n->key);
    w->path        = xstrdup(f->rel);
    w->fingerprint = xstrdup(n->body_sha);
    w->last_error  = NULL;
    w->size = f->size, w->mtime = f->mtime, w->parse_ok = 1, w->gone = 0, w->claimed = 1;
    snprintf(w->sha, sizeof w->sha, "%s", n->id.sha256);
    index_row(c, *row_i);
    return DLS_OK;
}

/* A card as the note defines it now. */
typedef struct new_card {
    const char *uid, *kind;
    char       *heading_path, *front, *back;
    int         line;   /* 1-based line in the file */
    int64_t     match;  /* the existing card id it continues, 0 = none */
} new_card;

typedef struct old_card {
    int64_t id;
    char   *uid, *front, *back, *heading_path;
    int     used;
} old_card;

static char *trim_dup(const char *s, size_t n) {
    while (n && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')) s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r')) n--;
    return xstrndup(s, n);
}

/* The back of a concept card: its own text (after the heading line), else (a ## whose
 * text is all in its ### subsections) the outline of those subsections, one per line. */
static char *concept_back(const note *n, const note_concept *k) {
    const char *sec = n->body + k->section.off;
    size_t len = k->section.len;
    const char *nl = memchr(sec, '\n', len);
    size_t head = nl ? (size_t)(nl - sec) + 1 : len;
    size_t own  = k->own_end > k->section.off + head ? k->own_end - k->section.off - head : 0;
    char *t = trim_dup(sec + head, own);
    if (*t) return t;
    free(t);
    dls_buf b;
    dls_buf_init(&b);
    dls_buf_puts(&b, "");
    for (size_t i = 0; i < n->n_concepts; i++) {
        const note_concept *sub = &n->concepts[i];
        if (sub->level <= k->level || sub->section.off < k->section.off ||
            sub->section.off >= k->section.off + len)
            continue;
        if (b.len) dls_buf_puts(&b, "\n");
        dls_buf_puts(&b, "- ");
        dls_buf_puts(&b, sub->heading);
    }
    return b.len ? dls_buf_take(&b) : (dls_buf_deinit(&b), trim_dup(sec + head, len - head));
}

/* Estimated memory state of a card imported with the note's review_dates (top of file). */
static void import_state(ctx *c, const note *n, sched_card *m, int64_t **past, size_t *n_past) {
    memset(m, 0, sizeof *m);
    *past  = NULL;
    *n_past = 0;
    int64_t today = sched_day_of(&c->p, c->now), next = -1;
    for (size_t i = 0; i < n->n_review_dates; i++) {
        int64_t day;
        if (sched_date_to_day(n->review_dates[i], &day) != DLS_OK) continue;
        if (day < today) {
            *past = xrealloc(*past, (*n_past + 1) * sizeof **past);
            size_t j = *n_past;
            while (j > 0 && (*past)[j - 1] > day) (*past)[j] = (*past)[j - 1], j--;
            if (j > 0 && (*past)[j - 1] == day) { /* duplicate date: drop */
                memmove(*past + j, *past + j + 1, (*n_past - j) * sizeof **past);
                continue;
            }
            (*past)[j] = day;
            (*n_past)++;
        } else if (next < 0 || day < next) {
            next = day;
        }
    }
    if (*n_past == 0) {
        if (next >= 0) m->due = sched_day_start(&c->p, next); /* new, but planned for then */
        return;
    }
    int64_t last = (*past)[*n_past - 1];
    static const double by_mastery[6] = {1.0, 1.0, 4.0, 12.0, 45.0, 120.0};
    double  s    = n->mastery >= 0 && n->mastery <= 5 ? by_mastery[n->mastery]
                 : next >= 0 ? (double)(next - last)
                 : *n_past >= 2 ? (double)(last - (*past)[*n_past - 2])
                                : sched_init_stability(&c->p, SCHED_GOOD);
    m->state       = SCHED_REVIEW;
    m->s           = s < 0.1 ? 0.1 : s;
    m->d           = n->difficulty > 0 ? 1.0 + (n->difficulty - 1) * 9.0 / 4.0
                                       : sched_init_difficulty(&c->p, SCHED_GOOD, 1);
    m->reps        = (int)*n_past;
    m->last_review = sched_day_start(&c->p, last) + (12 - c->p.rollover_hour) * 3600; /* noon */
    m->due         = next >= 0 ? sched_day_start(&c->p, next)
                               : sched_day_start(&c->p, last + sched_interval_days(&c->p, m->s));
}

static int save_cards(ctx *c, const note *n, int64_t note_id, int first_import) {
    /* the cards the note has now */
    size_t    nn = 0;
    new_card *nc = xcalloc(n->n_concepts + n->n_cards + 1, sizeof *nc);
    for (size_t i = 0; i < n->n_concepts; i++) {
        const note_concept *k = &n->concepts[i];
        if (!k->card) continue; /* metadata sections and headings that only group others */
        nc[nn].uid          = k->id;
        nc[nn].kind         = "concept";
        nc[nn].heading_path = xstrdup(k->path ? k->path : k->heading);
        nc[nn].front        = xstrdup(k->heading);
        nc[nn].back         = concept_back(n, k);
        nc[nn].line         = k->line;
        nn++;
    }
    for (size_t i = 0; i < n->n_cards; i++) {
        new_card *x     = &nc[nn++];
        x->uid          = n->cards[i].id;
        x->kind         = "explicit";
        x->heading_path = xstrdup("");
        x->front        = xstrdup(n->cards[i].question);
        x->back         = xstrdup(n->cards[i].answer);
        x->line         = n->cards[i].line;
    }
    /* the cards the note had */
    old_card *oc = NULL;
    size_t    no = 0;
    int rc = DLS_OK;
    sqlite3_stmt *st = NULL;
    /* a note row made just now has no cards yet (rows are never deleted, so its id is new) */
    if (!first_import) {
        st = store_prepare(c->s, "SELECT id, uid, front, back, heading_path FROM cards WHERE note_id = ?1 "
                                 "ORDER BY ord", c->e);
        if (!st) {
            rc = c->e->code;
            goto done;
        }
        sqlite3_bind_int64(st, 1, note_id);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            oc = xrealloc(oc, (no + 1) * sizeof *oc);
            oc[no].id           = sqlite3_column_int64(st, 0);
            oc[no].uid          = store_col_text(st, 1);
            oc[no].front        = store_col_text(st, 2);
            oc[no].back         = store_col_text(st, 3);
            oc[no].heading_path = store_col_text(st, 4);
            oc[no].used         = 0;
            no++;
        }
        sqlite3_reset(st);
        if ((rc = store_check(c->s, rc, "read cards", c->e)) != DLS_OK) goto done;
    }

    /* match: same id, then same question/heading path, then same answer */
    for (int pass = 0; pass < 3; pass++)
        for (size_t i = 0; i < nn; i++) {
            if (nc[i].match) continue;
            for (size_t j = 0; j < no; j++) {
                if (oc[j].used) continue;
                int same = pass == 0 ? !strcmp(nc[i].uid, oc[j].uid)
                         : pass == 1 ? !strcmp(nc[i].front, oc[j].front) &&
                                           !strcmp(nc[i].heading_path, oc[j].heading_path)
                                     : *nc[i].back && !strcmp(nc[i].back, oc[j].back);
                if (same) {
                    nc[i].match = oc[j].id;
                    oc[j].used  = 1;
                    break;
                }
            }
        }

    sched_card imp = {0};
    int        imported = 0;
    int64_t   *past = NULL;
    size_t     n_past = 0;
    if (first_import) import_state(c, n, &imp, &past, &n_past);

    static const char *const insert_sql =
        "INSERT INTO cards(note_id, uid, kind, ord, heading_path, front, back, state, stability, difficulty, "
        "due, last_review, reps, line) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";
    static const char *const upsert_sql =
        "INSERT INTO cards(note_id, uid, kind, ord, heading_path, front, back, state, stability, difficulty, "
        "due, last_review, reps, line) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) "
        "ON CONFLICT(uid) DO UPDATE SET note_id = ?1, kind = ?3, ord = ?4, heading_path = ?5, front = ?6, "
        "back = ?7, line = ?14, gone = 0";
    for (size_t i = 0; i < nn && rc == DLS_OK; i++) {
        sqlite3_int64 last = sqlite3_last_insert_rowid(store_db(c->s));
        /* attempt 0 for a new card of a new note is a plain INSERT (its id cannot exist: ids
         * hash the new note's key; the upsert costs a third more on a cold sync); a clash
         * anyway, or any other new card, takes the upsert: a uid known under another note
         * row (that note's old copy) moves here and keeps its own state */
        for (int attempt = first_import ? 0 : 1; attempt < 2; attempt++) {
            if (nc[i].match) {
                st = store_prepare(c->s, "UPDATE cards SET uid = ?2, kind = ?3, ord = ?4, heading_path = ?5, "
                                         "front = ?6, back = ?7, line = ?14, gone = 0 WHERE id = ?1", c->e);
                if (!st) { rc = c->e->code; break; }
                sqlite3_bind_int64(st, 1, nc[i].match);
            } else {
                /* one statement per new card, its imported state included */
                st = store_prepare(c->s, attempt == 0 ? insert_sql : upsert_sql, c->e);
                if (!st) { rc = c->e->code; break; }
                sqlite3_bind_int64(st, 1, note_id);
                sqlite3_bind_int(st, 8, imp.state);
                if (imp.s > 0) sqlite3_bind_double(st, 9, imp.s), sqlite3_bind_double(st, 10, imp.d);
                if (imp.due) sqlite3_bind_int64(st, 11, imp.due);
                if (imp.last_review) sqlite3_bind_int64(st, 12, imp.last_review);
                sqlite3_bind_int(st, 13, imp.reps);
            }
            sqlite3_bind_text(st, 2, nc[i].uid, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 3, nc[i].kind, -1, SQLITE_STATIC);
            sqlite3_bind_int(st, 4, (int)i);
            sqlite3_bind_text(st, 5, nc[i].heading_path, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 6, nc[i].front, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 7, nc[i].back, -1, SQLITE_STATIC);
            sqlite3_bind_int(st, 14, nc[i].line);
            int step = sqlite3_step(st);
            int ext  = sqlite3_extended_errcode(store_db(c->s));
            sqlite3_reset(st);
            if (step == SQLITE_DONE || step == SQLITE_ROW) break;
            if (attempt == 0 && !nc[i].match && ext == SQLITE_CONSTRAINT_UNIQUE) continue;
            rc = store_check(c->s, ext, "save card", c->e);
            break;
        }
        if (rc != DLS_OK) break;
        if (nc[i].match) continue;
        c->r->cards_added++;
        sqlite3_int64 card_id = sqlite3_last_insert_rowid(store_db(c->s));
        if (card_id == last) continue; /* adopted (the upsert updated): its own history stands */
        /* the past dates belong to the note, not to one concept: logged once, on its first
         * new card (write-back and the history read them per note) */
        for (size_t k = 0; k < n_past && rc == DLS_OK && !imported; k++)
            rc = store_log_import(c->s, card_id, sched_day_start(&c->p, past[k]) +
                                                     (12 - c->p.rollover_hour) * 3600, c->e);
        imported = 1;
    }
    free(past);
    for (size_t j = 0; j < no && rc == DLS_OK; j++) {
        if (oc[j].used) continue;
        st = store_prepare(c->s, "UPDATE cards SET gone = 1 WHERE id = ?1 AND gone = 0", c->e);
        if (!st) { rc = c->e->code; break; }
        sqlite3_bind_int64(st, 1, oc[j].id);
        if ((rc = store_step_done(c->s, st, "retire card", c->e)) != DLS_OK) break;
        c->r->cards_removed += sqlite3_changes(store_db(c->s)) > 0;
    }
done:
    for (size_t i = 0; i < nn; i++) free(nc[i].heading_path), free(nc[i].front), free(nc[i].back);
    for (size_t j = 0; j < no; j++) free(oc[j].uid), free(oc[j].front), free(oc[j].back), free(oc[j].heading_path);
    free(nc), free(oc);
    return rc;
}

/* ---- one file ---- */

static int path_present(ctx *c, const char *rel) {
    if (c->whole) return strmap_get(&c->seen, rel) != SIZE_MAX;
    char *full = xasprintf("%s/%s", c->root, rel);
    struct stat st;
    int ok = stat(full, &st) == 0;
    free(full);
    return ok;
}

static int save_error(ctx *c, size_t ri, const file *f, const char *msg) {
    sqlite3_stmt *st = store_prepare(c->s, "UPDATE notes SET parse_ok = 0, last_error = ?2, file_size = ?3, "
                                           "file_mtime = ?4, synced_at = ?5 WHERE id = ?1", c->e);
    if (!st) return c->e->code;
    sqlite3_bind_int64(st, 1, c->rows[ri].id);
    sqlite3_bind_text(st, 2, msg, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, f->size);
    sqlite3_bind_int64(st, 4, f->mtime);
    sqlite3_bind_int64(st, 5, c->now);
    row *w = &c->rows[ri];
    w->claimed = 1, w->parse_ok = 0, w->size = f->size, w->mtime = f->mtime;
    return store_step_done(c->s, st, "record parse error", c->e);
}

/* A live row of a path (the maps may hold stale entries: check current values). */
static size_t row_by_path(ctx *c, const char *rel) {
    size_t i = strmap_get(&c->by_path, rel);
    return i != SIZE_MAX && !c->rows[i].gone && !strcmp(c->rows[i].path, rel) ? i : SIZE_MAX;
}
static size_t row_by_key(ctx *c, const char *key) {
    size_t i = strmap_get(&c->by_key, key);
    return i != SIZE_MAX && !strcmp(c->rows[i].key, key) ? i : SIZE_MAX;
}
static size_t row_by_fp(ctx *c, const char *fp) {
    size_t i = strmap_get(&c->by_fp, fp);
    return i != SIZE_MAX && c->rows[i].fingerprint && !strcmp(c->rows[i].fingerprint, fp) ? i : SIZE_MAX;
}

/* Processes one changed or new file. pass 0: decide only unambiguous matches, and set
 * *defer otherwise; pass 1: also notes whose key names an unclaimed note elsewhere (moves
 * take their note before a retitled or new file at the old path could); pass 2: all. */
static int process(ctx *c, const file *f, int pass, int *defer) {
    *defer = 0;
    char *full = xasprintf("%s/%s", c->root, f->rel);
    note *n = NULL;
    dls_error pe = {0};
    int rc = note_load(full, c->root, &n, &pe);
    free(full);
    size_t by_path = row_by_path(c, f->rel);
    if (rc != DLS_OK) {
        report(c->r, SYNC_SKIPPED, f->rel, pe.msg);
        return by_path != SIZE_MAX ? save_error(c, by_path, f, pe.msg) : DLS_OK;
    }
    size_t k = row_by_key(c, n->key), target = SIZE_MAX;
    int kind = SYNC_ADDED;
    const char *old_path = NULL;
    if (k != SIZE_MAX && !strcmp(c->rows[k].path, f->rel) && !c->rows[k].claimed) {
        row *w = &c->rows[k];
        if (!w->gone && w->parse_ok && !strcmp(w->sha, n->id.sha256)) {
            /* same bytes, new mtime (touched, checked out again): only the identity moves */
            sqlite3_stmt *st = store_prepare(c->s, "UPDATE notes SET file_size = ?2, file_mtime = ?3, "
                                                   "synced_at = ?4 WHERE id = ?1", c->e);
            if (!st) rc = c->e->code;
            else {
                sqlite3_bind_int64(st, 1, w->id);
                sqlite3_bind_int64(st, 2, f->size);
                sqlite3_bind_int64(st, 3, f->mtime);
                sqlite3_bind_int64(st, 4, c->now);
                rc = store_step_done(c->s, st, "record file identity", c->e);
            }
            w->claimed = 1, w->size = f->size, w->mtime = f->mtime;
            c->r->unchanged++;
            note_free(n);
            return rc;
        }
        target = k, kind = w->gone ? SYNC_ADDED : SYNC_CHANGED;
    } else if (k == SIZE_MAX && by_path == SIZE_MAX && row_by_fp(c, n->body_sha) == SIZE_MAX) {
        target = SIZE_MAX, kind = SYNC_ADDED;
    } else if (pass == 0 || (pass == 1 && (k == SIZE_MAX || c->rows[k].claimed))) {
        *defer = 1;
        note_free(n);
        return DLS_OK;
    } else if (k != SIZE_MAX) {
        row *w = &c->rows[k];
        /* one file at a time cannot know whether the original is still there unless it
         * looks: a note whose original file exists is a copy */
        if (w->claimed || (!c->whole && !w->gone && path_present(c, w->path))) {
            char *why = xasprintf("%s: same title and created date as %s (a copy?); change its title "
                                  "or created date to study it separately", f->rel, w->path);
            report(c->r, SYNC_SKIPPED, f->rel, why);
            free(why);
            note_free(n);
            return DLS_OK;
        }
        target = k, kind = SYNC_MOVED, old_path = w->path;
    } else if (by_path != SIZE_MAX && !c->rows[by_path].claimed) {
        target = by_path, kind = SYNC_CHANGED; /* same file, new title or created date */
    } else {
        /* same body, new key and path: moved and retitled. During a whole sync every file
         * that could still be that note has had its turn, so an unclaimed row is free; for
         * one file, a row whose file is still there is the original of a copy. */
        size_t fp = row_by_fp(c, n->body_sha);
        if (fp != SIZE_MAX && !c->rows[fp].claimed &&
            (c->whole || c->rows[fp].gone || !path_present(c, c->rows[fp].path)))
            target = fp, kind = SYNC_MOVED, old_path = c->rows[fp].path;
    }
    char *old = old_path ? xstrdup(old_path) : NULL;
    int first_import = target == SIZE_MAX;
    if (target != SIZE_MAX && kind == SYNC_MOVED && !strcmp(old, f->rel)) kind = SYNC_CHANGED;
    if ((rc = save_note(c, n, f, &target)) == DLS_OK)
        rc = save_cards(c, n, c->rows[target].id, first_import);
    if (rc == DLS_OK) {
        report(c->r, kind, f->rel, kind == SYNC_MOVED ? old : NULL);
        if (n->n_warnings) {
            char *w = note_warnings_text(n);
            report(c->r, SYNC_WARNING, f->rel, w);
            free(w);
        }
    }
    free(old);
    note_free(n);
    return rc;
}

static int retire(ctx *c, size_t ri) {
    row *w = &c->rows[ri];
    sqlite3_stmt *st = store_prepare(c->s, "UPDATE notes SET gone = 1, synced_at = ?2 WHERE id = ?1", c->e);
    if (!st) return c->e->code;
    sqlite3_bind_int64(st, 1, w->id);
    sqlite3_bind_int64(st, 2, c->now);
    int rc = store_step_done(c->s, st, "retire note", c->e);
    if (rc != DLS_OK) return rc;
    st = store_prepare(c->s, "UPDATE cards SET gone = 1 WHERE note_id = ?1 AND gone = 0", c->e);
    if (!st) return c->e->code;
    sqlite3_bind_int64(st, 1, w->id);
    if ((rc = store_step_done(c->s, st, "retire cards", c->e)) != DLS_OK) return rc;
    c->r->cards_removed += sqlite3_changes(store_db(c->s));
    w->gone = 1;
    report(c->r, SYNC_REMOVED, w->path, NULL);
    return DLS_OK;
}

static void ctx_deinit(ctx *c) {
    for (size_t i = 0; i < c->n_rows; i++) {
        row *w = &c->rows[i];
        free(w->key), free(w->path), free(w->fingerprint), free(w->last_error);
    }
    for (size_t i = 0; i < c->n_files; i++) free(c->files[i].rel);
    free(c->rows), free(c->files);
    strmap_free(&c->by_key), strmap_free(&c->by_path), strmap_free(&c->by_fp), strmap_free(&c->seen);
}

static int ctx_init(ctx *c, store *s, const char *notes_dir, int64_t now, sync_report *r, dls_error *e,
                    char **root_real, int whole) {
    memset(c, 0, sizeof *c);
    memset(r, 0, sizeof *r);
    c->s = s, c->root = notes_dir, c->now = now, c->r = r, c->e = e, c->whole = whole;
    struct stat st;
    if (stat(notes_dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return dls_fail(e, DLS_ERR_NOTFOUND, "%s: notes folder not found (choose one with --notes DIR "
                                             "or DLSTUDY_NOTES)", notes_dir);
    *root_real = realpath(notes_dir, NULL);
    if (!*root_real) return dls_fail(e, DLS_ERR_IO, "%s: %s", notes_dir, strerror(errno));
    int rc = store_sched_params(s, &c->p, e);
    if (rc != DLS_OK) return rc;
    if (whole) { /* the first sync into an empty database: written once (store.h) */
        sqlite3_stmt *q = store_prepare(s, "SELECT 1 FROM notes LIMIT 1", e);
        if (!q) return e->code;
        int empty = sqlite3_step(q) == SQLITE_DONE;
        sqlite3_reset(q);
        if (empty) c->bulk = store_bulk_begin(s);
    }
    if ((rc = store_begin(s, e)) != DLS_OK) return rc;
    if ((rc = load_rows(c)) != DLS_OK) store_rollback(s);
    return rc;
}

int sync_run(store *s, const char *notes_dir, int64_t now, sync_report *r, dls_error *e) {
    ctx   c;
    char *root_real = NULL;
    int   rc = ctx_init(&c, s, notes_dir, now, r, e, &root_real, 1);
    if (rc != DLS_OK) {
        if (c.bulk) store_bulk_end(s);
        free(root_real);
        ctx_deinit(&c);
        return rc;
    }
    walk(&c, root_real, "", 0);
    qsort(c.files, c.n_files, sizeof *c.files, cmp_file);
    for (size_t i = 0; i < c.n_files; i++) strmap_put(&c.seen, c.files[i].rel, i);

    /* unchanged files claim their rows without being read */
    char *todo = xcalloc(c.n_files ? c.n_files : 1, 1);
    for (size_t i = 0; i < c.n_files; i++) {
        const file *f = &c.files[i];
        size_t ri = row_by_path(&c, f->rel);
        if (ri != SIZE_MAX && c.rows[ri].size == f->size && c.rows[ri].mtime == f->mtime) {
            const char *why = c.rows[ri].last_error; /* "" when the database has none */
            c.rows[ri].claimed = 1;
            if (c.rows[ri].parse_ok) r->unchanged++;
            else report(r, SYNC_SKIPPED, f->rel, why && *why ? why : "parse error");
        } else {
            todo[i] = 1;
        }
    }
    for (size_t i = 0; i < c.n_files && rc == DLS_OK; i++) {
        int defer = 0;
        if (todo[i]) rc = process(&c, &c.files[i], 0, &defer);
        todo[i] = (char)defer;
    }
    for (int pass = 1; pass <= 2; pass++)
        for (size_t i = 0; i < c.n_files && rc == DLS_OK; i++) {
            int defer = 0;
            if (todo[i]) rc = process(&c, &c.files[i], pass, &defer);
            todo[i] = (char)defer;
        }
    free(todo);
    for (size_t i = 0; i < c.n_rows && rc == DLS_OK; i++)
        if (!c.rows[i].claimed && !c.rows[i].gone) rc = retire(&c, i);
    if (rc == DLS_OK) rc = store_commit(s, e);
    else store_rollback(s);
    if (c.bulk) store_bulk_end(s);
    free(root_real);
    ctx_deinit(&c);
    return rc;
}

/* The path of a note file relative to the notes folder, as walk() would list it: a path
 * under notes_dir as written; else a relative path names a file in notes_dir, unless only
 * the current folder has it (what `dlstudy edit sub/x.md` or `./x.md` passes); its folder
 * is resolved (the name kept, so a symlinked note keeps its own path). As given when that
 * folder is not inside the notes folder. */
static char *rel_path(const char *notes_dir, const char *root_real, const char *path) {
    size_t nr = strlen(notes_dir);
    if (!strncmp(path, notes_dir, nr) && path[nr] == '/') {
        const char *r = path + nr;
        while (*r == '/' || (r[0] == '.' && r[1] == '/')) r += r[0] == '/' ? 1 : 2;
        return xstrdup(r);
    }
    char *in_root = path[0] == '/' ? NULL : xasprintf("%s/%s", notes_dir, path);
    struct stat st;
    const char *at = in_root && (lstat(in_root, &st) == 0 || lstat(path, &st) != 0) ? in_root : path;
    const char *slash = strrchr(at, '/');
    char *dir = slash ? xstrndup(at, slash > at ? (size_t)(slash - at) : 1) : xstrdup(".");
    char *real = realpath(dir, NULL), *rel = NULL;
    size_t nrr = strlen(root_real);
    if (real && !strncmp(real, root_real, nrr) && (real[nrr] == '/' || !real[nrr])) {
        const char *base = slash ? slash + 1 : at;
        rel = real[nrr] ? xasprintf("%s/%s", real + nrr + 1, base) : xstrdup(base);
    }
    free(in_root), free(dir), free(real);
    return rel ? rel : xstrdup(path);
}

int sync_file(store *s, const char *notes_dir, const char *path, int64_t now, sync_report *r, dls_error *e) {
    ctx   c;
    char *root_real = NULL;
    int   rc = ctx_init(&c, s, notes_dir, now, r, e, &root_real, 0);
    if (rc != DLS_OK) {
        free(root_real);
        ctx_deinit(&c);
        return rc;
    }
    char *rel  = rel_path(notes_dir, root_real, path);
    char *full = xasprintf("%s/%s", notes_dir, rel);
    struct stat st;
    if (stat(full, &st) != 0) {
        size_t ri = row_by_path(&c, rel);
        rc = ri != SIZE_MAX ? retire(&c, ri) : dls_fail(e, DLS_ERR_NOTFOUND, "%s: no such note", full);
    } else {
        file f = {.rel = rel, .size = st.st_size, .mtime = note_mtime_ns(&st)};
        int defer;
        rc = process(&c, &f, 2, &defer);
    }
    if (rc == DLS_OK) rc = store_commit(s, e);
    else store_rollback(s);
    free(full), free(rel), free(root_real);
    ctx_deinit(&c);
    return rc;
}
