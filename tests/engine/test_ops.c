/* test_ops.c: the CPU kernels against plain reference loops written here: convolution
 * (plain and fused with ReLU + max pool) forward and backward, pooling, softmax, the
 * losses (values, gradients by central differences, stability at extreme logits),
 * dropout masks, and the counter-based RNG. Gradients of whole layers are checked in
 * test_layers.c, GEMM in test_gemm.c, optimizers in test_optim.c. */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "engine/backend.h"
#include "tests/test.h"

static const nn_backend *be = &nn_backend_cpu;

static float *rnd(size_t n, uint64_t stream) {
    float *p = malloc((n + 1) * sizeof *p);
    for (size_t i = 0; i < n; i++) p[i] = 2.0f * nn_rng_uniform(1234, stream, i) - 1.0f;
    return p;
}

static double max_abs_diff(const float *a, const float *b, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs((double)a[i] - b[i]));
    return m;
}

/* ---------------------------------------------------------------- convolution */

static float xat(const nn_conv_desc *d, const float *x, int n, int c, int ih, int iw) {
    if (ih < 0 || ih >= d->H || iw < 0 || iw >= d->W) return 0;
    return x[(((size_t)n * d->C + c) * d->H + ih) * d->W + iw];
}

static void ref_conv_fwd(const nn_conv_desc *d, const float *x, const float *w, const float *b,
                         float *y) {
    for (int n = 0; n < d->N; n++)
        for (int o = 0; o < d->OC; o++)
            for (int oh = 0; oh < d->OH; oh++)
                for (int ow = 0; ow < d->OW; ow++) {
                    double s = b[o];
                    for (int c = 0; c < d->C; c++)
                        for (int kh = 0; kh < d->K; kh++)
                            for (int kw = 0; kw < d->K; kw++)
                                s += (double)w[((o * d->C + c) * d->K + kh) * d->K + kw] *
                                     xat(d, x, n, c, oh * d->stride - d->pad + kh,
                                         ow * d->stride - d->pad + kw);
                    y[(((size_t)n * d->OC + o) * d->OH + oh) * d->OW + ow] = (float)s;
                }
}

/* dx, dw, db of sum(y * dy) by the chain rule, one term at a time. */
static void ref_conv_bwd(const nn_conv_desc *d, const float *x, const float *w, const float *dy,
                         float *dx, float *dw, float *db) {
    size_t nx = (size_t)d->N * d->C * d->H * d->W, nw = (size_t)d->OC * d->C * d->K * d->K;
    double *ax = calloc(nx, sizeof *ax), *aw = calloc(nw, sizeof *aw), *ab = calloc(d->OC, sizeof *ab);
    for (int n = 0; n < d->N; n++)
        for (int o = 0; o < d->OC; o++)
            for (int oh = 0; oh < d->OH; oh++)
                for (int ow = 0; ow < d->OW; ow++) {
                    double g = dy[(((size_t)n * d->OC + o) * d->OH + oh) * d->OW + ow];
                    ab[o] += g;
                    for (int c = 0; c < d->C; c++)
                        for (int kh = 0; kh < d->K; kh++)
                            for (int kw = 0; kw < d->K; kw++) {
                                int ih = oh * d->stride - d->pad + kh, iw = ow * d->stride - d->pad + kw;
                                if (ih < 0 || ih >= d->H || iw < 0 || iw >= d->W) continue;
                                size_t wi = ((size_t)(o * d->C + c) * d->K + kh) * d->K + kw;
                                size_t xi = (((size_t)n * d->C + c) * d->H + ih) * d->W + iw;
                                aw[wi] += g * x[xi];
                                ax[xi] += g * w[wi];
                            }
                }
    for (size_t i = 0; i < nx; i++) dx[i] = (float)ax[i];
    for (size_t i = 0; i < nw; i++) dw[i] = (float)aw[i];
    for (int i = 0; i < d->OC; i++) db[i] = (float)ab[i];
    free(ax); free(aw); free(ab);
}

static void test_conv_case(int N, int C, int H, int W, int OC, int K, int S, int P) {
    nn_conv_desc d = { .N = N, .C = C, .H = H, .W = W, .OC = OC, .K = K, .stride = S, .pad = P,
                       .OH = (H + 2 * P - K) / S + 1, .OW = (W + 2 * P - K) / S + 1 };
    size_t nx = (size_t)N * C * H * W, nw = (size_t)OC * C * K * K, ny = (size_t)N * OC * d.OH * d.OW;
    float *x = rnd(nx, 1), *w = rnd(nw, 2), *b = rnd(OC, 3), *dy = rnd(ny, 4);
    float *y = malloc(ny * 4), *ry = malloc(ny * 4);
    float *dx = malloc(nx * 4), *rdx = malloc(nx * 4), *dw = malloc(nw * 4), *rdw = malloc(nw * 4);
    float *db = malloc(OC * 4), *rdb = malloc(OC * 4);
    void  *ws = malloc(be->conv2d_ws_bytes(&d, nn_get_threads()));
    be->conv2d_fwd(&d, x, w, b, y, ws);
    ref_conv_fwd(&d, x, w, b, ry);
    CHECK_NEAR(max_abs_diff(y, ry, ny), 0, 1e-4);
    d.act = NN_ACT_RELU;                      /* fused ReLU */
    be->conv2d_fwd(&d, x, w, b, y, ws);
    int relu_ok = 1;
    for (size_t i = 0; i < ny; i++) relu_ok &= fabsf(y[i] - fmaxf(ry[i], 0)) < 1e-4f;
    CHECK(relu_ok);
    d.act = NN_ACT_NONE;
    be->conv2d_bwd(&d, x, w, dy, dx, dw, db, ws);
    ref_conv_bwd(&d, x, w, dy, rdx, rdw, rdb);
    CHECK_NEAR(max_abs_diff(dx, rdx, nx), 0, 1e-4);
    CHECK_NEAR(max_abs_diff(dw, rdw, nw), 0, 1e-3);
    CHECK_NEAR(max_abs_diff(db, rdb, OC), 0, 1e-3);
    /* without dx (a first layer): the same weight and bias gradients, bit for bit */
    float *dw2 = malloc(nw * 4), *db2 = malloc(OC * 4);
    be->conv2d_bwd(&d, x, w, dy, NULL, dw2, db2, ws);
    CHECK(memcmp(dw2, dw, nw * 4) == 0 && memcmp(db2, db, OC * 4) == 0);
    free(x); free(w); free(b); free(dy); free(y); free(ry); free(dx); free(rdx);
    free(dw); free(rdw); free(db); free(rdb); free(ws); free(dw2); free(db2);
}

/* conv + ReLU + 2x2 max pool fused, against the three reference steps. */
static void test_conv_pool_case(int N, int C, int H, int W, int OC) {
    nn_conv_desc d = { .N = N, .C = C, .H = H, .W = W, .OC = OC, .K = 3, .stride = 1, .pad = 1,
                       .OH = H, .OW = W };
    nn_pool_desc p = { .N = N, .C = OC, .H = H, .W = W, .kh = 2, .kw = 2, .stride = 2,
                       .OH = H / 2, .OW = W / 2 };
    size_t nx = (size_t)N * C * H * W, nw = (size_t)OC * C * 9, nc = (size_t)N * OC * H * W;
    size_t np = (size_t)N * OC * p.OH * p.OW;
    float *x = rnd(nx, 5), *w = rnd(nw, 6), *b = rnd(OC, 7), *dy = rnd(np, 8);
    float *conv = malloc(nc * 4), *rel = malloc(nc * 4), *ry = malloc(np * 4), *y = malloc(np * 4);
    int32_t *ridx = malloc(np * 4), *idx = malloc(np * 4);
    void *ws = malloc(be->conv_pool_ws_bytes(&d, &p, nn_get_threads()));
    ref_conv_fwd(&d, x, w, b, conv);
    be->act_fwd(NN_ACT_RELU, 0, conv, rel, nc);
    be->maxpool_fwd(&p, rel, ry, ridx);
    be->conv_pool_fwd(&d, &p, x, w, b, y, idx, ws);
    CHECK_NEAR(max_abs_diff(y, ry, np), 0, 1e-4);
    /* backward: reference = maxpool_bwd, relu mask, conv backward */
    float *dconv = malloc(nc * 4), *rdx = malloc(nx * 4), *rdw = malloc(nw * 4), *rdb = malloc(OC * 4);
    float *dx = malloc(nx * 4), *dw = malloc(nw * 4), *db = malloc(OC * 4);
    be->maxpool_bwd(&p, dy, ridx, dconv);
    be->act_bwd(NN_ACT_RELU, 0, rel, dconv, dconv, nc);
    ref_conv_bwd(&d, x, w, dconv, rdx, rdw, rdb);
    be->conv_pool_bwd(&d, &p, x, w, y, idx, dy, dx, dw, db, ws);
    CHECK_NEAR(max_abs_diff(dx, rdx, nx), 0, 1e-4);
    CHECK_NEAR(max_abs_diff(dw, rdw, nw), 0, 1e-3);
    CHECK_NEAR(max_abs_diff(db, rdb, OC), 0, 1e-3);
    free(x); free(w); free(b); free(dy); free(conv); free(rel); free(ry); free(y); free(ridx);
    free(idx); free(ws); free(dconv); free(rdx); free(rdw); free(rdb); free(dx); free(dw); free(db);
}

static void test_conv(void) {
    test_conv_case(3, 1, 8, 8, 4, 3, 1, 1);     /* first-layer shape, same padding */
    test_conv_case(2, 5, 7, 9, 6, 3, 1, 1);     /* odd sizes */
    test_conv_case(2, 3, 9, 9, 4, 3, 2, 1);     /* stride 2 */
    test_conv_case(2, 4, 6, 6, 3, 1, 1, 0);     /* pointwise */
    test_conv_case(2, 2, 7, 7, 3, 5, 1, 0);     /* valid 5x5 */
    test_conv_case(2, 3, 9, 8, 4, 5, 1, 2);     /* 5x5 "same": flat-copy im2col, 2-column borders */
    test_conv_pool_case(3, 1, 28, 28, 4);       /* the CNN's conv1: 14 pooled columns */
    test_conv_pool_case(2, 3, 14, 14, 5);       /* conv2: 7 pooled columns */
    test_conv_pool_case(2, 2, 40, 36, 3);       /* more than 16 pooled columns */
    /* 3x3 same convolutions with C >= 2 run through Winograd F(2x2, 3x3): the CNN's conv2
     * shape (AVX-512 transforms), and planes wider than 30 columns with odd sizes (the
     * portable transforms) */
    test_conv_case(2, 32, 14, 14, 64, 3, 1, 1);
    test_conv_pool_case(2, 32, 14, 14, 64);
    test_conv_case(2, 4, 33, 31, 3, 3, 1, 1);
    test_conv_case(2, 3, 17, 22, 4, 3, 1, 1);   /* one tile row per register (15-30 columns) */
    test_conv_case(3, 6, 9, 13, 5, 3, 1, 1);    /* two tile rows per register, odd sizes */
}

/* ---------------------------------------------------------------- pooling */

/* max pool 2x2 against a reference, ties resolved to the first; odd sizes leave the
 * last row or column out */
static void test_maxpool_case(int H, int W) {
    int OH = H / 2, OW = W / 2;
    nn_pool_desc d = { .N = 2, .C = 3, .H = H, .W = W, .kh = 2, .kw = 2, .stride = 2,
                       .OH = OH, .OW = OW };
    size_t nx = (size_t)6 * H * W, ny = (size_t)6 * OH * OW;
    float *x = rnd(nx, 9), *y = malloc(ny * 4), *dy = rnd(ny, 10), *dx = malloc(nx * 4);
    int32_t *idx = malloc(ny * 4);
    x[0] = x[1] = 5.0f;   /* a tie: the first wins */
    be->maxpool_fwd(&d, x, y, idx);
    int ok = 1;
    for (int pl = 0; pl < 6; pl++)
        for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++) {
                const float *p = x + (size_t)pl * H * W;
                int best = 2 * oh * W + 2 * ow;
                int cand[4] = { best, best + 1, best + W, best + W + 1 };
                for (int k = 1; k < 4; k++) if (p[cand[k]] > p[best]) best = cand[k];
                size_t o = (size_t)pl * OH * OW + oh * OW + ow;
                ok &= y[o] == p[best] && idx[o] == best;
            }
    CHECK(ok);
    CHECK(idx[0] == 0);
    be->maxpool_bwd(&d, dy, idx, dx);
    double sx = 0, sy = 0;
    for (size_t i = 0; i < nx; i++) sx += dx[i];
    for (size_t i = 0; i < ny; i++) sy += dy[i];
    CHECK_NEAR(sx, sy, 1e-4);   /* every pooled gradient lands exactly once */
    CHECK(dx[0] == dy[0] && dx[1] == 0);
    free(x); free(y); free(dy); free(dx); free(idx);
}

static void test_pool(void) {
    test_maxpool_case(10, 38);   /* 19 columns: a full register and a partial one */
    test_maxpool_case(9, 13);    /* at most 8 columns: two rows per register */
    test_maxpool_case(7, 15);    /* an odd number of pooled rows */

    /* average pool 3x3 stride 1 pad 1: interior value is the window mean */
    nn_pool_desc a = { .N = 1, .C = 1, .H = 4, .W = 4, .kh = 3, .kw = 3, .stride = 1, .pad = 1,
                       .OH = 4, .OW = 4 };
    float ax[16], ay[16];
    for (int i = 0; i < 16; i++) ax[i] = (float)i;
    be->avgpool_fwd(&a, ax, ay);
    CHECK_NEAR(ay[5], (0 + 1 + 2 + 4 + 5 + 6 + 8 + 9 + 10) / 9.0, 1e-5);
    CHECK_NEAR(ay[0], (0 + 1 + 4 + 5) / 9.0, 1e-5);   /* padding counts as zeros */
}

/* ---------------------------------------------------------------- softmax and losses */

static void test_softmax(void) {
    float x[6] = { 1000, 1001, 1002, -5, 0, 5 }, y[6], ly[6];
    be->softmax_fwd(x, y, 2, 3, 0);
    be->softmax_fwd(x, ly, 2, 3, 1);
    CHECK_NEAR(y[0] + y[1] + y[2], 1, 1e-6);
    CHECK_NEAR(y[3] + y[4] + y[5], 1, 1e-6);
    CHECK_NEAR(y[2], 1 / (1 + exp(-1) + exp(-2)), 1e-6);
    CHECK_NEAR(ly[2], -log(1 + exp(-1) + exp(-2)), 1e-4);
    int finite = 1;
    for (int i = 0; i < 6; i++) finite &= isfinite(y[i]) && isfinite(ly[i]);
    CHECK(finite);
}

typedef float (*loss_fn)(const float *z, const void *t, int n, float *g);
static float xent_fn(const float *z, const void *t, int n, float *g) {
    return be->xent_fwd_bwd(z, t, n / 4, 4, g);
}
static float mse_fn(const float *z, const void *t, int n, float *g) {
    return be->mse_fwd_bwd(z, t, (size_t)n, g);
}
static float bce_fn(const float *z, const void *t, int n, float *g) {
    return be->bce_fwd_bwd(z, t, (size_t)n, g);
}

/* analytic gradient against central differences of the loss value */
static void check_loss_grad(loss_fn f, const void *t, const char *name) {
    enum { N = 12 };
    float z[N], g[N], scratch[N];
    for (int i = 0; i < N; i++) z[i] = 3.0f * nn_rng_uniform(77, 1, i) - 1.5f;
    f(z, t, N, g);
    double worst = 0;
    for (int i = 0; i < N; i++) {
        float keep = z[i], h = 1e-2f;
        z[i] = keep + h;
        double fp = f(z, t, N, scratch);
        z[i] = keep - h;
        double fm = f(z, t, N, scratch);
        z[i] = keep;
        worst = fmax(worst, fabs((fp - fm) / (2 * h) - g[i]));
    }
    if (worst > 2e-3) fprintf(stderr, "  %s: gradient off by %g\n", name, worst);
    CHECK(worst <= 2e-3);
}

static void test_losses(void) {
    int32_t labels[3] = { 2, 0, 3 };
    float   t[12];
    for (int i = 0; i < 12; i++) t[i] = nn_rng_uniform(78, 1, i);
    check_loss_grad(xent_fn, labels, "cross-entropy");
    check_loss_grad(mse_fn, t, "mse");
    check_loss_grad(bce_fn, t, "bce");

    /* values by hand */
    float z[4] = { 0, 0, 0, 0 }, g[4];
    int32_t l1[1] = { 1 };
    CHECK_NEAR(be->xent_fwd_bwd(z, l1, 1, 4, g), log(4.0), 1e-6);
    CHECK_NEAR(g[1], 0.25 - 1, 1e-6);
    float y2[2] = { 1, 3 }, t2[2] = { 0, 1 }, g2[2];
    CHECK_NEAR(be->mse_fwd_bwd(y2, t2, 2, g2), (1 + 4) / 2.0, 1e-6);
    CHECK_NEAR(g2[1], 2.0, 1e-6);
    float zb[1] = { 0 }, tb[1] = { 1 }, gb[1];
    CHECK_NEAR(be->bce_fwd_bwd(zb, tb, 1, gb), log(2.0), 1e-6);
    CHECK_NEAR(gb[0], -0.5, 1e-6);

    /* stable at extreme logits: finite loss, finite gradients */
    float big[4] = { 1e4f, -1e4f, 0, 50 }, gbig[4];
    int32_t lb[1] = { 1 };
    float lx = be->xent_fwd_bwd(big, lb, 1, 4, gbig);
    CHECK(isfinite(lx) && fabs(lx - 2e4) < 1);
    float tz[4] = { 0, 1, 1, 0 };
    float lbce = be->bce_fwd_bwd(big, tz, 4, gbig);
    CHECK(isfinite(lbce) && isfinite(gbig[0]) && isfinite(gbig[1]));
    CHECK_NEAR(lbce, (1e4 + 1e4 + log(2.0) + 50) / 4, 1e-2);

    /* argmax accuracy */
    float zz[6] = { 0.1f, 0.9f, 0.0f, 2.0f, 1.0f, -1.0f };
    int32_t ll[2] = { 1, 1 };
    CHECK(be->count_correct(zz, ll, 2, 3) == 1);
    float z1[3] = { 2.0f, -1.0f, 0.5f };
    int32_t l3[3] = { 1, 0, 0 };
    CHECK(be->count_correct(z1, l3, 3, 1) == 2);   /* one output: logit > 0 means class 1 */
}

/* ---------------------------------------------------------------- dropout and RNG */

static void test_dropout_rng(void) {
    enum { N = 20000 };
    float *x = malloc(N * 4), *y = malloc(N * 4), *g = malloc(N * 4);
    for (int i = 0; i < N; i++) x[i] = 1.0f;
    be->dropout_fwd(x, y, N, 0.3f, 42, 7);
    int kept = 0, scaled = 1;
    for (int i = 0; i < N; i++) {
        kept += y[i] != 0;
        scaled &= y[i] == 0 || fabsf(y[i] - 1 / 0.7f) < 1e-6f;
    }
    CHECK(scaled);
    CHECK(fabs(kept / (double)N - 0.7) < 0.02);
    be->dropout_bwd(x, g, N, 0.3f, 42, 7);          /* the same mask, recomputed */
    int same = 1;
    for (int i = 0; i < N; i++) same &= (g[i] != 0) == (y[i] != 0);
    CHECK(same);
    be->dropout_fwd(x, g, N, 0.3f, 42, 8);          /* another stream, another mask */
    int differ = 0;
    for (int i = 0; i < N; i++) differ += (g[i] != 0) != (y[i] != 0);
    CHECK(differ > N / 10);

    /* the RNG: pure function of (seed, stream, counter); uniform mean and normal moments */
    CHECK(nn_rng_u64(1, 2, 3) == nn_rng_u64(1, 2, 3));
    CHECK(nn_rng_u64(1, 2, 3) != nn_rng_u64(1, 2, 4));
    CHECK(nn_rng_u64(1, 2, 3) != nn_rng_u64(2, 2, 3));
    double s = 0, s2 = 0, u = 0;
    int    in_range = 1;
    for (int i = 0; i < N; i++) {
        double v = nn_rng_normal(9, 1, (uint64_t)i);
        s += v; s2 += v * v;
        float f = nn_rng_uniform(9, 2, (uint64_t)i);
        in_range &= f >= 0 && f < 1;
        u += f;
    }
    CHECK(in_range);
    CHECK_NEAR(s / N, 0, 0.03);
    CHECK_NEAR(s2 / N, 1, 0.05);
    CHECK_NEAR(u / N, 0.5, 0.01);
    free(x); free(y); free(g);
}

int main(void) {
    nn_set_threads(1);
    test_conv();
    test_pool();
    nn_set_threads(2);
    test_conv();          /* the batch split must give the same answers */
    test_softmax();
    test_losses();
    test_dropout_rng();
    return test_done("test_ops");
}
