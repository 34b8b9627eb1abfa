/* optim.cu: the optimizer updates (SGD with momentum, Nesterov and L2 weight decay;
 * Adam and AdamW; RMSprop with momentum), one fused elementwise kernel over n
 * parameters: the engine passes its whole arena, so an update is one launch. Formulas
 * are the CPU's (PyTorch's); the step-dependent scalars come from a device slot so that
 * a captured graph replays with the next step's values. */
#include "engine/cuda/cuda_common.cuh"

#include <math.h>
#include <string.h>

void nn_cuda_optim_dyn(const nn_optim_config *c, float lr, long step, nn_cuda_dyn *out) {
    memset(out, 0, sizeof *out);
    if (c->kind == NN_OPTIM_ADAM || c->kind == NN_OPTIM_ADAMW) {
        /* the CPU's arithmetic exactly (float powf), so both step identically */
        float bc1 = 1.0f - powf(c->beta1, (float)step), bc2 = 1.0f - powf(c->beta2, (float)step);
        out->f[0] = lr / bc1;
        out->f[1] = 1.0f / sqrtf(bc2);
        out->f[2] = c->kind == NN_OPTIM_ADAMW ? 1.0f - lr * c->weight_decay : 1.0f;
    } else {
        out->f[0] = lr;
    }
}

/* s1 = momentum buffer (starts at 0, so the first step gives buf = g). */
static __global__ void k_sgd(size_t n, float *w, const float *g, float *buf, float mom, float wd,
                             int nesterov, const nn_cuda_dyn *dyn) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    float lr = dyn->f[0], gi = g[i] + wd * w[i];
    if (mom != 0.f) {
        float b = mom * buf[i] + gi;
        buf[i] = b;
        gi = nesterov ? gi + mom * b : b;
    }
    w[i] -= lr * gi;
}

/* s1 = first moment m, s2 = second moment v. */
static __global__ void k_adam(size_t n, float *w, const float *g, float *m, float *v, float b1,
                              float b2, float eps, float l2, const nn_cuda_dyn *dyn) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    float step_size = dyn->f[0], inv_sqrt_bc2 = dyn->f[1], decay = dyn->f[2];
    float wi = w[i], gi = g[i] + l2 * wi;
    float mi = b1 * m[i] + (1.0f - b1) * gi;
    float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
    m[i] = mi, v[i] = vi;
    w[i] = wi * decay - step_size * mi / (sqrtf(vi) * inv_sqrt_bc2 + eps);
}

/* s1 = square average, s2 = momentum buffer. */
static __global__ void k_rmsprop(size_t n, float *w, const float *g, float *sq, float *buf,
                                 float a, float eps, float wd, float mom, const nn_cuda_dyn *dyn) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    float lr = dyn->f[0], gi = g[i] + wd * w[i];
    float s = a * sq[i] + (1.0f - a) * gi * gi;
    sq[i] = s;
    float upd = gi / (sqrtf(s) + eps);
    if (mom != 0.f) { upd = mom * buf[i] + upd; buf[i] = upd; }
    w[i] -= lr * upd;
}

void nn_cuda_optim_update(const nn_optim_config *c, size_t n, float *w, const float *g,
                          float *s1, float *s2, const nn_cuda_dyn *dyn) {
    if (!n) return;
    unsigned grid = cu_blocks(n);
    switch (c->kind) {
    case NN_OPTIM_SGD:
        k_sgd<<<grid, CU_THREADS, 0, cu_g.stream>>>(n, w, g, s1, c->momentum, c->weight_decay,
                                                    c->nesterov, dyn);
        CU_LAUNCHED("k_sgd");
        break;
    case NN_OPTIM_ADAM:
    case NN_OPTIM_ADAMW:
        k_adam<<<grid, CU_THREADS, 0, cu_g.stream>>>(n, w, g, s1, s2, c->beta1, c->beta2, c->eps,
            c->kind == NN_OPTIM_ADAMW ? 0.f : c->weight_decay, dyn);
        CU_LAUNCHED("k_adam");
        break;
    case NN_OPTIM_RMSPROP:
        k_rmsprop<<<grid, CU_THREADS, 0, cu_g.stream>>>(n, w, g, s1, s2, c->alpha, c->eps,
                                                        c->weight_decay, c->momentum, dyn);
        CU_LAUNCHED("k_rmsprop");
        break;
    default:
        DLS_ASSERT(!"unknown optimizer");
    }
}
