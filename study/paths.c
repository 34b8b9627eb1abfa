/* paths.c: resolves dlstudy's folders and files by the XDG rules in paths.h. */
#include "study/paths.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef DLS_DATADIR
#define DLS_DATADIR "/usr/local/share/dlstudy"
#endif

static int is_dir(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static char *xdg(const char *var, const char *fallback) {
    const char *v = getenv(var);
    if (v && v[0] == '/') return xstrdup(v);
    const char *home = getenv("HOME");
    return xasprintf("%s/%s", home && *home ? home : ".", fallback);
}

char *dls_xdg_data_dir(void) {
    char *base = xdg("XDG_DATA_HOME", ".local/share");
    char *dir  = xasprintf("%s/dlstudy", base);
    free(base);
    return dir;
}

/* Reads `key = value` from the config file; NULL when absent. Lines starting with # are comments. */
static char *config_get(const char *path, const char *key) {
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    char  line[4096];
    char *found = NULL;
    size_t klen = strlen(key);
    while (!found && fgets(line, sizeof line, f)) {
        char *s = line;
        while (*s == ' ' || *s == '\t') s++;
        if (*s == '#' || strncmp(s, key, klen) != 0) continue;
        s += klen;
        while (*s == ' ' || *s == '\t') s++;
        if (*s++ != '=') continue;
        while (*s == ' ' || *s == '\t') s++;
        size_t n = strcspn(s, "\r\n");
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
        if (n) found = xstrndup(s, n);
    }
    fclose(f);
    return found;
}

/* The installed data folder: PREFIX/share/dlstudy found from where the program lies
 * (so an installed tree can be moved), else the PREFIX it was built for. */
static char *data_home_of_program(void) {
    char *exe = realpath("/proc/self/exe", NULL);
    if (exe) {
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            char *dir = xasprintf("%s/../share/dlstudy", exe);
            char *real = realpath(dir, NULL);
            free(dir);
            free(exe);
            if (real && is_dir(real)) return real;
            free(real);
        } else {
            free(exe);
        }
    }
    return xstrdup(DLS_DATADIR);
}

static int in_source_tree(void) {
    return is_dir("notes") && is_dir("labs") && is_file("schema.sql");
}

static char *abspath(const char *p) {
    char *r = realpath(p, NULL);
    return r ? r : xstrdup(p);
}

int dls_paths_init(dls_paths *p, const char *notes_opt, const char *db_opt, const char *data_opt,
                   dls_error *e) {
    (void)e;
    memset(p, 0, sizeof *p);
    char *cfgdir    = xdg("XDG_CONFIG_HOME", ".config");
    p->config_path  = xasprintf("%s/dlstudy/config", cfgdir);
    free(cfgdir);
    char *datahome  = dls_xdg_data_dir();
    int   src_tree  = in_source_tree(); /* three stat calls: asked once, used four times */
    const char *env;

    if (notes_opt) p->notes_dir = xstrdup(notes_opt);
    else if ((env = getenv("DLSTUDY_NOTES")) && *env) p->notes_dir = xstrdup(env);
    else if ((p->notes_dir = config_get(p->config_path, "notes"))) {}
    else if (src_tree) p->notes_dir = abspath("notes");
    else p->notes_dir = xasprintf("%s/notes", datahome);

    if (db_opt) p->db_path = xstrdup(db_opt);
    else if ((env = getenv("DLSTUDY_DB")) && *env) p->db_path = xstrdup(env);
    else p->db_path = xasprintf("%s/dlstudy.db", datahome);

    char *installed = data_home_of_program();
    if ((env = getenv("DLSTUDY_LABS")) && *env) p->labs_dir = xstrdup(env);
    else if (src_tree) p->labs_dir = abspath("labs");
    else p->labs_dir = xasprintf("%s/labs", installed);

    if (data_opt) p->data_dir = xstrdup(data_opt);
    else if ((env = getenv("DLSTUDY_DATA")) && *env) p->data_dir = xstrdup(env);
    else p->data_dir = xasprintf("%s/data", datahome);

    p->bundled_notes = src_tree ? abspath("notes") : xasprintf("%s/notes", installed);
    p->notes_default = !notes_opt && !(getenv("DLSTUDY_NOTES") && *getenv("DLSTUDY_NOTES")) &&
                       !src_tree && strncmp(p->notes_dir, datahome, strlen(datahome)) == 0;
    free(installed);
    free(datahome);
    return DLS_OK;
}

void dls_paths_deinit(dls_paths *p) {
    free(p->notes_dir), free(p->db_path), free(p->labs_dir), free(p->data_dir);
    free(p->config_path), free(p->bundled_notes);
    memset(p, 0, sizeof *p);
}

int dls_mkdir_p(const char *dir, dls_error *e) {
    char *d = xstrdup(dir);
    for (char *s = d + 1;; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(d, 0755) != 0 && errno != EEXIST) {
                int rc = dls_fail(e, DLS_ERR_IO, "%s: cannot create folder: %s", d, strerror(errno));
                free(d);
                return rc;
            }
            *s = c;
            if (!c) break;
        }
    }
    free(d);
    return DLS_OK;
}

/* Copies the folder src into dst (which must not exist), files and subfolders; dot
 * files (the note template) included. */
static int copy_tree(const char *src, const char *dst, dls_error *e) {
    if (mkdir(dst, 0755) != 0) return dls_fail(e, DLS_ERR_IO, "%s: cannot create folder: %s", dst, strerror(errno));
    DIR *d = opendir(src);
    if (!d) return dls_fail(e, DLS_ERR_IO, "%s: %s", src, strerror(errno));
    struct dirent *ent;
    int rc = DLS_OK;
    while (rc == DLS_OK && (ent = readdir(d))) {
        if (!strcmp(ent->d_name, ".") || !strcmp(ent->d_name, "..")) continue;
        char *from = xasprintf("%s/%s", src, ent->d_name), *to = xasprintf("%s/%s", dst, ent->d_name);
        struct stat st;
        if (lstat(from, &st) != 0) {
            rc = dls_fail(e, DLS_ERR_IO, "%s: %s", from, strerror(errno));
        } else if (S_ISDIR(st.st_mode)) {
            rc = copy_tree(from, to, e);
        } else if (S_ISREG(st.st_mode)) {
            char  *bytes = NULL;
            size_t len   = 0;
            rc = dls_read_file(from, 0, &bytes, &len, e);
            FILE *f = rc == DLS_OK ? fopen(to, "wbx") : NULL;
            if (rc == DLS_OK && (!f || fwrite(bytes, 1, len, f) != len))
                rc = dls_fail(e, DLS_ERR_IO, "%s: cannot write: %s", to, strerror(errno));
            if (f && fclose(f) != 0 && rc == DLS_OK) rc = dls_fail(e, DLS_ERR_IO, "%s: %s", to, strerror(errno));
            free(bytes);
        }
        free(from), free(to);
    }
    closedir(d);
    return rc;
}

int dls_mkdir_parent(const char *path, dls_error *e) {
    char *parent = xstrdup(path);
    char *slash  = strrchr(parent, '/');
    int   rc     = DLS_OK;
    if (slash && slash != parent) {
        *slash = '\0';
        rc     = dls_mkdir_p(parent, e);
    }
    free(parent);
    return rc;
}

int dls_notes_seed(const dls_paths *p, dls_error *e) {
    if (!p->notes_default || is_dir(p->notes_dir) || !is_dir(p->bundled_notes)) return 0;
    int rc = dls_mkdir_parent(p->notes_dir, e);
    if (rc == DLS_OK) rc = copy_tree(p->bundled_notes, p->notes_dir, e);
    return rc == DLS_OK ? 1 : -1;
}
