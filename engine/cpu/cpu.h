/* cpu.h: the CPU backend's kernels, shared between the files of engine/cpu/ that fill
 * the table in cpu_backend.c. Internal to engine/cpu/; everything else goes through
 * struct nn_backend_ops (engine/backend.h). */
#ifndef NN_CPU_H
#define NN_CPU_H

/* Hot loops (marked HOT) are compiled for AVX-512, AVX2 and plain x86-64, and the best
 * is chosen when the program loads (GCC function multi-versioning); other compilers
 * get the plain build. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define HOT __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define HOT
#endif

#include "engine/backend.h"

/* Whether the CPU has AVX-512F, the target of the hand-written kernels (selected at run
 * time, so one binary runs everywhere). Inline with a cache per file: the checks sit in
 * per-plane and per-image paths. */
static inline int cpu_have_avx512(void) {
#if defined(__x86_64__) && defined(__GNUC__)
    static int cached = -1;
    if (cached < 0) { __builtin_cpu_init(); cached = __builtin_cpu_supports("avx512f") != 0; }
    return cached;
#else
    return 0;
#endif
}

/* cpu_backend.c */
void   cpu_gemm(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                const float *b, int ldb, float beta, float *c, int ldc);
/* Single-threaded sgemm for use inside parallel tasks. */
void   cpu_gemm1(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                 const float *b, int ldb, float beta, float *c, int ldc);

/* cpu_sgemm.c: the own AVX-512 kernel for big-batch linear forwards. _linear_fwd returns 0
 * (and does nothing) for shapes or CPUs it does not handle; pack_buf holds
 * cpu_sgemm_pack_bytes(IN, OUT) bytes, 64-byte aligned. */
int    cpu_sgemm_handles(const nn_linear_desc *d);
size_t cpu_sgemm_pack_bytes(int IN, int OUT);
int    cpu_sgemm_linear_fwd(const nn_linear_desc *d, const float *x, const float *w,
                            const float *b, float *y, float *pack_buf);

/* cpu_conv.c: convolution and pooling */
size_t cpu_conv2d_ws_bytes(const nn_conv_desc *d, int threads);
void   cpu_conv2d_fwd(const nn_conv_desc *d, const float *x, const float *w, const float *b,
                      float *y, void *ws);
void   cpu_conv2d_bwd(const nn_conv_desc *d, const float *x, const float *w, const float *dy,
                      float *dx, float *dw, float *db, void *ws);
size_t cpu_conv_pool_ws_bytes(const nn_conv_desc *c, const nn_pool_desc *p, int threads);
void   cpu_conv_pool_fwd(const nn_conv_desc *c, const nn_pool_desc *p, const float *x,
                         const float *w, const float *b, float *y, int32_t *idx, void *ws);
void   cpu_conv_pool_bwd(const nn_conv_desc *c, const nn_pool_desc *p, const float *x,
                         const float *w, const float *y, const int32_t *idx, const float *dy,
                         float *dx, float *dw, float *db, void *ws);
void   cpu_maxpool_fwd(const nn_pool_desc *d, const float *x, float *y, int32_t *idx);
void   cpu_maxpool_bwd(const nn_pool_desc *d, const float *dy, const int32_t *idx, float *dx);
void   cpu_avgpool_fwd(const nn_pool_desc *d, const float *x, float *y);
void   cpu_avgpool_bwd(const nn_pool_desc *d, const float *dy, float *dx);

/* cpu_winograd.c: F(2x2, 3x3) transforms for 3x3 stride-1 pad-1 convolutions, used by
 * cpu_conv.c. Transformed data is [16][channels][tiles], tiles = ceil(H/2) * ceil(W/2);
 * transformed weights [16][OC][C] (Uflip: the data gradient's, [16][C][OC]). */
/* Output channels [oc_lo, oc_hi) of U (and Uflip when not NULL), and of dw. */
void   cpu_wino_weights(const float *w, int OC, int C, int oc_lo, int oc_hi, float *U,
                        float *Uflip);
void   cpu_wino_wgrad_finish(const float *dU, int OC, int C, int oc_lo, int oc_hi, float *dw);
size_t cpu_wino_scratch_floats(int H, int W);
void   cpu_wino_input(const float *x, int C, int H, int W, float *V, float *pp);
void   cpu_wino_output(const float *M, int OC, int H, int W, float *y);
void   cpu_wino_grad(const float *dy, int OC, int H, int W, float *D);

/* cpu_ops.c: linear, elementwise, normalisation, losses, optimizers */
void   cpu_linear_fwd(const nn_linear_desc *d, const float *x, const float *w, const float *b,
                      float *y);
/* y rows [lo, hi) of the linear forward (+ b, fused ReLU) through OpenBLAS on the
 * calling thread: cpu_linear_fwd's per-task work and cpu_sgemm.c's tail rows. */
void   cpu_linear_rows(const nn_linear_desc *d, const float *x, const float *w,
                       const float *b, float *y, int lo, int hi);
void   cpu_linear_bwd(const nn_linear_desc *d, const float *x, const float *w, const float *dy,
                      float *dx, float *dw, float *db);
void   cpu_act_fwd(nn_act_kind k, float slope, const float *x, float *y, size_t n);
void   cpu_act_bwd(nn_act_kind k, float slope, const float *y, const float *dy, float *dx,
                   size_t n);
void   cpu_softmax_fwd(const float *x, float *y, int rows, int cols, int log);
void   cpu_softmax_bwd(const float *y, const float *dy, float *dx, int rows, int cols, int log);
void   cpu_dropout_fwd(const float *x, float *y, size_t n, float p, uint64_t seed,
                       uint64_t stream);
void   cpu_dropout_bwd(const float *dy, float *dx, size_t n, float p, uint64_t seed,
                       uint64_t stream);
void   cpu_bn_fwd(const nn_bn_desc *d, const float *x, const float *gamma, const float *beta,
                  float *y, float *run_mean, float *run_var, float *save_mean,
                  float *save_invstd);
void   cpu_bn_bwd(const nn_bn_desc *d, const float *x, const float *gamma, const float *dy,
                  const float *save_mean, const float *save_invstd, float *dx, float *dgamma,
                  float *dbeta);
float  cpu_xent_fwd_bwd(const float *logits, const int32_t *labels, int N, int K,
                        float *dlogits);
float  cpu_mse_fwd_bwd(const float *y, const float *t, size_t n, float *dy);
float  cpu_bce_fwd_bwd(const float *logits, const float *t, size_t n, float *dlogits);
int    cpu_count_correct(const float *logits, const int32_t *labels, int N, int K);
void   cpu_optim_update(const nn_optim_config *c, float lr, long step, size_t n, float *w,
                        const float *g, float *s1, float *s2);

/* The first n lanes of a 16-lane register, n clamped to [0, 16]: the mask of the AVX-512
 * kernels' masked loads and stores of partial registers (a __mmask16). */
static inline uint16_t cpu_lanes(int n) {
    return (uint16_t)(n <= 0 ? 0 : n >= 16 ? 0xFFFF : (1u << n) - 1);
}

/* Splits [0, n) into `parts` nearly equal ranges; range i is [*lo, *hi). */
static inline void cpu_split(int n, int parts, int i, int *lo, int *hi) {
    *lo = (int)((long)n * i / parts);
    *hi = (int)((long)n * (i + 1) / parts);
}

#endif
