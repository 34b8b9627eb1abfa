/* review.h: one review session, free of terminal I/O so that the plain line mode
 * (tui/cmd_study.c) and the ncurses review screen drive the same logic:
 *   - today's queue: cards due now (learning and relearning first, then by due time;
 *     cards due within the learn-ahead window count), then new cards up to the daily
 *     limit (setting new_per_day, less those introduced earlier this study day), in a
 *     learning order: by the note's difficulty (1 first; none counts as 3), its created
 *     date (none last), then broader notes first (more `related` links: an overview
 *     links to the notes it introduces), then its path; a note's cards stay together,
 *     in the order of their lines in the note;
 *   - a preview of the four ratings (interval label, new state), deterministic: fuzz is
 *     seeded by card id + review count, so the preview is exactly what grading does;
 *   - grade: appends to review_log and saves the card in one transaction, then writes
 *     the note's owned keys back (mastery, status, updated, review_dates = past review
 *     dates + next due date). A write-back failure is reported in the outcome; the
 *     review stays saved. A learning card due again soon is put back at the end;
 *   - undo of this session's last review (an 'undo' row in the log; the card state is
 *     restored, and the note's owned keys are put back as the file had them before that
 *     grade; re-derived when that grade's write-back had failed), and skip (the card
 *     leaves today's session).
 * Times are passed in (`now`), so tests and replays are deterministic. */
#ifndef STUDY_REVIEW_H
#define STUDY_REVIEW_H

#include "study/store.h"

typedef struct review_session review_session;

typedef struct review_opts {
    int     new_limit;     /* new cards today; -1: the new_per_day setting */
    int64_t note_id;       /* > 0: only this note's cards */
    int     learn_ahead_s; /* cards due within this many seconds count as due (default 1200) */
    int     write_back;    /* 1: write owned keys into the note files (default) */
} review_opts;
#define REVIEW_OPTS_DEFAULT { -1, 0, 1200, 1 }

typedef struct review_choice {
    int          rating;    /* 1-4 */
    sched_card   after;
    sched_result res;
    char         label[16]; /* "1m", "10m", "3d", "1.5mo", "2.1y" */
} review_choice;

typedef struct review_outcome {
    int64_t      card_id;
    sched_card   after;       /* the card's state now */
    sched_result res;
    int          wrote_note;  /* the note file got its owned keys */
    char         note_msg[256]; /* why the write-back failed or was skipped; "" if it worked */
} review_outcome;

/* Builds the queue at time now. notes_dir is where write-back finds the files. opts may
 * be NULL (defaults). Free with review_session_free. */
int  review_session_new(store *s, const char *notes_dir, int64_t now, const review_opts *opts,
                        review_session **out, dls_error *e);
void review_session_free(review_session *rs);

/* The card in front, or NULL when the session is over or the database could not give
 * the card (review_failure tells which). Borrowed until the next call that changes the
 * session. */
const store_card *review_current(review_session *rs);
/* DLS_OK, or the database error that stopped the session (copied into e): a card that
 * cannot be read is not a card that vanished, and the session must not look finished. */
int review_failure(const review_session *rs, dls_error *e);
const char *review_current_title(review_session *rs); /* its note's title ("" if none) */
const char *review_current_path(review_session *rs);  /* its note's path, relative */
const char *review_current_labs(review_session *rs);  /* its note's labs, comma-separated */
size_t review_remaining(const review_session *rs);    /* including the current card */
int    review_reviewed(const review_session *rs);     /* grades saved (minus undone) */
/* Counts of the remaining queue by kind; DLS_OK or the database's error. */
int    review_counts(const review_session *rs, int *n_new, int *n_learning, int *n_review, dls_error *e);
const sched_params *review_params(const review_session *rs);

/* The four outcomes of grading the current card at time now. DLS_ERR_NOTFOUND when the
 * session is over. */
int review_preview(review_session *rs, int64_t now, review_choice out[4], dls_error *e);
/* Grades the current card (rating 1-4) at time now, duration_ms spent on it (-1 if
 * unknown). DLS_OK once the review is saved (write-back problems are in out->note_msg). */
int review_grade(review_session *rs, int rating, int64_t now, int64_t duration_ms,
                 review_outcome *out, dls_error *e);
/* Undoes this session's last grade: the card comes back to the front. DLS_ERR_NOTFOUND
 * when there is nothing to undo. */
int review_undo(review_session *rs, int64_t now, review_outcome *out, dls_error *e);
/* The current card leaves this session (it stays due). */
void review_skip(review_session *rs);

/* Formats an interval for display: seconds < 1 day as "30s"/"6m"/"2h", else days. */
void review_format_interval(int64_t seconds, int days, char *buf, size_t size);

/* A note's mastery from its cards (mastery.h): level -1 when it has no cards; *reviewed
 * is the number of its cards with at least one review. */
int review_note_mastery(store *s, const sched_params *p, int64_t note_id, int64_t now, int *level,
                        int *reviewed, dls_error *e);
/* Writes note_id's owned keys (from the database) into its file under notes_dir and
 * records the file's new identity, so the next sync does not re-read it. */
int review_write_note(store *s, const char *notes_dir, const sched_params *p, int64_t note_id,
                      int64_t now, dls_error *e);

#endif
