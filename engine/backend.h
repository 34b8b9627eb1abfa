/* backend.h: the kernel table every backend fills (CPU in engine/cpu/, CUDA in
 * engine/cuda/) and the shape descriptors its kernels take. For backend authors and
 * engine internals only; study/ and tui/ include engine/nn.h. The model code calls
 * these kernels and never touches tensor memory itself, so a backend whose memory lives
 * on a device works unchanged; host data crosses only through to_device/to_host.
 *
 * Conventions for every kernel: pointers are device pointers of this backend, float32,
 * contiguous row-major (NCHW for images); kernels assert, they do not validate (the
 * model checks shapes once when it is built); outputs are overwritten, never
 * accumulated, unless the comment says otherwise; dx-style outputs may be NULL where
 * noted (the first layer needs no input gradient). Letters: N batch, C channels,
 * H/W height/width, OC output channels, K kernel, OH/OW output height/width. */
#ifndef NN_BACKEND_H
#define NN_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "engine/nn.h"

/* Activations that have an elementwise forward and backward. */
typedef enum nn_act_kind {
    NN_ACT_NONE = 0,
    NN_ACT_RELU,
    NN_ACT_LEAKY_RELU,
    NN_ACT_SIGMOID,
    NN_ACT_TANH
} nn_act_kind;

/* y (N, OUT) = x (N, IN) . w^T + b, with w (OUT, IN), b (OUT); act = NN_ACT_RELU fuses a
 * ReLU into the output (the model then treats the following relu layer as in-place). */
typedef struct nn_linear_desc {
    int         N, IN, OUT;
    nn_act_kind act;          /* NN_ACT_NONE or NN_ACT_RELU */
} nn_linear_desc;

/* y (N, OC, OH, OW) = conv(x (N, C, H, W), w (OC, C, K, K)) + b (OC), zero padding;
 * OH = (H + 2 pad - K) / stride + 1. act as for linear. */
typedef struct nn_conv_desc {
    int         N, C, H, W;
    int         OC, K, stride, pad;
    int         OH, OW;
    nn_act_kind act;
} nn_conv_desc;

/* Pooling windows kh x kw with stride and zero padding (max pooling ignores padding);
 * OH = (H + 2 pad - kh) / stride + 1. Average pooling divides by kh*kw. */
typedef struct nn_pool_desc {
    int N, C, H, W;
    int kh, kw, stride, pad;
    int OH, OW;
} nn_pool_desc;

/* Batch norm over x (N, C, HW): statistics per channel c over N*HW values (a 2-D input
 * (N, F) is C = F, HW = 1). */
typedef struct nn_bn_desc {
    int   N, C, HW;
    float eps;        /* 1e-5 */
    float momentum;   /* 0.1: running = (1 - momentum) running + momentum batch (unbiased var) */
    int   training;   /* 1: batch statistics, update running; 0: running statistics */
} nn_bn_desc;

/* The kernel table. A backend fills every member (labelled initializers), so the model
 * code calls them without NULL checks, except the fusions marked optional. Defined once
 * per backend as a const object. */
struct nn_backend_ops {
    const char *name;                        /* "cpu", "cuda" */
    nn_device   device;

    /* ---- memory. alloc: DLS_OK or DLS_ERR_NOMEM; memory is 64-byte aligned. */
    int  (*alloc)(void **p, size_t bytes);
    void (*free)(void *p);
    void (*to_device)(void *dst, const void *host_src, size_t bytes);
    void (*to_host)(void *host_dst, const void *src, size_t bytes);
    void (*copy)(void *dst, const void *src, size_t bytes);   /* device to device */
    void (*sync)(void);                      /* waits for queued work (no-op on CPU) */
    /* The first asynchronous failure since the backend started (a device fault shows
     * up only as garbage results), as DLS_OK or a code with its message; NULL for a
     * backend whose kernels cannot fail (CPU). */
    int  (*error)(dls_error *e);

    /* ---- BLAS-like. gemm: C (m, n) = alpha op(A) op(B) + beta C, row-major, with
     * op(A) (m, k), op(B) (k, n); ta/tb nonzero means the stored matrix is transposed
     * (A stored (k, m) with lda >= m). */
    void   (*gemm)(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                   const float *b, int ldb, float beta, float *c, int ldc);
    void   (*fill)(float *x, size_t n, float v);
    void   (*scale)(float *x, size_t n, float a);               /* x *= a */
    void   (*axpy)(size_t n, float a, const float *x, float *y); /* y += a x */
    double (*sumsq)(const float *x, size_t n);                   /* sum x^2, in double */

    /* ---- linear (fully connected). bwd: dx (may be NULL) = dy w; dw = dy^T x;
     * db = column sums of dy. */
    void (*linear_fwd)(const nn_linear_desc *d, const float *x, const float *w,
                       const float *b, float *y);
    void (*linear_bwd)(const nn_linear_desc *d, const float *x, const float *w,
                       const float *dy, float *dx, float *dw, float *db);

    /* ---- conv2d. ws is scratch of conv2d_ws_bytes(d, threads) bytes (im2col columns,
     * per-thread partial weight gradients), owned by the model's workspace; threads is
     * nn_get_threads() when the model sized it. bwd: dx may be NULL. The act in d is
     * applied in fwd only (backward of a fused ReLU is done by the relu layer). */
    size_t (*conv2d_ws_bytes)(const nn_conv_desc *d, int threads);
    void   (*conv2d_fwd)(const nn_conv_desc *d, const float *x, const float *w,
                         const float *b, float *y, void *ws);
    void   (*conv2d_bwd)(const nn_conv_desc *d, const float *x, const float *w,
                         const float *dy, float *dx, float *dw, float *db, void *ws);

    /* ---- optional fusion of conv2d + ReLU + max pool, the CNN's hot path; NULL when a
     * backend does not provide it (the model then runs the three ops). y is the pooled
     * output (N, OC, p->OH, p->OW) and idx its argmax within each conv output plane (as
     * maxpool_fwd); the conv output itself is never stored. p describes the pool over
     * the conv output (p->N = c->N, p->C = c->OC, p->H = c->OH, p->W = c->OW); c->act is
     * ignored (ReLU is implied). bwd: dy is the gradient w.r.t. y; the ReLU mask is
     * y > 0; dx may be NULL. ws has conv_pool_ws_bytes(c, p, threads) bytes. */
    size_t (*conv_pool_ws_bytes)(const nn_conv_desc *c, const nn_pool_desc *p, int threads);
    void   (*conv_pool_fwd)(const nn_conv_desc *c, const nn_pool_desc *p, const float *x,
                            const float *w, const float *b, float *y, int32_t *idx, void *ws);
    void   (*conv_pool_bwd)(const nn_conv_desc *c, const nn_pool_desc *p, const float *x,
                            const float *w, const float *y, const int32_t *idx,
                            const float *dy, float *dx, float *dw, float *db, void *ws);

    /* ---- pooling. idx (N, C, OH, OW) holds the flat h*W+w of each max within its
     * (n, c) plane; the backward scatters dy through it (dx is zeroed first). */
    void (*maxpool_fwd)(const nn_pool_desc *d, const float *x, float *y, int32_t *idx);
    void (*maxpool_bwd)(const nn_pool_desc *d, const float *dy, const int32_t *idx, float *dx);
    void (*avgpool_fwd)(const nn_pool_desc *d, const float *x, float *y);
    void (*avgpool_bwd)(const nn_pool_desc *d, const float *dy, float *dx);

    /* ---- elementwise activations over n values; y may alias x. bwd works from the
     * forward's output y alone (relu/leaky: y > 0, valid for slope > 0; sigmoid:
     * y (1 - y); tanh: 1 - y^2), so a forward fused into conv/linear needs no input
     * copy; dx may alias dy. */
    void (*act_fwd)(nn_act_kind k, float slope, const float *x, float *y, size_t n);
    void (*act_bwd)(nn_act_kind k, float slope, const float *y, const float *dy, float *dx,
                    size_t n);

    /* ---- softmax / log-softmax over rows (rows, cols); log nonzero for log-softmax.
     * bwd from the forward's output y. */
    void (*softmax_fwd)(const float *x, float *y, int rows, int cols, int log);
    void (*softmax_bwd)(const float *y, const float *dy, float *dx, int rows, int cols, int log);

    /* ---- dropout with the counter-based RNG: element i is kept when
     * nn_rng_uniform_inline(seed, stream, i) >= p, and kept values are scaled by
     * 1/(1-p). The mask is recomputed in bwd, never stored. y may alias x. */
    void (*dropout_fwd)(const float *x, float *y, size_t n, float p, uint64_t seed,
                        uint64_t stream);
    void (*dropout_bwd)(const float *dy, float *dx, size_t n, float p, uint64_t seed,
                        uint64_t stream);

    /* ---- batch norm. gamma, beta, run_mean, run_var, save_mean, save_invstd are (C).
     * fwd in training saves the batch mean and 1/sqrt(var + eps) for bwd and updates
     * the running statistics. bwd: dx (may be NULL), dgamma, dbeta. */
    void (*bn_fwd)(const nn_bn_desc *d, const float *x, const float *gamma, const float *beta,
                   float *y, float *run_mean, float *run_var, float *save_mean,
                   float *save_invstd);
    void (*bn_bwd)(const nn_bn_desc *d, const float *x, const float *gamma, const float *dy,
                   const float *save_mean, const float *save_invstd, float *dx,
                   float *dgamma, float *dbeta);

    /* ---- losses: each writes the gradient of the mean loss with respect to its input
     * (dlogits, same shape) and returns the mean loss to the host (a sync on devices).
     * labels are int32 device memory (N). */
    float (*xent_fwd_bwd)(const float *logits, const int32_t *labels, int N, int K,
                          float *dlogits);
    float (*mse_fwd_bwd)(const float *y, const float *t, size_t n, float *dy);
    float (*bce_fwd_bwd)(const float *logits, const float *t, size_t n, float *dlogits);
    /* Number of rows whose argmax equals the label (K == 1: (logit > 0) == label). */
    int   (*count_correct)(const float *logits, const int32_t *labels, int N, int K);

    /* ---- optimizer updates over n parameters w with gradients g, in place. lr is the
     * scheduled rate; step is the 1-based update number (Adam bias correction).
     * s1/s2 are the optimizer's state arrays (zero at the start):
     *   SGD:     s1 = momentum buffer (PyTorch: buf = momentum buf + g, first step buf = g)
     *   ADAM(W): s1 = first moment, s2 = second moment
     *   RMSPROP: s1 = square average, s2 = momentum buffer */
    void (*optim_update)(const nn_optim_config *c, float lr, long step, size_t n, float *w,
                         const float *g, float *s1, float *s2);
};

/* Provided by engine/cuda/ in a CUDA=1 build (-DDLS_CUDA): the CUDA table, or NULL with
 * DLS_ERR_NODEVICE (and the driver's reason) when no GPU is usable. */
const struct nn_backend_ops *nn_backend_cuda_get(dls_error *e);

/* The RNG formula, written out once so that device code can compute the same numbers:
 * a splitmix64 finalizer over a combination of seed, stream and counter. Under nvcc the
 * functions are compiled for the device as well, so dropout.cu calls these very lines. */
#ifdef __CUDACC__
#define NN_HOST_DEVICE __host__ __device__
#else
#define NN_HOST_DEVICE
#endif
static inline NN_HOST_DEVICE uint64_t nn_rng_mix64(uint64_t z) {
    z ^= z >> 30; z *= 0xBF58476D1CE4E5B9ULL;
    z ^= z >> 27; z *= 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return z;
}
static inline NN_HOST_DEVICE uint64_t nn_rng_u64_inline(uint64_t seed, uint64_t stream, uint64_t counter) {
    uint64_t key = nn_rng_mix64(seed ^ nn_rng_mix64(stream + 0x9E3779B97F4A7C15ULL));
    return nn_rng_mix64(key + counter * 0x9E3779B97F4A7C15ULL);
}
/* Uniform in [0, 1) with 24 bits: exactly representable as float. */
static inline NN_HOST_DEVICE float nn_rng_uniform_inline(uint64_t seed, uint64_t stream, uint64_t counter) {
    return (float)(nn_rng_u64_inline(seed, stream, counter) >> 40) * (1.0f / 16777216.0f);
}

/* Engine-internal helpers shared by the engine sources (not for study/ or tui/). */
/* Runs fn(ctx, task, thread) for task in [0, n_tasks) on the engine's threads (the
 * caller's thread is thread 0); returns when all are done. Tasks must not call it. */
void nn_parallel_for(int n_tasks, void (*fn)(void *ctx, int task, int thread), void *ctx);

#endif
