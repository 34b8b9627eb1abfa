/* cuda_common.cuh: what every engine/cuda .cu file shares: the one device context
 * (stream, cuBLAS handle, first error), the status-check helpers and the
 * launch geometry. Included by .cu files only; no .c file ever sees a CUDA header.
 * Not the kernels (one .cu per family) nor the ops table (backend.cu). */
#ifndef DLS_CUDA_COMMON_CUH
#define DLS_CUDA_COMMON_CUH

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <stddef.h>
#include <stdint.h>

/* util/dls.h is C11: give C++ its spelling of _Noreturn and C linkage. */
#ifndef _Noreturn
#define _Noreturn [[noreturn]]
#endif
extern "C" {
#include "util/dls.h"
#include "engine/backend.h"
}
#include "engine/cuda/cuda_backend.h"

/* The device context. There is one per process because the ops table's functions take
 * no context argument (the CPU backend needs none); it lives in memory.cu and is set up
 * by cu_ctx_init() behind nn_backend_cuda_get(). */
typedef struct cu_ctx {
    int            ready;
    int            device;
    int            sm_count;
    cudaStream_t   stream;     /* every launch and copy goes here, in order */
    cublasHandle_t blas;
    void          *blas_ws;    /* fixed cuBLAS workspace: graph capture must not allocate */
    size_t         blas_ws_bytes;
    dls_error      err;        /* the first failure, kept until nn_cuda_sync() hands it over */
} cu_ctx;

extern cu_ctx cu_g;

/* Status checks: record "call failed: reason at file:line" into cu_g.err (the first one
 * wins), return the DLS code (DLS_OK on success). Device OOM maps to DLS_ERR_NOMEM. */
int cu_check_(cudaError_t st, const char *call, const char *file, int line);
int cublas_check_(cublasStatus_t st, const char *call, const char *file, int line);
#define CU_CHECK(call)     cu_check_((call), #call, __FILE__, __LINE__)
#define CUBLAS_CHECK(call) cublas_check_((call), #call, __FILE__, __LINE__)
/* After a kernel launch: catches bad launch configurations at the place they happen. */
#define CU_LAUNCHED(name)  cu_check_(cudaGetLastError(), name " launch", __FILE__, __LINE__)


enum { CU_THREADS = 256 };
static inline unsigned cu_blocks(size_t n) { return (unsigned)((n + CU_THREADS - 1) / CU_THREADS); }

/* The activations, shared by the fused bias+activation epilogues (fill.cu, conv.cu),
 * activations.cu and BCE's gradient (loss.cu); slope is the leaky ReLU's. */
static __device__ __forceinline__ float cu_act(nn_act_kind act, float x, float slope) {
    switch (act) {
    case NN_ACT_RELU:       return x > 0.f ? x : 0.f;
    case NN_ACT_LEAKY_RELU: return x > 0.f ? x : slope * x;
    case NN_ACT_SIGMOID:    return 1.f / (1.f + expf(-x));
    case NN_ACT_TANH:       return tanhf(x);
    default:                return x;
    }
}

/* The outputs along one axis whose pooling windows (size k, stride s, padding pad, on
 * outputs) cover input coordinate h: [*lo, *hi], empty when *lo > *hi. */
static __device__ __forceinline__ void cu_covering(int h, int k, int s, int pad, int on, int *lo,
                                                   int *hi) {
    int a = h + pad - k + 1, b = h + pad;
    *lo = a <= 0 ? 0 : (a + s - 1) / s;
    *hi = b < 0 ? -1 : b / s;
    if (*hi > on - 1) *hi = on - 1;
}

/* The max pooling of output (oh, ow) over plane (p->H, p->W), padding ignored; *at gets
 * the index ih * W + iw of the first maximum in row-major order, as on the CPU (which
 * also gives 0 and -1 for a window wholly in the padding; the model never builds one).
 * Shared by max pooling (pool.cu) and the fused conv + pool (conv.cu). */
static __device__ __forceinline__ float cu_window_max(const float *plane, const nn_pool_desc *p,
                                                      int oh, int ow, int *at) {
    float m = 0.f;
    int mi = -1;
    for (int i = 0; i < p->kh; i++) {
        int ih = oh * p->stride - p->pad + i;
        if (ih < 0 || ih >= p->H) continue;
        for (int j = 0; j < p->kw; j++) {
            int iw = ow * p->stride - p->pad + j;
            if (iw < 0 || iw >= p->W) continue;
            float v = plane[ih * p->W + iw];
            if (mi < 0 || v > m) m = v, mi = ih * p->W + iw;
        }
    }
    *at = mi;
    return m;
}

/* Max and sum over the 32 lanes of a warp (butterfly shuffles): every lane gets the result. */
static __device__ __forceinline__ float warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

static __device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

static __device__ __forceinline__ double warp_sum_d(double v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

/* Sum of v over the block, in a fixed order (so the result repeats bit for bit); every
 * thread gets it. blockDim.x must be a multiple of 32, at most 1024. */
static __device__ __forceinline__ float cu_block_sum(float v) {
    __shared__ float part[32];
    v = warp_sum(v);
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
    __syncthreads(); /* part[] may still be read by a previous call */
    if (lane == 0) part[warp] = v;
    __syncthreads();
    return warp_sum(lane < nw ? part[lane] : 0.f);
}

/* The same in double: the statistics (sum of squares, batch norm) that the CPU sums in
 * double too. */
static __device__ __forceinline__ double cu_block_sum_d(double v) {
    __shared__ double part_d[32];
    v = warp_sum_d(v);
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
    __syncthreads(); /* part_d[] may still be read by a previous call */
    if (lane == 0) part_d[warp] = v;
    __syncthreads();
    return warp_sum_d(lane < nw ? part_d[lane] : 0.0);
}

/* The softmax statistics of one row x (N values), by the 32 lanes of a warp: *mx = the
 * row's maximum, and the return value the sum of exp(x - max); every lane gets both. */
static __device__ __forceinline__ float warp_sum_exp(const float *x, int N, float *mx) {
    int lane = threadIdx.x & 31;
    float m = -INFINITY, s = 0.f;
    for (int c = lane; c < N; c += 32) m = fmaxf(m, x[c]);
    m = warp_max(m);
    for (int c = lane; c < N; c += 32) s += expf(x[c] - m);
    *mx = m;
    return warp_sum(s);
}

#endif
