/* cli_store.c: opening the database for a plain command (cli.h): its folder is made
 * when missing (a first run), and a failure is printed as "dlstudy CMD: why". Not here:
 * the full-screen app, which shows the error on its screens instead (app.c). */
#include "tui/cli.h"

#include <stdio.h>

store *cli_store_open(cli_ctx *ctx, const char *cmd) {
    dls_error e = {0};
    const char *db = ctx->paths.db_path;
    store *s = NULL;
    if (dls_mkdir_parent(db, &e) != DLS_OK || store_open(db, &s, &e) != DLS_OK) {
        fprintf(stderr, "dlstudy %s: %s\n", cmd, e.msg);
        return NULL;
    }
    return s;
}
