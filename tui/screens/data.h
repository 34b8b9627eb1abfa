/* data.h: the read-only questions the screens ask the database (dashboard figures,
 * the notes list with mastery; the dashboard's figures also for its plain-text form,
 * cmd_home_plain), answered with a few SELECTs through store_prepare and
 * the scheduler's day arithmetic. A note's mastery history and review list come from
 * study/mastery.h, shared with `dlstudy mastery`. Writes never happen here:
 * reviews go through study/review.h, notes through study/sync.h. */
#ifndef TUI_SCREENS_DATA_H
#define TUI_SCREENS_DATA_H

#include "study/store.h"

enum { TUI_HEAT_DAYS = 26 * 7, TUI_FORECAST_DAYS = 7 };

typedef struct tui_category {
    char *name;               /* "" for notes without a category */
    int   notes, cards, level; /* level: rounded mean mastery 0-5, -1 without cards */
    int   reviewed;           /* cards reviewed at least once */
    int   counts[6];          /* cards per mastery level */
} tui_category;

typedef struct tui_dash {
    int notes, cards, broken;          /* broken: notes that failed to parse */
    int due_today, overdue, new_total, new_today_left, reviewed_today;
    int streak, best_streak;
    int heat[TUI_HEAT_DAYS];           /* reviews per day; [TUI_HEAT_DAYS-1] is today */
    int heat_month[TUI_HEAT_DAYS];     /* month (0-11) of each of those days */
    int today_wday;                    /* 0 = Monday */
    int forecast[TUI_FORECAST_DAYS];   /* due on each of the next days (tomorrow first) */
    tui_category *cat;                 /* every category, by name */
    int n_cat;
    int level;                         /* over all cards */
    int full;                          /* the fields below the counts are filled */
} tui_dash;

/* The dashboard's figures. full = 0 fills only the counts (fast: indexes only, for the
 * first frame); full = 1 also the streaks, heatmap, forecast and categories. d must be
 * zeroed or hold an earlier result (it is released first); free with tui_dash_deinit,
 * also after a failure. */
int  tui_data_dash(store *s, const sched_params *p, int64_t now, int full, tui_dash *d, dls_error *e);
void tui_dash_deinit(tui_dash *d);

typedef struct tui_note_row {
    int64_t id;
    char   *path, *title, *category, *tags; /* tags: comma-separated */
    int     cards, due, reviewed, level;    /* level -1 without cards */
    int64_t last_review;                    /* 0 = never */
    char   *fold;                           /* title, category, tags, path, lowercased (search) */
} tui_note_row;

/* Every note that is not gone, by category then title. with_cards = 0 leaves cards,
 * due, reviewed and level at 0/-1 (fast, for the first frame). Free with
 * tui_note_rows_free. */
int  tui_data_notes(store *s, const sched_params *p, int64_t now, int with_cards, tui_note_row **out, int *n,
                    dls_error *e);
void tui_note_rows_free(tui_note_row *rows, int n);
/* 1 when every word of query (space-separated; ASCII case-insensitive, any script)
 * is a substring of the row's title, category, tags or path. */
int  tui_note_matches(const tui_note_row *r, const char *query);

/* The note's path (relative to the notes folder), title, category and labs
 * (comma-separated); each may be NULL; caller frees the strings. */
int  tui_data_note_info(store *s, int64_t note_id, char **path, char **title, char **category,
                        char **labs, dls_error *e);

#endif
