/* test_lab_run.c: the lab runner end to end on small synthetic labs, through the API:
 * results in SQLite, stop and resume from a checkpoint (and that resuming gives the same
 * numbers as an uninterrupted run), divergence stopped with an explanation, snapshots,
 * CSV and SVG export, data set lookup and its errors. Run from the repository root. */
#include "study/lab.h"
#include "study/paths.h"
#include "study/store.h"
#include "tests/study/study_test.h"
#include "tests/test.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[256];

static lab_spec *load(const char *path) {
    lab_spec *s = NULL;
    dls_error e = {0};
    if (lab_spec_load(path, &s, &e) != DLS_OK) fprintf(stderr, "FAIL loading %s: %s\n", path, e.msg);
    return s;
}

/* Steps a run to its end (or until stop_at_epoch, then asks it to stop). Returns the
 * number of epoch events seen. */
static int drive(lab_run *r, int stop_at_epoch, dls_buf *info) {
    int epochs = 0;
    for (int guard = 0; guard < 100000; guard++) {
        unsigned ev = 0;
        dls_error e = {0};
        if (lab_run_step(r, 0.05, &ev, &e) != DLS_OK) {
            fprintf(stderr, "step failed: %s\n", e.msg);
            CHECK(0);
            return epochs;
        }
        if ((ev & LAB_EV_INFO) && info) dls_buf_puts(info, lab_run_info(r));
        if (ev & LAB_EV_EPOCH) {
            epochs++;
            const char *v;
            const lab_epoch *ep = lab_run_last_epoch(r, &v);
            if (stop_at_epoch && ep && ep->epoch == stop_at_epoch) lab_run_stop(r);
        }
        if (ev & LAB_EV_FINISHED) return epochs;
    }
    CHECK(0);
    return epochs;
}

static void test_perceptron(store *db) {
    lab_spec *s = load("labs/perceptron.yaml");
    if (!s) return;
    lab_run_opts o = {.seed = -1, .db = db};
    lab_run *r;
    dls_error e = {0};
    CHECK(lab_run_new(s, &o, &r, &e) == DLS_OK);
    lab_snapshot sn;
    lab_run_snapshot(r, &sn);
    CHECK(sn.n_variants == 2);
    CHECK(sn.variants[0].state == LAB_PENDING);
    lab_snapshot_deinit(&sn);
    int epochs = drive(r, 0, NULL);
    CHECK(epochs == 60);
    lab_run_snapshot(r, &sn);
    CHECK(sn.current == 2);
    CHECK(sn.variants[0].state == LAB_DONE && sn.variants[1].state == LAB_DONE);
    CHECK(sn.variants[1].n_epochs == 30);
    if (sn.variants[0].n_epochs == 30 && sn.variants[1].n_epochs == 30) {
        const lab_epoch *one = &sn.variants[0].curve[29], *hidden = &sn.variants[1].curve[29];
        /* one neuron cannot separate XOR; one hidden layer can */
        CHECK(one->test_loss > 0.6);
        CHECK(hidden->test_acc > 0.95);
        CHECK(hidden->test_loss < 0.2);
    }
    lab_snapshot_deinit(&sn);
    lab_run_free(r);

    lab_result_run *runs = NULL;
    int n = 0;
    CHECK(lab_results_load(db, "perceptron", 1, &runs, &n, &e) == DLS_OK);
    CHECK(n == 2);
    if (n == 2) {
        CHECK_STR(runs[0].variant, "one-neuron");
        CHECK_STR(runs[1].variant, "hidden-layer");
        CHECK_STR(runs[1].status, "done");
        CHECK(runs[1].n_epochs == 30 && runs[1].epochs_done == 30);
        CHECK(runs[0].group == runs[1].group);
        CHECK(runs[1].curve[29].test_acc > 0.95);

        /* CSV: a header and one row per epoch */
        char *csv = xasprintf("%s/p.csv", tmpdir), *svg = xasprintf("%s/p.svg", tmpdir);
        CHECK(lab_export_csv(csv, "perceptron", runs, n, &e) == DLS_OK);
        char *text;
        size_t len;
        if (dls_read_file(csv, 0, &text, &len, &e) == DLS_OK) {
            int lines = 0;
            for (size_t i = 0; i < len; i++) lines += text[i] == '\n';
            CHECK(lines == 61);
            CHECK(!strncmp(text, "lab,run_id,variant,epoch,train_loss,train_acc,test_loss,test_acc,seconds,images_per_s\n", 86));
            CHECK(strstr(text, "\nperceptron,") != NULL);
            free(text);
        }
        CHECK(lab_export_svg(svg, "perceptron: <XOR> & one neuron", runs, n, &e) == DLS_OK);
        if (access("/dev/full", W_OK) == 0) { /* a full disk is an error, not "wrote FILE" */
            CHECK(lab_export_csv("/dev/full", "perceptron", runs, n, &e) == DLS_ERR_IO);
            CHECK(lab_export_svg("/dev/full", "perceptron", runs, n, &e) == DLS_ERR_IO);
            CHECK(strstr(e.msg, "/dev/full") != NULL);
        }
        free(csv);
        free(svg);
    }
    lab_results_free(runs, n);
    lab_spec_free(s);
}

/* A small well-formedness check: every tag closes in order, attributes quoted. */
static int xml_balanced(const char *s) {
    const char *stack[64];
    size_t lens[64];
    int depth = 0;
    while ((s = strchr(s, '<'))) {
        if (s[1] == '?') { s = strstr(s, "?>"); if (!s) return 0; continue; }
        const char *end = strchr(s, '>');
        if (!end) return 0;
        for (const char *q = s; q < end; q++) /* no raw '<' or '&' problems inside a tag */
            if (q > s && *q == '<') return 0;
        if (s[1] == '/') {
            size_t n = strcspn(s + 2, " >");
            if (!depth || lens[depth - 1] != n || strncmp(stack[depth - 1], s + 2, n)) return 0;
            depth--;
        } else if (end[-1] != '/') {
            if (depth == 64) return 0;
            stack[depth] = s + 1;
            lens[depth++] = strcspn(s + 1, " >/");
        }
        s = end + 1;
    }
    return depth == 0;
}

static int count(const char *s, const char *needle) {
    int n = 0;
    for (; (s = strstr(s, needle)); s++) n++;
    return n;
}

static void test_svg(store *db) {
    lab_result_run *runs = NULL;
    int n = 0;
    dls_error e = {0};
    if (lab_results_load(db, "perceptron", 1, &runs, &n, &e) != DLS_OK || n != 2) return;
    char *svg = lab_svg_render("perceptron: <XOR> & one neuron", runs, n);
    CHECK(!strncmp(svg, "<?xml", 5));
    CHECK(xml_balanced(svg));
    CHECK(count(svg, "<polyline") == 8);           /* 2 runs x (train, test) x (loss, accuracy) */
    CHECK(count(svg, "stroke-dasharray") >= 4);    /* train curves dashed, and the legend's sample */
    CHECK(strstr(svg, "&lt;XOR&gt; &amp;") != NULL); /* escaped title */
    CHECK(strstr(svg, ">one-neuron<") && strstr(svg, ">hidden-layer<")); /* legend */
    CHECK(strstr(svg, ">Loss<") && strstr(svg, ">Accuracy<") && strstr(svg, ">epoch<"));
    CHECK(strstr(svg, ">30<") != NULL); /* an x tick label at the last epoch */
    CHECK(strstr(svg, ">1.0<") != NULL || strstr(svg, ">1.00<") != NULL); /* accuracy axis top */
    free(svg);
    /* one epoch still gives a plot */
    runs[0].n_epochs = 1;
    runs[1].n_epochs = 0;
    svg = lab_svg_render("one point", runs, 2);
    CHECK(xml_balanced(svg));
    CHECK(strstr(svg, "<circle") != NULL);
    free(svg);
    lab_results_free(runs, n);
}

static double final_test_loss(store *db, const char *lab) {
    lab_result_run *runs = NULL;
    int n = 0;
    double v = -1;
    CHECK(lab_results_load(db, lab, 1, &runs, &n, NULL) == DLS_OK && n == 1);
    if (n == 1 && runs[0].n_epochs) v = runs[0].curve[runs[0].n_epochs - 1].test_loss;
    if (n == 1) CHECK_STR(runs[0].status, "done");
    lab_results_free(runs, n);
    return v;
}

static void test_stop_resume(store *db) {
    lab_spec *s = load("labs/backprop.yaml");
    if (!s) return;
    char *ckdir = xasprintf("%s/runs", tmpdir);
    lab_run_opts o = {.seed = -1, .db = db, .ckpt_dir = ckdir, .epochs = 8};
    lab_run *r;
    dls_error e = {0};
    char *sql;

    /* an uninterrupted run, for comparison */
    CHECK(lab_run_new(s, &o, &r, &e) == DLS_OK);
    dls_buf info;
    dls_buf_init(&info);
    CHECK(drive(r, 0, &info) == 8);
    CHECK(strstr(info.data ? info.data : "", "gradient check") != NULL);
    CHECK(strstr(info.data ? info.data : "", "backprop agrees") != NULL);
    dls_buf_deinit(&info);
    lab_run_free(r);
    double whole = final_test_loss(db, "backprop");

    /* stopped after epoch 3 */
    CHECK(lab_run_new(s, &o, &r, &e) == DLS_OK);
    CHECK(drive(r, 3, NULL) == 3);
    lab_snapshot sn;
    lab_run_snapshot(r, &sn);
    CHECK(sn.variants[0].state == LAB_STOPPED);
    CHECK(strstr(sn.variants[0].message, "--resume") != NULL);
    int64_t id = sn.variants[0].run_id;
    lab_snapshot_deinit(&sn);
    lab_run_free(r);
    lab_result_run *runs = NULL;
    int n = 0;
    CHECK(lab_results_load(db, "backprop", 1, &runs, &n, &e) == DLS_OK && n == 1);
    if (n == 1) {
        CHECK_STR(runs[0].status, "stopped");
        CHECK(runs[0].epochs_done == 3 && runs[0].n_epochs == 3);
    }
    lab_results_free(runs, n);
    char *ck = xasprintf("%s/%lld.ckpt", ckdir, (long long)id), *next = xasprintf("%s.next", ck);
    CHECK(access(ck, R_OK) == 0);
    CHECK(access(next, F_OK) != 0); /* renamed into place once its epoch was recorded */
    free(next);
    free(ck);
    /* as if killed after epoch 4 was recorded but before its checkpoint was written: the
     * file is an epoch behind the rows, so resuming trains epoch 4 again from it */
    sql = xasprintf("INSERT INTO lab_metrics(run_id, epoch, train_loss, test_loss) VALUES (%lld, 4, 99, 99);"
                    "UPDATE lab_runs SET epochs_done = 4 WHERE id = %lld", (long long)id, (long long)id);
    CHECK(sqlite3_exec(store_db(db), sql, NULL, NULL, NULL) == SQLITE_OK);
    free(sql);

    /* --resume continues the same row at epoch 4 and ends where the whole run ended */
    lab_run_opts ro = {.seed = -1, .db = db, .ckpt_dir = ckdir, .resume = 1};
    CHECK(lab_run_new(s, &ro, &r, &e) == DLS_OK);
    dls_buf_init(&info);
    CHECK(drive(r, 0, &info) == 5);
    CHECK(strstr(info.data ? info.data : "", "resuming at epoch 4 of 8") != NULL);
    CHECK(strstr(info.data ? info.data : "", "gradient check") == NULL); /* only before epoch 1 */
    dls_buf_deinit(&info);
    lab_run_snapshot(r, &sn);
    CHECK(sn.variants[0].run_id == id);
    CHECK(sn.variants[0].n_epochs == 8);
    if (sn.variants[0].n_epochs == 8) CHECK(sn.variants[0].curve[3].epoch == 4 && sn.variants[0].curve[3].test_loss < 99);
    lab_snapshot_deinit(&sn);
    lab_run_free(r);
    double resumed = final_test_loss(db, "backprop");
    CHECK_NEAR(resumed, whole, 1e-6);
    CHECK(lab_results_load(db, "backprop", 1, &runs, &n, &e) == DLS_OK && n == 1);
    if (n == 1) CHECK(runs[0].n_epochs == 8 && runs[0].curve[3].test_loss < 99); /* the row written again */
    lab_results_free(runs, n);

    /* a checkpoint ahead of the recorded epochs is not trusted to line up with them */
    CHECK(lab_run_new(s, &o, &r, &e) == DLS_OK);
    CHECK(drive(r, 3, NULL) == 3);
    lab_run_snapshot(r, &sn);
    id = sn.variants[0].run_id;
    lab_snapshot_deinit(&sn);
    lab_run_free(r);
    sql = xasprintf("DELETE FROM lab_metrics WHERE run_id = %lld AND epoch = 3;"
                    "UPDATE lab_runs SET epochs_done = 2 WHERE id = %lld", (long long)id, (long long)id);
    CHECK(sqlite3_exec(store_db(db), sql, NULL, NULL, NULL) == SQLITE_OK);
    free(sql);
    CHECK(lab_run_new(s, &ro, &r, &e) == DLS_OK);
    unsigned ev = 0;
    CHECK(lab_run_step(r, 0.05, &ev, &e) == DLS_ERR_MISMATCH);
    CHECK(strstr(e.msg, "holds epoch 3, but 2 epochs are recorded") != NULL);
    lab_run_free(r);

    /* nothing left to resume now */
    CHECK(lab_run_new(s, &ro, &r, &e) == DLS_ERR_NOTFOUND);
    CHECK(strstr(e.msg, "no unfinished run") != NULL);
    free(ckdir);
    lab_spec_free(s);
}

static void test_diverge(store *db) {
    char *path = xasprintf("%s/diverge.yaml", tmpdir);
    FILE *f = fopen(path, "w");
    fputs("title: Diverges\nconcepts: [learning rate]\ndataset: {name: sine, samples: 200}\n"
          "model:\n  - linear: 32\n  - relu\n  - linear: 32\n  - relu\n  - linear: 1\n"
          "loss: mse\noptimizer: {name: sgd, lr: 5}\nepochs: 5\nbatch: 16\n"
          "variants:\n  too-fast:\n  fine: {lr: 0.01}\n",
          f);
    fclose(f);
    lab_spec *s = load(path);
    free(path);
    if (!s) return;
    lab_run_opts o = {.seed = -1, .db = db};
    lab_run *r;
    dls_error e = {0};
    CHECK(lab_run_new(s, &o, &r, &e) == DLS_OK);
    drive(r, 0, NULL);
    lab_snapshot sn;
    lab_run_snapshot(r, &sn);
    CHECK(sn.variants[0].state == LAB_FAILED);
    CHECK(strstr(sn.variants[0].message, "learning rate") != NULL);
    CHECK(strstr(sn.variants[0].message, "--lr") != NULL);
    CHECK(sn.variants[1].state == LAB_DONE); /* the other variant still runs */
    CHECK(sn.variants[1].n_epochs == 5);
    if (sn.variants[1].n_epochs) CHECK(isnan(sn.variants[1].curve[0].test_acc)); /* regression: no accuracy */
    lab_snapshot_deinit(&sn);
    lab_run_free(r);
    lab_result_run *runs = NULL;
    int n = 0;
    CHECK(lab_results_load(db, "diverge", 1, &runs, &n, &e) == DLS_OK && n == 2);
    if (n == 2) {
        CHECK_STR(runs[0].status, "failed");
        CHECK(strstr(runs[0].error, "diverged") != NULL);
        CHECK_STR(runs[1].status, "done");
    }
    lab_results_free(runs, n);

    /* a step so large that the next loss overflows: the message says what the loss
     * became (infinite here, not NaN), and on which batch */
    lab_run_opts huge = {.seed = -1, .variants = "too-fast", .lr = 1e10};
    CHECK(lab_run_new(s, &huge, &r, &e) == DLS_OK);
    drive(r, 0, NULL);
    lab_run_snapshot(r, &sn);
    CHECK(sn.variants[0].state == LAB_FAILED);
    CHECK(strstr(sn.variants[0].message, "the loss became infinite") != NULL);
    CHECK(strstr(sn.variants[0].message, "batch 2 of") != NULL);
    lab_snapshot_deinit(&sn);
    lab_run_free(r);
    lab_spec_free(s);
}

static void test_options(store *db) {
    lab_spec *s = load("labs/training-loop.yaml");
    if (!s) return;
    lab_run *r;
    dls_error e = {0};
    lab_run_opts bad = {.seed = -1, .variants = "baseline,nope"};
    CHECK(lab_run_new(s, &bad, &r, &e) == DLS_ERR_INVALID);
    CHECK(strstr(e.msg, "no variant 'nope'") && strstr(e.msg, "batch-8"));
    lab_run_opts cuda = {.seed = -1, .device = "cuda"};
    int rc = lab_run_new(s, &cuda, &r, &e);
    if (rc == DLS_OK) lab_run_free(r); /* a CUDA build on a GPU machine */
    else CHECK(rc == DLS_ERR_UNSUPPORTED || rc == DLS_ERR_NODEVICE);

    lab_run_opts o = {.seed = 5, .db = db, .variants = "eval-in-train-mode,batch-256", .epochs = 2, .lr = 0.01};
    CHECK(lab_run_new(s, &o, &r, &e) == DLS_OK);
    CHECK(drive(r, 0, NULL) == 4);
    lab_run_free(r);
    lab_result_run *runs = NULL;
    int n = 0;
    CHECK(lab_results_load(db, "training-loop", 1, &runs, &n, &e) == DLS_OK && n == 2);
    if (n == 2) {
        CHECK_STR(runs[0].variant, "eval-in-train-mode"); /* the order asked for */
        CHECK(runs[0].epochs_planned == 2 && runs[0].seed == 5);
        CHECK_NEAR(runs[0].lr, 0.01, 1e-7);
        CHECK(runs[1].batch == 256);
    }
    lab_results_free(runs, n);
    lab_spec_free(s);
}

static void test_grad_norms(void) {
    lab_spec *s = load("labs/depth.yaml");
    if (!s) return;
    lab_run_opts o = {.seed = -1, .epochs = 1, .variants = "sigmoid"};
    lab_run *r;
    dls_error e = {0};
    CHECK(lab_run_new(s, &o, &r, &e) == DLS_OK);
    dls_buf info;
    dls_buf_init(&info);
    drive(r, 0, &info);
    CHECK(strstr(info.data ? info.data : "", "gradient norms, epoch 1") != NULL);
    lab_snapshot sn;
    lab_run_snapshot(r, &sn);
    CHECK(sn.variants[0].n_grad == 11); /* 11 linear layers */
    /* vanishing: the first layer's gradient is far smaller than the last one's */
    if (sn.variants[0].n_grad == 11) CHECK(sn.variants[0].grad_norm[0] < 0.01 * sn.variants[0].grad_norm[10]);
    lab_snapshot_deinit(&sn);
    dls_buf_deinit(&info);
    lab_run_free(r);
    lab_spec_free(s);
}

static void test_data(void) {
    char dir[1024];
    dls_error e = {0};
    char *empty = xasprintf("%s/nodata", tmpdir), *xdg = xasprintf("%s/xdg", tmpdir);
    setenv("XDG_DATA_HOME", xdg, 1); /* never find the developer's own copy */
    unsetenv("DLSTUDY_DATA");
    CHECK(lab_data_locate("mnist", empty, empty, 0, dir, sizeof dir, &e) == DLS_ERR_NOTFOUND);
    CHECK(strstr(e.msg, "nodata") != NULL);
    char *how = lab_data_howto("mnist", empty);
    CHECK(strstr(how, "dlstudy data fetch mnist") && strstr(how, "train-images-idx3-ubyte.gz"));
    free(how);
    how = lab_data_howto("fashion-mnist", empty);
    CHECK(strstr(how, "apt-get install dataset-fashion-mnist") != NULL);
    free(how);

    /* a damaged copy is reported as such, not skipped */
    char *bad = xasprintf("%s/bad/mnist", tmpdir);
    CHECK(dls_mkdir_p(bad, &e) == DLS_OK);
    const char *names[] = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                           "t10k-labels-idx1-ubyte.gz"};
    for (int i = 0; i < 4; i++) {
        char *p = xasprintf("%s/%s", bad, names[i]);
        FILE *f = fopen(p, "w");
        fputs("not gzip at all", f);
        fclose(f);
        free(p);
    }
    char *badroot = xasprintf("%s/bad", tmpdir);
    int rc = lab_data_locate("mnist", badroot, empty, 1, dir, sizeof dir, &e);
    CHECK(rc == DLS_ERR_CORRUPT);
    CHECK(strstr(dir, "bad/mnist") != NULL);

    /* a variant whose data cannot be read fails with the reason; the next one still runs */
    char *two = xasprintf("%s/two.yaml", tmpdir);
    FILE *f = fopen(two, "w");
    fputs("title: Two data sets\nconcepts: [x]\ndataset: {name: mnist, subset: 100}\n"
          "model: [flatten, linear: 10]\nepochs: 1\n"
          "variants:\n  images:\n  xor: {dataset: {name: xor}, model: [linear: 2]}\n",
          f);
    fclose(f);
    lab_spec *ts = load(two);
    free(two);
    if (ts) {
        lab_run_opts o = {.seed = -1, .data_opt = badroot, .data_dir = empty};
        lab_run *r;
        CHECK(lab_run_new(ts, &o, &r, &e) == DLS_OK); /* the files are there; reading them fails */
        unsigned ev = 0;
        int errors = 0, guard = 0;
        do {
            if (lab_run_step(r, 0.05, &ev, &e) != DLS_OK) errors++;
        } while (!(ev & LAB_EV_FINISHED) && ++guard < 1000);
        CHECK(errors == 1);
        lab_snapshot sn;
        lab_run_snapshot(r, &sn);
        CHECK(sn.variants[0].state == LAB_FAILED);
        CHECK(strstr(sn.variants[0].message, "train-") != NULL); /* names the file */
        CHECK(sn.variants[1].state == LAB_DONE);
        lab_snapshot_deinit(&sn);
        lab_run_free(r);
        lab_spec_free(ts);
    }

    lab_data_status st[8];
    int n = lab_data_list(empty, empty, 0, st);
    CHECK(n == 6);
    CHECK(!st[0].found && strstr(st[0].detail, "dlstudy data fetch mnist"));
    CHECK(st[2].synthetic && st[2].found);

    /* a lab on missing data fails before it starts, saying what is missing */
    lab_spec *s = load("labs/mlp-mnist.yaml");
    if (s) {
        lab_run_opts o = {.seed = -1, .data_opt = empty, .data_dir = empty};
        lab_run *r;
        CHECK(lab_run_new(s, &o, &r, &e) == DLS_ERR_NOTFOUND);
        CHECK(strstr(e.msg, "mnist not found") != NULL);
        lab_spec_free(s);
    }

    if (access("../shared/datasets/mnist/t10k-labels-idx1-ubyte.gz", R_OK) == 0) {
        CHECK(lab_data_locate("mnist", "../shared/datasets/mnist", empty, 1, dir, sizeof dir, &e) == DLS_OK);
        CHECK_STR(dir, "../shared/datasets/mnist");
        CHECK(lab_data_locate("mnist", "../shared/datasets", empty, 0, dir, sizeof dir, &e) == DLS_OK);
        CHECK_STR(dir, "../shared/datasets/mnist");
        /* the MNIST folder is not taken for Fashion-MNIST (same file names) */
        rc = lab_data_locate("fashion-mnist", "../shared/datasets/mnist", empty, 0, dir, sizeof dir, &e);
        CHECK(rc != DLS_OK || strstr(dir, "fashion") != NULL);
    } else {
        test_skip("MNIST lookup", "../shared/datasets/mnist is absent");
    }
    free(bad);
    free(badroot);
    free(empty);
    free(xdg);
}

/* The image path on real MNIST (a small subset, one epoch): skipped without the data. */
static void test_mnist_subset(store *db) {
    if (access("../shared/datasets/mnist/train-images-idx3-ubyte.gz", R_OK) != 0) {
        test_skip("MNIST subset run", "../shared/datasets/mnist is absent");
        return;
    }
    lab_spec *s = load("labs/data-quality.yaml");
    if (!s) return;
    lab_run_opts o = {.seed = -1, .db = db, .epochs = 1, .variants = "few,noisy50",
                      .data_opt = "../shared/datasets/mnist"};
    lab_run *r;
    dls_error e = {0};
    CHECK(lab_run_new(s, &o, &r, &e) == DLS_OK);
    CHECK(drive(r, 0, NULL) == 2);
    lab_snapshot sn;
    lab_run_snapshot(r, &sn);
    CHECK(sn.variants[0].state == LAB_DONE && sn.variants[1].state == LAB_DONE);
    if (sn.variants[0].n_epochs == 1) CHECK(sn.variants[0].curve[0].test_acc > 0.6); /* 1,000 digits, one epoch */
    if (sn.variants[1].n_epochs == 1) {
        const lab_epoch *ep = &sn.variants[1].curve[0];
        CHECK(ep->test_acc > 0.5);
        CHECK(ep->train_acc < ep->test_acc); /* half the training labels are wrong, the test labels are not */
    }
    lab_snapshot_deinit(&sn);
    lab_run_free(r);
    lab_spec_free(s);
}

/* The lab rows through the store: each epoch is committed at once (another connection,
 * as another dlstudy would be, sees it), and a read leaves no statement open on the
 * store's cached statements, so the next read sees what others wrote since. */
static void test_rows_on_store(const char *dbp) {
    store *a = NULL, *b = NULL;
    dls_error e = {0};
    if (store_open(dbp, &a, &e) != DLS_OK || store_open(dbp, &b, &e) != DLS_OK) {
        CHECK(!"two stores on one file");
        store_free(a);
        return;
    }
    int64_t id = 0, g = 0;
    char *cfg = NULL;
    CHECK(lab_db_run_begin(a, "rows", "v", 1, "cpu", 3, 8, 0.1, "{\"group\":77}", &id, &e) == DLS_OK && id > 0);
    lab_epoch ep = {.epoch = 1, .train_loss = 0.5, .train_acc = NAN, .test_loss = 0.25, .test_acc = 0.75,
                    .seconds = 1, .images_per_s = 10};
    CHECK(lab_db_epoch(a, id, &ep, "/tmp/x.ckpt", &e) == DLS_OK);
    CHECK(test_count(b, "SELECT count(*) FROM lab_metrics m JOIN lab_runs r ON r.id = m.run_id "
                        "WHERE r.lab = 'rows' AND r.epochs_done = 1 AND r.checkpoint = '/tmp/x.ckpt'") == 1);
    /* a lookup that stops at its first row must not keep a's snapshot */
    CHECK(lab_db_find_unfinished(a, "rows", &g, &cfg, &e) == DLS_OK && g == 77);
    free(cfg);
    int64_t id2 = 0;
    CHECK(lab_db_run_begin(b, "rows", "w", 1, "cpu", 3, 8, 0.1, "{\"group\":78}", &id2, &e) == DLS_OK);
    lab_result_run *runs = NULL;
    int n = 0;
    CHECK(lab_results_load(a, "rows", 0, &runs, &n, &e) == DLS_OK && n == 2);
    if (n == 2) CHECK(runs[1].id == id && runs[1].n_epochs == 1 && isnan(runs[1].curve[0].train_acc));
    lab_results_free(runs, n);
    CHECK(lab_db_find_unfinished(a, "rows", &g, &cfg, &e) == DLS_OK && g == 78);
    free(cfg);
    int64_t g2 = 0;
    CHECK(lab_db_new_group(a, &g2, &e) == DLS_OK && g2 == 79);
    CHECK(lab_db_run_end(a, id, "done", NULL, &e) == DLS_OK && lab_db_run_end(a, id2, "done", NULL, &e) == DLS_OK);
    CHECK(lab_db_find_unfinished(b, "rows", &g, &cfg, &e) == DLS_ERR_NOTFOUND);
    store_free(b);
    store_free(a);
}

int main(void) {
    if (!test_tmpdir(tmpdir, sizeof tmpdir, "test_lab_run")) return 1;
    store *st;
    dls_error e = {0};
    char *dbp = xasprintf("%s/db.sqlite", tmpdir);
    if (store_open(dbp, &st, &e) != DLS_OK) {
        fprintf(stderr, "store_open: %s\n", e.msg);
        return 1;
    }
    test_rows_on_store(dbp);
    free(dbp);
    store *db = st;
    test_perceptron(db);
    test_svg(db);
    test_stop_resume(db);
    test_diverge(db);
    test_options(db);
    test_grad_norms();
    test_mnist_subset(db);
    test_data();
    store_free(st);
    if (test_rmtree(tmpdir) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    return test_done("test_lab_run");
}
