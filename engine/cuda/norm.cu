/* norm.cu: batch normalisation forward (batch or running statistics) and backward, one
 * block per channel, statistics summed in double in a fixed order as the CPU does.
 * C channels, each over M = N * HW values of x (N, C, HW). */
#include "engine/cuda/cuda_common.cuh"

enum { BN_THREADS = 256 };

static __global__ void k_bn_fwd(nn_bn_desc d, const float *x, const float *gamma,
                                const float *beta, float *y, float *run_mean, float *run_var,
                                float *save_mean, float *save_invstd) {
    int c = blockIdx.x;
    size_t HW = (size_t)d.HW, M = (size_t)d.N * HW;
    float mean, invstd;
    if (d.training) {
        double s = 0;
        for (size_t k = threadIdx.x; k < M; k += blockDim.x)
            s += x[((k / HW) * d.C + c) * HW + k % HW];
        double mu = cu_block_sum_d(s) / (double)M, ss = 0;
        for (size_t k = threadIdx.x; k < M; k += blockDim.x) {
            double e = x[((k / HW) * d.C + c) * HW + k % HW] - mu;
            ss += e * e;
        }
        ss = cu_block_sum_d(ss);
        double var = ss / (double)M, unbiased = M > 1 ? ss / (double)(M - 1) : var;
        mean   = (float)mu;
        invstd = (float)(1.0 / sqrt(var + d.eps));
        if (threadIdx.x == 0) {
            run_mean[c] = (1 - d.momentum) * run_mean[c] + d.momentum * (float)mu;
            run_var[c]  = (1 - d.momentum) * run_var[c] + d.momentum * (float)unbiased;
        }
    } else {
        mean   = run_mean[c];
        invstd = 1.0f / sqrtf(run_var[c] + d.eps);
    }
    if (threadIdx.x == 0) save_mean[c] = mean, save_invstd[c] = invstd;
    float a = gamma[c] * invstd, b = beta[c] - mean * a;
    for (size_t k = threadIdx.x; k < M; k += blockDim.x) {
        size_t at = ((k / HW) * d.C + c) * HW + k % HW;
        y[at] = x[at] * a + b;
    }
}

static __global__ void k_bn_bwd(nn_bn_desc d, const float *x, const float *gamma,
                                const float *dy, const float *save_mean,
                                const float *save_invstd, float *dx, float *dgamma,
                                float *dbeta) {
    int c = blockIdx.x;
    size_t HW = (size_t)d.HW, M = (size_t)d.N * HW;
    float mean = save_mean[c], invstd = save_invstd[c];
    double sdy = 0, sdyx = 0;
    for (size_t k = threadIdx.x; k < M; k += blockDim.x) {
        size_t at = ((k / HW) * d.C + c) * HW + k % HW;
        sdy  += dy[at];
        sdyx += dy[at] * (x[at] - mean) * invstd;
    }
    sdy  = cu_block_sum_d(sdy);
    sdyx = cu_block_sum_d(sdyx);
    if (threadIdx.x == 0) dbeta[c] = (float)sdy, dgamma[c] = (float)sdyx;
    if (!dx) return;
    float k = gamma[c] * invstd, my = (float)(sdy / M), myx = (float)(sdyx / M);
    for (size_t i = threadIdx.x; i < M; i += blockDim.x) {
        size_t at = ((i / HW) * d.C + c) * HW + i % HW;
        if (!d.training) { dx[at] = dy[at] * k; continue; }
        float xhat = (x[at] - mean) * invstd;
        dx[at] = k * (dy[at] - my - xhat * myx);
    }
}

void nn_cuda_bn_fwd(const nn_bn_desc *d, const float *x, const float *gamma, const float *beta,
                    float *y, float *run_mean, float *run_var, float *save_mean,
                    float *save_invstd) {
    if (d->C <= 0) return;
    k_bn_fwd<<<d->C, BN_THREADS, 0, cu_g.stream>>>(*d, x, gamma, beta, y, run_mean, run_var,
                                                  save_mean, save_invstd);
    CU_LAUNCHED("k_bn_fwd");
}

void nn_cuda_bn_bwd(const nn_bn_desc *d, const float *x, const float *gamma, const float *dy,
                    const float *save_mean, const float *save_invstd, float *dx,
                    float *dgamma, float *dbeta) {
    if (d->C <= 0) return;
    k_bn_bwd<<<d->C, BN_THREADS, 0, cu_g.stream>>>(*d, x, gamma, dy, save_mean, save_invstd, dx,
                                                  dgamma, dbeta);
    CU_LAUNCHED("k_bn_bwd");
}
