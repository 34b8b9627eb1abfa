/* lab_data.c: where the labs' data sets are: finding MNIST and Fashion-MNIST in the
 * places a user may keep them (--data, $DLSTUDY_DATA, the XDG data folder, Debian's
 * package folder), verifying them through the engine's IDX reader, saying exactly how
 * to get a missing set, and `dlstudy data fetch` (curl or wget, no shell). Reading the
 * files is the engine's (engine/nn_data.h); printing is the caller's. */
#include "study/lab.h"
#include "study/paths.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const char *const files[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                     "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};

static int is_file(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* All four files there, each gzipped or plain. */
static int has_files(const char *dir) {
    for (int i = 0; i < 4; i++) {
        char *gz = xasprintf("%s/%s.gz", dir, files[i]), *plain = xasprintf("%s/%s", dir, files[i]);
        int ok = is_file(gz) || is_file(plain);
        free(gz);
        free(plain);
        if (!ok) return 0;
    }
    return 1;
}

static int set_of(const char *set, enum nn_idxset *out) {
    if (!strcmp(set, "mnist")) return *out = NN_SET_MNIST, 1;
    if (!strcmp(set, "fashion-mnist")) return *out = NN_SET_FASHION, 1;
    return 0;
}

static const char *base_name(const char *p) {
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/') n--;
    const char *s = p + n;
    while (s > p && s[-1] != '/') s--;
    return s;
}

/* The folders to look in, in order; returns how many (each malloc'd). */
static int candidates(const char *set, const char *opt_dir, const char *data_dir, char **out) {
    int n = 0;
    const char *env = getenv("DLSTUDY_DATA");
    const char *roots[3] = {opt_dir, env && *env ? env : NULL, data_dir};
    for (int i = 0; i < 3; i++) {
        if (!roots[i] || !*roots[i]) continue;
        /* the folder itself holds the files (--data ../shared/datasets/mnist), unless its
         * name says it is the other set: both sets use the same four file names */
        const char *b = base_name(roots[i]);
        int other = (!strcmp(set, "mnist") && !strcmp(b, "fashion-mnist")) ||
                    (!strcmp(set, "fashion-mnist") && !strcmp(b, "mnist"));
        if (!other) out[n++] = xstrdup(roots[i]);
        out[n++] = xasprintf("%s/%s", roots[i], set);
    }
    char *xdg = dls_xdg_data_dir();
    out[n++] = xasprintf("%s/data/%s", xdg, set);
    free(xdg);
    if (!strcmp(set, "fashion-mnist")) out[n++] = xstrdup(NN_FASHION_DEBIAN_DIR);
    /* drop repeats (data_dir is often the XDG folder) */
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (!strcmp(out[i], out[j])) {
                free(out[j]);
                memmove(&out[j], &out[j + 1], sizeof *out * (size_t)(n - j - 1));
                n--, j--;
            }
    return n;
}

static char *default_dest(const char *set, const char *data_dir) {
    if (data_dir && *data_dir) return xasprintf("%s/%s", data_dir, set);
    char *xdg = dls_xdg_data_dir(), *d = xasprintf("%s/data/%s", xdg, set);
    free(xdg);
    return d;
}

char *lab_data_howto(const char *set, const char *data_dir) {
    char *dest = default_dest(set, data_dir);
    char *s;
    if (!strcmp(set, "fashion-mnist"))
        s = xasprintf("To get Fashion-MNIST: `sudo apt-get install dataset-fashion-mnist` (Debian puts it in %s), "
                      "or `dlstudy data fetch fashion-mnist` where there is internet, or copy the four files "
                      "(%s.gz, %s.gz, %s.gz, %s.gz) to %s, or point --data DIR at a folder that has them.",
                      NN_FASHION_DEBIAN_DIR, files[0], files[1], files[2], files[3], dest);
    else
        s = xasprintf("To get MNIST: `dlstudy data fetch mnist` (needs internet), or copy the four files "
                      "(%s.gz, %s.gz, %s.gz, %s.gz) to %s, or point --data DIR (or $DLSTUDY_DATA) at a folder "
                      "that has them.",
                      files[0], files[1], files[2], files[3], dest);
    free(dest);
    return s;
}

int lab_data_locate(const char *set, const char *opt_dir, const char *data_dir, int verify, char *dir,
                    size_t dir_size, dls_error *e) {
    enum nn_idxset which;
    if (!set_of(set, &which))
        return dls_fail(e, DLS_ERR_INVALID, "'%s' is not a data set with files (mnist, fashion-mnist)", set);
    char *c[12];
    int n = candidates(set, opt_dir, data_dir, c), rc = DLS_ERR_NOTFOUND;
    dls_error verr = {0};
    int found = -1;
    for (int i = 0; i < n && found < 0; i++) {
        if (!has_files(c[i])) continue;
        if (verify && nn_idxset_verify(which, c[i], &verr) != DLS_OK) {
            /* a corrupt copy is reported, not skipped: the user put it there for a reason */
            snprintf(dir, dir_size, "%s", c[i]);
            rc = dls_fail(e, verr.code == DLS_ERR_IO ? DLS_ERR_IO : DLS_ERR_CORRUPT, "%s", verr.msg);
            found = -2;
            break;
        }
        found = i;
    }
    if (found >= 0) {
        snprintf(dir, dir_size, "%s", c[found]);
        rc = DLS_OK;
    } else if (found == -1) {
        snprintf(dir, dir_size, "%s", n ? c[0] : "");
        dls_buf looked;
        dls_buf_init(&looked);
        for (int i = 0; i < n; i++) dls_buf_printf(&looked, "%s%s", i ? ", " : "", c[i]);
        rc = dls_fail(e, DLS_ERR_NOTFOUND, "%s not found (looked in %s)", set, looked.data ? looked.data : "");
        dls_buf_deinit(&looked);
    }
    for (int i = 0; i < n; i++) free(c[i]);
    return rc;
}

int lab_data_list(const char *opt_dir, const char *data_dir, int verify, lab_data_status *out) {
    static const char *const sets[] = {"mnist", "fashion-mnist"};
    static const char *const synth[] = {"xor", "spirals", "moons", "sine"};
    int n = 0;
    for (int i = 0; i < 2; i++) {
        lab_data_status *s = &out[n++];
        memset(s, 0, sizeof *s);
        s->name = sets[i];
        dls_error e = {0};
        int rc = lab_data_locate(sets[i], opt_dir, data_dir, verify, s->dir, sizeof s->dir, &e);
        s->found = rc == DLS_OK;
        s->damaged = rc == DLS_ERR_CORRUPT || rc == DLS_ERR_MISMATCH;
        if (s->damaged) {
            snprintf(s->detail, sizeof s->detail, "%s", e.msg); /* the reader's message says how to get a good copy */
        } else if (!s->found) {
            char *how = lab_data_howto(sets[i], data_dir);
            snprintf(s->detail, sizeof s->detail, "%s. %s", e.msg, how);
            free(how);
        } else {
            snprintf(s->detail, sizeof s->detail, "%s", verify ? "checksums verified" : "files present");
        }
    }
    for (int i = 0; i < 4; i++) {
        lab_data_status *s = &out[n++];
        memset(s, 0, sizeof *s);
        s->name = synth[i];
        s->synthetic = 1;
        s->found = 1;
        snprintf(s->dir, sizeof s->dir, "(generated)");
        snprintf(s->detail, sizeof s->detail, "generated in memory from the lab's seed");
    }
    return n;
}

/* ---- fetch -------------------------------------------------------------------------- */

static const char *const mnist_mirrors[] = {"https://ossci-datasets.s3.amazonaws.com/mnist/",
                                            "https://storage.googleapis.com/cvdf-datasets/mnist/"};
static const char *const fashion_mirrors[] = {"http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"};

static int in_path(const char *prog) {
    const char *path = getenv("PATH");
    if (!path) path = "/usr/bin:/bin";
    char *copy = xstrdup(path), *save = NULL;
    int found = 0;
    for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
        char *p = xasprintf("%s/%s", *d ? d : ".", prog);
        found = access(p, X_OK) == 0;
        free(p);
    }
    free(copy);
    return found;
}

/* Runs argv with stdout and stderr sent to /dev/null; returns the exit status or -1. */
static int run_quiet(char *const argv[]) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) return -1;
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *curl_reason(int code) {
    switch (code) {
    case 5:  return "could not resolve the proxy";
    case 6:  return "could not resolve the host (no network or no DNS?)";
    case 7:  return "could not connect (no network?)";
    case 22: return "the server answered with an HTTP error";
    case 28: return "timed out";
    case 35: return "TLS handshake failed";
    default: return "download failed";
    }
}

int lab_data_fetch(const char *set, const char *dest_dir, void (*log)(const char *line, void *u), void *u,
                   dls_error *e) {
    enum nn_idxset which;
    if (!set_of(set, &which))
        return dls_fail(e, DLS_ERR_INVALID, "unknown data set '%s' (fetch knows mnist and fashion-mnist; "
                                            "xor, spirals, moons and sine need no files)", set);
    int curl = in_path("curl"), wget = !curl && in_path("wget");
    if (!curl && !wget)
        return dls_fail(e, DLS_ERR_UNSUPPORTED, "neither curl nor wget is installed: `sudo apt-get install curl`");
    if (dls_mkdir_p(dest_dir, e)) return e->code;
    const char *const *mirrors = which == NN_SET_FASHION ? fashion_mirrors : mnist_mirrors;
    int n_mirrors = which == NN_SET_FASHION ? 1 : 2;
    for (int i = 0; i < 4; i++) {
        char *dest = xasprintf("%s/%s.gz", dest_dir, files[i]), *tmp = xasprintf("%s.part", dest);
        int ok = 0, status = 0;
        for (int m = 0; m < n_mirrors && !ok; m++) {
            char *url = xasprintf("%s%s.gz", mirrors[m], files[i]);
            if (log) {
                char *line = xasprintf("fetching %s", url);
                log(line, u);
                free(line);
            }
            char *argv_curl[] = {"curl", "-fsSL", "--connect-timeout", "15", "--max-time", "600", "--retry", "1",
                                 "-o", tmp, url, NULL};
            char *argv_wget[] = {"wget", "-q", "--timeout=15", "--tries=2", "-O", tmp, url, NULL};
            status = run_quiet(curl ? argv_curl : argv_wget);
            ok = status == 0;
            free(url);
        }
        if (ok && rename(tmp, dest) != 0) ok = 0, status = -2;
        if (!ok) {
            unlink(tmp);
            int rc = dls_fail(e, DLS_ERR_IO, "could not download %s.gz: %s%s", files[i],
                              status == -2 ? "cannot write to the data folder"
                              : curl       ? curl_reason(status)
                              : status == 4 ? "network failure (no network?)" : "download failed",
                              status == -2 ? "" : ". Without internet, copy the four files by hand (see dlstudy data list)");
            free(dest);
            free(tmp);
            return rc;
        }
        free(dest);
        free(tmp);
    }
    if (log) log("verifying checksums of the uncompressed content", u);
    return nn_idxset_verify(which, dest_dir, e);
}
