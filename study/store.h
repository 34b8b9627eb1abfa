/* store.h: dlstudy's SQLite database. Opens or creates it from the embedded schema.sql,
 * migrates it by PRAGMA user_version, sets WAL, foreign keys and a busy timeout, and
 * caches prepared statements. Provides the card and review-log operations that several
 * modules share (the review session, sync, the screens); module-specific SQL (sync's note
 * bookkeeping, the labs helper's lab_runs/lab_metrics) goes through store_db() /
 * store_prepare(). Not here: scheduling (sched.h), note parsing (note.h).
 *
 * Rules every caller keeps: every write inside store_begin/store_commit, every value bound
 * as a parameter (never formatted into SQL text), and a store is used by one thread at a
 * time (a thread that needs the database opens its own store, as the app's sync does). */
#ifndef STUDY_STORE_H
#define STUDY_STORE_H

#include "study/sched.h"
#include "util/dls.h"

#include <sqlite3.h>
#include <stdint.h>

typedef struct store store;

/* The newest schema version this program knows (PRAGMA user_version after migrating). */
int store_schema_version(void);

/* Opens path (":memory:" for a private in-memory database), creating the file (not its
 * folder) when missing, then creates or migrates the schema. Fails, leaving the file as it
 * was, with DLS_ERR_CORRUPT ("PATH: not a dlstudy database ...") for a corrupt, foreign or
 * non-SQLite file, DLS_ERR_BUSY when another process holds it past the busy timeout,
 * DLS_ERR_UNSUPPORTED for a database from a newer dlstudy, DLS_ERR_IO when it cannot be
 * opened or written (no such folder, read-only, disk full), DLS_ERR_DB otherwise.
 * *out is written only on DLS_OK; free with store_free. */
int  store_open(const char *path, store **out, dls_error *e);
void store_free(store *s);

/* The connection, for modules that write their own SQL (labs). Borrowed until store_free. */
sqlite3    *store_db(store *s);
const char *store_path(const store *s);

/* A cached prepared statement for sql (looked up by text), reset and with its bindings
 * cleared; owned by the store (do not finalize). NULL on error (e filled). */
sqlite3_stmt *store_prepare(store *s, const char *sql, dls_error *e);
/* Translates a SQLite result code into a dls code and message ("PATH: what: sqlite msg");
 * returns the dls code (DLS_OK for SQLITE_OK/ROW/DONE). */
int store_check(store *s, int rc, const char *what, dls_error *e);
/* Column i of the current row as a new string ("" for NULL); the caller frees it. */
char *store_col_text(sqlite3_stmt *st, int i);
/* Columns i..i+7 of the current row as a memory state: state, step, stability,
 * difficulty, due, last_review, reps, lapses, in that order (NULL reads as 0). */
void store_col_card(sqlite3_stmt *st, int i, sched_card *m);
/* Steps a statement that returns no rows (to SQLITE_DONE) and resets it. */
int store_step_done(store *s, sqlite3_stmt *st, const char *what, dls_error *e);

/* Transactions: BEGIN IMMEDIATE (takes the write lock at once, so a busy database is
 * reported before any work), COMMIT, ROLLBACK (never fails). Not nestable. */
int  store_begin(store *s, dls_error *e);
int  store_commit(store *s, dls_error *e);
void store_rollback(store *s);
/* One write statement (no rows) in a transaction of its own: store_begin, the step,
 * store_commit; rolled back when the step fails. */
int  store_step_commit(store *s, sqlite3_stmt *st, const char *what, dls_error *e);

/* Bulk import (the first sync into an empty database): in WAL mode every page of a big
 * transaction is written twice (to the WAL, then by the checkpoint) and read back once;
 * with a rollback journal, pages beyond the old end of the file are written once and not
 * journaled at all. store_bulk_begin switches this connection to a rollback journal
 * (synchronous FULL) when it is the only one open, without waiting, outside a
 * transaction; returns 1 when it did (then call store_bulk_end after the commit or
 * rollback, which goes back to WAL), 0 when nothing changed. */
int  store_bulk_begin(store *s);
void store_bulk_end(store *s);

/* Settings (the settings table). get sets *out to a copy (free it), or NULL when the key
 * is unset; a database failure is an error, never read as "unset". */
int store_setting_get(store *s, const char *key, char **out, dls_error *e);
int store_setting_set(store *s, const char *key, const char *value, dls_error *e);
/* The setting new_per_day as a number (20 when unset or not a number). */
int store_new_per_day(store *s, int *out, dls_error *e);
/* The scheduler parameters from the settings (calendar days, the rollover hour),
 * validated; DLS_ERR_INVALID names the bad setting. */
int store_sched_params(store *s, sched_params *p, dls_error *e);

/* A card as stored. Strings are owned by the struct (store_card_deinit frees them). */
typedef struct store_card {
    int64_t    id, note_id;
    char      *uid, *kind, *heading_path, *front, *back;
    int        ord;
    sched_card m;
} store_card;
void store_card_deinit(store_card *c);
/* DLS_OK, DLS_ERR_NOTFOUND, or a database error. */
int store_card_get(store *s, int64_t id, store_card *out, dls_error *e);
/* Writes the memory state m of card id (inside the caller's transaction). */
int store_card_set_state(store *s, int64_t id, const sched_card *m, dls_error *e);

/* One review-log row (kind 'review'). */
typedef struct store_review {
    int64_t      card_id;
    int64_t      reviewed_at;
    int          rating;
    sched_card   before, after;
    sched_result res;
    int64_t      duration_ms;
} store_review;
/* Appends a review row (inside the caller's transaction); *id (may be NULL) gets its id. */
int store_log_append(store *s, const store_review *r, int64_t *id, dls_error *e);
/* Appends an imported past review (from review_dates; no rating, no memory state). */
int store_log_import(store *s, int64_t card_id, int64_t when, dls_error *e);
/* The latest review that is not undone (kind 'review'): its row id, card id and the
 * state before it; DLS_ERR_NOTFOUND when there is none. note_filter > 0 restricts it to
 * that note's cards. */
int store_log_last(store *s, int64_t note_filter, int64_t *log_id, int64_t *card_id,
                   sched_card *before, dls_error *e);
/* Appends the undo marker for log row log_id (inside the caller's transaction). */
int store_log_undo(store *s, int64_t log_id, int64_t now, dls_error *e);

#endif
