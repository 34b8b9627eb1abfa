/* cpu_backend.c: the CPU backend's table (nn_backend_cpu), its memory functions, GEMM
 * through OpenBLAS and the BLAS-like vector kernels. The op kernels live in
 * cpu_conv.c and cpu_ops.c; the thread pool in threads.c. */
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "engine/cpu/cpu.h"

static int cpu_alloc(void **p, size_t bytes) {
    /* Host memory: OOM aborts like every host allocation (STYLE.md, Errors 2). */
    size_t rounded = (bytes + 63) / 64 * 64;
    void  *q = aligned_alloc(64, rounded ? rounded : 64);
    if (!q) dls_assert_fail("aligned_alloc", __FILE__, __LINE__);
    *p = q;
    return DLS_OK;
}

static void cpu_free(void *p) { free(p); }
static void cpu_memcpy(void *dst, const void *src, size_t n) { if (n) memcpy(dst, src, n); }
static void cpu_sync(void) {}

void cpu_gemm1(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
               const float *b, int ldb, float beta, float *c, int ldc) {
    if (m <= 0 || n <= 0) return;
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

typedef struct gemm_job {
    int          ta, tb, m, n, k, lda, ldb, ldc, parts;
    float        alpha, beta;
    const float *a, *b;
    float       *c;
} gemm_job;

static void gemm_task(void *ctx, int task, int thread) {
    (void)thread;
    const gemm_job *j = ctx;
    int lo, hi;
    cpu_split(j->m, j->parts, task, &lo, &hi);
    /* Rows lo..hi of op(A): A stored (m, k) starts at row lo; stored (k, m) at column lo. */
    const float *a = j->ta ? j->a + lo : j->a + (size_t)lo * j->lda;
    cpu_gemm1(j->ta, j->tb, hi - lo, j->n, j->k, j->alpha, a, j->lda, j->b, j->ldb, j->beta,
              j->c + (size_t)lo * j->ldc, j->ldc);
}

/* Splits C by rows over the engine's threads when the product is big enough to pay for
 * the split; the split depends only on the thread count (repeatable results). */
void cpu_gemm(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
              const float *b, int ldb, float beta, float *c, int ldc) {
    int threads = nn_get_threads();
    if (threads == 1 || m < 2 * threads || (double)m * n * k < 2e5) {
        cpu_gemm1(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
    gemm_job j = { ta, tb, m, n, k, lda, ldb, ldc, threads, alpha, beta, a, b, c };
    nn_parallel_for(threads, gemm_task, &j);
}

static void cpu_fill(float *x, size_t n, float v) {
    if (v == 0.0f) { memset(x, 0, n * sizeof *x); return; }
    for (size_t i = 0; i < n; i++) x[i] = v;
}

static void cpu_scale(float *x, size_t n, float a) {
    for (size_t i = 0; i < n; i++) x[i] *= a;
}

static void cpu_axpy(size_t n, float a, const float *x, float *y) {
    for (size_t i = 0; i < n; i++) y[i] += a * x[i];
}

static double cpu_sumsq(const float *x, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)x[i] * x[i];
    return s;
}

const struct nn_backend_ops nn_backend_cpu = {
    .name            = "cpu",
    .device          = NN_DEV_CPU,
    .alloc           = cpu_alloc,
    .free            = cpu_free,
    .to_device       = cpu_memcpy,
    .to_host         = cpu_memcpy,
    .copy            = cpu_memcpy,
    .sync            = cpu_sync,
    .gemm            = cpu_gemm,
    .fill            = cpu_fill,
    .scale           = cpu_scale,
    .axpy            = cpu_axpy,
    .sumsq           = cpu_sumsq,
    .linear_fwd      = cpu_linear_fwd,
    .linear_bwd      = cpu_linear_bwd,
    .conv2d_ws_bytes = cpu_conv2d_ws_bytes,
    .conv2d_fwd      = cpu_conv2d_fwd,
    .conv2d_bwd      = cpu_conv2d_bwd,
    .conv_pool_ws_bytes = cpu_conv_pool_ws_bytes,
    .conv_pool_fwd   = cpu_conv_pool_fwd,
    .conv_pool_bwd   = cpu_conv_pool_bwd,
    .maxpool_fwd     = cpu_maxpool_fwd,
    .maxpool_bwd     = cpu_maxpool_bwd,
    .avgpool_fwd     = cpu_avgpool_fwd,
    .avgpool_bwd     = cpu_avgpool_bwd,
    .act_fwd         = cpu_act_fwd,
    .act_bwd         = cpu_act_bwd,
    .softmax_fwd     = cpu_softmax_fwd,
    .softmax_bwd     = cpu_softmax_bwd,
    .dropout_fwd     = cpu_dropout_fwd,
    .dropout_bwd     = cpu_dropout_bwd,
    .bn_fwd          = cpu_bn_fwd,
    .bn_bwd          = cpu_bn_bwd,
    .xent_fwd_bwd    = cpu_xent_fwd_bwd,
    .mse_fwd_bwd     = cpu_mse_fwd_bwd,
    .bce_fwd_bwd     = cpu_bce_fwd_bwd,
    .count_correct   = cpu_count_correct,
    .optim_update    = cpu_optim_update,
};
