/* activations.cu: elementwise activations (relu, leaky relu, sigmoid, tanh) forward and
 * backward, and row-wise softmax / log-softmax. Not the fused bias+activation epilogue
 * (fill.cu) nor softmax cross-entropy (loss.cu), which never materialises softmax. */
#include "engine/cuda/cuda_common.cuh"

static __global__ void k_act_fwd(nn_act_kind k, float slope, const float *x, float *y, size_t n) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) y[i] = cu_act(k, x[i], slope);
}

void nn_cuda_act_fwd(nn_act_kind k, float slope, const float *x, float *y, size_t n) {
    if (!n) return;
    k_act_fwd<<<cu_blocks(n), CU_THREADS, 0, cu_g.stream>>>(k, slope, x, y, n);
    CU_LAUNCHED("k_act_fwd");
}

/* act'(x) from the output y alone: relu/leaky y > 0 (x > 0 when slope > 0),
 * sigmoid y (1 - y), tanh 1 - y^2. */
static __global__ void k_act_bwd(nn_act_kind k, float slope, const float *y, const float *dy,
                                 float *dx, size_t n) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = y[i], d;
    switch (k) {
    case NN_ACT_RELU:       d = v > 0.f ? 1.f : 0.f; break;
    case NN_ACT_LEAKY_RELU: d = v > 0.f ? 1.f : slope; break;
    case NN_ACT_SIGMOID:    d = v * (1.f - v); break;
    case NN_ACT_TANH:       d = 1.f - v * v; break;
    default:                d = 1.f; break;
    }
    dx[i] = dy[i] * d;
}

void nn_cuda_act_bwd(nn_act_kind k, float slope, const float *y, const float *dy, float *dx,
                     size_t n) {
    if (!n) return;
    k_act_bwd<<<cu_blocks(n), CU_THREADS, 0, cu_g.stream>>>(k, slope, y, dy, dx, n);
    CU_LAUNCHED("k_act_bwd");
}

/* One warp per row of N values (R rows). */
static __global__ void k_softmax_fwd(const float *x, float *y, int R, int N, int log) {
    int r = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5), lane = threadIdx.x & 31;
    if (r >= R) return;
    const float *xr = x + (size_t)r * N;
    float *yr = y + (size_t)r * N;
    float mx, s = warp_sum_exp(xr, N, &mx);
    if (log) {
        float ls = logf(s);
        for (int c = lane; c < N; c += 32) yr[c] = xr[c] - mx - ls;
    } else {
        float inv = 1.f / s;
        for (int c = lane; c < N; c += 32) yr[c] = expf(xr[c] - mx) * inv;
    }
}

void nn_cuda_softmax_fwd(const float *x, float *y, int R, int N, int log) {
    if (R <= 0) return;
    unsigned rows_per_block = CU_THREADS / 32;
    k_softmax_fwd<<<(R + rows_per_block - 1) / rows_per_block, CU_THREADS, 0, cu_g.stream>>>(x, y, R, N, log);
    CU_LAUNCHED("k_softmax_fwd");
}

/* softmax: dx = y (dy - sum(dy y)); log-softmax: dx = dy - exp(y) sum(dy). */
static __global__ void k_softmax_bwd(const float *y, const float *dy, float *dx, int R, int N,
                                     int log) {
    int r = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5), lane = threadIdx.x & 31;
    if (r >= R) return;
    const float *dyr = dy + (size_t)r * N, *yr = y + (size_t)r * N;
    float *dxr = dx + (size_t)r * N;
    float s = 0.f;
    for (int c = lane; c < N; c += 32) s += log ? dyr[c] : dyr[c] * yr[c];
    s = warp_sum(s);
    for (int c = lane; c < N; c += 32) {
        float g = log ? dyr[c] - expf(yr[c]) * s : yr[c] * (dyr[c] - s);
        dxr[c] = g;
    }
}

void nn_cuda_softmax_bwd(const float *y, const float *dy, float *dx, int R, int N, int log) {
    if (R <= 0) return;
    unsigned rows_per_block = CU_THREADS / 32;
    k_softmax_bwd<<<(R + rows_per_block - 1) / rows_per_block, CU_THREADS, 0, cu_g.stream>>>(y, dy, dx, R, N, log);
    CU_LAUNCHED("k_softmax_bwd");
}
