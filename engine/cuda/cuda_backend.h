/* cuda_backend.h: the CUDA kernels of the engine as plain C functions over device
 * pointers (float32, NCHW, row-major), one group per engine/cuda .cu file, with the
 * semantics of the kernel table in engine/backend.h (outputs overwritten unless `acc`
 * says otherwise). backend.cu wraps them into that table (nn_backend_cuda_get); nothing
 * outside engine/cuda calls them. It names no CUDA type; .cu files include it through
 * cuda_common.cuh, which makes the engine's C headers palatable to C++.
 *
 * Every launch is queued on the context's one stream and returns at once. Failures
 * (bad launch, device fault, cuBLAS status) are recorded, first one wins, with the call
 * and file:line; nn_cuda_sync() waits and hands that error over.
 *
 * Scalars that change from one training step to the next (learning rate, Adam's bias
 * corrections, dropout's seed and stream) are read by the kernels from a device slot
 * (nn_cuda_dyn) instead of kernel arguments, so that a CUDA graph captured once can be
 * replayed with new values (backend.cu uploads the slots before each replay). */
#ifndef DLS_CUDA_BACKEND_H
#define DLS_CUDA_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "engine/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One slot of per-step scalars, in device memory when a kernel reads it. f: SGD and
 * RMSprop {lr}; Adam(W) {lr / (1 - beta1^t), 1 / sqrt(1 - beta2^t), 1 - lr wd (AdamW) or 1}.
 * u: dropout {seed, stream}. */
typedef struct nn_cuda_dyn {
    float    f[4];
    uint64_t u[2];
} nn_cuda_dyn;
/* Fills the optimizer's f[] from the host-side lr and 1-based step, as the CPU does. */
void nn_cuda_optim_dyn(const nn_optim_config *c, float lr, long step, nn_cuda_dyn *out);

/* memory.cu: the context, device memory and copies. ---------------------------------- */
/* Sets up the first device (stream, cuBLAS). DLS_ERR_NODEVICE with the driver's reason
 * when no device is usable; idempotent. */
int  nn_cuda_init(dls_error *e);
void nn_cuda_shutdown(void);
/* cudaMalloc; DLS_OK, DLS_ERR_NOMEM (not recorded: the caller words the message), or
 * another code for a device fault (recorded, as every failure, for nn_cuda_sync). */
int  nn_cuda_alloc(void **p, size_t bytes);
void nn_cuda_free(void *p);
/* Host to device through a pinned staging buffer: returns once the host memory may be
 * reused; the copy itself runs in stream order. */
void nn_cuda_to_device(void *dst, const void *host_src, size_t bytes);
void nn_cuda_to_host(void *host_dst, const void *src, size_t bytes);   /* waits for the stream */
void nn_cuda_copy(void *dst, const void *src, size_t bytes);           /* device to device */
/* Waits for all queued work; returns the first recorded error (and clears it). */
int  nn_cuda_sync(dls_error *e);
/* Device name, capability, memory, driver and runtime in one line, into buf. */
void nn_cuda_describe(char *buf, size_t n);

/* fill.cu. --------------------------------------------------------------------------- */
void nn_cuda_fill(float *x, size_t n, float v);
void nn_cuda_scale(float *x, size_t n, float a);                         /* x *= a */
void nn_cuda_axpy(size_t n, float a, const float *x, float *y);          /* y += a x */
/* y (R, F, I): y[r][f][i] += bias[f] (bias may be NULL), then activation act, in place. */
void nn_cuda_bias_act(float *y, const float *bias, int R, int F, int I, nn_act_kind act,
                      float slope);
/* db[f] = sum over r, i of dy[r][f][i] (overwritten); a fixed order, so repeatable. */
void nn_cuda_bias_grad(float *db, const float *dy, int R, int F, int I);
/* *out (device double) = sum of x^2, in double; one block, fixed order. */
void nn_cuda_sumsq(double *out, const float *x, size_t n);
/* *out (device int) = rows of logits (N, K) whose argmax (first maximum) equals the
 * label; K == 1: (logit > 0) == label. */
void nn_cuda_count_correct(int *out, const float *logits, const int32_t *labels, int N, int K);

/* gemm.cu: C (m, n) = alpha op(A) op(B) + beta C, row-major with leading dimensions,
 * as backend.h's gemm. */
void nn_cuda_gemm(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                  const float *b, int ldb, float beta, float *c, int ldc);
/* batch products C_i = alpha op(A_i) op(B_i) + beta C_i, A_i = a + i sa (elements), ... */
void nn_cuda_gemm_batched(int ta, int tb, int m, int n, int k, float alpha, const float *a,
                          int lda, long long sa, const float *b, int ldb, long long sb,
                          float beta, float *c, int ldc, long long sc, int batch);
/* linear: y = x w^T + b then d->act; bwd: dx (may be NULL) = dy w, dw = dy^T x, db. */
void nn_cuda_linear_fwd(const nn_linear_desc *d, const float *x, const float *w,
                        const float *b, float *y);
void nn_cuda_linear_bwd(const nn_linear_desc *d, const float *x, const float *w,
                        const float *dy, float *dx, float *dw, float *db);

/* activations.cu. -------------------------------------------------------------------- */
void nn_cuda_act_fwd(nn_act_kind k, float slope, const float *x, float *y, size_t n);
/* From the forward's output y alone, as backend.h says; dx may alias dy. */
void nn_cuda_act_bwd(nn_act_kind k, float slope, const float *y, const float *dy, float *dx,
                     size_t n);
void nn_cuda_softmax_fwd(const float *x, float *y, int rows, int cols, int log);
void nn_cuda_softmax_bwd(const float *y, const float *dy, float *dx, int rows, int cols, int log);

/* loss.cu: one block each, fixed summation order. The mean loss goes to *loss (device,
 * may be NULL); the gradient of the mean to grad (may be NULL). */
void nn_cuda_xent(float *loss, const float *logits, const int32_t *labels, int N, int K,
                  float *dlogits);
void nn_cuda_mse(float *loss, const float *y, const float *t, size_t n, float *dy);
void nn_cuda_bce(float *loss, const float *logits, const float *t, size_t n, float *dlogits);

/* conv.cu: im2col + cuBLAS; ws of nn_cuda_conv2d_ws_bytes(d) bytes of device scratch. */
size_t nn_cuda_conv2d_ws_bytes(const nn_conv_desc *d);
void   nn_cuda_conv2d_fwd(const nn_conv_desc *d, const float *x, const float *w,
                          const float *b, float *y, void *ws);
void   nn_cuda_conv2d_bwd(const nn_conv_desc *d, const float *x, const float *w,
                          const float *dy, float *dx, float *dw, float *db, void *ws);

/* The optional fusion conv2d + ReLU + max pool, as backend.h; the same scratch. */
void   nn_cuda_conv_pool_fwd(const nn_conv_desc *c, const nn_pool_desc *p, const float *x,
                             const float *w, const float *b, float *y, int32_t *idx, void *ws);
void   nn_cuda_conv_pool_bwd(const nn_conv_desc *c, const nn_pool_desc *p, const float *x,
                             const float *w, const float *y, const int32_t *idx,
                             const float *dy, float *dx, float *dw, float *db, void *ws);

/* pool.cu: as backend.h (max ignores padding, avg counts it as zeros). */
void nn_cuda_maxpool_fwd(const nn_pool_desc *d, const float *x, float *y, int32_t *idx);
void nn_cuda_maxpool_bwd(const nn_pool_desc *d, const float *dy, const int32_t *idx, float *dx);
void nn_cuda_avgpool_fwd(const nn_pool_desc *d, const float *x, float *y);
void nn_cuda_avgpool_bwd(const nn_pool_desc *d, const float *dy, float *dx);

/* dropout.cu: the engine's counter-based RNG (backend.h's formula, bit for bit), seed
 * and stream read from dyn (device). y may alias x, dx may alias dy. */
void nn_cuda_dropout_fwd(const float *x, float *y, size_t n, float p, const nn_cuda_dyn *dyn);
void nn_cuda_dropout_bwd(const float *dy, float *dx, size_t n, float p, const nn_cuda_dyn *dyn);

/* norm.cu: batch norm, as backend.h. */
void nn_cuda_bn_fwd(const nn_bn_desc *d, const float *x, const float *gamma, const float *beta,
                    float *y, float *run_mean, float *run_var, float *save_mean,
                    float *save_invstd);
void nn_cuda_bn_bwd(const nn_bn_desc *d, const float *x, const float *gamma, const float *dy,
                    const float *save_mean, const float *save_invstd, float *dx,
                    float *dgamma, float *dbeta);

/* optim.cu: one fused update over n parameters (usually the whole arena at once),
 * PyTorch's formulas as the CPU's, with the step-dependent scalars read from dyn (device,
 * filled by nn_cuda_optim_dyn). */
void nn_cuda_optim_update(const nn_optim_config *c, size_t n, float *w, const float *g,
                          float *s1, float *s2, const nn_cuda_dyn *dyn);

/* backend.cu: beside nn_backend_cuda_get (declared in backend.h). */
/* Runs any recorded work, waits, and returns the first device error since the last call
 * (DLS_OK when none), filling e. The table's functions return no status, so a caller
 * that wants to tell a device fault from a diverged loss asks here. */
int  nn_backend_cuda_error(dls_error *e);
/* Turns the tape-and-graph replay on or off (the initial state comes from
 * DLS_CUDA_GRAPHS, default on); what was recorded runs first. For tests and benchmarks. */
void nn_backend_cuda_set_graphs(int on);
/* Counters since start: graph replays, graph captures, tapes run eagerly. */
void nn_backend_cuda_stats(long *graph_launches, long *captures, long *eager_runs);
/* Why the first refused graph capture was refused, filling e; DLS_OK when none was. A
 * refused tape runs eagerly (correct, only slower), so this is a diagnostic, not an error. */
int  nn_backend_cuda_capture_error(dls_error *e);

#ifdef __cplusplus
}
#endif
#endif
