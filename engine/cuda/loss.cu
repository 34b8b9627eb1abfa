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

/* The elementwise losses: the mean over n of l(x, t), and its gradient g / n.
 * MSE: l = (x - t)^2, g = 2 (x - t). BCE with logits: l = max(x, 0) - x t +
 * log(1 + exp(-|x|)) (stable for large |x| of either sign), g = sigmoid(x) - t. */
typedef enum pointwise_loss { LOSS_MSE, LOSS_BCE } pointwise_loss;

static __global__ void k_pointwise(pointwise_loss kind, float *loss, float *grad, const float *x,
                                   const float *t, size_t n) {
    float acc = 0.f, inv = 1.f / (float)n;
    for (size_t i = threadIdx.x; i < n; i += blockDim.x) {
        float v = x[i], l, g;
        if (kind == LOSS_MSE) {
            float d = v - t[i];
            l = d * d, g = 2.f * d;
        } else {
            l = fmaxf(v, 0.f) - v * t[i] + log1pf(expf(-fabsf(v)));
            g = cu_act(NN_ACT_SIGMOID, v, 0.f) - t[i];
        }
        acc += l;
        if (grad) grad[i] = g * inv;
    }
    acc = cu_block_sum(acc);
    if (threadIdx.x == 0 && loss) *loss = acc * inv;
}

static void pointwise(pointwise_loss kind, float *loss, const float *x, const float *t, size_t n,
                      float *grad) {
    if (!n) return;
    k_pointwise<<<1, LOSS_THREADS, 0, cu_g.stream>>>(kind, loss, grad, x, t, n);
    CU_LAUNCHED("k_pointwise");
}

void nn_cuda_mse(float *loss, const float *y, const float *t, size_t n, float *dy) {
    pointwise(LOSS_MSE, loss, y, t, n, dy);
}

void nn_cuda_bce(float *loss, const float *logits, const float *t, size_t n, float *dlogits) {
    pointwise(LOSS_BCE, loss, logits, t, n, dlogits);
}
