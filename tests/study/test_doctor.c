/* test_doctor.c: the read-only checks of doctor.h on a temp folder: a database not made
 * yet, and the notes walk, which counts each note once (a link to a folder above it is
 * not entered). The BLAS, CUDA, lab and data-set findings are only checked to be there. */
#include "study/doctor.h"
#include "tests/study/study_test.h"
#include "tests/test.h"

#include <unistd.h>

static const doctor_item *find(const doctor_report *r, const char *topic) {
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(r->items[i].topic, topic)) return &r->items[i];
    return NULL;
}

int main(void) {
    char dir[64];
    if (!test_tmpdir(dir, sizeof dir, "dls_doctor")) {
        test_skip("doctor", "no temp dir");
        return test_done("test_doctor");
    }
    test_put(dir, "notes/a.md", "---\ntitle: A\n---\n\n## One\n\n1\n");
    test_put(dir, "notes/sub/b.md", "---\ntitle: B\n---\n\n## Two\n\n2\n");
    char *loop = xasprintf("%s/notes/sub/up", dir);
    CHECK(symlink("../..", loop) == 0); /* the folder above notes/: would be walked forever */
    dls_paths p = {
        .notes_dir = xasprintf("%s/notes", dir), .db_path = xasprintf("%s/none.db", dir),
        .labs_dir = xstrdup("labs"), .data_dir = xasprintf("%s/data", dir),
    };
    doctor_report r = {0};
    doctor_run(&p, &r);
    const doctor_item *db = find(&r, "database"), *notes = find(&r, "notes");
    CHECK(db && db->level == DOCTOR_INFO && strstr(db->what, "does not exist yet"));
    CHECK(notes && notes->level == DOCTOR_OK && strstr(notes->what, ": 2 notes, all readable"));
    if (notes && !strstr(notes->what, ": 2 notes")) fprintf(stderr, "  notes: %s\n", notes->what);
    CHECK(find(&r, "blas") && find(&r, "cuda") && find(&r, "labs"));
    CHECK(access(p.db_path, F_OK) != 0); /* it reads only: no database made */
    doctor_report_deinit(&r);
    free(p.notes_dir), free(p.db_path), free(p.labs_dir), free(p.data_dir);
    free(loop);
    CHECK(test_rmtree(dir) == 0);
    return test_done("test_doctor");
}
