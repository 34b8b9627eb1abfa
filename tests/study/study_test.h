/* study_test.h: scaffolding the study tests share (beside tests/test.h, which is the
 * harness itself): a scratch folder under /tmp and its removal, writing a note into it,
 * and reading one number back from a store with a query. Not here: assertions (test.h)
 * or anything a test checks (the tests say what they expect themselves). */
#ifndef STUDY_TEST_H
#define STUDY_TEST_H

#include "study/paths.h"
#include "study/store.h"
#include "util/dls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Makes a fresh folder /tmp/PREFIX_XXXXXX into dir (at least 64 bytes); 1 when made. */
static inline int test_tmpdir(char *dir, size_t size, const char *prefix) {
    snprintf(dir, size, "/tmp/%s_XXXXXX", prefix);
    return mkdtemp(dir) != NULL;
}

/* Removes a scratch folder and all below it; 0 when it is gone. */
static inline int test_rmtree(const char *dir) {
    char *cmd = xasprintf("rm -rf '%s'", dir);
    int rc = system(cmd);
    free(cmd);
    return rc;
}

/* Writes text to dir/rel, making rel's folders first. */
static inline void test_put(const char *dir, const char *rel, const char *text) {
    char *path = xasprintf("%s/%s", dir, rel);
    char *parent = xstrdup(path);
    *strrchr(parent, '/') = '\0';
    dls_mkdir_p(parent, NULL);
    FILE *f = fopen(path, "wb");
    if (f) fputs(text, f), fclose(f);
    free(parent), free(path);
}

/* The first column of the first row of sql as an int (what a SELECT count(*) gives);
 * -1 when the query fails or returns no row. A statement of its own, finalized here:
 * the test may run any SQL, and must not leave it in the store's cache. */
static inline int test_count(store *s, const char *sql) {
    sqlite3_stmt *st = NULL;
    int n = -1;
    if (sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n;
}

#endif
