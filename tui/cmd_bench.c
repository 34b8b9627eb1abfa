/* cmd_bench.c: `dlstudy bench`, the engine's speed and accuracy benchmark: training
 * (batch 64) and inference (batch 1000) images/s of the MLP and the CNN at 1 and 2
 * threads, the large-sgemm ceiling measured in the same run and the engine's share of
 * it, PyTorch on the same models through bench/torch_bench.py with our/PyTorch ratios,
 * and (--epoch) one real MNIST epoch per model with its test accuracy. It is a
 * benchmark, not a test: it never fails on speed. */
#include "tui/cli.h"
#include "engine/nn.h"
/* For the sgemm ceiling we call the CPU backend's own gemm (the one the engine's layers
 * use), which needs the kernel table; nothing else here touches engine internals. */
#include "engine/backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TRAIN_BATCH   64
#define INFER_BATCH   1000
#define PRELOAD       200   /* batches prepared before the clock starts */
#define MAX_THREADS   8
#define MAX_ROWS      64
/* Each figure is the best of this many equal windows of the measurement time: on a
 * shared machine the best window is the one least disturbed by other processes.
 * bench/torch_bench.py measures the same way. */
#define WINDOWS       3
#define TRAIN_TARGET  2.0   /* issue 2: our/PyTorch training images/s */
#define INFER_TARGET  1.5

enum { MODEL_MLP = 1, MODEL_CNN = 2 };
static const char *model_names[] = { "", "mlp", "cnn" };

typedef struct bench_opts {
    int          models;            /* MODEL_MLP | MODEL_CNN */
    int          threads[MAX_THREADS], n_threads;
    const char  *device;            /* "cpu" or "cuda" */
    int          json, epoch, torch;
    const char  *data;              /* --data for --epoch, or NULL */
    double       seconds;           /* per measurement */
    enum nn_norm norm;              /* --epoch */
} bench_opts;

/* One measurement, ours or PyTorch's. */
typedef struct bench_row {
    char   engine[16];
    int    model;                   /* MODEL_MLP / MODEL_CNN */
    int    train;                   /* 1 train, 0 infer */
    int    threads, batch;
    double ips;                     /* images per second */
} bench_row;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The two models of issue 2, as layer specs. */
static nn_model *model_new(int model, const nn_backend *be, uint64_t seed, dls_error *e) {
    nn_layer_spec specs[NN_REFERENCE_MAX_LAYERS];
    int n = nn_reference_specs(model == MODEL_MLP ? NN_REFERENCE_MLP : NN_REFERENCE_CNN, specs);
    return nn_model_new(specs, n, 1, 28, 28, be, seed, e);
}

/* Forward FLOPs per image (2 per multiply-add of linear and conv layers; the rest is
 * negligible). Training counts 3x forward (forward, input gradient, weight gradient):
 * MLP about 0.71 M, CNN about 25.4 M. */
static double forward_flops(const nn_model *m) {
    double f = 0;
    for (int i = 0; i < nn_model_n_layers(m); i++) {
        const nn_layer_spec *s = nn_model_layer_spec(m, i);
        int ic, ih, iw, oc, oh, ow;
        nn_model_layer_shape(m, i - 1, &ic, &ih, &iw);
        nn_model_layer_shape(m, i, &oc, &oh, &ow);
        if (s->kind == NN_LAYER_LINEAR) f += 2.0 * ic * ih * iw * s->out;
        if (s->kind == NN_LAYER_CONV2D) f += 2.0 * oc * oh * ow * ic * s->kernel * s->kernel;
    }
    return f;
}

/* Large-sgemm GFLOP/s with the current thread count: the ceiling the engine's share is
 * measured against. */
static double sgemm_gflops(const nn_backend *be, double seconds) {
    enum { S = 1536 };
    float *a = xmalloc(sizeof(float) * S * S), *b = xmalloc(sizeof(float) * S * S), *c = xmalloc(sizeof(float) * S * S);
    uint64_t st = 7;
    for (int i = 0; i < S * S; i++) {
        a[i] = (float)(nn_data_rand64(&st) >> 40) / 16777216.0f;
        b[i] = (float)(nn_data_rand64(&st) >> 40) / 16777216.0f;
    }
    be->gemm(0, 0, S, S, S, 1.0f, a, S, b, S, 0.0f, c, S); /* warm-up: threads, caches */
    /* the fastest single call, like the best window of the other measurements */
    double start = now_s(), best = 1e30;
    for (int iters = 0; iters < 3 || now_s() - start < seconds; iters++) {
        double t0 = now_s();
        be->gemm(0, 0, S, S, S, 1.0f, a, S, b, S, 0.0f, c, S);
        double el = now_s() - t0;
        if (el < best) best = el;
    }
    free(a), free(b), free(c);
    return 2.0 * S * S * (double)S / best / 1e9;
}

/* What the training benchmarks train: the model with seed 1 and Adam at its defaults
 * (lr 1e-3), the same for the speed and the accuracy figures. */
static int train_new(int model, const nn_backend *be, nn_model **m, nn_optim **o, dls_error *e) {
    *m = model_new(model, be, 1, e);
    if (!*m) return e->code;
    nn_optim_config cfg = nn_optim_config_default(NN_OPTIM_ADAM);
    *o = nn_optim_new(*m, &cfg, e);
    if (!*o) {
        nn_model_free(*m);
        return e->code;
    }
    return DLS_OK;
}

/* Training images/s: Adam 1e-3, batch 64, over PRELOAD prepared batches; best window. */
static int bench_train(int model, const nn_backend *be, const float *x, const int *y, double seconds,
                       double *ips, double *flops, dls_error *e) {
    nn_model *m;
    nn_optim *o;
    if (train_new(model, be, &m, &o, e)) return e->code;
    *flops = 3.0 * forward_flops(m);
    size_t dim = 784;
    int k = 0, iters = 0, rc = DLS_OK;
    float loss;
    for (int w = 0; w < 3 && rc == DLS_OK; w++, k++)
        rc = nn_model_train_step(m, o, x + (size_t)(k % PRELOAD) * TRAIN_BATCH * dim, y + (k % PRELOAD) * TRAIN_BATCH,
                                 NULL, TRAIN_BATCH, NN_LOSS_CROSS_ENTROPY, &loss, e);
    *ips = 0;
    for (int win = 0; win < WINDOWS && rc == DLS_OK; win++) {
        double t0 = now_s(), el = 0;
        iters = 0;
        while (rc == DLS_OK) {
            rc = nn_model_train_step(m, o, x + (size_t)(k % PRELOAD) * TRAIN_BATCH * dim,
                                     y + (k % PRELOAD) * TRAIN_BATCH, NULL, TRAIN_BATCH, NN_LOSS_CROSS_ENTROPY,
                                     &loss, e);
            k++, iters++;
            if ((el = now_s() - t0) >= seconds / WINDOWS && iters >= 3) break;
        }
        if (iters * (double)TRAIN_BATCH / el > *ips) *ips = iters * (double)TRAIN_BATCH / el;
    }
    nn_optim_free(o);
    nn_model_free(m);
    return rc;
}

/* Inference images/s: eval mode, batch 1000, logits copied back to the host (which is
 * also what waits for a device to finish). */
static int bench_infer(int model, const nn_backend *be, const float *x, double seconds, double *ips, double *flops,
                       dls_error *e) {
    nn_model *m = model_new(model, be, 1, e);
    if (!m) return e->code;
    nn_model_set_training(m, 0);
    *flops = forward_flops(m);
    float *logits = xmalloc(sizeof(float) * INFER_BATCH * (size_t)nn_model_out_features(m));
    int rc = DLS_OK, iters = 0;
    for (int w = 0; w < 2 && rc == DLS_OK; w++) rc = nn_model_forward(m, x, INFER_BATCH, NULL, e);
    *ips = 0;
    for (int win = 0; win < WINDOWS && rc == DLS_OK; win++) {
        double t0 = now_s(), el = 0;
        iters = 0;
        while (rc == DLS_OK) {
            rc = nn_model_forward(m, x, INFER_BATCH, NULL, e);
            nn_model_output(m, logits);
            iters++;
            if ((el = now_s() - t0) >= seconds / WINDOWS && iters >= 2) break;
        }
        if (iters * (double)INFER_BATCH / el > *ips) *ips = iters * (double)INFER_BATCH / el;
    }
    free(logits);
    nn_model_free(m);
    return rc;
}

/* ---- PyTorch, through bench/torch_bench.py -------------------------------------- */

/* The script: $DLSTUDY_TORCH_BENCH, bench/ beside the program, ./bench, or the data
 * folder of an installed dlstudy. Returns 1 and fills path when found. */
static int find_torch_script(char *path, size_t n) {
    const char *env = getenv("DLSTUDY_TORCH_BENCH");
    if (env && *env) {
        snprintf(path, n, "%s", env);
        return access(path, R_OK) == 0;
    }
    char exe[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0) {
        exe[len] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) *slash = 0;
        snprintf(path, n, "%s/bench/torch_bench.py", exe);
        if (access(path, R_OK) == 0) return 1;
    }
    snprintf(path, n, "bench/torch_bench.py");
    if (access(path, R_OK) == 0) return 1;
    snprintf(path, n, "%s/bench/torch_bench.py", DLS_DATADIR);
    return access(path, R_OK) == 0;
}

/* Appends s to b in single quotes, for the shell. */
static void shell_quote(dls_buf *b, const char *s) {
    dls_buf_puts(b, "'");
    for (; *s; s++) {
        if (*s == '\'') dls_buf_puts(b, "'\\''");
        else dls_buf_append(b, s, 1);
    }
    dls_buf_puts(b, "'");
}

/* The value of "key" in one line of flat JSON (what json.dumps writes), copied into out
 * without quotes. Returns 1 when found. */
static int json_get(const char *line, const char *key, char *out, size_t n) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(line, pat);
    if (!p) return 0;
    p += strlen(pat);
    while (*p == ' ') p++;
    size_t k = 0;
    if (*p == '"') {
        for (p++; *p && *p != '"' && k + 1 < n; p++) out[k++] = *p;
    } else {
        for (; *p && *p != ',' && *p != '}' && *p != ' ' && k + 1 < n; p++) out[k++] = *p;
    }
    out[k] = 0;
    return 1;
}

/* Runs the PyTorch side; throughput rows go to rows, epoch lines are printed. Returns
 * the number of rows read (0 when PyTorch is absent: the script says why on stderr). */
static int run_torch(const bench_opts *o, bench_row *rows, int max_rows) {
    char script[4200];
    if (!find_torch_script(script, sizeof script)) {
        fprintf(stderr, "dlstudy bench: PyTorch comparison skipped: bench/torch_bench.py not found "
                        "(set DLSTUDY_TORCH_BENCH)\n");
        return 0;
    }
    if (access("/usr/bin/python3", X_OK) != 0) {
        fprintf(stderr, "dlstudy bench: PyTorch comparison skipped: /usr/bin/python3 is absent\n");
        return 0;
    }
    dls_buf cmd;
    dls_buf_init(&cmd);
    dls_buf_puts(&cmd, "/usr/bin/python3 ");
    shell_quote(&cmd, script);
    dls_buf_printf(&cmd, " --json --model %s --seconds %g --threads ",
                   o->models == (MODEL_MLP | MODEL_CNN) ? "all" : model_names[o->models], o->seconds);
    for (int i = 0; i < o->n_threads; i++) dls_buf_printf(&cmd, "%s%d", i ? "," : "", o->threads[i]);
    if (o->epoch) {
        dls_buf_puts(&cmd, " --epoch --data ");
        shell_quote(&cmd, o->data);
    }
    fflush(stdout);
    FILE *p = popen(cmd.data, "r");
    dls_buf_deinit(&cmd);
    if (!p) {
        fprintf(stderr, "dlstudy bench: PyTorch comparison skipped: cannot run python3\n");
        return 0;
    }
    char line[1024], v[64];
    int n = 0;
    while (fgets(line, sizeof line, p)) {
        if (line[0] != '{') continue;
        if (o->json) {
            fputs(line, stdout);
            fflush(stdout);
        }
        char model[16] = "", mode[16] = "";
        json_get(line, "model", model, sizeof model);
        json_get(line, "mode", mode, sizeof mode);
        int mi = !strcmp(model, "mlp") ? MODEL_MLP : !strcmp(model, "cnn") ? MODEL_CNN : 0;
        if (!mi) continue;
        if (!strcmp(mode, "epoch")) {
            if (o->json) continue;
            char acc[32] = "0", secs[32] = "0", thr[16] = "0";
            json_get(line, "test_accuracy", acc, sizeof acc);
            json_get(line, "seconds", secs, sizeof secs);
            json_get(line, "threads", thr, sizeof thr);
            printf("  pytorch %-4s test accuracy %6.2f%%   %6.1f s   (%s thread(s); pixels /255)\n", model,
                   100 * atof(acc), atof(secs), thr);
            continue;
        }
        if (n >= max_rows) continue;
        bench_row *r = &rows[n++];
        memset(r, 0, sizeof *r);
        snprintf(r->engine, sizeof r->engine, "pytorch");
        r->model = mi;
        r->train = !strcmp(mode, "train");
        if (json_get(line, "threads", v, sizeof v)) r->threads = atoi(v);
        if (json_get(line, "batch", v, sizeof v)) r->batch = atoi(v);
        if (json_get(line, "images_per_s", v, sizeof v)) r->ips = atof(v);
    }
    int st = pclose(p);
    if (st != 0) fprintf(stderr, "dlstudy bench: bench/torch_bench.py exited with status %d\n", st);
    return n;
}

/* ---- one real MNIST epoch ----------------------------------------------------- */

/* An MNIST folder: D itself or D/mnist, for D in --data, the data folder, and the
 * development copy ../shared/datasets/mnist. Returns a path to free, or NULL. */
static char *find_mnist(const char *opt, const cli_ctx *ctx) {
    /* an explicit --data is the only place looked at: a silent fallback would mislead */
    const char *cands[3] = { opt, opt ? NULL : ctx->paths.data_dir, opt ? NULL : "../shared/datasets/mnist" };
    for (int i = 0; i < 3; i++) {
        if (!cands[i]) continue;
        for (int sub = 0; sub < 2; sub++) {
            char *d = sub ? xasprintf("%s/mnist", cands[i]) : xstrdup(cands[i]);
            char *f1 = xasprintf("%s/train-images-idx3-ubyte.gz", d), *f2 = xasprintf("%s/train-images-idx3-ubyte", d);
            int ok = access(f1, R_OK) == 0 || access(f2, R_OK) == 0;
            free(f1), free(f2);
            if (ok) return d;
            free(d);
        }
    }
    return NULL;
}

/* Trains one epoch (Adam 1e-3, batch 64, seed 1) and evaluates on the test set. */
static int epoch_run(int model, const nn_backend *be, const nn_dataset *tr, const nn_dataset *te, double *acc,
                     double *secs, double *last_loss, dls_error *e) {
    nn_model *m;
    nn_optim *o;
    if (train_new(model, be, &m, &o, e)) return e->code;
    nn_loader l;
    nn_loader_init(&l, tr, TRAIN_BATCH, 1, NN_LOADER_SHUFFLE);
    float *x = xmalloc(sizeof(float) * TRAIN_BATCH * 784);
    int y[TRAIN_BATCH], b, rc = DLS_OK, steps = 0;
    float loss = 0;
    double sum = 0;
    int window = 0;
    double t0 = now_s();
    while (rc == DLS_OK && (b = nn_loader_next(&l, x, y, NULL)) > 0) {
        rc = nn_model_train_step(m, o, x, y, NULL, b, NN_LOSS_CROSS_ENTROPY, &loss, e);
        /* mean training loss over the last 100 steps */
        if (++steps > nn_loader_batches(&l) - 100) sum += loss, window++;
    }
    *secs = now_s() - t0;
    *last_loss = window ? sum / window : loss;
    nn_eval_result r = {0};
    if (rc == DLS_OK) rc = nn_model_evaluate(m, te, INFER_BATCH, NN_LOSS_CROSS_ENTROPY, &r, e);
    *acc = r.accuracy;
    free(x);
    nn_loader_deinit(&l);
    nn_optim_free(o);
    nn_model_free(m);
    return rc;
}

/* Random pixels and labels for throughput runs: the values do not matter for speed. */
static void random_batches(float **x, int **y) {
    size_t nimg = (size_t)PRELOAD * TRAIN_BATCH;
    *x = xmalloc(sizeof(float) * nimg * 784);
    *y = xmalloc(sizeof(int) * nimg);
    uint64_t st = 42;
    for (size_t i = 0; i < nimg * 784; i++) (*x)[i] = (float)(nn_data_rand64(&st) >> 40) / 16777216.0f;
    for (size_t i = 0; i < nimg; i++) (*y)[i] = (int)(nn_data_rand64(&st) % 10);
}

/* The thread count (of --threads) that trains model fastest here, by a short run. */
static int pick_threads(const bench_opts *o, int model, const nn_backend *be) {
    if (o->n_threads == 1) return o->threads[0];
    float *x;
    int *y, best = o->threads[0];
    double best_ips = 0;
    random_batches(&x, &y);
    for (int t = 0; t < o->n_threads; t++) {
        double ips = 0, flops;
        dls_error e;
        nn_set_threads(o->threads[t]);
        if (bench_train(model, be, x, y, 0.5, &ips, &flops, &e) == DLS_OK && ips > best_ips)
            best_ips = ips, best = o->threads[t];
    }
    free(x);
    free(y);
    return best;
}

static int run_epochs(const bench_opts *o, const cli_ctx *ctx, const nn_backend *be) {
    char *dir = find_mnist(o->data, ctx);
    if (!dir) {
        if (o->data)
            fprintf(stderr, "dlstudy bench: --epoch needs MNIST: none in %s or %s/mnist\n", o->data, o->data);
        else
            fprintf(stderr, "dlstudy bench: --epoch needs MNIST: none in %s(/mnist) or ../shared/datasets/mnist; "
                            "run `dlstudy data fetch mnist` or pass --data DIR\n",
                    ctx->paths.data_dir ? ctx->paths.data_dir : "the data folder");
        return DLS_EXIT_FAIL;
    }
    dls_error e = {0};
    nn_dataset tr = {0}, te = {0};
    nn_load_opts lo = { o->norm, 1, 0 };
    if (nn_idxset_load(NN_SET_MNIST, dir, NN_SPLIT_TRAIN, &lo, &tr, &e) != DLS_OK ||
        nn_idxset_load(NN_SET_MNIST, dir, NN_SPLIT_TEST, &lo, &te, &e) != DLS_OK) {
        fprintf(stderr, "dlstudy bench: %s\n", e.msg);
        nn_dataset_free(&tr);
        free(dir);
        return DLS_EXIT_FAIL;
    }
    const char *norm = o->norm == NN_NORM_MNIST ? "mnist: (x/255 - 0.1307) / 0.3081" : "unit: x/255";
    if (!o->json)
        printf("One MNIST epoch (%d images from %s; Adam 1e-3, batch 64, seed 1, normalisation %s;\n"
               "each engine at its faster thread count, picked by a short measurement):\n", tr.n, dir, norm);
    int status = DLS_EXIT_OK;
    for (int mi = MODEL_MLP; mi <= MODEL_CNN; mi++) {
        if (!(o->models & mi)) continue;
        int threads = pick_threads(o, mi, be);
        nn_set_threads(threads);
        double acc = 0, secs = 0, loss = 0;
        if (epoch_run(mi, be, &tr, &te, &acc, &secs, &loss, &e) != DLS_OK) {
            fprintf(stderr, "dlstudy bench: %s epoch: %s\n", model_names[mi], e.msg);
            status = DLS_EXIT_FAIL;
            continue;
        }
        double target = mi == MODEL_CNN ? 0.98 : 0.95;
        if (o->json)
            printf("{\"engine\": \"dlstudy\", \"model\": \"%s\", \"mode\": \"epoch\", \"threads\": %d, \"batch\": %d, "
                   "\"images_per_s\": %.1f, \"test_accuracy\": %.4f, \"seconds\": %.2f, \"train_loss\": %.4f, "
                   "\"normalization\": \"%s\", \"device\": \"%s\"}\n",
                   model_names[mi], threads, TRAIN_BATCH, tr.n / secs, acc, secs, loss,
                   o->norm == NN_NORM_MNIST ? "mnist" : "unit", nn_backend_name(be));
        else
            printf("  dlstudy %-4s test accuracy %6.2f%%   %6.1f s   (%d thread%s; train loss %.4f; target %.1f%%: %s)\n",
                   model_names[mi], 100 * acc, secs, threads, threads > 1 ? "s" : "", loss, 100 * target, acc >= target ? "met" : "NOT met");
        fflush(stdout);
    }
    nn_dataset_free(&tr);
    nn_dataset_free(&te);
    if (o->torch && nn_backend_device(be) == NN_DEV_CPU) {
        bench_opts to = *o;
        to.data = dir;
        bench_row dummy[1];
        run_torch(&to, dummy, 0);
    }
    free(dir);
    return status;
}

/* ---- the command ---------------------------------------------------------------- */

static void usage(FILE *f) {
    fprintf(f,
        "usage: dlstudy bench [--model mlp|cnn|all] [--threads N|N,M] [--device cpu|cuda] [--json]\n"
        "                     [--seconds S] [--no-torch] [--epoch [--norm mnist|unit] [--data DIR]]\n"
        "\n"
        "Training (batch 64, Adam 1e-3) and inference (batch 1000) images/s of the MLP\n"
        "(784-128-128-10) and the CNN (conv32-pool-conv64-pool-fc128-dropout-fc10), at 1 and 2\n"
        "threads by default, against the large-sgemm ceiling measured in the same run, and\n"
        "PyTorch on the same models (bench/torch_bench.py, /usr/bin/python3) with our/PyTorch\n"
        "ratios at each side's best thread count. --json prints one JSON object per line.\n"
        "--epoch instead trains one real MNIST epoch per model and reports test accuracy and\n"
        "time (normalisation mnist by default: (x/255 - 0.1307) / 0.3081).\n"
        "--device cuda fails with status 1 when this build or machine has no usable GPU.\n");
}

static int parse_opts(int argc, char **argv, bench_opts *o) {
    *o = (bench_opts){ .models = MODEL_MLP | MODEL_CNN, .threads = { 1, 2 }, .n_threads = 2, .device = "cpu",
                       .torch = 1, .seconds = 2.0, .norm = NN_NORM_MNIST };
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return -1;
        } else if (!strcmp(argv[i], "--json")) {
            o->json = 1;
        } else if (!strcmp(argv[i], "--epoch")) {
            o->epoch = 1;
        } else if (!strcmp(argv[i], "--no-torch")) {
            o->torch = 0;
        } else if (!strcmp(argv[i], "--plain")) {
            /* handled by main; accepted here */
        } else if ((v = cli_opt_value(argc, argv, &i, "--model"))) {
            if (!strcmp(v, "mlp")) o->models = MODEL_MLP;
            else if (!strcmp(v, "cnn")) o->models = MODEL_CNN;
            else if (!strcmp(v, "all")) o->models = MODEL_MLP | MODEL_CNN;
            else return cli_usage_error("bench", "--model must be mlp, cnn or all, not '%s'", v);
        } else if ((v = cli_opt_value(argc, argv, &i, "--threads"))) {
            o->n_threads = 0;
            for (const char *p = v; *p;) {
                char *end;
                long t = strtol(p, &end, 10);
                if (end == p || t < 1 || t > 256 || o->n_threads == MAX_THREADS || (*end && *end != ','))
                    return cli_usage_error("bench", "--threads takes N or a list N,M of counts from 1 to 256, not '%s'", v);
                o->threads[o->n_threads++] = (int)t;
                p = *end ? end + 1 : end;
            }
            if (!o->n_threads) return cli_usage_error("bench", "--threads needs a number");
        } else if ((v = cli_opt_value(argc, argv, &i, "--device"))) {
            if (strcmp(v, "cpu") && strcmp(v, "cuda")) return cli_usage_error("bench", "--device must be cpu or cuda, not '%s'", v);
            o->device = v;
        } else if ((v = cli_opt_value(argc, argv, &i, "--data"))) {
            o->data = v;
        } else if ((v = cli_opt_value(argc, argv, &i, "--seconds"))) {
            o->seconds = atof(v);
            if (!(o->seconds > 0 && o->seconds <= 600)) return cli_usage_error("bench", "--seconds must be in (0, 600]");
        } else if ((v = cli_opt_value(argc, argv, &i, "--norm"))) {
            if (!strcmp(v, "mnist")) o->norm = NN_NORM_MNIST;
            else if (!strcmp(v, "unit")) o->norm = NN_NORM_UNIT;
            else return cli_usage_error("bench", "--norm must be mnist or unit, not '%s'", v);
        } else {
            return cli_usage_error("bench", "unknown option '%s' (see dlstudy bench --help)", argv[i]);
        }
    }
    return 0;
}

static const bench_row *best_of(const bench_row *rows, int n, const char *engine, int model, int train) {
    const bench_row *best = NULL;
    for (int i = 0; i < n; i++)
        if (!strcmp(rows[i].engine, engine) && rows[i].model == model && rows[i].train == train &&
            (!best || rows[i].ips > best->ips))
            best = &rows[i];
    return best;
}

int cmd_bench(cli_ctx *ctx, int argc, char **argv) {
    bench_opts o;
    int prc = parse_opts(argc, argv, &o);
    if (prc) return prc < 0 ? DLS_EXIT_OK : prc;

    dls_error e = {0};
    const nn_backend *be = nn_backend_get(o.device, &e);
    if (!be) {
        if (!strcmp(o.device, "cuda"))
            fprintf(stderr, "dlstudy bench: CUDA is not available: %s\n", e.msg);
        else
            fprintf(stderr, "dlstudy bench: %s\n", e.msg);
        return DLS_EXIT_FAIL;
    }
    int cpu = nn_backend_device(be) == NN_DEV_CPU;
    if (!cpu) o.n_threads = 1, o.threads[0] = 1; /* host threads do not matter on a GPU */

    dls_buf blas;
    dls_buf_init(&blas);
    nn_set_threads(o.threads[0]);
    nn_blas_describe(&blas);
    nn_blas_info bi;
    nn_blas_get_info(&bi);
    if (!o.json) {
        printf("dlstudy bench: device %s; %s\n", nn_backend_name(be), blas.data ? blas.data : "");
        if (bi.slow)
            printf("WARNING: OpenBLAS runs its slow %s kernels on this CPU; the fast ones are %s "
                   "(OPENBLAS_CORETYPE=%s)\n", bi.core, bi.fast_core, bi.fast_core);
        printf("(a benchmark, not a test: on a shared machine timings are noisy%s)\n",
               o.epoch ? "" : "; each figure is the best of three windows of a measurement");
    }
    dls_buf_deinit(&blas);
    if (o.epoch) return run_epochs(&o, ctx, be);

    /* Random pixels and labels, prepared before any clock starts: throughput does not
     * depend on the values, and data loading is not what is measured. */
    float *x;
    int *y;
    random_batches(&x, &y);

    double ceiling[MAX_THREADS] = {0};
    if (cpu) {
        for (int t = 0; t < o.n_threads; t++) {
            nn_set_threads(o.threads[t]);
            ceiling[t] = sgemm_gflops(be, 0.5);
        }
        if (!o.json) {
            printf("sgemm ceiling (1536x1536x1536):");
            for (int t = 0; t < o.n_threads; t++) printf("%s %d thread%s %.1f GFLOP/s", t ? "," : "", o.threads[t],
                                                         o.threads[t] > 1 ? "s" : "", ceiling[t]);
            printf("\n");
        }
    }
    if (!o.json) {
        /* FLOPs are the models' nominal counts (direct convolution, 3x forward for a
         * training step); the engine's Winograd convolution does fewer multiplications,
         * so its "effective" rate can pass the sgemm ceiling. */
        printf("(GFLOP/s: nominal model FLOPs per second, so above 100%% of sgemm means fewer\n"
               " multiplications than the direct method, e.g. Winograd convolution)\n");
        printf("\n%-8s %-5s %-5s %7s %5s %12s %9s %7s\n", "engine", "model", "mode", "threads", "batch", "images/s",
               "GFLOP/s", "sgemm%");
    }

    bench_row rows[MAX_ROWS];
    int nrows = 0, status = DLS_EXIT_OK;
    double flops_of[3][2] = {{0}};  /* [model][train] per image */
    for (int mi = MODEL_MLP; mi <= MODEL_CNN; mi++) {
        if (!(o.models & mi)) continue;
        for (int t = 0; t < o.n_threads; t++) {
            nn_set_threads(o.threads[t]);
            for (int train = 1; train >= 0; train--) {
                double ips = 0, flops = 0;
                int rc = train ? bench_train(mi, be, x, y, o.seconds, &ips, &flops, &e)
                               : bench_infer(mi, be, x, o.seconds, &ips, &flops, &e);
                if (rc != DLS_OK) {
                    fprintf(stderr, "dlstudy bench: %s %s: %s\n", model_names[mi], train ? "train" : "infer", e.msg);
                    status = DLS_EXIT_FAIL;
                    continue;
                }
                flops_of[mi][train] = flops;
                bench_row *r = &rows[nrows++];
                *r = (bench_row){ .model = mi, .train = train, .threads = o.threads[t],
                                  .batch = train ? TRAIN_BATCH : INFER_BATCH, .ips = ips };
                snprintf(r->engine, sizeof r->engine, "dlstudy");
                double gf = ips * flops / 1e9, share = ceiling[t] > 0 ? gf / ceiling[t] : 0;
                if (o.json)
                    printf("{\"engine\": \"dlstudy\", \"model\": \"%s\", \"mode\": \"%s\", \"threads\": %d, "
                           "\"batch\": %d, \"images_per_s\": %.1f, \"gflops\": %.2f, \"sgemm_gflops\": %.1f, "
                           "\"sgemm_share\": %.3f, \"device\": \"%s\", \"blas_core\": \"%s\"}\n",
                           model_names[mi], train ? "train" : "infer", r->threads, r->batch, ips, gf, ceiling[t],
                           share, nn_backend_name(be), bi.core);
                else if (cpu)
                    printf("%-8s %-5s %-5s %7d %5d %12.1f %9.2f %6.1f%%\n", "dlstudy", model_names[mi],
                           train ? "train" : "infer", r->threads, r->batch, ips, gf, 100 * share);
                else
                    printf("%-8s %-5s %-5s %7d %5d %12.1f %9.2f %7s\n", "dlstudy", model_names[mi],
                           train ? "train" : "infer", r->threads, r->batch, ips, gf, "-");
                fflush(stdout);
            }
        }
    }
    free(x);
    free(y);

    if (o.torch && cpu) {
        int nt = run_torch(&o, rows + nrows, MAX_ROWS - nrows);
        for (int i = nrows; i < nrows + nt && !o.json; i++) {
            const bench_row *r = &rows[i];
            int t = 0;
            while (t < o.n_threads - 1 && o.threads[t] != r->threads) t++;
            double gf = r->ips * flops_of[r->model][r->train] / 1e9;
            printf("%-8s %-5s %-5s %7d %5d %12.1f %9.2f %6.1f%%\n", r->engine, model_names[r->model],
                   r->train ? "train" : "infer", r->threads, r->batch, r->ips, gf,
                   ceiling[t] > 0 ? 100 * gf / ceiling[t] : 0.0);
        }
        nrows += nt;
        if (nt == 0 && !o.json) printf("(PyTorch comparison skipped: see the message above)\n");
        if (nt > 0 && !o.json)
            printf("\nour/PyTorch images/s, each at its best thread count (targets: train %.1fx, infer %.1fx):\n",
                   TRAIN_TARGET, INFER_TARGET);
        for (int mi = MODEL_MLP; mi <= MODEL_CNN && nt > 0; mi++) {
            for (int train = 1; train >= 0; train--) {
                const bench_row *a = best_of(rows, nrows, "dlstudy", mi, train);
                const bench_row *b = best_of(rows, nrows, "pytorch", mi, train);
                if (!a || !b || b->ips <= 0) continue;
                double ratio = a->ips / b->ips, target = train ? TRAIN_TARGET : INFER_TARGET;
                if (o.json)
                    printf("{\"engine\": \"ratio\", \"model\": \"%s\", \"mode\": \"%s\", \"threads\": %d, "
                           "\"batch\": %d, \"images_per_s\": %.1f, \"torch_threads\": %d, "
                           "\"torch_images_per_s\": %.1f, \"ratio\": %.3f, \"target\": %.1f}\n",
                           model_names[mi], train ? "train" : "infer", a->threads, a->batch, a->ips, b->threads,
                           b->ips, ratio, target);
                else
                    printf("  %-4s %-5s dlstudy %10.1f (%d thr) / pytorch %10.1f (%d thr) = %5.2fx  %s\n",
                           model_names[mi], train ? "train" : "infer", a->ips, a->threads, b->ips, b->threads, ratio,
                           ratio >= target ? "target met" : "below target");
            }
        }
        if (!o.json && o.models == (MODEL_MLP | MODEL_CNN))
            printf("\nfor reference (issue 2, measured earlier on this machine, not in this run): the C engines kann\n"
                   "and darknet train the CNN at about 600-620 images/s and the MLP at about 48,000 (2 threads).\n");
    }
    return status;
}
