/* review.c: the review session of review.h: queue, preview, grade, undo, skip, and the
 * write-back of a note's owned keys after each change. No terminal I/O. */
#include "study/review.h"

#include "study/mastery.h"
#include "study/note.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* A note as its file was before a write-back: undo puts it back. The whole bytes, put
 * back as they were while the file is still exactly what that write-back made (written);
 * the owned keys, spliced back in when the file changed since. */
typedef struct owned_snap {
    int    valid;
    int    mastery;       /* -1: absent */
    int    status;        /* note_status; NONE: absent */
    char   updated[11];   /* "" when absent */
    char **dates;
    size_t n_dates;
    char  *raw;           /* the file's bytes before the write-back */
    size_t raw_len;
    note_file_id written; /* the file's identity right after the write-back */
} owned_snap;

typedef struct undo_entry {
    int64_t    log_id;
    owned_snap snap;      /* the note's keys before this grade's write-back */
} undo_entry;

static void snap_clear(owned_snap *sn) {
    for (size_t i = 0; i < sn->n_dates; i++) free(sn->dates[i]);
    free(sn->dates), free(sn->raw);
    memset(sn, 0, sizeof *sn);
}

struct review_session {
    store       *s;
    char        *notes_dir;
    sched_params p;
    review_opts  o;
    int64_t     *queue;   /* card ids; queue[head] is current */
    size_t       head, n, cap;
    undo_entry  *undo;    /* this session's grades, newest last */
    size_t       n_undo, cap_undo;
    int          reviewed;
    store_card   cur;     /* loaded copy of queue[head] */
    int          cur_loaded;
    char        *title, *path, *labs;
    dls_error    failure; /* why the current card could not be read (code 0: none) */
};

static void push(review_session *rs, int64_t id) {
    if (rs->n == rs->cap) {
        rs->cap   = rs->cap ? 2 * rs->cap : 64;
        rs->queue = xrealloc(rs->queue, rs->cap * sizeof *rs->queue);
    }
    rs->queue[rs->n++] = id;
}

static int add_ids(review_session *rs, sqlite3_stmt *st, dls_error *e) {
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) push(rs, sqlite3_column_int64(st, 0));
    sqlite3_reset(st);
    return store_check(rs->s, rc, "build review queue", e);
}

static void unload(review_session *rs) {
    if (rs->cur_loaded) store_card_deinit(&rs->cur);
    free(rs->title), free(rs->path), free(rs->labs);
    rs->title = rs->path = rs->labs = NULL;
    rs->cur_loaded = 0;
}

int review_session_new(store *s, const char *notes_dir, int64_t now, const review_opts *opts,
                       review_session **out, dls_error *e) {
    review_session *rs = xcalloc(1, sizeof *rs);
    review_opts def = REVIEW_OPTS_DEFAULT;
    rs->s         = s;
    rs->notes_dir = xstrdup(notes_dir ? notes_dir : ".");
    rs->o         = opts ? *opts : def;
    int rc = store_sched_params(s, &rs->p, e);
    if (rc != DLS_OK) goto fail;
    if (rs->o.new_limit < 0) {
        if ((rc = store_new_per_day(s, &rs->o.new_limit, e)) != DLS_OK) goto fail;
    }
    sqlite3_stmt *st = store_prepare(
        s, "SELECT c.id FROM cards c JOIN notes n ON n.id = c.note_id WHERE c.gone = 0 AND n.gone = 0 "
           "AND c.due IS NOT NULL AND c.due <= ?1 AND (?2 <= 0 OR c.note_id = ?2) "
           "ORDER BY CASE WHEN c.state IN (1, 3) THEN 0 ELSE 1 END, c.due, c.id", e);
    if (!st) { rc = e ? e->code : DLS_ERR_DB; goto fail; }
    sqlite3_bind_int64(st, 1, now + rs->o.learn_ahead_s);
    sqlite3_bind_int64(st, 2, rs->o.note_id);
    if ((rc = add_ids(rs, st, e)) != DLS_OK) goto fail;

    /* new cards: the daily limit less those introduced earlier this study day */
    st = store_prepare(s, "SELECT count(*) FROM review_history WHERE kind = 'review' AND state_before = 0 "
                          "AND reviewed_at >= ?1", e);
    if (!st) { rc = e ? e->code : DLS_ERR_DB; goto fail; }
    sqlite3_bind_int64(st, 1, sched_day_start(&rs->p, sched_day_of(&rs->p, now)));
    int step = sqlite3_step(st), introduced = step == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_reset(st);
    /* unread, the count would be 0: a whole day's new cards again */
    if ((rc = store_check(s, step, "count today's new cards", e)) != DLS_OK) goto fail;
    int left = rs->o.new_limit - introduced;
    if (left > 0) {
        /* the learning order of review.h: easy notes, then older ones, then broader ones
         * (more related links), the folder order last; a note's cards stay together, in
         * the order of their lines (ord for cards read before lines were recorded) */
        st = store_prepare(s, "SELECT c.id FROM cards c JOIN notes n ON n.id = c.note_id WHERE c.gone = 0 "
                              "AND n.gone = 0 AND c.state = 0 AND c.due IS NULL AND (?2 <= 0 OR c.note_id = ?2) "
                              "ORDER BY coalesce(n.difficulty, 3), n.created IS NULL, n.created, "
                              "(n.related <> '') + length(n.related) - length(replace(n.related, ',', '')) DESC, "
                              "n.path, n.id, c.line, c.ord LIMIT ?1", e);
        if (!st) { rc = e ? e->code : DLS_ERR_DB; goto fail; }
        sqlite3_bind_int(st, 1, left);
        sqlite3_bind_int64(st, 2, rs->o.note_id);
        if ((rc = add_ids(rs, st, e)) != DLS_OK) goto fail;
    }
    *out = rs;
    return DLS_OK;
fail:
    review_session_free(rs);
    return rc;
}

void review_session_free(review_session *rs) {
    if (!rs) return;
    unload(rs);
    for (size_t i = 0; i < rs->n_undo; i++) snap_clear(&rs->undo[i].snap);
    free(rs->queue), free(rs->undo), free(rs->notes_dir);
    free(rs);
}

static int load_current(review_session *rs) {
    memset(&rs->failure, 0, sizeof rs->failure);
    while (rs->head < rs->n) {
        if (rs->cur_loaded && rs->cur.id == rs->queue[rs->head]) return 1;
        unload(rs);
        int rc = store_card_get(rs->s, rs->queue[rs->head], &rs->cur, &rs->failure);
        if (rc == DLS_ERR_NOTFOUND) { /* vanished meanwhile (another process synced): skip it */
            memset(&rs->failure, 0, sizeof rs->failure);
            rs->head++;
            continue;
        }
        if (rc != DLS_OK) break; /* the card stays in front: a later call tries again */
        rs->cur_loaded = 1;
        sqlite3_stmt *st = store_prepare(rs->s, "SELECT title, path, labs FROM notes WHERE id = ?1", &rs->failure);
        if (!st) break;
        sqlite3_bind_int64(st, 1, rs->cur.note_id);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            rs->title = store_col_text(st, 0);
            rs->path  = store_col_text(st, 1);
            rs->labs  = store_col_text(st, 2);
        }
        sqlite3_reset(st);
        if (store_check(rs->s, rc, "read the card's note", &rs->failure) != DLS_OK) break;
        return 1;
    }
    unload(rs);
    return 0;
}

int review_failure(const review_session *rs, dls_error *e) {
    if (!rs->failure.code) return DLS_OK;
    if (e) *e = rs->failure;
    return rs->failure.code;
}

/* Why there is no current card: the database's failure, or the end of the session. */
static int no_card(const review_session *rs, dls_error *e) {
    int rc = review_failure(rs, e);
    return rc != DLS_OK ? rc : dls_fail(e, DLS_ERR_NOTFOUND, "no card to review");
}

const store_card *review_current(review_session *rs) { return load_current(rs) ? &rs->cur : NULL; }
const char *review_current_title(review_session *rs) {
    return load_current(rs) && rs->title ? rs->title : "";
}
const char *review_current_path(review_session *rs) { return load_current(rs) && rs->path ? rs->path : ""; }
const char *review_current_labs(review_session *rs) { return load_current(rs) && rs->labs ? rs->labs : ""; }
size_t review_remaining(const review_session *rs) { return rs->n - rs->head; }
int review_reviewed(const review_session *rs) { return rs->reviewed; }
const sched_params *review_params(const review_session *rs) { return &rs->p; }

int review_counts(const review_session *rs, int *n_new, int *n_learning, int *n_review, dls_error *e) {
    *n_new = *n_learning = *n_review = 0;
    sqlite3_stmt *st = store_prepare(rs->s, "SELECT state FROM cards WHERE id = ?1", e);
    if (!st) return e ? e->code : DLS_ERR_DB;
    for (size_t i = rs->head; i < rs->n; i++) {
        sqlite3_bind_int64(st, 1, rs->queue[i]);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            int state = sqlite3_column_int(st, 0);
            if (state == SCHED_NEW) (*n_new)++;
            else if (state == SCHED_REVIEW) (*n_review)++;
            else (*n_learning)++;
        }
        sqlite3_reset(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) return store_check(rs->s, rc, "count the queue", e);
    }
    return DLS_OK;
}

void review_format_interval(int64_t seconds, int days, char *buf, size_t size) {
    if (days <= 0) {
        if (seconds < 60) snprintf(buf, size, "%llds", (long long)seconds);
        else if (seconds < 3600) snprintf(buf, size, "%lldm", (long long)((seconds + 30) / 60));
        else snprintf(buf, size, "%lldh", (long long)((seconds + 1800) / 3600));
    } else if (days < 30) snprintf(buf, size, "%dd", days);
    else if (days < 365) snprintf(buf, size, "%.1fmo", days / 30.4375);
    else snprintf(buf, size, "%.1fy", days / 365.25);
}

int review_preview(review_session *rs, int64_t now, review_choice out[4], dls_error *e) {
    if (!load_current(rs)) return no_card(rs, e);
    for (int g = 1; g <= 4; g++) {
        review_choice *c = &out[g - 1];
        c->rating = g;
        int rc = sched_review(&rs->p, &rs->cur.m, (uint64_t)rs->cur.id, g, now, &c->after, &c->res, e);
        if (rc != DLS_OK) return rc;
        review_format_interval(c->after.due - now, c->after.state == SCHED_REVIEW ? c->res.scheduled_days : 0,
                               c->label, sizeof c->label);
    }
    return DLS_OK;
}

/* ---- note mastery and write-back ---- */

int review_note_mastery(store *s, const sched_params *p, int64_t note_id, int64_t now, int *level,
                        int *reviewed, dls_error *e) {
    sqlite3_stmt *st = store_prepare(
        s, "SELECT state, step, coalesce(stability, 0), coalesce(difficulty, 0), coalesce(due, 0), "
           "coalesce(last_review, 0), reps, lapses FROM cards WHERE note_id = ?1 AND gone = 0", e);
    if (!st) return e ? e->code : DLS_ERR_DB;
    sqlite3_bind_int64(st, 1, note_id);
    mastery_acc acc = {0};
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        sched_card m;
        store_col_card(st, 0, &m);
        mastery_acc_add(&acc, mastery_of_card(p, &m, now), m.reps > 0);
    }
    sqlite3_reset(st);
    if ((rc = store_check(s, rc, "read cards", e)) != DLS_OK) return rc;
    *level    = mastery_acc_level(&acc);
    *reviewed = acc.reviewed;
    return DLS_OK;
}

/* Writes note_id's owned keys: derived from the database, or, with restore, the values a
 * snapshot took. before (may be NULL) receives the keys as the file had them. */
static int write_note(store *s, const char *notes_dir, const sched_params *p, int64_t note_id, int64_t now,
                      const owned_snap *restore, owned_snap *before, dls_error *e) {
    sqlite3_stmt *st = store_prepare(s, "SELECT path, gone, file_size, file_mtime, sha256 FROM notes WHERE id = ?1", e);
    if (!st) return e ? e->code : DLS_ERR_DB;
    sqlite3_bind_int64(st, 1, note_id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        return dls_fail(e, DLS_ERR_NOTFOUND, "note %lld not found", (long long)note_id);
    }
    char   *rel         = store_col_text(st, 0);
    int     gone        = sqlite3_column_int(st, 1);
    int64_t synced_size = sqlite3_column_int64(st, 2), synced_mtime = sqlite3_column_int64(st, 3);
    char    synced_sha[65];
    const unsigned char *sha = sqlite3_column_text(st, 4);
    snprintf(synced_sha, sizeof synced_sha, "%s", sha ? (const char *)sha : "");
    sqlite3_reset(st);
    char *file = xasprintf("%s/%s", notes_dir, rel);
    int   rc   = DLS_OK;
    char **dates = NULL;
    size_t n_dates = 0;
    note  *n = NULL;
    if (gone) {
        rc = dls_fail(e, DLS_ERR_NOTFOUND, "%s: the note is no longer in the notes folder", file);
        goto done;
    }

    int level, reviewed;
    if ((rc = review_note_mastery(s, p, note_id, now, &level, &reviewed, e)) != DLS_OK) goto done;

    /* past review dates (study days of every review that counts, imported ones too) */
    st = store_prepare(s, "SELECT DISTINCT r.reviewed_at FROM review_history r JOIN cards c ON c.id = r.card_id "
                          "WHERE c.note_id = ?1 ORDER BY r.reviewed_at", e);
    if (!st) { rc = e ? e->code : DLS_ERR_DB; goto done; }
    sqlite3_bind_int64(st, 1, note_id);
    int64_t last_day = INT64_MIN;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t day = sched_day_of(p, sqlite3_column_int64(st, 0));
        if (day == last_day) continue;
        last_day = day;
        dates = xrealloc(dates, (n_dates + 1) * sizeof *dates);
        dates[n_dates] = xmalloc(11);
        sched_day_to_date(day, dates[n_dates++]);
    }
    sqlite3_reset(st);
    if ((rc = store_check(s, rc, "read review dates", e)) != DLS_OK) goto done;
    /* + the next due date */
    st = store_prepare(s, "SELECT min(due) FROM cards WHERE note_id = ?1 AND gone = 0 AND due IS NOT NULL", e);
    if (!st) { rc = e ? e->code : DLS_ERR_DB; goto done; }
    sqlite3_bind_int64(st, 1, note_id);
    if ((rc = sqlite3_step(st)) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
        int64_t day = sched_day_of(p, sqlite3_column_int64(st, 0));
        int64_t today = sched_day_of(p, now);
        if (day < today) day = today; /* overdue: due today */
        if (day > last_day) {
            dates = xrealloc(dates, (n_dates + 1) * sizeof *dates);
            dates[n_dates] = xmalloc(11);
            sched_day_to_date(day, dates[n_dates++]);
        }
    }
    sqlite3_reset(st);
    if ((rc = store_check(s, rc, "read the next due date", e)) != DLS_OK) goto done;

    /* updated: the real local date (review dates use study days, which start at the
     * rollover hour) */
    char today_s[16];
    time_t tt = (time_t)now;
    struct tm tm;
    localtime_r(&tt, &tm);
    strftime(today_s, sizeof today_s, "%Y-%m-%d", &tm);
    note_owned o = NOTE_OWNED_KEEP;
    if (level >= 0) {
        o.mastery = level;
        int ns = note_status_from_str(mastery_status(level, reviewed));
        o.status = ns > 0 ? (note_status)ns : NOTE_STATUS_NONE;
    }
    o.updated = today_s;
    if (restore && restore->valid) {
        /* undo: the keys as they were (an absent key keeps the value written since) */
        for (size_t i = 0; i < n_dates; i++) free(dates[i]);
        free(dates);
        n_dates = restore->n_dates;
        dates   = xcalloc(n_dates ? n_dates : 1, sizeof *dates);
        for (size_t i = 0; i < n_dates; i++) dates[i] = xstrdup(restore->dates[i]);
        if (restore->mastery >= 0) o.mastery = restore->mastery;
        if (restore->status != NOTE_STATUS_NONE) o.status = (note_status)restore->status;
        if (restore->updated[0]) snprintf(today_s, sizeof today_s, "%s", restore->updated);
    }
    o.review_dates   = (const char *const *)dates;
    o.n_review_dates = n_dates;
    static const char *const none[1] = {NULL};
    if (!dates) o.review_dates = none; /* an empty list, not "keep" */

    if ((rc = note_load(file, notes_dir, &n, e)) != DLS_OK) goto done;
    if (before) {
        snap_clear(before);
        before->valid   = 1;
        before->mastery = n->mastery;
        before->status  = n->status;
        snprintf(before->updated, sizeof before->updated, "%s", n->updated);
        before->n_dates = n->n_review_dates;
        before->dates   = xcalloc(n->n_review_dates ? n->n_review_dates : 1, sizeof *before->dates);
        for (size_t i = 0; i < n->n_review_dates; i++) before->dates[i] = xstrdup(n->review_dates[i]);
        before->raw     = xmalloc(n->raw_len + 1);
        memcpy(before->raw, n->raw, n->raw_len + 1);
        before->raw_len = n->raw_len;
    }
    /* edited since the last sync? then the next sync must still read it: keep the old
     * identity in the database (the write-back only touches the owned keys) */
    int was_synced = n->id.size == synced_size && n->id.mtime_ns == synced_mtime;
    note_file_id id;
    if ((rc = note_write_owned(n, &o, &id, e)) != DLS_OK) {
        if (before) snap_clear(before); /* nothing written: nothing to restore */
        goto done;
    }
    if (before) before->written = id;
    if (!was_synced) { /* all three: sync also trusts an unchanged SHA-256 */
        id.size = synced_size, id.mtime_ns = synced_mtime;
        memcpy(id.sha256, synced_sha, sizeof id.sha256);
    }

    /* record what the file now says and its identity: the next sync need not read it */
    dls_buf joined;
    dls_buf_init(&joined);
    dls_buf_join(&joined, dates, n_dates, ",");
    st = store_prepare(s, "UPDATE notes SET file_size = ?2, file_mtime = ?3, sha256 = ?4, mastery = ?5, "
                          "status = ?6, updated = ?7, review_dates = ?8 WHERE id = ?1", e);
    if (st) {
        sqlite3_bind_int64(st, 1, note_id);
        sqlite3_bind_int64(st, 2, id.size);
        sqlite3_bind_int64(st, 3, id.mtime_ns);
        sqlite3_bind_text(st, 4, id.sha256, -1, SQLITE_TRANSIENT);
        if (o.mastery >= 0) sqlite3_bind_int(st, 5, o.mastery);
        if (o.status != NOTE_STATUS_NONE) sqlite3_bind_text(st, 6, note_status_str(o.status), -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 7, o.updated, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 8, joined.data, -1, SQLITE_TRANSIENT);
        rc = store_step_commit(s, st, "record write-back", e);
    } else {
        rc = e ? e->code : DLS_ERR_DB;
    }
    dls_buf_deinit(&joined);
done:
    note_free(n);
    for (size_t i = 0; i < n_dates; i++) free(dates[i]);
    free(dates), free(file), free(rel);
    return rc;
}

int review_write_note(store *s, const char *notes_dir, const sched_params *p, int64_t note_id, int64_t now,
                      dls_error *e) {
    return write_note(s, notes_dir, p, note_id, now, NULL, NULL, e);
}

static void write_back(review_session *rs, int64_t note_id, int64_t now, const owned_snap *restore,
                       owned_snap *before, review_outcome *out) {
    out->wrote_note  = 0;
    out->note_msg[0] = '\0';
    if (!rs->o.write_back) return;
    dls_error we = {0};
    if (write_note(rs->s, rs->notes_dir, &rs->p, note_id, now, restore, before, &we) == DLS_OK) out->wrote_note = 1;
    else snprintf(out->note_msg, sizeof out->note_msg, "%s", we.msg);
}

/* Undo's first choice: the file exactly as it was before the grade. Used while the file
 * is still byte for byte what that grade's write-back made; then every byte comes back
 * (a key the write-back added goes again, an empty `review_dates:` stays empty), which
 * splicing values cannot promise. Written atomically by note_replace_file, and the
 * database row records the file again. Returns DLS_OK when restored, DLS_ERR_CHANGED when
 * the file is no longer what the write-back made (the caller then splices the old values
 * in), other codes on failure. */
static int restore_bytes(store *s, const char *notes_dir, int64_t note_id, const owned_snap *sn, dls_error *e) {
    sqlite3_stmt *st = store_prepare(s, "SELECT path, gone, file_size, file_mtime FROM notes WHERE id = ?1", e);
    if (!st) return e ? e->code : DLS_ERR_DB;
    sqlite3_bind_int64(st, 1, note_id);
    if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_int(st, 1)) {
        sqlite3_reset(st);
        return DLS_ERR_CHANGED; /* gone: the splice path reports it */
    }
    char   *file         = xasprintf("%s/%s", notes_dir, (const char *)sqlite3_column_text(st, 0));
    int64_t synced_size  = sqlite3_column_int64(st, 2), synced_mtime = sqlite3_column_int64(st, 3);
    sqlite3_reset(st);
    int rc = DLS_OK;
    struct stat before;
    if (stat(file, &before) != 0) {
        rc = dls_fail(e, DLS_ERR_IO, "%s: %s", file, strerror(errno));
        goto done;
    }
    int64_t before_mtime = note_mtime_ns(&before);
    /* the database knew the written file: it learns the restored one (else a sync must
     * still read an edit made before the grade, so its old identity stays) */
    int was_synced = (int64_t)before.st_size == synced_size && before_mtime == synced_mtime;
    note_file_id expect = sn->written, restored;
    expect.mtime_ns = before_mtime; /* size and bytes must be what the write-back made */
    if ((rc = note_replace_file(file, file, &expect, sn->raw, sn->raw_len, &restored, e)) != DLS_OK) goto done;

    /* the row mirrors the restored keys; sync's conventions (absent -> NULL) */
    dls_buf joined;
    dls_buf_init(&joined);
    dls_buf_join(&joined, sn->dates, sn->n_dates, ",");
    st = store_prepare(s, "UPDATE notes SET mastery = ?2, status = ?3, updated = ?4, review_dates = ?5, "
                          "file_size = CASE WHEN ?6 THEN ?7 ELSE file_size END, "
                          "file_mtime = CASE WHEN ?6 THEN ?8 ELSE file_mtime END, "
                          "sha256 = CASE WHEN ?6 THEN ?9 ELSE sha256 END WHERE id = ?1", e);
    if (st) {
        sqlite3_bind_int64(st, 1, note_id);
        if (sn->mastery >= 0) sqlite3_bind_int(st, 2, sn->mastery);
        if (sn->status != NOTE_STATUS_NONE)
            sqlite3_bind_text(st, 3, note_status_str((note_status)sn->status), -1, SQLITE_STATIC);
        if (sn->updated[0]) sqlite3_bind_text(st, 4, sn->updated, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 5, joined.data, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 6, was_synced);
        sqlite3_bind_int64(st, 7, restored.size);
        sqlite3_bind_int64(st, 8, restored.mtime_ns);
        sqlite3_bind_text(st, 9, restored.sha256, -1, SQLITE_TRANSIENT);
        rc = store_step_commit(s, st, "record the restored note", e);
    } else {
        rc = e ? e->code : DLS_ERR_DB;
    }
    dls_buf_deinit(&joined);
done:
    free(file);
    return rc;
}

/* ---- grade, undo, skip ---- */

int review_grade(review_session *rs, int rating, int64_t now, int64_t duration_ms, review_outcome *out,
                 dls_error *e) {
    if (!load_current(rs)) return no_card(rs, e);
    /* the card as stored now (another process may have reviewed it meanwhile) */
    store_card fresh;
    int rc = store_card_get(rs->s, rs->cur.id, &fresh, e);
    if (rc != DLS_OK) return rc;
    store_review r = {.card_id = fresh.id, .reviewed_at = now, .rating = rating, .before = fresh.m,
                      .duration_ms = duration_ms};
    int64_t note_id = fresh.note_id;
    store_card_deinit(&fresh);
    if ((rc = sched_review(&rs->p, &r.before, (uint64_t)r.card_id, rating, now, &r.after, &r.res, e)) != DLS_OK)
        return rc;
    int64_t log_id = 0;
    if ((rc = store_begin(rs->s, e)) != DLS_OK) return rc;
    if ((rc = store_log_append(rs->s, &r, &log_id, e)) != DLS_OK ||
        (rc = store_card_set_state(rs->s, r.card_id, &r.after, e)) != DLS_OK) {
        store_rollback(rs->s);
        return rc;
    }
    if ((rc = store_commit(rs->s, e)) != DLS_OK) return rc;

    if (rs->n_undo == rs->cap_undo) {
        rs->cap_undo = rs->cap_undo ? 2 * rs->cap_undo : 32;
        rs->undo     = xrealloc(rs->undo, rs->cap_undo * sizeof *rs->undo);
    }
    undo_entry *ue = &rs->undo[rs->n_undo++];
    memset(ue, 0, sizeof *ue);
    ue->log_id = log_id;
    rs->reviewed++;
    rs->head++;
    unload(rs);
    /* a (re)learning step due within the learn-ahead window comes back this session */
    if ((r.after.state == SCHED_LEARNING || r.after.state == SCHED_RELEARNING) &&
        r.after.due <= now + rs->o.learn_ahead_s)
        push(rs, r.card_id);
    review_outcome tmp, *o = out ? out : &tmp;
    memset(o, 0, sizeof *o);
    o->card_id = r.card_id;
    o->after   = r.after;
    o->res     = r.res;
    write_back(rs, note_id, now, NULL, &rs->undo[rs->n_undo - 1].snap, o);
    return DLS_OK;
}

int review_undo(review_session *rs, int64_t now, review_outcome *out, dls_error *e) {
    if (rs->n_undo == 0) return dls_fail(e, DLS_ERR_NOTFOUND, "nothing to undo in this session");
    int64_t want = rs->undo[rs->n_undo - 1].log_id, log_id, card_id;
    sched_card before;
    int rc = store_log_last(rs->s, 0, &log_id, &card_id, &before, e);
    if (rc != DLS_OK) return rc;
    if (log_id != want)
        return dls_fail(e, DLS_ERR_CHANGED, "cannot undo: another review was saved after this session's last one");
    if ((rc = store_begin(rs->s, e)) != DLS_OK) return rc;
    if ((rc = store_log_undo(rs->s, log_id, now, e)) != DLS_OK ||
        (rc = store_card_set_state(rs->s, card_id, &before, e)) != DLS_OK) {
        store_rollback(rs->s);
        return rc;
    }
    if ((rc = store_commit(rs->s, e)) != DLS_OK) return rc;
    owned_snap snap = rs->undo[--rs->n_undo].snap; /* taken over: freed below */
    rs->reviewed--;
    /* drop a re-queued copy, then put the card in front */
    for (size_t i = rs->head; i < rs->n; i++)
        if (rs->queue[i] == card_id) {
            memmove(rs->queue + i, rs->queue + i + 1, (rs->n - i - 1) * sizeof *rs->queue);
            rs->n--;
            break;
        }
    if (rs->head > 0) rs->queue[--rs->head] = card_id;
    else {
        push(rs, 0);
        memmove(rs->queue + 1, rs->queue, (rs->n - 1) * sizeof *rs->queue);
        rs->queue[0] = card_id;
    }
    unload(rs);
    store_card c;
    int64_t note_id = 0;
    if (store_card_get(rs->s, card_id, &c, NULL) == DLS_OK) note_id = c.note_id, store_card_deinit(&c);
    review_outcome tmp, *o = out ? out : &tmp;
    memset(o, 0, sizeof *o);
    o->card_id = card_id;
    o->after   = before;
    if (note_id && rs->o.write_back && snap.valid) {
        /* the bytes as they were; the old values spliced in when the file changed since */
        dls_error we = {0};
        int wr = restore_bytes(rs->s, rs->notes_dir, note_id, &snap, &we);
        if (wr == DLS_OK) o->wrote_note = 1;
        else if (wr == DLS_ERR_CHANGED) write_back(rs, note_id, now, &snap, NULL, o);
        else snprintf(o->note_msg, sizeof o->note_msg, "%s", we.msg);
    } else if (note_id) {
        write_back(rs, note_id, now, &snap, NULL, o);
    }
    snap_clear(&snap);
    return DLS_OK;
}

void review_skip(review_session *rs) {
    if (rs->head < rs->n) rs->head++;
    unload(rs);
}
