/* paths.h: where dlstudy's files are (XDG). Resolution order, first found wins:
 *   notes:    --notes, $DLSTUDY_NOTES, `notes = DIR` in the config, ./notes when run
 *             from the source tree (./labs and ./schema.sql beside it), else
 *             $XDG_DATA_HOME/dlstudy/notes
 *   database: --db, $DLSTUDY_DB, $XDG_DATA_HOME/dlstudy/dlstudy.db
 *   labs:     $DLSTUDY_LABS, ./labs in the source tree, else PREFIX/share/dlstudy/labs
 *             (PREFIX found from the program's own location, else the one it was built for)
 *   data:     --data, $DLSTUDY_DATA, $XDG_DATA_HOME/dlstudy/data
 *   config:   $XDG_CONFIG_HOME/dlstudy/config (~/.config/dlstudy/config)
 * Only resolves names; creates nothing. */
#ifndef STUDY_PATHS_H
#define STUDY_PATHS_H

#include "util/dls.h"

typedef struct dls_paths {
    char *notes_dir;
    char *db_path;
    char *labs_dir;
    char *data_dir;
    char *config_path;
    char *bundled_notes; /* the notes that ship with dlstudy (source tree or PREFIX/share/dlstudy) */
    int   notes_default; /* notes_dir is the XDG default (no option, variable or config chose it) */
} dls_paths;

/* Options may be NULL. Fills p (free with dls_paths_deinit). */
int  dls_paths_init(dls_paths *p, const char *notes_opt, const char *db_opt, const char *data_opt,
                    dls_error *e);
void dls_paths_deinit(dls_paths *p);
/* First run of an installed dlstudy: when the notes folder is the XDG default and does
 * not exist yet, copies the bundled notes there, so a new user starts on them and owns
 * the copy. Returns 1 when it copied, 0 when nothing was to be done, -1 on error (e
 * names the file). */
int dls_notes_seed(const dls_paths *p, dls_error *e);

/* $XDG_DATA_HOME/dlstudy (or ~/.local/share/dlstudy); caller frees. */
char *dls_xdg_data_dir(void);
/* mkdir -p; DLS_OK or DLS_ERR_IO naming the path. */
int dls_mkdir_p(const char *dir, dls_error *e);
/* Makes the folder a file will live in (all of path before its last slash), as dls_mkdir_p. */
int dls_mkdir_parent(const char *path, dls_error *e);

#endif
