/* sync.h: reads the notes folder into the store. Walks the folder (skipping dotfiles
 * such as .template.md and .git, and any symlink whose target leaves the folder), parses
 * new and changed notes (note.h), and adds, updates, moves and retires notes and their
 * cards, keeping every card's schedule and history:
 *   - unchanged files (same size and mtime as recorded) are not read at all (warm sync);
 *   - a note is matched by its stable key (title + created, so a rename or move keeps
 *     it), then by its path (its title changed), then by its body fingerprint (moved
 *     and its frontmatter changed); cards by their stable id, then by the same question
 *     or heading, then by the same answer text;
 *   - a note seen for the first time honours its review_dates: past dates become
 *     history without ratings (review_log kind 'import', one row per date, on the note's
 *     first card: the dates belong to the note), the next unpassed date is every card's
 *     due date (see sync.c for the memory state this implies); later edits of
 *     review_dates are not read back: the database owns the schedule and the key mirrors it;
 *   - a note whose file disappears is marked gone (cards and history kept, so it comes
 *     back if the file does); a broken note is skipped and reported, never rewritten,
 *     and keeps the cards it had.
 * Everything is one transaction: a database error leaves the store as it was. */
#ifndef STUDY_SYNC_H
#define STUDY_SYNC_H

#include "study/store.h"

enum sync_kind { SYNC_ADDED, SYNC_CHANGED, SYNC_MOVED, SYNC_REMOVED, SYNC_SKIPPED, SYNC_WARNING };

typedef struct sync_item {
    int   kind;   /* enum sync_kind */
    char *path;   /* relative to the notes folder */
    char *detail; /* moved: the old path; skipped: "PATH:LINE:COL: why"; warning: lines */
} sync_item;

typedef struct sync_report {
    int        added, changed, moved, removed, skipped, unchanged, warned;
    int        cards_added, cards_removed;
    sync_item *items;  /* in file order, then removals */
    size_t     n_items, cap;
} sync_report;

/* Syncs the whole folder at time now. r is zeroed first; free with sync_report_deinit.
 * DLS_ERR_NOTFOUND when notes_dir is not a folder; database errors as store.h. Broken
 * notes are not errors: they are counted and listed in r. */
int  sync_run(store *s, const char *notes_dir, int64_t now, sync_report *r, dls_error *e);
/* Syncs one note file (a path inside notes_dir: absolute, relative to notes_dir, or
 * relative to the current folder when only that names a file), as after `dlstudy edit`.
 * A missing file is reported as removed. */
int  sync_file(store *s, const char *notes_dir, const char *file, int64_t now, sync_report *r,
               dls_error *e);
void sync_report_deinit(sync_report *r);
const char *sync_kind_name(int kind); /* "added", "changed", ... */

#endif
