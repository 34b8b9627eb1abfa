/* pool.cu: max pooling (keeping the argmax indices for the backward) and average
 * pooling, forward and backward, with backend.h's semantics: windows kh x kw, stride,
 * zero padding that max pooling ignores and average pooling counts. The backwards
 * gather (each input pixel sums the windows that cover it) instead of scattering with
 * atomics: deterministic, and no separate zero-fill pass. */
#include "engine/cuda/cuda_common.cuh"

/* x (N, C, H, W) -> y, idx (N, C, OH, OW); the first maximum in row-major order wins,
 * idx holds ih * W + iw within the plane. One thread per output. */
static __global__ void k_maxpool_fwd(nn_pool_desc d, const float *x, float *y, int32_t *idx) {
    size_t o = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (o >= (size_t)d.N * d.C * d.OH * d.OW) return;
    int ow = o % d.OW, oh = (o / d.OW) % d.OH;
    int mi;
    y[o] = cu_window_max(x + o / ((size_t)d.OH * d.OW) * d.H * d.W, &d, oh, ow, &mi);
    if (idx) idx[o] = mi;
}

static __global__ void k_maxpool_bwd(nn_pool_desc d, const float *dy, const int32_t *idx,
                                     float *dx) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (size_t)d.N * d.C * d.H * d.W) return;
    int w = i % d.W, h = (i / d.W) % d.H;
    size_t plane = i / ((size_t)d.H * d.W) * d.OH * d.OW;
    int ohl, ohh, owl, owh;
    cu_covering(h, d.kh, d.stride, d.pad, d.OH, &ohl, &ohh);
    cu_covering(w, d.kw, d.stride, d.pad, d.OW, &owl, &owh);
    int me = h * d.W + w;
    float s = 0.f;
    for (int oh = ohl; oh <= ohh; oh++)
        for (int ow = owl; ow <= owh; ow++) {
            size_t o = plane + oh * d.OW + ow;
            if (idx[o] == me) s += dy[o];
        }
    dx[i] = s;
}

static __global__ void k_avgpool_fwd(nn_pool_desc d, const float *x, float *y) {
    size_t o = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (o >= (size_t)d.N * d.C * d.OH * d.OW) return;
    int ow = o % d.OW, oh = (o / d.OW) % d.OH;
    const float *p = x + o / ((size_t)d.OH * d.OW) * d.H * d.W;
    float s = 0.f;
    for (int i = 0; i < d.kh; i++) {
        int ih = oh * d.stride - d.pad + i;
        if (ih < 0 || ih >= d.H) continue;
        for (int j = 0; j < d.kw; j++) {
            int iw = ow * d.stride - d.pad + j;
            if (iw >= 0 && iw < d.W) s += p[ih * d.W + iw];
        }
    }
    y[o] = s * (1.f / (float)(d.kh * d.kw));
}

static __global__ void k_avgpool_bwd(nn_pool_desc d, const float *dy, float *dx) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (size_t)d.N * d.C * d.H * d.W) return;
    int w = i % d.W, h = (i / d.W) % d.H;
    const float *g = dy + i / ((size_t)d.H * d.W) * d.OH * d.OW;
    int ohl, ohh, owl, owh;
    cu_covering(h, d.kh, d.stride, d.pad, d.OH, &ohl, &ohh);
    cu_covering(w, d.kw, d.stride, d.pad, d.OW, &owl, &owh);
    float s = 0.f, inv = 1.f / (float)(d.kh * d.kw);
    for (int oh = ohl; oh <= ohh; oh++)
        for (int ow = owl; ow <= owh; ow++) s += g[oh * d.OW + ow] * inv;
    dx[i] = s;
}

void nn_cuda_maxpool_fwd(const nn_pool_desc *d, const float *x, float *y, int32_t *idx) {
    size_t n = (size_t)d->N * d->C * d->OH * d->OW;
    if (!n) return;
    k_maxpool_fwd<<<cu_blocks(n), CU_THREADS, 0, cu_g.stream>>>(*d, x, y, idx);
    CU_LAUNCHED("k_maxpool_fwd");
}

void nn_cuda_maxpool_bwd(const nn_pool_desc *d, const float *dy, const int32_t *idx, float *dx) {
    size_t n = (size_t)d->N * d->C * d->H * d->W;
    if (!n) return;
    k_maxpool_bwd<<<cu_blocks(n), CU_THREADS, 0, cu_g.stream>>>(*d, dy, idx, dx);
    CU_LAUNCHED("k_maxpool_bwd");
}

void nn_cuda_avgpool_fwd(const nn_pool_desc *d, const float *x, float *y) {
    size_t n = (size_t)d->N * d->C * d->OH * d->OW;
    if (!n) return;
    k_avgpool_fwd<<<cu_blocks(n), CU_THREADS, 0, cu_g.stream>>>(*d, x, y);
    CU_LAUNCHED("k_avgpool_fwd");
}

void nn_cuda_avgpool_bwd(const nn_pool_desc *d, const float *dy, float *dx) {
    size_t n = (size_t)d->N * d->C * d->H * d->W;
    if (!n) return;
    k_avgpool_bwd<<<cu_blocks(n), CU_THREADS, 0, cu_g.stream>>>(*d, dy, dx);
    CU_LAUNCHED("k_avgpool_bwd");
}
