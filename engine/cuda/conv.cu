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

/* The chunk's scratch, plus OC floats for a later chunk's bias sums. */
size_t nn_cuda_conv2d_ws_bytes(const nn_conv_desc *d) {
    return ((size_t)chunk_images(d) * per_image_floats(d) + d->OC) * sizeof(float);
}

static void im2col(float *col, const float *x, int Bc, const nn_conv_desc *d) {
    size_t n = (size_t)d->C * d->K * d->K * Bc * d->OH * d->OW;
    k_im2col<<<cu_blocks(n), CU_THREADS, 0, cu_g.stream>>>(col, x, Bc, d->C, d->H, d->W, d->K,
                                                           d->stride, d->pad, d->OH, d->OW);
    CU_LAUNCHED("k_im2col");
}

void nn_cuda_conv2d_fwd(const nn_conv_desc *d, const float *x, const float *w, const float *b,
                        float *y, void *ws) {
    int PP = d->OH * d->OW, Q = d->C * d->K * d->K, OC = d->OC, Bmax = chunk_images(d);
    size_t in_img = (size_t)d->C * d->H * d->W, out_img = (size_t)OC * PP;
    for (int b0 = 0; b0 < d->N; b0 += Bmax) {
        int Bc = d->N - b0 < Bmax ? d->N - b0 : Bmax, L = Bc * PP;
        float *col = (float *)ws, *yt = col + (size_t)Q * L;
        im2col(col, x + b0 * in_img, Bc, d);
        /* Yt (OC, L) = W (OC, Q) col (Q, L) */
        nn_cuda_gemm(0, 0, OC, L, Q, 1.f, w, Q, col, L, 0.f, yt, L);
        size_t n = (size_t)Bc * out_img;
        k_cols_to_nchw<<<cu_blocks(n), CU_THREADS, 0, cu_g.stream>>>(y + b0 * out_img, yt, b, Bc,
                                                                     OC, PP, d->act, 0.f);
        CU_LAUNCHED("k_cols_to_nchw");
    }
}

/* dw and db are sums over the whole batch: the first chunk overwrites, later ones add. */
void nn_cuda_conv2d_bwd(const nn_conv_desc *d, const float *x, const float *w, const float *dy,
                        float *dx, float *dw, float *db, void *ws) {
    int PP = d->OH * d->OW, Q = d->C * d->K * d->K, OC = d->OC, Bmax = chunk_images(d);
    size_t in_img = (size_t)d->C * d->H * d->W, out_img = (size_t)OC * PP;
    for (int b0 = 0; b0 < d->N; b0 += Bmax) {
        int Bc = d->N - b0 < Bmax ? d->N - b0 : Bmax, L = Bc * PP;
        float *col = (float *)ws, *dyt = col + (size_t)Q * L, *dcol = dyt + (size_t)OC * L;
        size_t n = (size_t)Bc * out_img;
        k_nchw_to_cols<<<cu_blocks(n), CU_THREADS, 0, cu_g.stream>>>(dyt, dy + b0 * out_img, Bc,
                                                                     OC, PP);
        CU_LAUNCHED("k_nchw_to_cols");
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
        nn_cuda_gemm(0, 1, OC, Q, L, 1.f, dyt, L, col, L, b0 ? 1.f : 0.f, dw, Q);
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
