/* test_cuda_parity.c: the CUDA backend against the CPU backend, which is the reference:
 * every kernel of the table forward and backward on random inputs (normwise relative
 * error under 1e-4 in float32; exact where the result is discrete: pooling indices,
 * dropout masks, counts), then short training runs of a CNN and an MLP on both backends
 * whose losses must match, and the same run with CUDA graphs on and off.
 * Without a GPU (or in a build without CUDA=1) everything is reported as skipped, never
 * passed; the one thing checked there is that asking for CUDA fails with a clear error. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/backend.h"
#include "engine/nn.h"
#ifdef DLS_CUDA
#include "engine/cuda/cuda_backend.h"   /* plain C: graph switch and counters */
#endif
#include "tests/test.h"

#ifdef DLS_CUDA

static const nn_backend *CPU = &nn_backend_cpu, *GPU;
static const double TOL = 1e-4;

/* ---------------------------------------------------------------- helpers */

static float *rnd(size_t n, uint64_t stream, float lo, float hi) {
    float *p = malloc((n ? n : 1) * sizeof *p);
    for (size_t i = 0; i < n; i++) p[i] = lo + (hi - lo) * nn_rng_uniform(1234, stream, i);
    return p;
}

static void *up(const void *h, size_t bytes) {
    void *d = NULL;
    int rc = GPU->alloc(&d, bytes ? bytes : 4);
    DLS_ASSERT(rc == DLS_OK);
    if (h) GPU->to_device(d, h, bytes);
    else GPU->fill(d, (bytes + 3) / 4, 0.0f);
    return d;
}

static float *down(const void *d, size_t n) {
    float *h = malloc((n ? n : 1) * sizeof *h);
    GPU->to_host(h, d, n * sizeof *h);
    return h;
}

static float *dup(const float *h, size_t n) {
    float *p = malloc((n ? n : 1) * sizeof *p);
    memcpy(p, h, n * sizeof *p);
    return p;
}

/* max |cpu - gpu| / max |cpu|: checked against tol, reported with what on failure. */
static void close_enough(const char *what, const float *cpu, const float *gpu_dev, size_t n,
                         double tol) {
    float *g = down(gpu_dev, n);
    double num = 0, den = 0;
    size_t worst = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)cpu[i] - g[i]);
        if (d > num || isnan(d)) num = isnan(d) ? INFINITY : d, worst = i;
        if (fabs(cpu[i]) > den) den = fabs(cpu[i]);
    }
    double err = num / (den > 1e-30 ? den : 1e-30);
    CHECK(err <= tol);
    if (!(err <= tol))
        fprintf(stderr, "  %s: relative error %.3g (tol %.1g) at %zu: cpu %.9g gpu %.9g\n", what,
                err, tol, worst, cpu[worst], g[worst]);
    free(g);
}

static void same_ints(const char *what, const int32_t *cpu, const void *gpu_dev, size_t n) {
    int32_t *g = malloc((n ? n : 1) * sizeof *g);
    GPU->to_host(g, gpu_dev, n * sizeof *g);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) bad += cpu[i] != g[i];
    CHECK(bad == 0);
    if (bad) fprintf(stderr, "  %s: %zu of %zu differ\n", what, bad, n);
    free(g);
}

/* ---------------------------------------------------------------- BLAS-like */

static void test_gemm(void) {
    int m = 37, n = 29, k = 53;
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            /* padded leading dimensions, to catch a wrong ld in the row/column swap */
            int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 2, ldc = n + 5;
            size_t na = (size_t)(ta ? k : m) * lda, nb = (size_t)(tb ? n : k) * ldb, nc = (size_t)m * ldc;
            float *a = rnd(na, 1, -1, 1), *b = rnd(nb, 2, -1, 1), *c = rnd(nc, 3, -1, 1);
            float *da = up(a, na * 4), *db = up(b, nb * 4), *dc = up(c, nc * 4);
            CPU->gemm(ta, tb, m, n, k, 0.7f, a, lda, b, ldb, 0.3f, c, ldc);
            GPU->gemm(ta, tb, m, n, k, 0.7f, da, lda, db, ldb, 0.3f, dc, ldc);
            char what[32];
            snprintf(what, sizeof what, "gemm ta=%d tb=%d", ta, tb);
            close_enough(what, c, dc, nc, TOL);
            free(a), free(b), free(c), GPU->free(da), GPU->free(db), GPU->free(dc);
        }
}

static void test_blas1(void) {
    size_t n = 1000;
    float *x = rnd(n, 4, -2, 2), *y = rnd(n, 5, -2, 2);
    float *dx = up(x, n * 4), *dy = up(y, n * 4);
    CPU->axpy(n, -0.5f, x, y), GPU->axpy(n, -0.5f, dx, dy);
    close_enough("axpy", y, dy, n, TOL);
    CPU->scale(y, n, 1.5f), GPU->scale(dy, n, 1.5f);
    close_enough("scale", y, dy, n, TOL);
    double sc = CPU->sumsq(y, n), sg = GPU->sumsq(dy, n);
    CHECK_NEAR(sg / sc, 1.0, 1e-9);
    CPU->fill(y, n, 0.25f), GPU->fill(dy, n, 0.25f);
    close_enough("fill", y, dy, n, 0);
    float *c = dup(x, n);
    void *dc = up(NULL, n * 4);
    GPU->copy(dc, dx, n * 4);
    close_enough("copy", c, dc, n, 0);
    free(x), free(y), free(c), GPU->free(dx), GPU->free(dy), GPU->free(dc);
}

/* ---------------------------------------------------------------- layers */

static void test_linear(nn_act_kind act) {
    nn_linear_desc d = { .N = 16, .IN = 50, .OUT = 20, .act = act };
    size_t nx = (size_t)d.N * d.IN, nw = (size_t)d.OUT * d.IN, ny = (size_t)d.N * d.OUT;
    float *x = rnd(nx, 10, -1, 1), *w = rnd(nw, 11, -0.3f, 0.3f), *b = rnd(d.OUT, 12, -0.5f, 0.5f);
    float *gy = rnd(ny, 13, -1, 1), *y = malloc(ny * 4), *gx = malloc(nx * 4);
    float *gw = malloc(nw * 4), *gb = malloc(d.OUT * 4);
    float *dx = up(x, nx * 4), *dw = up(w, nw * 4), *db = up(b, d.OUT * 4), *dgy = up(gy, ny * 4);
    float *dy = up(NULL, ny * 4), *dgx = up(NULL, nx * 4), *dgw = up(NULL, nw * 4), *dgb = up(NULL, d.OUT * 4);
    CPU->linear_fwd(&d, x, w, b, y), GPU->linear_fwd(&d, dx, dw, db, dy);
    close_enough(act ? "linear_fwd relu" : "linear_fwd", y, dy, ny, TOL);
    CPU->linear_bwd(&d, x, w, gy, gx, gw, gb), GPU->linear_bwd(&d, dx, dw, dgy, dgx, dgw, dgb);
    close_enough("linear_bwd dx", gx, dgx, nx, TOL);
    close_enough("linear_bwd dw", gw, dgw, nw, TOL);
    close_enough("linear_bwd db", gb, dgb, d.OUT, TOL);
    free(x), free(w), free(b), free(gy), free(y), free(gx), free(gw), free(gb);
    GPU->free(dx), GPU->free(dw), GPU->free(db), GPU->free(dgy), GPU->free(dy);
    GPU->free(dgx), GPU->free(dgw), GPU->free(dgb);
}

static void test_conv(int N, int C, int H, int W, int OC, int K, int S, int P, nn_act_kind act,
                      int want_dx) {
    nn_conv_desc d = { .N = N, .C = C, .H = H, .W = W, .OC = OC, .K = K, .stride = S, .pad = P,
                       .act = act };
    d.OH = (H + 2 * P - K) / S + 1, d.OW = (W + 2 * P - K) / S + 1;
    size_t nx = (size_t)N * C * H * W, nw = (size_t)OC * C * K * K, ny = (size_t)N * OC * d.OH * d.OW;
    float *x = rnd(nx, 20, -1, 1), *w = rnd(nw, 21, -0.3f, 0.3f), *b = rnd(OC, 22, -0.5f, 0.5f);
    float *gy = rnd(ny, 23, -1, 1), *y = malloc(ny * 4), *gx = malloc(nx * 4);
    float *gw = malloc(nw * 4), *gb = malloc(OC * 4);
    void *cws = malloc(CPU->conv2d_ws_bytes(&d, nn_get_threads()));
    float *dx = up(x, nx * 4), *dw = up(w, nw * 4), *db = up(b, OC * 4), *dgy = up(gy, ny * 4);
    float *dy = up(NULL, ny * 4), *dgx = up(NULL, nx * 4), *dgw = up(NULL, nw * 4), *dgb = up(NULL, OC * 4);
    void *gws = up(NULL, GPU->conv2d_ws_bytes(&d, nn_get_threads()));
    char what[96];
    snprintf(what, sizeof what, "conv N%d C%d %dx%d OC%d K%d S%d P%d act%d", N, C, H, W, OC, K, S, P, act);
    CPU->conv2d_fwd(&d, x, w, b, y, cws), GPU->conv2d_fwd(&d, dx, dw, db, dy, gws);
    close_enough(what, y, dy, ny, TOL);
    CPU->conv2d_bwd(&d, x, w, gy, want_dx ? gx : NULL, gw, gb, cws);
    GPU->conv2d_bwd(&d, dx, dw, dgy, want_dx ? dgx : NULL, dgw, dgb, gws);
    if (want_dx) close_enough("conv bwd dx", gx, dgx, nx, TOL);
    close_enough("conv bwd dw", gw, dgw, nw, TOL);
    close_enough("conv bwd db", gb, dgb, OC, TOL);
    free(x), free(w), free(b), free(gy), free(y), free(gx), free(gw), free(gb), free(cws);
    GPU->free(dx), GPU->free(dw), GPU->free(db), GPU->free(dgy), GPU->free(dy);
    GPU->free(dgx), GPU->free(dgw), GPU->free(dgb), GPU->free(gws);
}

/* The fused conv + ReLU + max pool, against the CPU's fusion. */
static void test_conv_pool(int N, int C, int H, int W, int OC, int K, int P, int k, int S, int pp) {
    nn_conv_desc d = { .N = N, .C = C, .H = H, .W = W, .OC = OC, .K = K, .stride = 1, .pad = P,
                       .act = NN_ACT_RELU };
    d.OH = H + 2 * P - K + 1, d.OW = W + 2 * P - K + 1;
    nn_pool_desc p = { .N = N, .C = OC, .H = d.OH, .W = d.OW, .kh = k, .kw = k, .stride = S, .pad = pp };
    p.OH = (d.OH + 2 * pp - k) / S + 1, p.OW = (d.OW + 2 * pp - k) / S + 1;
    size_t nx = (size_t)N * C * H * W, nw = (size_t)OC * C * K * K, ny = (size_t)N * OC * p.OH * p.OW;
    float *x = rnd(nx, 24, -1, 1), *w = rnd(nw, 25, -0.3f, 0.3f), *b = rnd(OC, 26, -0.3f, 0.3f);
    float *gy = rnd(ny, 27, -1, 1), *y = malloc(ny * 4), *gx = malloc(nx * 4);
    float *gw = malloc(nw * 4), *gb = malloc(OC * 4);
    int32_t *idx = malloc(ny * 4);
    void *cws = malloc(CPU->conv_pool_ws_bytes(&d, &p, nn_get_threads()));
    float *dx = up(x, nx * 4), *dw = up(w, nw * 4), *db = up(b, OC * 4), *dgy = up(gy, ny * 4);
    float *dy = up(NULL, ny * 4), *dgx = up(NULL, nx * 4), *dgw = up(NULL, nw * 4), *dgb = up(NULL, OC * 4);
    int32_t *didx = up(NULL, ny * 4);
    void *gws = up(NULL, GPU->conv_pool_ws_bytes(&d, &p, nn_get_threads()));
    CPU->conv_pool_fwd(&d, &p, x, w, b, y, idx, cws);
    GPU->conv_pool_fwd(&d, &p, dx, dw, db, dy, didx, gws);
    close_enough("conv_pool fwd", y, dy, ny, TOL);
    same_ints("conv_pool fwd idx", idx, didx, ny);
    CPU->conv_pool_bwd(&d, &p, x, w, y, idx, gy, gx, gw, gb, cws);
    GPU->conv_pool_bwd(&d, &p, dx, dw, dy, didx, dgy, dgx, dgw, dgb, gws);
    close_enough("conv_pool bwd dx", gx, dgx, nx, TOL);
    close_enough("conv_pool bwd dw", gw, dgw, nw, TOL);
    close_enough("conv_pool bwd db", gb, dgb, OC, TOL);
    free(x), free(w), free(b), free(gy), free(y), free(gx), free(gw), free(gb), free(idx), free(cws);
    GPU->free(dx), GPU->free(dw), GPU->free(db), GPU->free(dgy), GPU->free(dy);
    GPU->free(dgx), GPU->free(dgw), GPU->free(dgb), GPU->free(didx), GPU->free(gws);
}

static void test_pool(int N, int C, int H, int W, int k, int S, int P) {
    nn_pool_desc d = { .N = N, .C = C, .H = H, .W = W, .kh = k, .kw = k, .stride = S, .pad = P };
    d.OH = (H + 2 * P - k) / S + 1, d.OW = (W + 2 * P - k) / S + 1;
    size_t nx = (size_t)N * C * H * W, ny = (size_t)N * C * d.OH * d.OW;
    float *x = rnd(nx, 30, -1, 1), *gy = rnd(ny, 31, -1, 1), *y = malloc(ny * 4), *gx = malloc(nx * 4);
    int32_t *idx = malloc(ny * 4);
    float *dx = up(x, nx * 4), *dgy = up(gy, ny * 4), *dy = up(NULL, ny * 4), *dgx = up(NULL, nx * 4);
    int32_t *didx = up(NULL, ny * 4);
    CPU->maxpool_fwd(&d, x, y, idx), GPU->maxpool_fwd(&d, dx, dy, didx);
    close_enough("maxpool_fwd", y, dy, ny, 0);
    same_ints("maxpool_fwd idx", idx, didx, ny);
    CPU->maxpool_bwd(&d, gy, idx, gx), GPU->maxpool_bwd(&d, dgy, didx, dgx);
    close_enough("maxpool_bwd", gx, dgx, nx, TOL);
    CPU->avgpool_fwd(&d, x, y), GPU->avgpool_fwd(&d, dx, dy);
    close_enough("avgpool_fwd", y, dy, ny, TOL);
    CPU->avgpool_bwd(&d, gy, gx), GPU->avgpool_bwd(&d, dgy, dgx);
    close_enough("avgpool_bwd", gx, dgx, nx, TOL);
    free(x), free(gy), free(y), free(gx), free(idx);
    GPU->free(dx), GPU->free(dgy), GPU->free(dy), GPU->free(dgx), GPU->free(didx);
}

static void test_acts(void) {
    size_t n = 3000;
    nn_act_kind kinds[] = { NN_ACT_RELU, NN_ACT_LEAKY_RELU, NN_ACT_SIGMOID, NN_ACT_TANH };
    const char *names[] = { "relu", "leaky_relu", "sigmoid", "tanh" };
    float *x = rnd(n, 40, -4, 4), *gy = rnd(n, 41, -1, 1), *y = malloc(n * 4), *gx = malloc(n * 4);
    float *dx = up(x, n * 4), *dgy = up(gy, n * 4), *dy = up(NULL, n * 4), *dgx = up(NULL, n * 4);
    for (int k = 0; k < 4; k++) {
        char what[48];
        CPU->act_fwd(kinds[k], 0.1f, x, y, n), GPU->act_fwd(kinds[k], 0.1f, dx, dy, n);
        snprintf(what, sizeof what, "%s fwd", names[k]);
        close_enough(what, y, dy, n, TOL);
        CPU->act_bwd(kinds[k], 0.1f, y, gy, gx, n), GPU->act_bwd(kinds[k], 0.1f, dy, dgy, dgx, n);
        snprintf(what, sizeof what, "%s bwd", names[k]);
        close_enough(what, gx, dgx, n, TOL);
    }
    free(x), free(gy), free(y), free(gx);
    GPU->free(dx), GPU->free(dgy), GPU->free(dy), GPU->free(dgx);
}

static void test_softmax(int rows, int cols) {
    size_t n = (size_t)rows * cols;
    float *x = rnd(n, 50, -5, 5), *gy = rnd(n, 51, -1, 1), *y = malloc(n * 4), *gx = malloc(n * 4);
    float *dx = up(x, n * 4), *dgy = up(gy, n * 4), *dy = up(NULL, n * 4), *dgx = up(NULL, n * 4);
    for (int log = 0; log < 2; log++) {
        CPU->softmax_fwd(x, y, rows, cols, log), GPU->softmax_fwd(dx, dy, rows, cols, log);
        close_enough(log ? "log_softmax fwd" : "softmax fwd", y, dy, n, TOL);
        CPU->softmax_bwd(y, gy, gx, rows, cols, log), GPU->softmax_bwd(dy, dgy, dgx, rows, cols, log);
        close_enough(log ? "log_softmax bwd" : "softmax bwd", gx, dgx, n, TOL);
    }
    free(x), free(gy), free(y), free(gx);
    GPU->free(dx), GPU->free(dgy), GPU->free(dy), GPU->free(dgx);
}

/* The same counter-based RNG on both sides: exactly the same elements are dropped. */
static void test_dropout(void) {
    size_t n = 10000;
    float p = 0.3f;
    float *x = rnd(n, 60, 0.5f, 1.5f), *y = malloc(n * 4), *g = malloc(n * 4);
    float *dx = up(x, n * 4), *dy = up(NULL, n * 4), *dg = up(NULL, n * 4);
    CPU->dropout_fwd(x, y, n, p, 42, 7), GPU->dropout_fwd(dx, dy, n, p, 42, 7);
    float *gy = down(dy, n);
    size_t zc = 0, zg = 0, differ = 0;
    for (size_t i = 0; i < n; i++) {
        zc += y[i] == 0, zg += gy[i] == 0;
        differ += (y[i] == 0) != (gy[i] == 0);
    }
    CHECK(differ == 0);
    CHECK(zc > n / 5 && zc < n * 2 / 5);   /* about p n dropped */
    if (differ) fprintf(stderr, "  dropout: %zu masks differ (cpu %zu dropped, gpu %zu)\n", differ, zc, zg);
    close_enough("dropout fwd", y, dy, n, TOL);
    CPU->dropout_bwd(x, g, n, p, 42, 7), GPU->dropout_bwd(dx, dg, n, p, 42, 7);
    close_enough("dropout bwd", g, dg, n, TOL);
    /* another stream, another mask */
    GPU->dropout_fwd(dx, dg, n, p, 42, 8);
    float *g8 = down(dg, n);
    size_t moved = 0;
    for (size_t i = 0; i < n; i++) moved += (g8[i] == 0) != (gy[i] == 0);
    CHECK(moved > n / 10);
    free(x), free(y), free(g), free(gy), free(g8), GPU->free(dx), GPU->free(dy), GPU->free(dg);
}

static void test_bn(int training) {
    nn_bn_desc d = { .N = 4, .C = 3, .HW = 10, .eps = 1e-5f, .momentum = 0.1f, .training = training };
    size_t n = (size_t)d.N * d.C * d.HW, C = d.C;
    float *x = rnd(n, 70, -2, 3), *gamma = rnd(C, 71, 0.5f, 1.5f), *beta = rnd(C, 72, -0.5f, 0.5f);
    float *rm = rnd(C, 73, -0.1f, 0.1f), *rv = rnd(C, 74, 0.8f, 1.2f), *gy = rnd(n, 75, -1, 1);
    float *y = malloc(n * 4), *sm = malloc(C * 4), *si = malloc(C * 4), *gx = malloc(n * 4);
    float *gg = malloc(C * 4), *gb = malloc(C * 4);
    float *dx = up(x, n * 4), *dgam = up(gamma, C * 4), *dbet = up(beta, C * 4), *drm = up(rm, C * 4);
    float *drv = up(rv, C * 4), *dgy = up(gy, n * 4), *dy = up(NULL, n * 4), *dsm = up(NULL, C * 4);
    float *dsi = up(NULL, C * 4), *dgx = up(NULL, n * 4), *dgg = up(NULL, C * 4), *dgb = up(NULL, C * 4);
    CPU->bn_fwd(&d, x, gamma, beta, y, rm, rv, sm, si);
    GPU->bn_fwd(&d, dx, dgam, dbet, dy, drm, drv, dsm, dsi);
    close_enough(training ? "bn_fwd train y" : "bn_fwd eval y", y, dy, n, TOL);
    close_enough("bn_fwd running mean", rm, drm, C, TOL);
    close_enough("bn_fwd running var", rv, drv, C, TOL);
    close_enough("bn_fwd saved mean", sm, dsm, C, TOL);
    close_enough("bn_fwd saved invstd", si, dsi, C, TOL);
    CPU->bn_bwd(&d, x, gamma, gy, sm, si, gx, gg, gb);
    GPU->bn_bwd(&d, dx, dgam, dgy, dsm, dsi, dgx, dgg, dgb);
    close_enough("bn_bwd dx", gx, dgx, n, TOL);
    close_enough("bn_bwd dgamma", gg, dgg, C, TOL);
    close_enough("bn_bwd dbeta", gb, dgb, C, TOL);
    free(x), free(gamma), free(beta), free(rm), free(rv), free(gy), free(y), free(sm), free(si);
    free(gx), free(gg), free(gb);
    float *all[] = { dx, dgam, dbet, drm, drv, dgy, dy, dsm, dsi, dgx, dgg, dgb };
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) GPU->free(all[i]);
}

/* ---------------------------------------------------------------- losses */

static void test_losses(void) {
    int N = 33, K = 10;
    size_t n = (size_t)N * K;
    float *z = rnd(n, 80, -4, 4), *t = rnd(n, 81, 0, 1), *g = malloc(n * 4);
    int32_t lab[33], bin[33];
    for (int i = 0; i < N; i++) lab[i] = (int32_t)(nn_rng_u64(5, 6, i) % K), bin[i] = i % 3 == 0;
    float *dz = up(z, n * 4), *dt = up(t, n * 4), *dg = up(NULL, n * 4);
    int32_t *dlab = up(lab, sizeof lab), *dbin = up(bin, sizeof bin);
    float lc = CPU->xent_fwd_bwd(z, lab, N, K, g), lg = GPU->xent_fwd_bwd(dz, dlab, N, K, dg);
    CHECK_NEAR(lg, lc, TOL * fabsf(lc));
    close_enough("xent grad", g, dg, n, TOL);
    lc = CPU->mse_fwd_bwd(z, t, n, g), lg = GPU->mse_fwd_bwd(dz, dt, n, dg);
    CHECK_NEAR(lg, lc, TOL * fabsf(lc));
    close_enough("mse grad", g, dg, n, TOL);
    lc = CPU->bce_fwd_bwd(z, t, n, g), lg = GPU->bce_fwd_bwd(dz, dt, n, dg);
    CHECK_NEAR(lg, lc, TOL * fabsf(lc));
    close_enough("bce grad", g, dg, n, TOL);
    CHECK(CPU->count_correct(z, lab, N, K) == GPU->count_correct(dz, dlab, N, K));
    CHECK(CPU->count_correct(z, bin, N, 1) == GPU->count_correct(dz, dbin, N, 1));
    free(z), free(t), free(g);
    GPU->free(dz), GPU->free(dt), GPU->free(dg), GPU->free(dlab), GPU->free(dbin);
}

/* ---------------------------------------------------------------- optimizers */

static void test_optim(const char *name, nn_optim_config c) {
    size_t n = 777;
    float *w = rnd(n, 90, -1, 1), *s1 = calloc(n, 4), *s2 = calloc(n, 4);
    float *dw = up(w, n * 4), *ds1 = up(NULL, n * 4), *ds2 = up(NULL, n * 4), *dg = up(NULL, n * 4);
    for (long step = 1; step <= 5; step++) {
        float *g = rnd(n, 100 + step, -1, 1), lr = c.lr * (1.0f - 0.1f * step);
        GPU->to_device(dg, g, n * 4);
        CPU->optim_update(&c, lr, step, n, w, g, s1, s2);
        GPU->optim_update(&c, lr, step, n, dw, dg, ds1, ds2);
        free(g);
    }
    char what[64];
    snprintf(what, sizeof what, "%s weights", name);
    close_enough(what, w, dw, n, TOL);
    snprintf(what, sizeof what, "%s state 1", name);
    close_enough(what, s1, ds1, n, TOL);
    snprintf(what, sizeof what, "%s state 2", name);
    close_enough(what, s2, ds2, n, TOL);
    free(w), free(s1), free(s2), GPU->free(dw), GPU->free(ds1), GPU->free(ds2), GPU->free(dg);
}

static void test_optims(void) {
    nn_optim_config c = nn_optim_config_default(NN_OPTIM_SGD);
    c.weight_decay = 1e-3f;
    test_optim("sgd plain", c);           /* no momentum: the CPU's separate loop */
    c.momentum = 0.9f;
    test_optim("sgd momentum", c);
    c.nesterov = 1;
    test_optim("sgd nesterov", c);
    c = nn_optim_config_default(NN_OPTIM_ADAM);
    c.weight_decay = 1e-3f;
    test_optim("adam", c);
    test_optim("adamw", nn_optim_config_default(NN_OPTIM_ADAMW));
    c = nn_optim_config_default(NN_OPTIM_RMSPROP);
    c.weight_decay = 1e-3f;
    test_optim("rmsprop plain", c);       /* no momentum: the CPU's AVX-512 loop where it has one */
    c.momentum = 0.5f;
    test_optim("rmsprop", c);
}

/* ---------------------------------------------------------------- training */

static nn_layer_spec S(nn_layer_kind k) { return nn_layer_spec_default(k); }
static nn_layer_spec LIN(int out) { nn_layer_spec s = S(NN_LAYER_LINEAR); s.out = out; return s; }
static nn_layer_spec CONV(int out) {
    nn_layer_spec s = S(NN_LAYER_CONV2D);
    s.out = out, s.kernel = 3, s.stride = 1, s.padding = 1;
    return s;
}
static nn_layer_spec POOL(void) {
    nn_layer_spec s = S(NN_LAYER_MAXPOOL2D);
    s.kernel = 2, s.stride = 2;
    return s;
}
static nn_layer_spec DROP(float p) { nn_layer_spec s = S(NN_LAYER_DROPOUT); s.p = p; return s; }

enum { TB = 32, STEPS = 40, BATCHES = 4, HW = 12 };

/* Trains on 4 fixed batches in turn (so that the CUDA tapes repeat and get
 * replayed as graphs); losses[] gets every step's loss, out[] the eval-mode outputs on
 * the first batch afterwards. */
static int train(const nn_backend *be, const nn_layer_spec *specs, int n_specs, int c, int h,
                 int w, nn_optim_config cfg, float *losses, float *out) {
    dls_error e = { 0 };
    nn_model *m = nn_model_new(specs, n_specs, c, h, w, be, 77, &e);
    CHECK(m != NULL);
    if (!m) { fprintf(stderr, "  model on %s: %s\n", be->name, e.msg); return -1; }
    nn_optim *o = nn_optim_new(m, &cfg, &e);
    CHECK(o != NULL);
    if (!o) { fprintf(stderr, "  optimizer on %s: %s\n", be->name, e.msg); nn_model_free(m); return -1; }
    size_t per = (size_t)c * h * w;
    /* a learnable task: each class has its own random template of bright pixels, and an
     * example is its class's template plus noise */
    float *x = rnd(per * TB * BATCHES, 200, 0, 0.5f);
    int labels[TB * BATCHES];
    for (int i = 0; i < TB * BATCHES; i++) {
        labels[i] = (int)(nn_rng_u64(9, 9, i) % 10);
        for (size_t j = 0; j < per; j++)
            x[i * per + j] += nn_rng_uniform(77, (uint64_t)labels[i], j) > 0.7f ? 1.0f : 0.0f;
    }
    int rc = DLS_OK;
    for (int s = 0; s < STEPS && !rc; s++) {
        int b = s % BATCHES;
        rc = nn_model_train_step(m, o, x + (size_t)b * TB * per, labels + b * TB, NULL, TB,
                                 NN_LOSS_CROSS_ENTROPY, &losses[s], &e);
    }
    CHECK(rc == DLS_OK);
    if (rc) fprintf(stderr, "  training on %s: %s\n", be->name, e.msg);
    nn_model_set_training(m, 0);
    rc = nn_model_forward(m, x, TB, NULL, &e);
    CHECK(rc == DLS_OK);
    nn_model_output(m, out);
    nn_optim_free(o);
    nn_model_free(m);
    free(x);
    return rc;
}

static void compare_runs(const char *what, const float *lc, const float *lg, const float *oc,
                         const float *og, int n_out, double tol) {
    double worst = 0;
    int at = 0;
    for (int s = 0; s < STEPS; s++) {
        double d = fabs((double)lc[s] - lg[s]) / fmax(fabs(lc[s]), 1.0);
        if (d > worst || isnan(d)) worst = isnan(d) ? INFINITY : d, at = s;
    }
    CHECK(worst <= tol);
    if (!(worst <= tol))
        fprintf(stderr, "  %s: loss differs by %.3g at step %d (%.7g vs %.7g)\n", what, worst, at,
                lc[at], lg[at]);
    double num = 0, den = 0;
    for (int i = 0; i < n_out; i++) {
        num = fmax(num, fabs((double)oc[i] - og[i]));
        den = fmax(den, fabs(oc[i]));
    }
    CHECK(num <= tol * fmax(den, 1.0));
    if (!(num <= tol * fmax(den, 1.0)))
        fprintf(stderr, "  %s: outputs after training differ by %.3g (max %.3g)\n", what, num, den);
    CHECK(lc[STEPS - 1] < lc[0]);   /* and both actually learned */
}

static void test_training(void) {
    nn_layer_spec cnn[] = { CONV(8), S(NN_LAYER_RELU), POOL(), CONV(16), S(NN_LAYER_RELU), POOL(),
                            S(NN_LAYER_FLATTEN), LIN(32), S(NN_LAYER_RELU), DROP(0.5f), LIN(10) };
    nn_layer_spec mlp[] = { LIN(64), S(NN_LAYER_RELU), DROP(0.2f), LIN(64), S(NN_LAYER_TANH), LIN(10) };
    int n_out = TB * 10;
    float lc[STEPS], lg[STEPS], lg2[STEPS], oc[TB * 10], og[TB * 10], og2[TB * 10];
    long launches0, launches1, caps, eager;

    nn_optim_config adam = nn_optim_config_default(NN_OPTIM_ADAM);
    adam.lr = 3e-3f;   /* so that 40 steps visibly learn */
    nn_backend_cuda_stats(&launches0, &caps, &eager);
    train(CPU, cnn, 11, 1, HW, HW, adam, lc, oc);
    train(GPU, cnn, 11, 1, HW, HW, adam, lg, og);
    nn_backend_cuda_stats(&launches1, &caps, &eager);
    compare_runs("cnn adam cpu/gpu", lc, lg, oc, og, n_out, 1e-3);
    CHECK(launches1 - launches0 >= STEPS / 2);   /* the steady-state steps ran as graphs */
    dls_error ce = { 0 };
    if (nn_backend_cuda_capture_error(&ce)) fprintf(stderr, "  graph capture refused: %s\n", ce.msg);

    /* The same run launched kernel by kernel: graphs must change nothing. */
    nn_backend_cuda_set_graphs(0);
    train(GPU, cnn, 11, 1, HW, HW, adam, lg2, og2);
    nn_backend_cuda_set_graphs(1);
    compare_runs("cnn graphs on/off", lg2, lg, og2, og, n_out, 1e-5);

    nn_optim_config sgd = nn_optim_config_default(NN_OPTIM_SGD);
    sgd.lr = 0.05f, sgd.momentum = 0.9f, sgd.nesterov = 1, sgd.weight_decay = 1e-4f;
    sgd.sched = NN_SCHED_COSINE, sgd.total_steps = STEPS, sgd.lr_min = 0.001f;
    train(CPU, mlp, 6, 1, HW, HW, sgd, lc, oc);
    train(GPU, mlp, 6, 1, HW, HW, sgd, lg, og);
    compare_runs("mlp sgd cosine cpu/gpu", lc, lg, oc, og, n_out, 1e-3);
}

/* A data set evaluated in batches (eval mode, count_correct, a short last batch). */
static void test_evaluate(void) {
    nn_layer_spec mlp[] = { LIN(32), S(NN_LAYER_RELU), LIN(10) };
    nn_dataset d = { .n = 250, .c = 1, .h = 8, .w = 8, .classes = 10 };
    d.x = rnd((size_t)d.n * 64, 300, 0, 1);
    d.y = malloc(d.n * sizeof *d.y);
    for (int i = 0; i < d.n; i++) d.y[i] = (int)(nn_rng_u64(3, 3, i) % 10);
    dls_error e = { 0 };
    nn_eval_result rc_, rg;
    nn_model *mc = nn_model_new(mlp, 3, 1, 8, 8, CPU, 5, &e), *mg = nn_model_new(mlp, 3, 1, 8, 8, GPU, 5, &e);
    CHECK(mc && mg);
    if (mc && mg) {
        for (int rep = 0; rep < 3; rep++) {   /* repeats: the tapes become graphs */
            CHECK(nn_model_evaluate(mc, &d, 64, NN_LOSS_CROSS_ENTROPY, &rc_, &e) == DLS_OK);
            CHECK(nn_model_evaluate(mg, &d, 64, NN_LOSS_CROSS_ENTROPY, &rg, &e) == DLS_OK);
            CHECK_NEAR(rg.loss, rc_.loss, 1e-4 * rc_.loss);
            CHECK_NEAR(rg.accuracy, rc_.accuracy, 1e-9);
        }
    }
    nn_model_free(mc), nn_model_free(mg);
    free(d.x), free(d.y);
}

static void test_nomem(void) {
    void *p = NULL;
    dls_error e = { 0 };
    int rc = GPU->alloc(&p, (size_t)1 << 50);   /* a petabyte */
    CHECK(rc == DLS_ERR_NOMEM);
    CHECK(p == NULL);
    /* returned, not sticky: the device goes on working */
    CHECK(nn_backend_cuda_error(&e) == DLS_OK);
    float one[4] = { 1, 2, 3, 4 };
    float *d = up(one, sizeof one);
    CHECK_NEAR(GPU->sumsq(d, 4), 30.0, 1e-9);
    GPU->free(d);
}

#endif /* DLS_CUDA */

int main(void) {
#ifndef DLS_CUDA
    dls_error e = { 0 };
    CHECK(nn_backend_get("cuda", &e) == NULL);
    CHECK(e.code == DLS_ERR_UNSUPPORTED);
    test_skip("cuda parity", "this build has no CUDA (make CUDA=1)");
#else
    dls_error e = { 0 };
    GPU = nn_backend_cuda_get(&e);
    if (!GPU) {
        /* no device: the error must say so, and everything else is skipped */
        CHECK(e.code == DLS_ERR_NODEVICE);
        CHECK(strstr(e.msg, "no CUDA device") != NULL);
        test_skip("cuda parity", e.msg);
        return test_done("test_cuda_parity");
    }
    char dev[256];
    nn_cuda_describe(dev, sizeof dev);
    fprintf(stderr, "device: %s\n", dev);
    test_gemm();
    test_blas1();
    test_linear(NN_ACT_NONE);
    test_linear(NN_ACT_RELU);
    test_conv(3, 1, 12, 12, 8, 3, 1, 1, NN_ACT_RELU, 0);   /* a first layer: no dx */
    test_conv(2, 5, 9, 11, 6, 3, 2, 0, NN_ACT_NONE, 1);
    test_conv(2, 4, 7, 7, 3, 1, 1, 0, NN_ACT_NONE, 1);
    test_conv(2, 3, 8, 8, 4, 5, 1, 2, NN_ACT_RELU, 1);
    test_conv(64, 32, 14, 14, 64, 3, 1, 1, NN_ACT_RELU, 1); /* the CNN's second layer */
    /* few windows each, so that no two values of a window are within rounding of each
     * other: the argmax (and so where the gradient goes) is then the same on both */
    test_conv_pool(3, 1, 12, 12, 8, 3, 1, 2, 2, 0);
    test_conv_pool(2, 3, 9, 9, 5, 3, 0, 3, 2, 1);
    test_pool(2, 3, 8, 8, 2, 2, 0);
    test_pool(2, 2, 9, 7, 3, 2, 1);
    test_acts();
    test_softmax(7, 10);
    test_softmax(5, 100);
    test_dropout();
    test_bn(1);
    test_bn(0);
    test_losses();
    test_optims();
    test_nomem();
    test_training();
    test_evaluate();
    CHECK(nn_backend_cuda_error(&e) == DLS_OK);
    if (e.code) fprintf(stderr, "  device error: %s\n", e.msg);
#endif
    return test_done("test_cuda_parity");
}
