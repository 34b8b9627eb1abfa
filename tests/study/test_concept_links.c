/* test_concept_links.c: every concept heading (## and ###) of every bundled note maps to
 * at least one lab, through the note's `labs:` key or a lab's concepts; every lab a note
 * names exists; and every bundled lab is offered by at least one note. Orphans are named
 * with their file and line. Run from the repository root (notes/ and labs/). */
#include "study/lab.h"
#include "study/note.h"
#include "tests/test.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct walk {
    lab_spec **labs;
    int        n_labs;
    int       *offered;  /* per lab: named or matched by some note */
    int        notes, headings, via_key, via_concepts, orphans;
} walk;

static int lab_index(const walk *w, const char *name) {
    for (int i = 0; i < w->n_labs; i++)
        if (!strcmp(w->labs[i]->name, name)) return i;
    return -1;
}

static void check_note(walk *w, const char *file) {
    note *n;
    dls_error e = {0};
    if (note_load(file, "notes", &n, &e) != DLS_OK) {
        fprintf(stderr, "FAIL %s does not load: %s\n", file, e.msg);
        CHECK(0);
        return;
    }
    w->notes++;
    int valid_labs = 0;
    for (size_t i = 0; i < n->n_labs; i++) {
        int k = lab_index(w, n->labs[i]);
        if (k < 0) {
            fprintf(stderr, "FAIL %s: labs: names '%s', which is not a lab in labs/\n", file, n->labs[i]);
            CHECK(0);
        } else {
            w->offered[k] = 1;
            valid_labs++;
        }
    }
    for (size_t c = 0; c < n->n_concepts; c++) {
        const note_concept *nc = &n->concepts[c];
        w->headings++;
        const char *out[16];
        int k = lab_links_for_card(w->labs, w->n_labs, NULL, 0, nc->heading, NULL, 0, out, 16);
        for (int i = 0; i < k; i++) w->offered[lab_index(w, out[i])] = 1;
        if (k) w->via_concepts++;
        if (valid_labs) {
            w->via_key++;
            CHECK(1);
        } else if (k) {
            CHECK(1);
        } else {
            fprintf(stderr, "FAIL orphan concept: %s:%d \"%s\" maps to no lab (add `labs:` to the note or the "
                            "term to a lab's concepts)\n", file, nc->line, nc->heading);
            w->orphans++;
            CHECK(0);
        }
    }
    note_free(n);
}

static void walk_dir(walk *w, const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *de;
    char **names = NULL;
    int n = 0;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue; /* hidden: the note template, editor files */
        names = xrealloc(names, sizeof *names * (size_t)(n + 1));
        names[n++] = xstrdup(de->d_name);
    }
    closedir(d);
    for (int i = 0; i < n; i++) {
        char *p = xasprintf("%s/%s", dir, names[i]);
        struct stat st;
        size_t l = strlen(names[i]);
        if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) walk_dir(w, p);
        else if (l > 3 && !strcmp(names[i] + l - 3, ".md") && strcmp(names[i], "README.md")) check_note(w, p);
        free(p);
        free(names[i]);
    }
    free(names);
}

int main(void) {
    walk w = {0};
    dls_error e = {0};
    if (lab_spec_list("labs", &w.labs, &w.n_labs, NULL, &e) != DLS_OK || !w.n_labs) {
        test_skip("concept links", "no labs/ folder here (run from the repository root)");
        return test_done("test_concept_links");
    }
    struct stat st;
    if (stat("notes", &st) != 0) {
        test_skip("concept links", "no notes/ folder here (run from the repository root)");
        lab_spec_list_free(w.labs, w.n_labs);
        return test_done("test_concept_links");
    }
    w.offered = xcalloc((size_t)w.n_labs, sizeof *w.offered);
    walk_dir(&w, "notes");
    CHECK(w.notes > 0);
    if (w.notes) {
        for (int i = 0; i < w.n_labs; i++)
            if (!w.offered[i]) {
                fprintf(stderr, "FAIL lab '%s' is linked from no note (no `labs:` names it, no heading matches its concepts)\n",
                        w.labs[i]->name);
                CHECK(0);
            }
    }
    printf("concept links: %d notes, %d concept headings, %d linked through `labs:`, %d matched by lab concepts, %d orphans\n",
           w.notes, w.headings, w.via_key, w.via_concepts, w.orphans);
    free(w.offered);
    lab_spec_list_free(w.labs, w.n_labs);
    return test_done("test_concept_links");
}
