/* dropout.cu: inverted dropout on the device with the engine's counter-based RNG:
 * backend.h's nn_rng_uniform_inline, compiled for the device too, so that both backends
 * keep exactly the same elements (the parity test checks it). No mask is stored: the backward
 * recomputes it from (seed, stream), which come from a device slot so that a captured
 * graph can replay the step with the next step's stream. */
#include "engine/cuda/cuda_common.cuh"

/* Kept when uniform(seed, stream, i) >= p; uniform has 24 bits, as nn_rng_uniform_inline. */
static __global__ void k_dropout(const float *x, float *y, size_t n, float p, float scale,
                                 const nn_cuda_dyn *dyn) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    uint64_t seed = dyn->u[0], stream = dyn->u[1];
    y[i] = nn_rng_uniform_inline(seed, stream, i) >= p ? x[i] * scale : 0.0f;
}

void nn_cuda_dropout_fwd(const float *x, float *y, size_t n, float p, const nn_cuda_dyn *dyn) {
    if (!n) return;
    if (p <= 0.f) {
        if (y != x) nn_cuda_copy(y, x, n * sizeof *y);
        return;
    }
    k_dropout<<<cu_blocks(n), CU_THREADS, 0, cu_g.stream>>>(x, y, n, p, 1.0f / (1.0f - p), dyn);
    CU_LAUNCHED("k_dropout");
}

void nn_cuda_dropout_bwd(const float *dy, float *dx, size_t n, float p, const nn_cuda_dyn *dyn) {
    nn_cuda_dropout_fwd(dy, dx, n, p, dyn);   /* the same mask and scale */
}
