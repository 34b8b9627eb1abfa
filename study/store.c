/* store.c: the SQLite store (see store.h): open/create/migrate, connection settings,
 * the prepared-statement cache, settings, cards and the append-only review log.
 * Every SQLite result code is translated here into a dls_error, once. */
#include "study/store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const char dls_schema_sql[];

/* Migrations: entry i brings a database from user_version i to i + 1. A new database
 * gets schema.sql, which is always the newest schema, and the newest version at once;
 * a schema change edits schema.sql and appends its ALTER/CREATE statements here for the
 * databases made before it. */
static const char *const migrations[] = {
    NULL, /* 0 -> 1: dls_schema_sql (not a constant expression, filled in at use) */
    /* 1 -> 2: a card's line in its note (new cards are introduced in note order, then
     * line order); 0 until its note is read again */
    "ALTER TABLE cards ADD COLUMN line INTEGER NOT NULL DEFAULT 0;",
    /* 2 -> 3: nothing looks notes up by fingerprint in SQL (sync matches in memory), so
     * its index was only upkeep on every note written */
    "DROP INDEX IF EXISTS notes_fingerprint;",
};
#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

#define STMT_CACHE 256

struct store {
    sqlite3 *db;
    char    *path;
    struct {
        char         *sql;
        size_t        len; /* strlen(sql): most texts differ in length, and many share long prefixes */
        sqlite3_stmt *st;
    } cache[STMT_CACHE];
    int n_cache;
    int wal; /* the database is in WAL mode (a file, not :memory:) */
};

int store_schema_version(void) { return N_MIGRATIONS; }

sqlite3 *store_db(store *s) { return s->db; }
const char *store_path(const store *s) { return s->path; }

int store_check(store *s, int rc, const char *what, dls_error *e) {
    switch (rc & 0xff) {
    case SQLITE_OK: case SQLITE_ROW: case SQLITE_DONE:
        return DLS_OK;
    case SQLITE_BUSY: case SQLITE_LOCKED:
        return dls_fail(e, DLS_ERR_BUSY, "%s: database is busy (another dlstudy is using it); try again",
                        s->path);
    case SQLITE_CANTOPEN:
        return dls_fail(e, DLS_ERR_IO, "%s: cannot open the database (does its folder exist and may we write it?)",
                        s->path);
    case SQLITE_READONLY:
        return dls_fail(e, DLS_ERR_IO, "%s: the database is read-only", s->path);
    case SQLITE_FULL:
        return dls_fail(e, DLS_ERR_IO, "%s: disk full", s->path);
    case SQLITE_NOTADB: case SQLITE_CORRUPT:
        return dls_fail(e, DLS_ERR_CORRUPT,
                        "%s: not a dlstudy database or corrupt (%s); it was left untouched: "
                        "move it away or choose another with --db",
                        s->path, sqlite3_errstr(rc));
    default:
        return dls_fail(e, DLS_ERR_DB, "%s: %s: %s", s->path, what,
                        s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
    }
}

sqlite3_stmt *store_prepare(store *s, const char *sql, dls_error *e) {
    size_t len = strlen(sql);
    for (int i = 0; i < s->n_cache; i++)
        if (s->cache[i].len == len && !memcmp(s->cache[i].sql, sql, len)) {
            sqlite3_stmt *st = s->cache[i].st;
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            return st;
        }
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK) {
        store_check(s, rc, "prepare", e);
        return NULL;
    }
    if (s->n_cache < STMT_CACHE) {
        s->cache[s->n_cache].sql = xstrdup(sql); /* callers may pass built strings */
        s->cache[s->n_cache].len = len;
        s->cache[s->n_cache].st  = st;
        s->n_cache++;
    } else {
        DLS_ASSERT(!"statement cache full: raise STMT_CACHE");
    }
    return st;
}

int store_step_done(store *s, sqlite3_stmt *st, const char *what, dls_error *e) {
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW) rc = SQLITE_DONE;
    return store_check(s, rc, what, e);
}

static int exec(store *s, const char *sql, const char *what, dls_error *e) {
    char *msg = NULL;
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
    int code = DLS_OK;
    if (rc != SQLITE_OK) {
        code = store_check(s, rc, what, e);
        if (code == DLS_ERR_DB && msg) dls_fail(e, DLS_ERR_DB, "%s: %s: %s", s->path, what, msg);
    }
    sqlite3_free(msg);
    return code;
}

int store_begin(store *s, dls_error *e) { return exec(s, "BEGIN IMMEDIATE", "begin", e); }
int store_commit(store *s, dls_error *e) {
    int rc = exec(s, "COMMIT", "commit", e);
    if (rc != DLS_OK) store_rollback(s);
    return rc;
}
void store_rollback(store *s) {
    if (!sqlite3_get_autocommit(s->db)) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

int store_step_commit(store *s, sqlite3_stmt *st, const char *what, dls_error *e) {
    int rc = store_begin(s, e);
    if (rc != DLS_OK) return rc;
    if ((rc = store_step_done(s, st, what, e)) != DLS_OK) {
        store_rollback(s);
        return rc;
    }
    return store_commit(s, e);
}

static int query_int(store *s, const char *sql, int *out, dls_error *e) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *out = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return store_check(s, rc, sql, e);
}

/* PRAGMA user_version; "newer than us" is refused here. The first read of the file's
 * header, so it also tells a non-SQLite file (SQLITE_NOTADB). */
static int read_version(store *s, int *version, dls_error *e) {
    int rc;
    if ((rc = query_int(s, "PRAGMA user_version", version, e)) != DLS_OK) return rc;
    if (*version > N_MIGRATIONS)
        return dls_fail(e, DLS_ERR_UNSUPPORTED,
                        "%s: database version %d is newer than this dlstudy knows (%d); upgrade dlstudy",
                        s->path, *version, N_MIGRATIONS);
    return DLS_OK;
}

static int migrate(store *s, dls_error *e) {
    int version = 0, objects = 0, rc;
    if ((rc = read_version(s, &version, e)) != DLS_OK) return rc;
    if (version == N_MIGRATIONS) return DLS_OK; /* the common case: no write lock taken */
    /* Decide under the write lock: two processes opening a new database at once would
     * otherwise both see it empty (the second then fails on tables that exist), or one
     * would see the other's half-made schema and take it for a stranger's database. */
    if ((rc = store_begin(s, e)) != DLS_OK) return rc;
    if ((rc = read_version(s, &version, e)) != DLS_OK) goto fail;
    if (version == 0 && (rc = query_int(s, "SELECT count(*) FROM sqlite_master", &objects, e)) != DLS_OK) goto fail;
    if (objects > 0) {
        /* an existing SQLite file of some other program: never write into it */
        rc = dls_fail(e, DLS_ERR_CORRUPT,
                      "%s: a SQLite database, but not dlstudy's (no schema version); it was "
                      "left untouched: choose another with --db", s->path);
        goto fail;
    }
    for (int v = version; v < N_MIGRATIONS; v++) {
        const char *sql = v == 0 ? dls_schema_sql : migrations[v];
        int to = v == 0 ? N_MIGRATIONS : v + 1; /* schema.sql is the newest schema */
        char what[64], pragma[64];
        snprintf(what, sizeof what, "migration to version %d", to);
        /* PRAGMA takes no bound parameters; the value is our own integer, never input */
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", to);
        if ((rc = exec(s, sql, what, e)) != DLS_OK || (rc = exec(s, pragma, what, e)) != DLS_OK) goto fail;
        v = to - 1;
    }
    return store_commit(s, e);
fail:
    store_rollback(s);
    return rc;
}

/* The pragma's answer in out (journal_mode names the mode now), "" on error. Returns
 * SQLite's result code (SQLITE_OK when it answered): the caller decides which failure
 * it can live with. */
static int pragma_text(store *s, const char *sql, char *out, size_t n) {
    sqlite3_stmt *st = NULL;
    out[0] = '\0';
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        snprintf(out, n, "%s", t ? (const char *)t : "");
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

/* Process-wide SQLite settings, before its first use: no memory statistics (they take a
 * global mutex on every allocation; nobody reads them). */
static void configure_sqlite(void) { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }

int store_open(const char *path, store **out, dls_error *e) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, configure_sqlite);
    store *s = xcalloc(1, sizeof *s);
    s->path  = xstrdup(path);
    /* NOMUTEX: a store belongs to one thread at a time (store.h), so the connection's own
     * mutex would only be taken and released on every call for nothing */
    int rc   = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    int code;
    if (rc != SQLITE_OK) {
        code = dls_fail(e, rc == SQLITE_CANTOPEN ? DLS_ERR_IO : DLS_ERR_DB, "%s: cannot open database: %s",
                        path, s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, 5000);
    if ((code = exec(s, "PRAGMA foreign_keys = ON", "foreign keys", e)) != DLS_OK) goto fail;
    if ((code = migrate(s, e)) != DLS_OK) goto fail;
    /* WAL only once we know the file is ours: switching writes to it. The mode is kept in
     * the file, so this is usually a no-op; but while another dlstudy holds the database
     * (a sync leaves WAL for its bulk import) the switch is refused as busy. That is no
     * error: the rollback journal is just as safe, only slower for readers beside a writer.
     * Any other failure (read-only, disk full, I/O) is, and is reported here, at open. */
    if (strcmp(path, ":memory:") != 0 && path[0] != '\0') {
        char mode[16];
        rc = pragma_text(s, "PRAGMA journal_mode = WAL", mode, sizeof mode);
        if ((rc & 0xff) != SQLITE_BUSY && (code = store_check(s, rc, "journal mode", e)) != DLS_OK) goto fail;
        s->wal = strcmp(mode, "wal") == 0;
    }
    /* NORMAL is only safe with WAL; a rollback journal is synced fully */
    if ((code = exec(s, s->wal ? "PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = FULL", "synchronous", e)) !=
        DLS_OK)
        goto fail;
    /* a cold sync of 10,000 notes writes ~50 MB in one transaction: a larger page cache
     * keeps hot index pages from spilling to the WAL again and again (grows on demand) */
    if ((code = exec(s, "PRAGMA cache_size = -32768", "cache size", e)) != DLS_OK) goto fail;
    *out = s;
    return DLS_OK;
fail:
    store_free(s);
    return code;
}

void store_free(store *s) {
    if (!s) return;
    for (int i = 0; i < s->n_cache; i++) sqlite3_finalize(s->cache[i].st), free(s->cache[i].sql);
    if (s->db) sqlite3_close(s->db);
    free(s->path);
    free(s);
}

/* ---- bulk import ---- */

int store_bulk_begin(store *s) {
    if (!s->wal || !sqlite3_get_autocommit(s->db)) return 0;
    char mode[16];
    /* leaving WAL needs the only connection: ask once, never wait (an open app) */
    sqlite3_busy_timeout(s->db, 0);
    pragma_text(s, "PRAGMA journal_mode = DELETE", mode, sizeof mode);
    sqlite3_busy_timeout(s->db, 5000);
    if (strcmp(mode, "delete") != 0) return 0;
    s->wal = 0;
    /* NORMAL is only safe with WAL; a rollback journal is synced fully */
    if (sqlite3_exec(s->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL) != SQLITE_OK) {
        store_bulk_end(s);
        return 0;
    }
    return 1;
}

void store_bulk_end(store *s) {
    char mode[16];
    pragma_text(s, "PRAGMA journal_mode = WAL", mode, sizeof mode);
    s->wal = strcmp(mode, "wal") == 0;
    sqlite3_exec(s->db, s->wal ? "PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = FULL", NULL, NULL, NULL);
}

/* ---- settings ---- */

int store_setting_get(store *s, const char *key, char **out, dls_error *e) {
    *out = NULL;
    sqlite3_stmt *st = store_prepare(s, "SELECT value FROM settings WHERE key = ?1", e);
    if (!st) return e ? e->code : DLS_ERR_DB;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *out = store_col_text(st, 0);
    sqlite3_reset(st);
    return store_check(s, rc, "read setting", e);
}

int store_new_per_day(store *s, int *out, dls_error *e) {
    char *v;
    int   rc = store_setting_get(s, "new_per_day", &v, e);
    *out     = v && *v ? atoi(v) : 20;
    free(v);
    return rc;
}

int store_setting_set(store *s, const char *key, const char *value, dls_error *e) {
    sqlite3_stmt *st = store_prepare(
        s, "INSERT INTO settings(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2", e);
    if (!st) return e ? e->code : DLS_ERR_DB;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    return store_step_commit(s, st, "save setting", e);
}

static int setting_number(store *s, const char *key, double *out, dls_error *e) {
    char *v;
    int   rc = store_setting_get(s, key, &v, e);
    if (rc != DLS_OK || !v) return rc; /* unset: keep the default */
    char *end;
    double d = strtod(v, &end);
    int ok = end != v && *end == '\0';
    free(v);
    if (!ok) return dls_fail(e, DLS_ERR_INVALID, "setting %s is not a number", key);
    *out = d;
    return DLS_OK;
}

int store_sched_params(store *s, sched_params *p, dls_error *e) {
    sched_params_default(p);
    p->days = SCHED_DAYS_CALENDAR;
    double ret = p->retention, roll = p->rollover_hour, maxi = p->max_interval;
    int rc;
    if ((rc = setting_number(s, "desired_retention", &ret, e)) != DLS_OK) return rc;
    if ((rc = setting_number(s, "rollover_hour", &roll, e)) != DLS_OK) return rc;
    if ((rc = setting_number(s, "maximum_interval", &maxi, e)) != DLS_OK) return rc;
    p->retention = ret, p->rollover_hour = (int)roll, p->max_interval = (int)maxi;
    static const char *const keys[2] = {"learning_steps", "relearning_steps"};
    for (int k = 0; k < 2; k++) {
        char *v;
        if ((rc = store_setting_get(s, keys[k], &v, e)) != DLS_OK) return rc;
        if (!v) continue;
        dls_error pe = {0};
        rc = k == 0 ? sched_steps_parse(v, p->learn, &p->n_learn, &pe)
                    : sched_steps_parse(v, p->relearn, &p->n_relearn, &pe);
        free(v);
        if (rc != DLS_OK) return dls_fail(e, rc, "setting %s: %s", keys[k], pe.msg);
    }
    char *fz;
    if ((rc = store_setting_get(s, "fuzz", &fz, e)) != DLS_OK) return rc;
    if (fz) {
        p->fuzz = strcmp(fz, "off") != 0 && strcmp(fz, "0") != 0;
        free(fz);
    }
    dls_error ce = {0};
    if ((rc = sched_params_check(p, &ce)) != DLS_OK) return dls_fail(e, rc, "settings: %s", ce.msg);
    return DLS_OK;
}

/* ---- cards ---- */

void store_card_deinit(store_card *c) {
    free(c->uid), free(c->kind), free(c->heading_path), free(c->front), free(c->back);
    memset(c, 0, sizeof *c);
}

char *store_col_text(sqlite3_stmt *st, int i) {
    const unsigned char *t = sqlite3_column_text(st, i);
    return xstrdup(t ? (const char *)t : "");
}

void store_col_card(sqlite3_stmt *st, int i, sched_card *m) {
    m->state       = sqlite3_column_int(st, i);
    m->step        = sqlite3_column_int(st, i + 1);
    m->s           = sqlite3_column_double(st, i + 2);
    m->d           = sqlite3_column_double(st, i + 3);
    m->due         = sqlite3_column_int64(st, i + 4);
    m->last_review = sqlite3_column_int64(st, i + 5);
    m->reps        = sqlite3_column_int(st, i + 6);
    m->lapses      = sqlite3_column_int(st, i + 7);
}

int store_card_get(store *s, int64_t id, store_card *out, dls_error *e) {
    sqlite3_stmt *st = store_prepare(
        s, "SELECT id, note_id, uid, kind, heading_path, front, back, ord, state, step, "
           "coalesce(stability, 0), coalesce(difficulty, 0), coalesce(due, 0), "
           "coalesce(last_review, 0), reps, lapses FROM cards WHERE id = ?1", e);
    if (!st) return e ? e->code : DLS_ERR_DB;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        if (rc == SQLITE_DONE) return dls_fail(e, DLS_ERR_NOTFOUND, "card %lld not found", (long long)id);
        return store_check(s, rc, "read card", e);
    }
    memset(out, 0, sizeof *out);
    out->id           = sqlite3_column_int64(st, 0);
    out->note_id      = sqlite3_column_int64(st, 1);
    out->uid          = store_col_text(st, 2);
    out->kind         = store_col_text(st, 3);
    out->heading_path = store_col_text(st, 4);
    out->front        = store_col_text(st, 5);
    out->back         = store_col_text(st, 6);
    out->ord          = sqlite3_column_int(st, 7);
    store_col_card(st, 8, &out->m);
    sqlite3_reset(st);
    return DLS_OK;
}

/* Binds a memory state as NULL where the card has none yet (new: no S/D, no due). */
static void bind_pos_double(sqlite3_stmt *st, int i, double v) {
    if (v > 0) sqlite3_bind_double(st, i, v);
    else sqlite3_bind_null(st, i);
}
static void bind_pos_int64(sqlite3_stmt *st, int i, int64_t v) {
    if (v > 0) sqlite3_bind_int64(st, i, v);
    else sqlite3_bind_null(st, i);
}

int store_card_set_state(store *s, int64_t id, const sched_card *m, dls_error *e) {
    sqlite3_stmt *st = store_prepare(
        s, "UPDATE cards SET state = ?2, step = ?3, stability = ?4, difficulty = ?5, due = ?6, "
           "last_review = ?7, reps = ?8, lapses = ?9 WHERE id = ?1", e);
    if (!st) return e ? e->code : DLS_ERR_DB;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, m->state);
    sqlite3_bind_int(st, 3, m->step);
    bind_pos_double(st, 4, m->s);
    bind_pos_double(st, 5, m->d);
    bind_pos_int64(st, 6, m->due);
    bind_pos_int64(st, 7, m->last_review);
    sqlite3_bind_int(st, 8, m->reps);
    sqlite3_bind_int(st, 9, m->lapses);
    return store_step_done(s, st, "save card", e);
}

/* ---- review log ---- */

int store_log_append(store *s, const store_review *r, int64_t *id, dls_error *e) {
    sqlite3_stmt *st = store_prepare(
        s, "INSERT INTO review_log(card_id, kind, reviewed_at, rating, elapsed_days, retrievability, "
           "state_before, step_before, s_before, d_before, due_before, last_before, reps_before, "
           "lapses_before, state_after, step_after, s_after, d_after, due_after, scheduled_days, "
           "duration_ms) VALUES (?1, 'review', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
           "?14, ?15, ?16, ?17, ?18, ?19, ?20)", e);
    if (!st) return e ? e->code : DLS_ERR_DB;
    sqlite3_bind_int64(st, 1, r->card_id);
    sqlite3_bind_int64(st, 2, r->reviewed_at);
    sqlite3_bind_int(st, 3, r->rating);
    if (r->res.elapsed_days >= 0) sqlite3_bind_int(st, 4, r->res.elapsed_days);
    if (r->res.r >= 0) sqlite3_bind_double(st, 5, r->res.r);
    sqlite3_bind_int(st, 6, r->before.state);
    sqlite3_bind_int(st, 7, r->before.step);
    bind_pos_double(st, 8, r->before.s);
    bind_pos_double(st, 9, r->before.d);
    bind_pos_int64(st, 10, r->before.due);
    bind_pos_int64(st, 11, r->before.last_review);
    sqlite3_bind_int(st, 12, r->before.reps);
    sqlite3_bind_int(st, 13, r->before.lapses);
    sqlite3_bind_int(st, 14, r->after.state);
    sqlite3_bind_int(st, 15, r->after.step);
    bind_pos_double(st, 16, r->after.s);
    bind_pos_double(st, 17, r->after.d);
    bind_pos_int64(st, 18, r->after.due);
    sqlite3_bind_int(st, 19, r->res.scheduled_days);
    if (r->duration_ms >= 0) sqlite3_bind_int64(st, 20, r->duration_ms);
    int rc = store_step_done(s, st, "append review", e);
    if (rc == DLS_OK && id) *id = sqlite3_last_insert_rowid(s->db);
    return rc;
}

int store_log_import(store *s, int64_t card_id, int64_t when, dls_error *e) {
    sqlite3_stmt *st = store_prepare(
        s, "INSERT INTO review_log(card_id, kind, reviewed_at) VALUES (?1, 'import', ?2)", e);
    if (!st) return e ? e->code : DLS_ERR_DB;
    sqlite3_bind_int64(st, 1, card_id);
    sqlite3_bind_int64(st, 2, when);
    return store_step_done(s, st, "import review date", e);
}

int store_log_last(store *s, int64_t note_filter, int64_t *log_id, int64_t *card_id, sched_card *before,
                   dls_error *e) {
    sqlite3_stmt *st = store_prepare(
        s, "SELECT r.id, r.card_id, r.state_before, r.step_before, coalesce(r.s_before, 0), "
           "coalesce(r.d_before, 0), coalesce(r.due_before, 0), coalesce(r.last_before, 0), "
           "r.reps_before, r.lapses_before FROM review_log r JOIN cards c ON c.id = r.card_id "
           "WHERE r.kind = 'review' AND (?1 <= 0 OR c.note_id = ?1) "
           "AND NOT EXISTS (SELECT 1 FROM review_log u WHERE u.undoes = r.id) "
           "ORDER BY r.id DESC LIMIT 1", e);
    if (!st) return e ? e->code : DLS_ERR_DB;
    sqlite3_bind_int64(st, 1, note_filter);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        if (rc == SQLITE_DONE) return dls_fail(e, DLS_ERR_NOTFOUND, "no review to undo");
        return store_check(s, rc, "find last review", e);
    }
    *log_id  = sqlite3_column_int64(st, 0);
    *card_id = sqlite3_column_int64(st, 1);
    if (before) store_col_card(st, 2, before);
    sqlite3_reset(st);
    return DLS_OK;
}

int store_log_undo(store *s, int64_t log_id, int64_t now, dls_error *e) {
    sqlite3_stmt *st = store_prepare(
        s, "INSERT INTO review_log(card_id, kind, undoes, reviewed_at) "
           "SELECT card_id, 'undo', id, ?2 FROM review_log WHERE id = ?1", e);
    if (!st) return e ? e->code : DLS_ERR_DB;
    sqlite3_bind_int64(st, 1, log_id);
    sqlite3_bind_int64(st, 2, now);
    return store_step_done(s, st, "undo review", e);
}
