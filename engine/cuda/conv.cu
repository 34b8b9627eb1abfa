/* conv.cu: conv2d forward and backward (input, weights, bias) as im2col + one cuBLAS
 * GEMM per pass. Not a direct or Winograd convolution: at MNIST sizes the GEMMs are
 * small and the work is launch-bound, so fewer, larger GEMMs win.
 *
 * N batch (Bc images in a chunk), C in channels, H W input, OC out channels, K kernel, S stride, P padding,
 * OH OW output, Q = C K K (one column's length), L = Bc OH OW (columns of a chunk).
 * The column matrix is laid out (Q, L) with column j = b OH OW + oh OW + ow, so that
 * the whole batch is one GEMM: Yt (OC, L) = W (OC, Q) col (Q, L). Yt is then permuted
 * to NCHW with the bias and activation fused into that copy. The backward permutes dy
 * to dYt (OC, L) and runs dW += dYt col^T and dcol = W^T dYt, then col2im gathers dcol
 * into dx (each input pixel sums the taps that read it: deterministic, no atomics).
 * The fused conv + ReLU + max pool replaces the permutes with a pooling of Yt and an
 * un-pooling into dYt, so the conv output never exists in NCHW.
 * Large batches (evaluation) go through in chunks so that the scratch stays bounded. */
#include "engine/cuda/cuda_common.cuh"

/* Scratch per chunk at most this many floats (1 GiB); a training batch is far below. */
static const size_t CONV_WS_FLOATS = (size_t)256 << 20;

static __global__ void k_im2col(float *col, const float *x, int Bc, int C, int H, int W, int K,
                                int S, int P, int OH, int OW) {
    size_t L = (size_t)Bc * OH * OW;
    size_t t = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= (size_t)C * K * K * L) return;
    size_t j = t % L, q = t / L;
    int kj = q % K, ki = (q / K) % K, c = (int)(q / (K * K));
    int ow = j % OW, oh = (j / OW) % OH, b = (int)(j / ((size_t)OH * OW));
    int h = oh * S - P + ki, w = ow * S - P + kj;
    col[t] = (h >= 0 && h < H && w >= 0 && w < W) ? x[(((size_t)b * C + c) * H + h) * W + w] : 0.f;
}

/* y (Bc, OC, OH OW) = act(Yt (OC, Bc OH OW) + bias). */
static __global__ void k_cols_to_nchw(float *y, const float *yt, const float *bias, int Bc,
                                      int OC, int PP, nn_act_kind act, float slope) {
    size_t t = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= (size_t)Bc * OC * PP) return;
    int p = t % PP, oc = (t / PP) % OC, b = (int)(t / ((size_t)PP * OC));
    float v = yt[(size_t)oc * Bc * PP + (size_t)b * PP + p];
    if (bias) v += bias[oc];
    y[t] = cu_act(act, v, slope);
}

/* dYt (OC, Bc OH OW) from dy (Bc, OC, OH OW). */
static __global__ void k_nchw_to_cols(float *dyt, const float *dy, int Bc, int OC, int PP) {
    size_t t = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= (size_t)Bc * OC * PP) return;
    int p = t % PP, oc = (t / PP) % OC, b = (int)(t / ((size_t)PP * OC));
    dyt[(size_t)oc * Bc * PP + (size_t)b * PP + p] = dy[t];
}

/* dx (Bc, C, H, W) = sum of the dcol taps that read each pixel. */
static __global__ void k_col2im(float *dx, const float *dcol, int Bc, int C, int H, int W, int K,
                                int S, int P, int OH, int OW) {
    size_t t = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= (size_t)Bc * C * H * W) return;
    int w = t % W, h = (t / W) % H, c = (t / ((size_t)W * H)) % C;
    int b = (int)(t / ((size_t)W * H * C));
    size_t L = (size_t)Bc * OH * OW;
    float s = 0.f;
    for (int ki = 0; ki < K; ki++) {
        int hh = h + P - ki;
        if (hh < 0 || hh % S) continue;
        int oh = hh / S;
        if (oh >= OH) continue;
        for (int kj = 0; kj < K; kj++) {
            int ww = w + P - kj;
            if (ww < 0 || ww % S) continue;
            int ow = ww / S;
            if (ow >= OW) continue;
            size_t q = ((size_t)c * K + ki) * K + kj;
            s += dcol[q * L + ((size_t)b * OH + oh) * OW + ow];
        }
    }
    dx[t] = s;
}

/* dW (OC, Q) (+)= dYt (OC, L) col^T for a short Q (a first layer: C K K of 9 or 27) and
 * a long L: one block per weight, a dot product of two L-long rows summed in a fixed
 * order. cuBLAS may run such a 9 x 32 x 50000 product on a handful of SMs; this spreads
 * it over OC Q blocks and reads both rows coalesced, mostly from L2. */
enum { SMALL_Q = 32 };
static __global__ void k_dw_small(float *dw, const float *dyt, const float *col, int Q, size_t L,
                                  int accumulate) {
    int oc = blockIdx.x / Q, q = blockIdx.x % Q;
    const float *a = dyt + (size_t)oc * L, *b = col + (size_t)q * L;
    float s = 0.f;
    for (size_t j = threadIdx.x; j < L; j += blockDim.x) s += a[j] * b[j];
    s = cu_block_sum(s);
    if (threadIdx.x == 0) dw[blockIdx.x] = accumulate ? dw[blockIdx.x] + s : s;
}

/* dW (OC, Q) (+)= dYt (OC, L) col^T for the other layers: a product with a small output
 * and a long K = L, which a plain GEMM would leave to a few SMs. Split K: SPLIT batched
 * products over L / SPLIT columns each (plus one for the remainder) into partials, then
 * summed in a fixed order. */
enum { SPLIT_MAX = 32, SPLIT_MIN_COLS = 512 };

static __global__ void k_sum_partials(float *dw, const float *part, int parts, size_t n,
                                      int accumulate) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    float s = accumulate ? dw[i] : 0.f;
    for (int k = 0; k < parts; k++) s += part[(size_t)k * n + i];
    dw[i] = s;
}

static void dw_split(float *dw, const float *dyt, const float *col, int OC, int Q, int L,
                     float *part, int accumulate) {
    int split = L / SPLIT_MIN_COLS;
    if (split > SPLIT_MAX) split = SPLIT_MAX;
    if (split < 2) {
        nn_cuda_gemm(0, 1, OC, Q, L, 1.f, dyt, L, col, L, accumulate ? 1.f : 0.f, dw, Q);
        return;
    }
    int Lc = L / split, rest = L - split * Lc, parts = split + (rest > 0);
    size_t n = (size_t)OC * Q;
    /* partial i (OC, Q) = dYt[:, i Lc .. (i+1) Lc) col[:, same]^T */
    nn_cuda_gemm_batched(0, 1, OC, Q, Lc, 1.f, dyt, L, Lc, col, L, Lc, 0.f, part, Q, (long long)n, split);
    if (rest)
        nn_cuda_gemm(0, 1, OC, Q, rest, 1.f, dyt + (size_t)split * Lc, L, col + (size_t)split * Lc, L,
                     0.f, part + (size_t)split * n, Q);
    k_sum_partials<<<cu_blocks(n), CU_THREADS, 0, cu_g.stream>>>(dw, part, parts, n, accumulate);
    CU_LAUNCHED("k_sum_partials");
}

/* Floats of scratch per image: the backward's col (Q, P), dYt (OC, P), dcol (Q, P); the
 * forward needs col and Yt, less. */
static size_t per_image_floats(const nn_conv_desc *d) {
    size_t Q = (size_t)d->C * d->K * d->K, PP = (size_t)d->OH * d->OW;
    return (2 * Q + d->OC) * PP;
}

/* Images per chunk: the whole batch when its scratch stays under CONV_WS_FLOATS. */
static int chunk_images(const nn_conv_desc *d) {
    size_t n = CONV_WS_FLOATS / per_image_floats(d);
    if (n < 1) n = 1;
    return n >= (size_t)d->N ? d->N : (int)n;
}

/* Floats after the chunk's scratch: a later chunk's bias sums (OC), then the split-K
 * partials of dW ((SPLIT_MAX + 1) OC Q). */
static size_t tail_floats(const nn_conv_desc *d) {
    return (size_t)d->OC + (size_t)(SPLIT_MAX + 1) * d->OC * d->C * d->K * d->K;
}

size_t nn_cuda_conv2d_ws_bytes(const nn_conv_desc *d) {
    return ((size_t)chunk_images(d) * per_image_floats(d) + tail_floats(d)) * sizeof(float);
}

static void im2col(float *col, const float *x, int Bc, const nn_conv_desc *d) {
    size_t n = (size_t)d->C * d->K * d->K * Bc * d->OH * d->OW;
    k_im2col<<<cu_blocks(n), CU_THREADS, 0, cu_g.stream>>>(col, x, Bc, d->C, d->H, d->W, d->K,
                                                           d->stride, d->pad, d->OH, d->OW);
    CU_LAUNCHED("k_im2col");
}

/* The fused conv2d + ReLU + max pool (backend.h's conv_pool_fwd): y (Bc, OC, p.OH, p.OW)
 * from Yt (OC, Bc PP) without the conv output ever being stored. As on the CPU, the
 * argmax is taken over the raw GEMM output (the bias is one constant per plane, so it
 * does not move the argmax; the first maximum wins), then y = max(m + bias, 0). */
static __global__ void k_cols_pool(float *y, int32_t *idx, const float *yt, const float *bias,
                                   int Bc, int OC, nn_pool_desc p) {
    size_t po = (size_t)p.OH * p.OW, PP = (size_t)p.H * p.W;
    size_t t = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= (size_t)Bc * OC * po) return;
    int k = t % po, oc = (t / po) % OC, b = (int)(t / (po * OC));
    int oh = k / p.OW, ow = k % p.OW;
    int mi;
    float m = cu_window_max(yt + (size_t)oc * Bc * PP + (size_t)b * PP, &p, oh, ow, &mi);
    m += bias ? bias[oc] : 0.f;
    y[t] = m < 0.f ? 0.f : m;
    idx[t] = mi;
}

/* Its backward's first step: dYt (OC, Bc PP) gets each pooled gradient at its argmax
 * where the pooled output was positive (the ReLU mask), zero elsewhere; gathered per
 * conv output, so no zero-fill and no atomics. */
static __global__ void k_unpool_cols(float *dyt, const float *y, const int32_t *idx,
                                     const float *dy, int Bc, int OC, nn_pool_desc p) {
    size_t po = (size_t)p.OH * p.OW, PP = (size_t)p.H * p.W, L = (size_t)Bc * PP;
    size_t t = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= (size_t)OC * L) return;
    size_t j = t % L;
    int oc = (int)(t / L), b = (int)(j / PP), q = (int)(j % PP);
    int h = q / p.W, w = q % p.W, ohl, ohh, owl, owh;
    cu_covering(h, p.kh, p.stride, p.pad, p.OH, &ohl, &ohh);
    cu_covering(w, p.kw, p.stride, p.pad, p.OW, &owl, &owh);
    size_t base = ((size_t)b * OC + oc) * po;
    float s = 0.f;
    for (int oh = ohl; oh <= ohh; oh++)
        for (int ow = owl; ow <= owh; ow++) {
            size_t o = base + oh * p.OW + ow;
            if (idx[o] == q && y[o] > 0.f) s += dy[o];
        }
    dyt[t] = s;
}

/* Forward of conv2d, or of conv2d + ReLU + max pool when p is not NULL. */
static void conv_fwd(const nn_conv_desc *d, const nn_pool_desc *p, const float *x,
                     const float *w, const float *b, float *y, int32_t *idx, void *ws) {
    int PP = d->OH * d->OW, Q = d->C * d->K * d->K, OC = d->OC, Bmax = chunk_images(d);
    size_t in_img = (size_t)d->C * d->H * d->W;
    size_t out_img = p ? (size_t)OC * p->OH * p->OW : (size_t)OC * PP;
    for (int b0 = 0; b0 < d->N; b0 += Bmax) {
        int Bc = d->N - b0 < Bmax ? d->N - b0 : Bmax, L = Bc * PP;
        float *col = (float *)ws, *yt = col + (size_t)Q * L;
        im2col(col, x + b0 * in_img, Bc, d);
        /* Yt (OC, L) = W (OC, Q) col (Q, L) */
        nn_cuda_gemm(0, 0, OC, L, Q, 1.f, w, Q, col, L, 0.f, yt, L);
        size_t n = (size_t)Bc * out_img;
        if (p) {
            k_cols_pool<<<cu_blocks(n), CU_THREADS, 0, cu_g.stream>>>(y + b0 * out_img,
                idx + b0 * out_img, yt, b, Bc, OC, *p);
            CU_LAUNCHED("k_cols_pool");
        } else {
            k_cols_to_nchw<<<cu_blocks(n), CU_THREADS, 0, cu_g.stream>>>(y + b0 * out_img, yt, b,
                Bc, OC, PP, d->act, 0.f);
            CU_LAUNCHED("k_cols_to_nchw");
        }
    }
}

/* Backward of either; dw and db are sums over the whole batch: the first chunk
 * overwrites, later ones add. py, idx: the fused forward's pooled output and argmax. */
static void conv_bwd(const nn_conv_desc *d, const nn_pool_desc *p, const float *x,
                     const float *w, const float *py, const int32_t *idx, const float *dy,
                     float *dx, float *dw, float *db, void *ws) {
    int PP = d->OH * d->OW, Q = d->C * d->K * d->K, OC = d->OC, Bmax = chunk_images(d);
    size_t in_img = (size_t)d->C * d->H * d->W;
    size_t out_img = p ? (size_t)OC * p->OH * p->OW : (size_t)OC * PP;
    for (int b0 = 0; b0 < d->N; b0 += Bmax) {
        int Bc = d->N - b0 < Bmax ? d->N - b0 : Bmax, L = Bc * PP;
        float *col = (float *)ws, *dyt = col + (size_t)Q * L, *dcol = dyt + (size_t)OC * L;
        size_t n = (size_t)OC * L;
        if (p) {
            k_unpool_cols<<<cu_blocks(n), CU_THREADS, 0, cu_g.stream>>>(dyt, py + b0 * out_img,
                idx + b0 * out_img, dy + b0 * out_img, Bc, OC, *p);
            CU_LAUNCHED("k_unpool_cols");
        } else {
            k_nchw_to_cols<<<cu_blocks(n), CU_THREADS, 0, cu_g.stream>>>(dyt, dy + b0 * out_img,
                Bc, OC, PP);
            CU_LAUNCHED("k_nchw_to_cols");
        }
        if (b0 == 0) {
            nn_cuda_bias_grad(db, dyt, 1, OC, L);
        } else {
            /* a later chunk's bias sums go to the scratch's tail and are added on */
            float *part = (float *)ws + (size_t)Bmax * per_image_floats(d);
            nn_cuda_bias_grad(part, dyt, 1, OC, L);
            nn_cuda_axpy(OC, 1.f, part, db);
        }
        /* The forward's columns are not kept (the scratch is shared by every layer):
         * recomputing them costs one memory-bound pass. dW (OC, Q) (+)= dYt col^T. */
        im2col(col, x + b0 * in_img, Bc, d);
        if (Q <= SMALL_Q) {
            k_dw_small<<<OC * Q, CU_THREADS, 0, cu_g.stream>>>(dw, dyt, col, Q, (size_t)L, b0 > 0);
            CU_LAUNCHED("k_dw_small");
        } else {
            float *part = (float *)ws + (size_t)Bmax * per_image_floats(d) + OC;
            dw_split(dw, dyt, col, OC, Q, L, part, b0 > 0);
        }
        if (dx) {
            /* dcol (Q, L) = W^T (Q, OC) dYt (OC, L), then gathered into dx */
            nn_cuda_gemm(1, 0, Q, L, OC, 1.f, w, Q, dyt, L, 0.f, dcol, L);
            size_t nx = (size_t)Bc * in_img;
            k_col2im<<<cu_blocks(nx), CU_THREADS, 0, cu_g.stream>>>(dx + b0 * in_img, dcol, Bc,
                d->C, d->H, d->W, d->K, d->stride, d->pad, d->OH, d->OW);
            CU_LAUNCHED("k_col2im");
        }
    }
}

void nn_cuda_conv2d_fwd(const nn_conv_desc *d, const float *x, const float *w, const float *b,
                        float *y, void *ws) {
    conv_fwd(d, NULL, x, w, b, y, NULL, ws);
}

void nn_cuda_conv2d_bwd(const nn_conv_desc *d, const float *x, const float *w, const float *dy,
                        float *dx, float *dw, float *db, void *ws) {
    conv_bwd(d, NULL, x, w, NULL, NULL, dy, dx, dw, db, ws);
}

void nn_cuda_conv_pool_fwd(const nn_conv_desc *c, const nn_pool_desc *p, const float *x,
                           const float *w, const float *b, float *y, int32_t *idx, void *ws) {
    conv_fwd(c, p, x, w, b, y, idx, ws);
}

void nn_cuda_conv_pool_bwd(const nn_conv_desc *c, const nn_pool_desc *p, const float *x,
                           const float *w, const float *y, const int32_t *idx, const float *dy,
                           float *dx, float *dw, float *db, void *ws) {
    conv_bwd(c, p, x, w, y, idx, dy, dx, dw, db, ws);
}
