/* test_gemm.c: the backend's GEMM (OpenBLAS, split over threads) against a plain triple
 * loop in double, for every transpose combination, odd sizes, alpha/beta and leading
 * dimensions; the linear kernels against the same loop; and which OpenBLAS kernels run
 * (a slow fallback core is reported, so it can never pass unnoticed). */
#include <stdlib.h>

#include "engine/backend.h"
#include "tests/test.h"

static const nn_backend *be = &nn_backend_cpu;

static float *rnd(size_t n, uint64_t stream) {
    float *p = malloc((n + 1) * sizeof *p);
    for (size_t i = 0; i < n; i++) p[i] = 2.0f * nn_rng_uniform(55, stream, i) - 1.0f;
    return p;
}

/* C (m, n) = alpha op(A) op(B) + beta C, row-major, op(A) (m, k), op(B) (k, n). */
static void ref_gemm(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                     const float *b, int ldb, float beta, float *c, int ldc) {
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int p = 0; p < k; p++)
                s += (double)(ta ? a[p * lda + i] : a[i * lda + p]) *
                     (tb ? b[j * ldb + p] : b[p * ldb + j]);
            c[i * ldc + j] = (float)(alpha * s + beta * c[i * ldc + j]);
        }
}

static void check_case(int ta, int tb, int m, int n, int k, float alpha, float beta, int pad) {
    int lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
    size_t na = (size_t)(ta ? k : m) * lda, nb = (size_t)(tb ? n : k) * ldb, nc = (size_t)m * ldc;
    float *a = rnd(na, 1), *b = rnd(nb, 2), *c = rnd(nc, 3), *r = malloc(nc * sizeof *r);
    memcpy(r, c, nc * sizeof *r);
    be->gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    ref_gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, r, ldc);
    double worst = 0;
    for (size_t i = 0; i < nc; i++) worst = fmax(worst, fabs((double)c[i] - r[i]));
    if (worst > 1e-3 * sqrt((double)k))
        fprintf(stderr, "  gemm ta=%d tb=%d %dx%dx%d: off by %g\n", ta, tb, m, n, k, worst);
    CHECK(worst <= 1e-3 * sqrt((double)k));
    free(a); free(b); free(c); free(r);
}

static void test_gemm(void) {
    int sizes[][3] = { { 1, 1, 1 }, { 7, 5, 3 }, { 64, 128, 784 }, { 33, 65, 17 },
                       { 128, 300, 64 }, { 200, 9, 31 } };
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++) {
                check_case(ta, tb, sizes[s][0], sizes[s][1], sizes[s][2], 1.0f, 0.0f, 0);
                check_case(ta, tb, sizes[s][0], sizes[s][1], sizes[s][2], 0.5f, 2.0f, 3);
            }
}

static void test_linear(void) {
    nn_linear_desc d = { .N = 37, .IN = 50, .OUT = 23, .act = NN_ACT_NONE };
    float *x = rnd(37 * 50, 4), *w = rnd(23 * 50, 5), *b = rnd(23, 6), *dy = rnd(37 * 23, 7);
    float y[37 * 23], r[37 * 23], dx[37 * 50], rdx[37 * 50], dw[23 * 50], rdw[23 * 50], db[23];
    be->linear_fwd(&d, x, w, b, y);
    for (int i = 0; i < 37 * 23; i++) r[i] = b[i % 23];
    ref_gemm(0, 1, 37, 23, 50, 1, x, 50, w, 50, 1, r, 23);
    double worst = 0;
    for (int i = 0; i < 37 * 23; i++) worst = fmax(worst, fabs(y[i] - r[i]));
    CHECK(worst < 1e-4);
    d.act = NN_ACT_RELU;
    be->linear_fwd(&d, x, w, b, y);
    int relu = 1;
    for (int i = 0; i < 37 * 23; i++) relu &= fabsf(y[i] - fmaxf(r[i], 0)) < 1e-4f;
    CHECK(relu);
    be->linear_bwd(&d, x, w, dy, dx, dw, db);
    memset(rdx, 0, sizeof rdx);
    memset(rdw, 0, sizeof rdw);
    ref_gemm(0, 0, 37, 50, 23, 1, dy, 23, w, 50, 0, rdx, 50);
    ref_gemm(1, 0, 23, 50, 37, 1, dy, 23, x, 50, 0, rdw, 50);
    worst = 0;
    for (int i = 0; i < 37 * 50; i++) worst = fmax(worst, fabs(dx[i] - rdx[i]));
    for (int i = 0; i < 23 * 50; i++) worst = fmax(worst, fabs(dw[i] - rdw[i]));
    for (int o = 0; o < 23; o++) {
        double s = 0;
        for (int n = 0; n < 37; n++) s += dy[n * 23 + o];
        worst = fmax(worst, fabs(db[o] - s));
    }
    CHECK(worst < 1e-4);
    free(x); free(w); free(b); free(dy);
}

/* Inference-sized batches take the engine's own kernel (cpu_sgemm.c): odd row counts
 * (tail rows), output widths that are not a multiple of 32, fused ReLU. */
static void check_linear_big(int N, int IN, int OUT, nn_act_kind act) {
    nn_linear_desc d = { .N = N, .IN = IN, .OUT = OUT, .act = act };
    float *x = rnd((size_t)N * IN, 8), *w = rnd((size_t)OUT * IN, 9), *b = rnd(OUT, 10);
    float *y = malloc((size_t)N * OUT * 4), *r = malloc((size_t)N * OUT * 4);
    be->linear_fwd(&d, x, w, b, y);
    for (int i = 0; i < N * OUT; i++) r[i] = b[i % OUT];
    ref_gemm(0, 1, N, OUT, IN, 1, x, IN, w, IN, 1, r, OUT);
    double worst = 0;
    for (int i = 0; i < N * OUT; i++) {
        double want = act == NN_ACT_RELU && r[i] < 0 ? 0 : r[i];
        worst = fmax(worst, fabs(y[i] - want));
    }
    if (worst > 1e-3) fprintf(stderr, "  linear %dx%dx%d: off by %g\n", N, IN, OUT, worst);
    CHECK(worst <= 1e-3);
    free(x); free(w); free(b); free(y); free(r);
}

static void test_linear_big(void) {
    check_linear_big(300, 784, 128, NN_ACT_RELU);
    check_linear_big(301, 784, 128, NN_ACT_NONE);
    check_linear_big(1000, 128, 10, NN_ACT_NONE);
    check_linear_big(263, 37, 45, NN_ACT_RELU);
    check_linear_big(500, 3136, 128, NN_ACT_RELU);   /* too big for the own kernel: OpenBLAS */
}

static void test_blas_info(void) {
    nn_blas_info bi;
    nn_blas_get_info(&bi);
    CHECK(bi.core[0] != 0);
    CHECK(bi.threads >= 1);
    dls_buf b;
    dls_buf_init(&b);
    nn_blas_describe(&b);
    CHECK(strstr(b.data, bi.core) != NULL);
    /* a slow core is never silent: the description names the fix */
    CHECK(!bi.slow || strstr(b.data, "OPENBLAS_CORETYPE") != NULL);
    if (bi.slow)
        fprintf(stderr, "note: OpenBLAS runs its slow %s kernels here; %s\n", bi.core, b.data);
    dls_buf_deinit(&b);
}

static void test_backend_lookup(void) {
    dls_error e = { 0 };
    CHECK(nn_backend_get("cpu", &e) == &nn_backend_cpu);
    CHECK(strcmp(nn_backend_name(&nn_backend_cpu), "cpu") == 0);
    CHECK(nn_backend_get("tpu", &e) == NULL && e.code == DLS_ERR_INVALID);
#ifndef DLS_CUDA
    CHECK(nn_backend_get("cuda", &e) == NULL && e.code == DLS_ERR_UNSUPPORTED);
    CHECK(strstr(e.msg, "make CUDA=1") != NULL);
#endif
}

int main(void) {
    test_backend_lookup();
    nn_set_threads(1);
    test_gemm();
    test_linear();
    test_linear_big();
    nn_set_threads(2);
    test_gemm();
    test_linear();
    test_linear_big();
    test_blas_info();
    return test_done("test_gemm");
}
