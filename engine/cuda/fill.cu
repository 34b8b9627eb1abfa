/* fill.cu: fills, BLAS-1 arithmetic, the fused bias+activation epilogue, bias gradients
 * and deterministic reductions (sum of squares, correct-prediction count). Memory-bound
 * one-liners; the reductions sum in a fixed order so that results repeat exactly. */
#include "engine/cuda/cuda_common.cuh"

static __global__ void k_fill(float *x, size_t n, float v) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) x[i] = v;
}

static __global__ void k_scale(float *x, size_t n, float a) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) x[i] *= a;
}

static __global__ void k_axpy(size_t n, float a, const float *x, float *y) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) y[i] += a * x[i];
}

void nn_cuda_fill(float *x, size_t n, float v) {
    if (!n) return;
    k_fill<<<cu_blocks(n), CU_THREADS, 0, cu_g.stream>>>(x, n, v);
    CU_LAUNCHED("k_fill");
}

void nn_cuda_scale(float *x, size_t n, float a) {
    if (!n) return;
    k_scale<<<cu_blocks(n), CU_THREADS, 0, cu_g.stream>>>(x, n, a);
    CU_LAUNCHED("k_scale");
}

void nn_cuda_axpy(size_t n, float a, const float *x, float *y) {
    if (!n) return;
    k_axpy<<<cu_blocks(n), CU_THREADS, 0, cu_g.stream>>>(n, a, x, y);
    CU_LAUNCHED("k_axpy");
}

/* y (R, F, I) += bias[f], then act; one thread per element. */
static __global__ void k_bias_act(float *y, const float *bias, size_t total, int F, int I,
                                  nn_act_kind act, float slope) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= total) return;
    float v = y[i];
    if (bias) v += bias[(i / I) % F];
    y[i] = cu_act(act, v, slope);
}

void nn_cuda_bias_act(float *y, const float *bias, int R, int F, int I, nn_act_kind act,
                      float slope) {
    size_t total = (size_t)R * F * I;
    if (!total || (!bias && act == NN_ACT_NONE)) return;
    k_bias_act<<<cu_blocks(total), CU_THREADS, 0, cu_g.stream>>>(y, bias, total, F, I, act, slope);
    CU_LAUNCHED("k_bias_act");
}

/* I == 1 (linear layers): one thread per column sums its R rows in order; coalesced. */
static __global__ void k_bias_grad_cols(float *db, const float *dy, int R, int F) {
    int f = blockIdx.x * blockDim.x + threadIdx.x;
    if (f >= F) return;
    float s = 0.f;
    for (int r = 0; r < R; r++) s += dy[(size_t)r * F + f];
    db[f] = s;
}

/* I > 1 (convolutions): one block per channel f sums R planes of I values. */
static __global__ void k_bias_grad_planes(float *db, const float *dy, int R, int F, int I) {
    int f = blockIdx.x;
    float s = 0.f;
    for (int r = 0; r < R; r++) {
        const float *p = dy + ((size_t)r * F + f) * I;
        for (int i = threadIdx.x; i < I; i += blockDim.x) s += p[i];
    }
    s = cu_block_sum(s);
    if (threadIdx.x == 0) db[f] = s;
}

void nn_cuda_bias_grad(float *db, const float *dy, int R, int F, int I) {
    if (F <= 0 || !db) return;
    if (I == 1) {
        k_bias_grad_cols<<<cu_blocks(F), CU_THREADS, 0, cu_g.stream>>>(db, dy, R, F);
        CU_LAUNCHED("k_bias_grad_cols");
    } else {
        k_bias_grad_planes<<<F, CU_THREADS, 0, cu_g.stream>>>(db, dy, R, F, I);
        CU_LAUNCHED("k_bias_grad_planes");
    }
}

static __global__ void k_sumsq(double *out, const float *x, size_t n) {
    double s = 0;
    for (size_t i = threadIdx.x; i < n; i += blockDim.x) s += (double)x[i] * x[i];
    s = cu_block_sum_d(s);
    if (threadIdx.x == 0) *out = s;
}

void nn_cuda_sumsq(double *out, const float *x, size_t n) {
    k_sumsq<<<1, 1024, 0, cu_g.stream>>>(out, x, n);
    CU_LAUNCHED("k_sumsq");
}

static __global__ void k_count_correct(int *out, const float *logits, const int32_t *labels,
                                       int N, int K) {
    float s = 0.f;
    for (int r = threadIdx.x; r < N; r += blockDim.x) {
        const float *row = logits + (size_t)r * K;
        int pred;
        if (K == 1) {
            pred = row[0] > 0.f;
        } else {
            pred = 0;
            for (int c = 1; c < K; c++)
                if (row[c] > row[pred]) pred = c;
        }
        s += pred == labels[r] ? 1.f : 0.f;
    }
    s = cu_block_sum(s); /* exact: counts stay far below 2^24 */
    if (threadIdx.x == 0) *out = (int)s;
}

void nn_cuda_count_correct(int *out, const float *logits, const int32_t *labels, int N, int K) {
    k_count_correct<<<1, 1024, 0, cu_g.stream>>>(out, logits, labels, N, K);
    CU_LAUNCHED("k_count_correct");
}
