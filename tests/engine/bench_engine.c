/* bench_engine.c: the engine engineer's own throughput and accuracy probe (not a test,
 * not `dlstudy bench`, which the bench module owns). Build and run:
 *   make build/libnn.a && cc -O2 -std=c11 -D_GNU_SOURCE -I. \
 *     $(pkg-config --cflags openblas) tests/engine/bench_engine.c build/libnn.a \
 *     $(pkg-config --libs openblas zlib) -lm -lpthread -o build/bench_engine
 *   build/bench_engine speed [mlp|cnn] [threads]      images/s, train (batch 64) and infer (1000)
 *   build/bench_engine mnist [mlp|cnn] [threads]      1 epoch on ../shared/datasets/mnist
 * MNIST is read here with zlib directly so that this probe needs nothing beyond libnn. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "engine/nn.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* CPU seconds of the whole process: on a shared, oversubscribed machine images per
 * CPU-second (times threads) tells what the code would do with the cores to itself. */
static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static const nn_layer_spec mlp[] = {
    { .kind = NN_LAYER_FLATTEN },
    { .kind = NN_LAYER_LINEAR, .out = 128 }, { .kind = NN_LAYER_RELU },
    { .kind = NN_LAYER_LINEAR, .out = 128 }, { .kind = NN_LAYER_RELU },
    { .kind = NN_LAYER_LINEAR, .out = 10 },
};
static const nn_layer_spec cnn[] = {
    { .kind = NN_LAYER_CONV2D, .out = 32, .kernel = 3, .stride = 1, .padding = 1 },
    { .kind = NN_LAYER_RELU },
    { .kind = NN_LAYER_MAXPOOL2D, .kernel = 2, .stride = 2 },
    { .kind = NN_LAYER_CONV2D, .out = 64, .kernel = 3, .stride = 1, .padding = 1 },
    { .kind = NN_LAYER_RELU },
    { .kind = NN_LAYER_MAXPOOL2D, .kernel = 2, .stride = 2 },
    { .kind = NN_LAYER_FLATTEN },
    { .kind = NN_LAYER_LINEAR, .out = 128 }, { .kind = NN_LAYER_RELU },
    { .kind = NN_LAYER_DROPOUT, .p = 0.5f },
    { .kind = NN_LAYER_LINEAR, .out = 10 },
};

static nn_model *make(const char *which, uint64_t seed) {
    dls_error e = { 0 };
    int is_cnn = !strcmp(which, "cnn");
    nn_model *m = nn_model_new(is_cnn ? cnn : mlp, is_cnn ? 11 : 6, 1, 28, 28, NULL, seed, &e);
    if (!m) { fprintf(stderr, "model: %s\n", e.msg); exit(1); }
    return m;
}

static unsigned char *gz_read(const char *path, size_t *len) {
    gzFile f = gzopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 20, n = 0;
    unsigned char *b = malloc(cap);
    int r;
    while ((r = gzread(f, b + n, (unsigned)(cap - n))) > 0) {
        n += (size_t)r;
        if (n == cap) b = realloc(b, cap *= 2);
    }
    gzclose(f);
    *len = n;
    return b;
}

static int load_mnist(const char *split, float **x, int **y) {
    char p1[256], p2[256];
    snprintf(p1, sizeof p1, "../shared/datasets/mnist/%s-images-idx3-ubyte.gz", split);
    snprintf(p2, sizeof p2, "../shared/datasets/mnist/%s-labels-idx1-ubyte.gz", split);
    size_t l1, l2;
    unsigned char *a = gz_read(p1, &l1), *b = gz_read(p2, &l2);
    if (!a || !b) { fprintf(stderr, "cannot read %s\n", p1); exit(1); }
    int n = (int)(l2 - 8);
    *x = malloc((size_t)n * 784 * sizeof **x);
    *y = malloc((size_t)n * sizeof **y);
    for (size_t i = 0; i < (size_t)n * 784; i++) (*x)[i] = a[16 + i] / 255.0f;
    for (int i = 0; i < n; i++) (*y)[i] = b[8 + i];
    free(a);
    free(b);
    return n;
}

static void speed(const char *which, int threads) {
    nn_set_threads(threads);
    nn_model *m = make(which, 1);
    nn_optim_config cfg = nn_optim_config_default(NN_OPTIM_ADAM);
    nn_optim *o = nn_optim_new(m, &cfg, NULL);
    int B = 64, NB = 1000;
    float *x = malloc((size_t)NB * 784 * sizeof *x);
    int   *y = malloc(NB * sizeof *y);
    for (int i = 0; i < NB * 784; i++) x[i] = nn_rng_uniform(3, 0, (uint64_t)i);
    for (int i = 0; i < NB; i++) y[i] = i % 10;
    int is_cnn = !strcmp(which, "cnn");
    int steps = is_cnn ? 60 : 600;
    for (int s = 0; s < steps / 10; s++)   /* warm up */
        nn_model_train_step(m, o, x + (size_t)(s % 15) * B * 784, y, NULL, B,
                            NN_LOSS_CROSS_ENTROPY, NULL, NULL);
    double t0 = now(), c0 = cpu_now();
    for (int s = 0; s < steps; s++)
        nn_model_train_step(m, o, x + (size_t)(s % 15) * B * 784, y + (s % 15) * B, NULL, B,
                            NN_LOSS_CROSS_ENTROPY, NULL, NULL);
    double train = steps * B / (now() - t0), train_cpu = steps * B / (cpu_now() - c0) * threads;
    nn_model_set_training(m, 0);
    int reps = getenv("BENCH_TRAIN_ONLY") ? 0 : is_cnn ? 3 : 30;
    nn_model_forward(m, x, NB, NULL, NULL);
    t0 = now();
    c0 = cpu_now();
    for (int r = 0; r < reps; r++) nn_model_forward(m, x, NB, NULL, NULL);
    double infer = reps * NB / (now() - t0), infer_cpu = reps * NB / (cpu_now() - c0) * threads;
    printf("%s threads %d: train %.0f images/s (batch %d), infer %.0f images/s (batch %d); "
           "per CPU-second x threads: train %.0f, infer %.0f\n",
           which, threads, train, B, infer, NB, train_cpu, infer_cpu);
    nn_optim_free(o);
    nn_model_free(m);
    free(x);
    free(y);
}

static void mnist(const char *which, int threads) {
    nn_set_threads(threads);
    float *xtr, *xte;
    int   *ytr, *yte;
    int ntr = load_mnist("train", &xtr, &ytr), nte = load_mnist("t10k", &xte, &yte);
    nn_model *m = make(which, 42);
    nn_optim_config cfg = nn_optim_config_default(NN_OPTIM_ADAM);
    nn_optim *o = nn_optim_new(m, &cfg, NULL);
    int B = 64;
    int *perm = malloc(ntr * sizeof *perm);
    for (int i = 0; i < ntr; i++) perm[i] = i;
    for (int i = ntr - 1; i > 0; i--) {
        int j = (int)(nn_rng_u64(42, 7, (uint64_t)i) % (uint64_t)(i + 1)), t = perm[i];
        perm[i] = perm[j]; perm[j] = t;
    }
    float *xb = malloc((size_t)B * 784 * sizeof *xb);
    int    yb[64];
    double t0 = now(), tload = 0;
    float  loss = 0;
    for (int s = 0; s + B <= ntr; s += B) {
        double a = now();
        for (int i = 0; i < B; i++) {
            memcpy(xb + (size_t)i * 784, xtr + (size_t)perm[s + i] * 784, 784 * sizeof *xb);
            yb[i] = ytr[perm[s + i]];
        }
        tload += now() - a;
        dls_error e;
        if (nn_model_train_step(m, o, xb, yb, NULL, B, NN_LOSS_CROSS_ENTROPY, &loss, &e)) {
            fprintf(stderr, "%s\n", e.msg);
            exit(1);
        }
    }
    double secs = now() - t0;
    nn_dataset te = { .n = nte, .c = 1, .h = 28, .w = 28, .x = xte, .y = yte, .classes = 10 };
    nn_eval_result r;
    nn_model_evaluate(m, &te, 1000, NN_LOSS_CROSS_ENTROPY, &r, NULL);
    printf("%s 1 epoch, %d threads: %.1f s (%.1f s batching), last loss %.4f, test loss %.4f, "
           "test accuracy %.2f%%\n", which, threads, secs, tload, loss, r.loss, 100 * r.accuracy);
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "speed", *which = argc > 2 ? argv[2] : "mlp";
    int threads = argc > 3 ? atoi(argv[3]) : 1;
    dls_buf b;
    dls_buf_init(&b);
    nn_set_threads(threads);
    nn_blas_describe(&b);
    printf("%s\n", b.data);
    dls_buf_deinit(&b);
    if (!strcmp(mode, "mnist")) mnist(which, threads);
    else speed(which, threads);
    return 0;
}
