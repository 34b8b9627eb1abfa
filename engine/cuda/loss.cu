/* loss.cu: the losses, forward and gradient in one pass: softmax cross-entropy from
 * logits (never materialising softmax), MSE and BCE with logits. Each runs as one block
 * summing in a fixed order, so the loss repeats bit for bit; batches are small enough
 * (B x classes) that one block is not the bottleneck. */
#include "engine/cuda/cuda_common.cuh"

enum { LOSS_THREADS = 1024 };

/* B rows of N classes; warp w takes rows w, w + warps, ...;
 * loss_r = logsumexp(x_r) - x_r[label]. */
static __global__ void k_xent(float *loss, float *grad, const float *logits, const int32_t *labels,
                              int B, int N) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
    float invB = 1.f / (float)B, acc = 0.f;
    for (int r = warp; r < B; r += nw) {
        const float *x = logits + (size_t)r * N;
        float mx, s = warp_sum_exp(x, N, &mx);
        int y = labels[r];
        if (lane == 0) acc += logf(s) + mx - x[y];
        if (grad) {
            float inv = 1.f / s, *g = grad + (size_t)r * N;
            for (int c = lane; c < N; c += 32)
                g[c] = (expf(x[c] - mx) * inv - (c == y ? 1.f : 0.f)) * invB;
        }
    }
    acc = cu_block_sum(acc);
    if (threadIdx.x == 0 && loss) *loss = acc * invB;
}

/* N rows of K classes. */
void nn_cuda_xent(float *loss, const float *logits, const int32_t *labels, int N, int K,
                  float *dlogits) {
    if (N <= 0) return;
    k_xent<<<1, LOSS_THREADS, 0, cu_g.stream>>>(loss, dlogits, logits, labels, N, K);
    CU_LAUNCHED("k_xent");
}

static __global__ void k_mse(float *loss, float *grad, const float *y, const float *t, size_t n) {
    float acc = 0.f, inv = 1.f / (float)n;
    for (size_t i = threadIdx.x; i < n; i += blockDim.x) {
        float d = y[i] - t[i];
        acc += d * d;
        if (grad) grad[i] = 2.f * d * inv;
    }
    acc = cu_block_sum(acc);
    if (threadIdx.x == 0 && loss) *loss = acc * inv;
}

void nn_cuda_mse(float *loss, const float *y, const float *t, size_t n, float *dy) {
    if (!n) return;
    k_mse<<<1, LOSS_THREADS, 0, cu_g.stream>>>(loss, dy, y, t, n);
    CU_LAUNCHED("k_mse");
}

/* max(x, 0) - x t + log(1 + exp(-|x|)): stable for large |x| of either sign. */
static __global__ void k_bce(float *loss, float *grad, const float *x, const float *t, size_t n) {
    float acc = 0.f, inv = 1.f / (float)n;
    for (size_t i = threadIdx.x; i < n; i += blockDim.x) {
        float v = x[i];
        acc += fmaxf(v, 0.f) - v * t[i] + log1pf(expf(-fabsf(v)));
        if (grad) grad[i] = (1.f / (1.f + expf(-v)) - t[i]) * inv;
    }
    acc = cu_block_sum(acc);
    if (threadIdx.x == 0 && loss) *loss = acc * inv;
}

void nn_cuda_bce(float *loss, const float *logits, const float *t, size_t n, float *dlogits) {
    if (!n) return;
    k_bce<<<1, LOSS_THREADS, 0, cu_g.stream>>>(loss, dlogits, logits, t, n);
    CU_LAUNCHED("k_bce");
}
