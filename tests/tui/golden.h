/* golden.h: compare a text dump with tests/golden/NAME (run from the repo root);
 * UPDATE=1 in the environment rewrites the file instead. Used by the tui tests. */
#ifndef TESTS_TUI_GOLDEN_H
#define TESTS_TUI_GOLDEN_H
#include "tests/test.h"
#include "util/dls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check_golden(const char *name, const char *text) {
    char path[512];
    snprintf(path, sizeof path, "tests/golden/%s", name);
    const char *up = getenv("UPDATE");
    if (up && *up && strcmp(up, "0") != 0) {
        FILE *f = fopen(path, "wb");
        CHECK(f != NULL);
        if (f) {
            fputs(text, f);
            fclose(f);
            fprintf(stderr, "updated %s\n", path);
        }
        return;
    }
    char *want = NULL;
    size_t n = 0;
    if (dls_read_file(path, 0, &want, &n, NULL) != DLS_OK) {
        test_fail_++;
        fprintf(stderr, "FAIL golden %s missing (run with UPDATE=1 to create it)\n", path);
        return;
    }
    if (strcmp(want, text) == 0) {
        test_pass_++;
    } else {
        test_fail_++;
        fprintf(stderr, "FAIL golden %s differs; got:\n%s\n(UPDATE=1 rewrites it)\n", path, text);
    }
    free(want);
}
#endif
