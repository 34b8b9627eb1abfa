-- schema.sql: the one definition of dlstudy's database (SQLite 3). It is compiled into
-- the program (tools/embed.sh -> dls_schema_sql) and applied by study/store.c to a new
-- database, which then has the newest PRAGMA user_version; every change here is also
-- appended to the migrations list in store.c, which brings older databases up to it. It holds tables, indexes, triggers and default settings only:
-- connection settings (WAL, foreign_keys, busy_timeout) live in store.c.
--
-- Times are Unix seconds (UTC) in INTEGER columns; dates from notes are 'YYYY-MM-DD' text.

-- One row per markdown note. `key` is the note's stable key (survives renames and moves);
-- `path` is relative to the notes folder. size/mtime/sha256 let a warm sync skip files
-- that did not change without parsing them. A note that disappears is marked gone, not
-- deleted, so its cards and history come back if it reappears (same key or content).
CREATE TABLE IF NOT EXISTS notes (
    id           INTEGER PRIMARY KEY,
    key          TEXT    NOT NULL UNIQUE,
    path         TEXT    NOT NULL,
    title        TEXT    NOT NULL DEFAULT '',
    category     TEXT    NOT NULL DEFAULT '',
    tags         TEXT    NOT NULL DEFAULT '',   -- comma-separated
    created      TEXT,
    updated      TEXT,
    mastery      INTEGER,                       -- as written in the frontmatter (0-5)
    difficulty   INTEGER,                       -- 1-5
    status       TEXT,                          -- new|learning|reviewing|mastered
    review_dates TEXT    NOT NULL DEFAULT '',   -- comma-separated dates, as read
    related      TEXT    NOT NULL DEFAULT '',   -- comma-separated paths
    labs         TEXT    NOT NULL DEFAULT '',   -- comma-separated lab names
    file_size    INTEGER NOT NULL DEFAULT -1,
    file_mtime   INTEGER NOT NULL DEFAULT -1,   -- nanoseconds
    sha256       TEXT    NOT NULL DEFAULT '',   -- of the raw bytes
    fingerprint  TEXT    NOT NULL DEFAULT '',   -- of the body only (matches moved notes)
    parse_ok     INTEGER NOT NULL DEFAULT 1,
    last_error   TEXT,                          -- file:line:col: message when parse_ok = 0
    warnings     TEXT    NOT NULL DEFAULT '',   -- newline-separated
    imported_at  INTEGER NOT NULL,
    synced_at    INTEGER NOT NULL,
    gone         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS notes_path ON notes(path);
-- (no index on fingerprint: sync matches moved notes in memory; SQL never looks it up)

-- One row per review card: a concept (a ## or ### heading and its section) or an
-- explicit `Question :: Answer`. `uid` is the card's stable id from the notes reader.
-- The FSRS memory state lives here; state 0 = new, 1 = learning, 2 = review,
-- 3 = relearning. stability/difficulty are NULL until the first review.
CREATE TABLE IF NOT EXISTS cards (
    id           INTEGER PRIMARY KEY,
    uid          TEXT    NOT NULL UNIQUE,
    note_id      INTEGER NOT NULL REFERENCES notes(id),
    kind         TEXT    NOT NULL CHECK (kind IN ('concept', 'explicit')),
    ord          INTEGER NOT NULL DEFAULT 0,    -- position in the note
    line         INTEGER NOT NULL DEFAULT 0,    -- 1-based line of its heading or `Q :: A` line (0: unknown)
    heading_path TEXT    NOT NULL DEFAULT '',   -- "Note title > Section > Concept"
    front        TEXT    NOT NULL DEFAULT '',
    back         TEXT    NOT NULL DEFAULT '',
    state        INTEGER NOT NULL DEFAULT 0 CHECK (state BETWEEN 0 AND 3),
    step         INTEGER NOT NULL DEFAULT 0,
    stability    REAL,
    difficulty   REAL,
    due          INTEGER,                       -- NULL: new, not yet scheduled
    last_review  INTEGER,
    reps         INTEGER NOT NULL DEFAULT 0,
    lapses       INTEGER NOT NULL DEFAULT 0,
    gone         INTEGER NOT NULL DEFAULT 0     -- removed from its note; kept for history
);
CREATE INDEX IF NOT EXISTS cards_note ON cards(note_id);
CREATE INDEX IF NOT EXISTS cards_due ON cards(due) WHERE due IS NOT NULL; -- new cards (most) stay out

-- The review history: append-only. Every review appends a row with the memory state
-- before and after; the state before is complete so that undo can restore it. Undo
-- appends a row of kind 'undo' whose `undoes` names the review it cancels; nothing is
-- ever updated or deleted (the triggers below refuse it). Reviews imported from a
-- note's review_dates have kind 'import' and no rating.
CREATE TABLE IF NOT EXISTS review_log (
    id              INTEGER PRIMARY KEY,
    card_id         INTEGER NOT NULL REFERENCES cards(id),
    kind            TEXT    NOT NULL DEFAULT 'review' CHECK (kind IN ('review', 'import', 'undo')),
    undoes          INTEGER REFERENCES review_log(id),
    reviewed_at     INTEGER NOT NULL,
    rating          INTEGER CHECK (rating BETWEEN 1 AND 4),
    elapsed_days    INTEGER,
    retrievability  REAL,
    state_before    INTEGER,
    step_before     INTEGER,
    s_before        REAL,
    d_before        REAL,
    due_before      INTEGER,
    last_before     INTEGER,
    reps_before     INTEGER,
    lapses_before   INTEGER,
    state_after     INTEGER,
    step_after      INTEGER,
    s_after         REAL,
    d_after         REAL,
    due_after       INTEGER,
    scheduled_days  INTEGER,
    duration_ms     INTEGER,
    CHECK ((kind = 'review' AND rating IS NOT NULL) OR (kind = 'import' AND rating IS NULL)
           OR (kind = 'undo' AND undoes IS NOT NULL))
);
CREATE INDEX IF NOT EXISTS review_log_card ON review_log(card_id, id);
CREATE INDEX IF NOT EXISTS review_log_undoes ON review_log(undoes) WHERE undoes IS NOT NULL;

CREATE TRIGGER IF NOT EXISTS review_log_no_update BEFORE UPDATE ON review_log
BEGIN
    SELECT RAISE(ABORT, 'review_log is append-only');
END;
CREATE TRIGGER IF NOT EXISTS review_log_no_delete BEFORE DELETE ON review_log
BEGIN
    SELECT RAISE(ABORT, 'review_log is append-only');
END;
-- An undo may only cancel a real review that is not already undone.
CREATE TRIGGER IF NOT EXISTS review_log_undo_check BEFORE INSERT ON review_log
WHEN NEW.kind = 'undo'
BEGIN
    SELECT RAISE(ABORT, 'undo must name a review that is not undone')
    WHERE NOT EXISTS (SELECT 1 FROM review_log WHERE id = NEW.undoes AND kind = 'review')
       OR EXISTS (SELECT 1 FROM review_log WHERE undoes = NEW.undoes);
END;

-- Reviews that count: not undone, not undo markers.
CREATE VIEW IF NOT EXISTS review_history AS
    SELECT r.* FROM review_log r
    WHERE r.kind <> 'undo'
      AND NOT EXISTS (SELECT 1 FROM review_log u WHERE u.undoes = r.id);

-- Labs (labs/NAME.yaml), their runs and per-epoch metrics; written by study/lab_*.c.
CREATE TABLE IF NOT EXISTS labs (
    name       TEXT PRIMARY KEY,
    title      TEXT NOT NULL DEFAULT '',
    spec_path  TEXT NOT NULL DEFAULT '',
    concepts   TEXT NOT NULL DEFAULT '',        -- comma-separated concept keys
    updated_at INTEGER
);

CREATE TABLE IF NOT EXISTS lab_runs (
    id             INTEGER PRIMARY KEY,
    lab            TEXT    NOT NULL,
    variant        TEXT    NOT NULL DEFAULT '',
    status         TEXT    NOT NULL DEFAULT 'running'
                   CHECK (status IN ('running', 'done', 'stopped', 'failed')),
    started_at     INTEGER NOT NULL,
    finished_at    INTEGER,
    seed           INTEGER,
    device         TEXT,
    epochs_planned INTEGER,
    epochs_done    INTEGER NOT NULL DEFAULT 0,
    batch          INTEGER,
    lr             REAL,
    checkpoint     TEXT,
    config         TEXT,
    error          TEXT
);
CREATE INDEX IF NOT EXISTS lab_runs_lab ON lab_runs(lab, started_at);

CREATE TABLE IF NOT EXISTS lab_metrics (
    run_id       INTEGER NOT NULL REFERENCES lab_runs(id) ON DELETE CASCADE,
    epoch        INTEGER NOT NULL,
    train_loss   REAL,
    train_acc    REAL,
    test_loss    REAL,
    test_acc     REAL,
    seconds      REAL,
    images_per_s REAL,
    PRIMARY KEY (run_id, epoch)
);

-- User settings, key/value text. Defaults below; study/store.c validates on read.
CREATE TABLE IF NOT EXISTS settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT OR IGNORE INTO settings(key, value) VALUES
    ('desired_retention', '0.9'),     -- 0.70-0.97
    ('learning_steps',    '1m,10m'),  -- may be empty
    ('relearning_steps',  '10m'),     -- may be empty
    ('rollover_hour',     '4'),       -- a new study day starts at this local hour
    ('maximum_interval',  '36500'),   -- days
    ('fuzz',              'on'),      -- on|off
    ('new_per_day',       '20');      -- new cards introduced per day
