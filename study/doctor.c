/* doctor.c: read-only health checks (see doctor.h). Each check adds findings with a
 * plain explanation and, for problems, the command or step that fixes them. */
#include "study/doctor.h"

#include <dirent.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/nn.h"
#include "study/lab.h"
#include "study/note.h"
#include "study/store.h"

const char *doctor_level_str(doctor_level l) {
    static const char *names[] = {"ok", "info", "warning", "problem"};
    return names[l];
}

void doctor_add(doctor_report *r, doctor_level level, const char *topic, char *what, char *advice) {
    r->items = xrealloc(r->items, (r->n + 1) * sizeof *r->items);
    doctor_item *it = &r->items[r->n++];
    it->level = level;
    snprintf(it->topic, sizeof it->topic, "%s", topic);
    it->what   = what;
    it->advice = advice;
}

void doctor_report_deinit(doctor_report *r) {
    for (size_t i = 0; i < r->n; i++) free(r->items[i].what), free(r->items[i].advice);
    free(r->items);
    r->items = NULL, r->n = 0;
}

/* The database is opened read-only, so a damaged file is examined, never changed. */
static void check_database(const char *path, doctor_report *r) {
    struct stat st;
    if (stat(path, &st) != 0) {
        doctor_add(r, DOCTOR_INFO, "database", xasprintf("%s does not exist yet", path),
                   xstrdup("nothing to do: dlstudy creates it on first use"));
        return;
    }
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
    char *problem = NULL;
    int version = -1;
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(db, 2000);
        sqlite3_stmt *st2 = NULL;
        if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st2, NULL) == SQLITE_OK) {
            dls_buf msgs;
            dls_buf_init(&msgs);
            int lines = 0;
            while ((rc = sqlite3_step(st2)) == SQLITE_ROW) {
                const char *m = (const char *)sqlite3_column_text(st2, 0);
                if (m && strcmp(m, "ok") != 0 && lines++ < 3) dls_buf_printf(&msgs, "%s%s", lines > 1 ? "; " : "", m);
            }
            if (rc != SQLITE_DONE) problem = xasprintf("%s", sqlite3_errmsg(db));
            else if (msgs.len) problem = dls_buf_take(&msgs);
            dls_buf_deinit(&msgs);
            sqlite3_finalize(st2);
        } else {
            problem = xasprintf("%s", sqlite3_errmsg(db));
        }
        if (!problem && sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st2, NULL) == SQLITE_OK) {
            if (sqlite3_step(st2) == SQLITE_ROW) version = sqlite3_column_int(st2, 0);
            sqlite3_finalize(st2);
        }
    } else {
        problem = xasprintf("%s", db ? sqlite3_errmsg(db) : "cannot open");
    }
    sqlite3_close(db);
    if (problem) {
        doctor_add(r, DOCTOR_FAIL, "database", xasprintf("%s fails its integrity check: %s", path, problem),
                   xasprintf("keep the file (it holds your review history): mv '%s' '%s.broken'; "
                             "then `dlstudy sync` starts a new database from your notes "
                             "(their review_dates keep the schedule); `sqlite3 '%s.broken' .recover` "
                             "may rescue the history", path, path, path));
        free(problem);
    } else if (version > store_schema_version()) {
        doctor_add(r, DOCTOR_FAIL, "database",
                   xasprintf("%s has schema version %d, newer than this dlstudy (%d)", path, version,
                             store_schema_version()),
                   xstrdup("install the newer dlstudy that wrote it, or use another --db"));
    } else {
        doctor_add(r, DOCTOR_OK, "database",
                   xasprintf("%s passes integrity_check (schema version %d%s)", path, version,
                             version < store_schema_version() ? ", migrated on next use" : ""),
                   NULL);
    }
}

/* Walks the notes folder like sync does (dot files skipped) and parses every note. */
static void walk_notes(const char *root, const char *dir, int *count, int *broken, dls_buf *errors) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *ent;
    while ((ent = readdir(d))) {
        if (ent->d_name[0] == '.') continue;
        char *p = xasprintf("%s/%s", dir, ent->d_name);
        struct stat st;
        /* lstat: a linked folder is not entered, as sync does not enter one (a link to a
         * folder above would loop, counting the same notes again at every level) */
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            walk_notes(root, p, count, broken, errors);
        } else if (strlen(ent->d_name) > 3 && !strcmp(ent->d_name + strlen(ent->d_name) - 3, ".md")) {
            note *n = NULL;
            dls_error e = {0};
            (*count)++;
            if (note_load(p, root, &n, &e) != DLS_OK) {
                if ((*broken)++ < 5) dls_buf_printf(errors, "\n    %s", e.msg);
            } else {
                if (n->double_encoded && (*broken) < 5)
                    dls_buf_printf(errors, "\n    %s: looks double-encoded (UTF-8 read as Windows-1252)", n->path);
                note_free(n);
            }
        }
        free(p);
    }
    closedir(d);
}

static void check_notes(const char *root, doctor_report *r) {
    struct stat st;
    if (stat(root, &st) != 0 || !S_ISDIR(st.st_mode)) {
        doctor_add(r, DOCTOR_WARN, "notes", xasprintf("the notes folder %s does not exist", root),
                   xstrdup("point dlstudy at your notes with --notes DIR, DLSTUDY_NOTES, or "
                           "`notes = DIR` in ~/.config/dlstudy/config; or create one with `dlstudy new`"));
        return;
    }
    if (access(root, W_OK) != 0)
        doctor_add(r, DOCTOR_WARN, "notes", xasprintf("%s is not writable", root),
                   xstrdup("reviews are still saved in the database, but the notes' mastery and "
                           "review_dates cannot be updated: fix the folder's permissions"));
    int count = 0, broken = 0;
    dls_buf errors;
    dls_buf_init(&errors);
    walk_notes(root, root, &count, &broken, &errors);
    if (broken)
        doctor_add(r, DOCTOR_WARN, "notes",
                   xasprintf("%s: %d of %d notes cannot be read:%s", root, broken, count, errors.data),
                   xstrdup("fix the places named (file:line:column); `dlstudy sync` lists them all; "
                           "the notes are skipped, never rewritten, until then"));
    else
        doctor_add(r, count ? DOCTOR_OK : DOCTOR_INFO, "notes",
                   xasprintf("%s: %d notes, all readable%s", root, count, errors.len ? errors.data : ""),
                   count ? NULL : xstrdup("write a first note with `dlstudy new \"Title\"`"));
    dls_buf_deinit(&errors);
}

/* The data sets, found and verified the way the labs find them (study/lab.h). */
static void check_datasets(const dls_paths *p, doctor_report *r) {
    lab_data_status st[6];
    int n = lab_data_list(p->data_dir, p->data_dir, 1, st);
    for (int i = 0; i < n; i++) {
        if (st[i].synthetic) continue;
        if (st[i].found)
            doctor_add(r, DOCTOR_OK, "data", xasprintf("%s in %s, checksums verified", st[i].name, st[i].dir), NULL);
        else if (st[i].damaged)
            doctor_add(r, DOCTOR_FAIL, "data", xasprintf("%s in %s is damaged", st[i].name, st[i].dir),
                       xstrdup(st[i].detail));
        else
            doctor_add(r, DOCTOR_INFO, "data", xasprintf("%s not found", st[i].name),
                       lab_data_howto(st[i].name, p->data_dir));
    }
}

static void check_labs(const char *labs_dir, doctor_report *r) {
    lab_spec **specs = NULL;
    int        n     = 0;
    dls_buf    errors;
    dls_error  e = {0};
    dls_buf_init(&errors);
    if (lab_spec_list(labs_dir, &specs, &n, &errors, &e) != DLS_OK)
        doctor_add(r, DOCTOR_WARN, "labs", xasprintf("%s", e.msg),
                   xstrdup("set DLSTUDY_LABS to the folder of lab specs, or reinstall dlstudy"));
    else if (errors.len)
        doctor_add(r, DOCTOR_WARN, "labs", xasprintf("%s: %d labs read; these could not be:\n%s", labs_dir, n, errors.data),
                   xstrdup("fix the places named (file:line:column)"));
    else
        doctor_add(r, DOCTOR_OK, "labs", xasprintf("%s: %d labs, all valid", labs_dir, n), NULL);
    lab_spec_list_free(specs, n);
    dls_buf_deinit(&errors);
}

static void check_blas(doctor_report *r) {
    nn_blas_info bi;
    nn_blas_get_info(&bi);
    dls_buf d;
    dls_buf_init(&d);
    nn_blas_describe(&d);
    if (bi.slow && !getenv("OPENBLAS_CORETYPE"))
        doctor_add(r, DOCTOR_WARN, "blas", dls_buf_take(&d),
                   xasprintf("OpenBLAS picked slow kernels for this CPU; dlstudy restarts itself with "
                             "OPENBLAS_CORETYPE=%s, or set it yourself", bi.fast_core[0] ? bi.fast_core : "SkylakeX"));
    else if (bi.slow)
        doctor_add(r, DOCTOR_WARN, "blas", dls_buf_take(&d),
                   xasprintf("OPENBLAS_CORETYPE=%s still gives slow kernels: unset it, or set it to %s",
                             getenv("OPENBLAS_CORETYPE"), bi.fast_core[0] ? bi.fast_core : "SkylakeX"));
    else
        doctor_add(r, DOCTOR_OK, "blas", dls_buf_take(&d), NULL);
    dls_buf_deinit(&d);
}

static void check_cuda(doctor_report *r) {
    dls_error e = {0};
    if (nn_backend_get("cuda", &e))
        doctor_add(r, DOCTOR_OK, "cuda", xstrdup("CUDA backend available: --device cuda works"), NULL);
    else if (e.code == DLS_ERR_UNSUPPORTED)
        doctor_add(r, DOCTOR_INFO, "cuda", xasprintf("%s", e.msg),
                   xstrdup("only needed for --device cuda: `make CUDA=1` with the CUDA Toolkit installed"));
    else
        doctor_add(r, DOCTOR_WARN, "cuda", xasprintf("%s", e.msg),
                   xstrdup("check the NVIDIA driver (`nvidia-smi -L`); labs run on the CPU meanwhile"));
}

void doctor_run(const dls_paths *p, doctor_report *r) {
    check_database(p->db_path, r);
    check_notes(p->notes_dir, r);
    check_labs(p->labs_dir, r);
    check_datasets(p, r);
    check_blas(r);
    check_cuda(r);
}
