/* cpu_conv.c: CPU convolution (Winograd F(2x2, 3x3) for 3x3 "same" convolutions with
 * several input channels, im2col + sgemm otherwise, per image) and pooling, forward and
 * backward, and the fused conv + ReLU + max pool of the CNN, split over the batch on the
 * engine's threads. Not linear layers or activations (cpu_ops.c), nor the Winograd
 * transforms themselves (cpu_winograd.c).
 *
 * Why per image: one image's im2col columns or Winograd tiles (at most a few hundred KB
 * here) stay in L2 between the transform, the GEMMs and the pooling, and the per-image
 * GEMMs (e.g. 64x196x288, or Winograd's 16 of 64x49x32) run near OpenBLAS's best rate;
 * threads take whole images, so nothing is shared.
 *
 * Letters: N batch, C input channels, H W input size, OC output channels, K kernel,
 * OH OW output size, P = OH*OW output pixels, CKK = C*K*K (one im2col column). */
#include <string.h>

#include "engine/cpu/cpu.h"

/* Branch-free selects and vectorised fills need O3; each hot function is also compiled
 * for AVX-512/AVX2 and chosen at load time (GCC function multi-versioning). */
#pragma GCC optimize("O3")

/* The batch is cut into more tasks than threads, so that when the machine is busy and
 * one thread stalls, the others take its remaining images. Scratch is per thread: cols
 * (CKK, P) and dcols (CKK, P), or two Winograd buffers, then one conv output (OC, P) for
 * the fused pooling; weight and bias gradients are partial sums per task, (OC, CKK) or
 * Winograd's (16, OC, C), + (OC), added in task order, so a result does not depend on
 * which thread ran which task. */
#define TASKS_PER_THREAD 4

static size_t align16(size_t n) { return (n + 15) / 16 * 16; }   /* 64-byte blocks */

/* 3x3 "same" convolutions with more than one input channel go through Winograd
 * F(2x2, 3x3) (cpu_winograd.c); a single input channel (a first layer) gains nothing. */
static int use_wino(const nn_conv_desc *d) {
    return d->K == 3 && d->stride == 1 && d->pad == 1 && d->OH == d->H && d->OW == d->W &&
           d->C >= 2;
}

/* Winograd sizes: T tiles per image; a per-thread buffer holds 16 transformed planes of
 * max(C, OC) channels. */
static size_t wino_tiles(const nn_conv_desc *d) {
    return (size_t)((d->H + 1) / 2) * ((d->W + 1) / 2);
}

static size_t wino_buf_floats(const nn_conv_desc *d) {
    size_t ch = d->C > d->OC ? (size_t)d->C : (size_t)d->OC;
    return align16(16 * ch * wino_tiles(d));
}

/* Per thread: two im2col buffers, or two Winograd buffers and the padded plane; then one
 * conv output (OC, P) for the fused pooling. */
static size_t scratch_floats(const nn_conv_desc *d) {
    size_t ckk = (size_t)d->C * d->K * d->K, p = (size_t)d->OH * d->OW;
    if (use_wino(d)) return 2 * wino_buf_floats(d) + align16(cpu_wino_scratch_floats(d->H, d->W));
    return align16(2 * ckk * p);
}

static size_t thread_floats(const nn_conv_desc *d) {
    return scratch_floats(d) + align16((size_t)d->OC * d->OH * d->OW);
}

/* The transformed weights U and the flipped ones for the data gradient, shared. */
static size_t wino_weight_floats(const nn_conv_desc *d) {
    return use_wino(d) ? align16(2 * 16 * (size_t)d->OC * d->C) : 0;
}

/* A task's partial weight gradient (dw, or Winograd's dU) comes first, then db. */
static size_t part_w_floats(const nn_conv_desc *d) {
    if (use_wino(d)) return 16 * (size_t)d->OC * d->C;
    return (size_t)d->OC * d->C * d->K * d->K;
}

static size_t part_floats(const nn_conv_desc *d) {
    return align16(part_w_floats(d) + d->OC);
}

static int conv_tasks(const nn_conv_desc *d, int threads) {
    int t = threads == 1 ? 1 : TASKS_PER_THREAD * threads;
    return t < d->N ? t : d->N;
}

size_t cpu_conv2d_ws_bytes(const nn_conv_desc *d, int threads) {
    if (threads < 1) threads = 1;
    return ((size_t)threads * thread_floats(d) + wino_weight_floats(d) +
            (size_t)TASKS_PER_THREAD * threads * part_floats(d)) * sizeof(float);
}

size_t cpu_conv_pool_ws_bytes(const nn_conv_desc *c, const nn_pool_desc *p, int threads) {
    (void)p;
    return cpu_conv2d_ws_bytes(c, threads);
}

/* A "same" convolution (stride 1, output as large as the input): each im2col row is the
 * input plane shifted by dh rows and dw columns, i.e. by a constant in flat index, so one
 * contiguous copy per row plus zeroed borders replaces OH short copies. same_range gives
 * the flat range [lo, hi) of the row that maps inside the plane (rows oh with ih = oh + dh
 * inside; the entries left out are padding); in it, the dw columns at one side of each
 * output row wrap into the neighbouring input row and are padding too (zero_wrapped). */
static inline void same_range(int H, int W, int dh, int dw, int *lo, int *hi) {
    int P = H * W, shift = dh * W + dw;
    *lo = dh < 0 ? -dh * W : 0;
    *hi = dh > 0 ? (H - dh) * W : P;
    if (*lo < -shift) *lo = -shift;
    if (*hi > P - shift) *hi = P - shift;
}

static inline void zero_wrapped(float *r, int H, int W, int dw) {
    if (dw < 0)
        for (int oh = 0; oh < H; oh++)
            for (int ow = 0; ow < -dw; ow++) r[oh * W + ow] = 0;
    if (dw > 0)
        for (int oh = 0; oh < H; oh++)
            for (int ow = W - dw; ow < W; ow++) r[oh * W + ow] = 0;
}

HOT static void im2col_same(const nn_conv_desc *d, const float *x, float *cols) {
    int K = d->K, pad = d->pad, H = d->H, W = d->W;
    int P = H * W;
    for (int c = 0; c < d->C; c++)
        for (int kh = 0; kh < K; kh++)
            for (int kw = 0; kw < K; kw++) {
                float       *r  = cols + ((size_t)(c * K + kh) * K + kw) * P;
                const float *xp = x + (size_t)c * P;
                int dh = kh - pad, dw = kw - pad, shift = dh * W + dw, lo, hi;
                same_range(H, W, dh, dw, &lo, &hi);
                /* one copy, then the entries that wrapped are zeroed */
                memset(r, 0, (size_t)lo * sizeof *r);
                memcpy(r + lo, xp + lo + shift, (size_t)(hi - lo) * sizeof *r);
                memset(r + hi, 0, (size_t)(P - hi) * sizeof *r);
                zero_wrapped(r, H, W, dw);
            }
}

/* cols (CKK, P) from one image x (C, H, W). */
HOT static void im2col(const nn_conv_desc *d, const float *x, float *cols) {
    int K = d->K, S = d->stride, pad = d->pad, H = d->H, W = d->W, OH = d->OH, OW = d->OW;
    if (S == 1 && OH == H && OW == W && 2 * pad == K - 1) { im2col_same(d, x, cols); return; }
    for (int c = 0; c < d->C; c++)
        for (int kh = 0; kh < K; kh++)
            for (int kw = 0; kw < K; kw++) {
                float *row = cols + ((size_t)(c * K + kh) * K + kw) * OH * OW;
                for (int oh = 0; oh < OH; oh++) {
                    float *r  = row + oh * OW;
                    int    ih = oh * S - pad + kh;
                    if (ih < 0 || ih >= H) { memset(r, 0, OW * sizeof *r); continue; }
                    const float *xr = x + ((size_t)c * H + ih) * W;
                    if (S == 1) {
                        int lo = pad - kw > 0 ? pad - kw : 0;
                        int hi = W + pad - kw < OW ? W + pad - kw : OW;
                        if (hi < lo) hi = lo;
                        const float *xs = xr - pad + kw;
                        for (int ow = 0; ow < lo; ow++) r[ow] = 0;
                        for (int ow = lo; ow < hi; ow++) r[ow] = xs[ow];   /* short rows: no memcpy call */
                        for (int ow = hi; ow < OW; ow++) r[ow] = 0;
                    } else {
                        for (int ow = 0; ow < OW; ow++) {
                            int iw = ow * S - pad + kw;
                            r[ow] = iw >= 0 && iw < W ? xr[iw] : 0.0f;
                        }
                    }
                }
            }
}

/* col2im for a "same" convolution: zero the entries of each dcols row that stand for
 * padding columns (dcols is scratch), then one flat add of the row into the shifted
 * plane, the mirror of im2col_same. */
HOT static void col2im_same(const nn_conv_desc *d, float *dcols, float *dx) {
    int K = d->K, pad = d->pad, H = d->H, W = d->W, P = H * W;
    for (int c = 0; c < d->C; c++)
        for (int kh = 0; kh < K; kh++)
            for (int kw = 0; kw < K; kw++) {
                float *r  = dcols + ((size_t)(c * K + kh) * K + kw) * P;
                float *xp = dx + (size_t)c * P;
                int dh = kh - pad, dw = kw - pad, shift = dh * W + dw, lo, hi;
                zero_wrapped(r, H, W, dw);
                same_range(H, W, dh, dw, &lo, &hi);    /* only zeroed entries fall outside */
                float *xs = xp + shift;
                for (int i = lo; i < hi; i++) xs[i] += r[i];
            }
}

/* dx (C, H, W) += col2im(dcols (CKK, P)); dx must be zeroed by the caller; dcols may be
 * clobbered. */
HOT static void col2im(const nn_conv_desc *d, float *dcols, float *dx) {
    int K = d->K, S = d->stride, pad = d->pad, H = d->H, W = d->W, OH = d->OH, OW = d->OW;
    if (S == 1 && OH == H && OW == W && 2 * pad == K - 1) { col2im_same(d, dcols, dx); return; }
    for (int c = 0; c < d->C; c++)
        for (int kh = 0; kh < K; kh++)
            for (int kw = 0; kw < K; kw++) {
                const float *row = dcols + ((size_t)(c * K + kh) * K + kw) * OH * OW;
                for (int oh = 0; oh < OH; oh++) {
                    int ih = oh * S - pad + kh;
                    if (ih < 0 || ih >= H) continue;
                    const float *r  = row + oh * OW;
                    float       *xr = dx + ((size_t)c * H + ih) * W;
                    if (S == 1) {
                        int lo = pad - kw > 0 ? pad - kw : 0;
                        int hi = W + pad - kw < OW ? W + pad - kw : OW;
                        float *xs = xr - pad + kw;
                        for (int ow = lo; ow < hi; ow++) xs[ow] += r[ow];
                        continue;
                    }
                    for (int ow = 0; ow < OW; ow++) {
                        int iw = ow * S - pad + kw;
                        if (iw >= 0 && iw < W) xr[iw] += r[ow];
                    }
                }
            }
}

/* ---------------------------------------------------------------- pooling planes */

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/* 2x2 stride-2 max pool of one plane, 16 outputs a step: even and odd columns of two
 * input rows are separated with permutes, compared with masks; the same results and
 * tie-breaking (first maximum in a, b, c, e order) as the scalar loop below. */
__attribute__((target("avx512f")))
static void maxpool2x2_avx512(const float *x, int W, int OH, int OW, float *y, int32_t *idx,
                              float bias, int relu) {
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i odd  = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    const __m512i lane2 = _mm512_slli_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6,
                                                             5, 4, 3, 2, 1, 0), 1);
    const __m512 vb = _mm512_set1_ps(bias), zero = _mm512_setzero_ps();
    for (int oh = 0; oh < OH; oh++) {
        const float *r0 = x + 2 * oh * W, *r1 = r0 + W;
        for (int ow = 0; ow < OW; ow += 16) {
            int       n = OW - ow < 16 ? OW - ow : 16, in = 2 * n;
            __mmask16 m0 = cpu_lanes(in), m1 = cpu_lanes(in - 16), mo = cpu_lanes(n);
            const float *p0 = r0 + 2 * ow, *p1 = r1 + 2 * ow;
            __m512 lo0 = _mm512_maskz_loadu_ps(m0, p0), hi0 = _mm512_maskz_loadu_ps(m1, p0 + 16);
            __m512 lo1 = _mm512_maskz_loadu_ps(m0, p1), hi1 = _mm512_maskz_loadu_ps(m1, p1 + 16);
            __m512 a = _mm512_permutex2var_ps(lo0, even, hi0), b = _mm512_permutex2var_ps(lo0, odd, hi0);
            __m512 c = _mm512_permutex2var_ps(lo1, even, hi1), e = _mm512_permutex2var_ps(lo1, odd, hi1);
            __m512i i0 = _mm512_add_epi32(_mm512_set1_epi32(2 * oh * W + 2 * ow), lane2);
            __m512  m = a;
            __m512i mi = i0;
            __mmask16 k = _mm512_cmp_ps_mask(b, m, _CMP_GT_OQ);
            m = _mm512_mask_blend_ps(k, m, b);
            mi = _mm512_mask_blend_epi32(k, mi, _mm512_add_epi32(i0, _mm512_set1_epi32(1)));
            k = _mm512_cmp_ps_mask(c, m, _CMP_GT_OQ);
            m = _mm512_mask_blend_ps(k, m, c);
            mi = _mm512_mask_blend_epi32(k, mi, _mm512_add_epi32(i0, _mm512_set1_epi32(W)));
            k = _mm512_cmp_ps_mask(e, m, _CMP_GT_OQ);
            m = _mm512_mask_blend_ps(k, m, e);
            mi = _mm512_mask_blend_epi32(k, mi, _mm512_add_epi32(i0, _mm512_set1_epi32(W + 1)));
            m = _mm512_add_ps(m, vb);
            if (relu) m = _mm512_max_ps(m, zero);
            _mm512_mask_storeu_ps(y + oh * OW + ow, mo, m);
            if (idx) _mm512_mask_storeu_epi32(idx + oh * OW + ow, mo, mi);
        }
    }
}
#endif

/* Max pool of one plane x (H, W) into y (OH, OW) with argmax idx (may be NULL), plus a
 * per-plane bias (max(x) + b = max(x + b): the conv bias is added after pooling, on 4x
 * fewer values); relu nonzero clamps at 0 (max and ReLU commute). Selects, not
 * branches: the comparisons are data-dependent and would mispredict half the time. */
HOT static void maxpool_plane(const nn_pool_desc *d, const float *x, float *y, int32_t *idx,
                              float bias, int relu) {
    int H = d->H, W = d->W, OH = d->OH, OW = d->OW, S = d->stride, pad = d->pad;
    if (d->kh == 2 && d->kw == 2 && S == 2 && pad == 0) {
#if defined(__x86_64__) && defined(__GNUC__)
        if (cpu_have_avx512()) { maxpool2x2_avx512(x, W, OH, OW, y, idx, bias, relu); return; }
#endif
        for (int oh = 0; oh < OH; oh++) {
            const float *r0 = x + 2 * oh * W, *r1 = r0 + W;
            float       *yr = y + oh * OW;
            int32_t     *ir = idx ? idx + oh * OW : NULL;
            for (int ow = 0; ow < OW; ow++) {
                int   i0 = 2 * oh * W + 2 * ow;
                float a = r0[2 * ow], b = r0[2 * ow + 1], c = r1[2 * ow], e = r1[2 * ow + 1];
                float m = a;
                int   mi = i0;
                mi = b > m ? i0 + 1 : mi;     m = b > m ? b : m;
                mi = c > m ? i0 + W : mi;     m = c > m ? c : m;
                mi = e > m ? i0 + W + 1 : mi; m = e > m ? e : m;
                m += bias;
                yr[ow] = relu && m < 0 ? 0.0f : m;
                if (ir) ir[ow] = mi;
            }
        }
        return;
    }
    for (int oh = 0; oh < OH; oh++)
        for (int ow = 0; ow < OW; ow++) {
            float m = 0;
            int   mi = -1;
            for (int kh = 0; kh < d->kh; kh++) {
                int ih = oh * S - pad + kh;
                if (ih < 0 || ih >= H) continue;
                for (int kw = 0; kw < d->kw; kw++) {
                    int iw = ow * S - pad + kw;
                    if (iw < 0 || iw >= W) continue;
                    float v = x[ih * W + iw];
                    if (mi < 0 || v > m) { m = v; mi = ih * W + iw; }
                }
            }
            m += bias;
            y[oh * OW + ow] = relu && m < 0 ? 0.0f : m;
            if (idx) idx[oh * OW + ow] = mi;
        }
}

/* ---------------------------------------------------------------- batch-parallel driver */

typedef struct conv_job {
    const nn_conv_desc *d;
    const nn_pool_desc *pool;       /* fused max pool, or NULL */
    const float        *x, *w, *b, *dy, *py;
    float              *y, *dx, *dw, *db;
    int32_t            *idx;
    const int32_t      *cidx;
    float              *ws;         /* per-thread scratch */
    float              *U, *Uflip;  /* Winograd weights, or NULL */
    float              *parts_ws;   /* per-task partial weight and bias gradients */
    int                 parts;
} conv_job;

HOT static void add_bias_relu(float *y, const float *b, int OC, size_t P, int relu) {
    for (int oc = 0; oc < OC; oc++) {
        float *yo = y + oc * P, bv = b[oc];
        if (relu) for (size_t i = 0; i < P; i++) { float v = yo[i] + bv; yo[i] = v > 0 ? v : 0; }
        else      for (size_t i = 0; i < P; i++) yo[i] += bv;
    }
}

/* y (OC, H, W) = the "same" 3x3 convolution of x (C, H, W) through Winograd, with U the
 * transformed weights [16][OC][C]; V and M are Winograd buffers, pp the padded plane. */
static void wino_conv(int C, int OC, int H, int W, const float *U, const float *x, float *V,
                      float *M, float *pp, float *y) {
    int T = (H + 1) / 2 * ((W + 1) / 2);
    cpu_wino_input(x, C, H, W, V, pp);
    for (int xi = 0; xi < 16; xi++)    /* M[xi] (OC, T) = U[xi] (OC, C) . V[xi] (C, T) */
        cpu_gemm1(0, 0, OC, T, C, 1.0f, U + (size_t)xi * OC * C, C, V + (size_t)xi * C * T, T,
                  0.0f, M + (size_t)xi * OC * T, T);
    cpu_wino_output(M, OC, H, W, y);
}

static void fwd_task(void *ctx, int task, int thread) {
    const conv_job     *j = ctx;
    const nn_conv_desc *d = j->d;
    size_t ckk = (size_t)d->C * d->K * d->K, P = (size_t)d->OH * d->OW;
    size_t in_sz = (size_t)d->C * d->H * d->W, out_sz = (size_t)d->OC * P;
    float *cols  = j->ws + thread * thread_floats(d);
    float *plane = cols + scratch_floats(d);
    int    pointwise = d->K == 1 && d->stride == 1 && d->pad == 0;
    int    lo, hi;
    cpu_split(d->N, j->parts, task, &lo, &hi);
    for (int n = lo; n < hi; n++) {
        const float *x = j->x + n * in_sz;
        float       *y = j->pool ? plane : j->y + n * out_sz;
        if (j->U) {
            float *M = cols + wino_buf_floats(d);
            wino_conv(d->C, d->OC, d->H, d->W, j->U, x, cols, M, M + wino_buf_floats(d), y);
        } else {
            const float *src = x;
            if (!pointwise) { im2col(d, x, cols); src = cols; }
            /* y (OC, P) = w (OC, CKK) . cols (CKK, P); then + b, ReLU */
            cpu_gemm1(0, 0, d->OC, (int)P, (int)ckk, 1.0f, j->w, (int)ckk, src, (int)P, 0.0f,
                      y, (int)P);
        }
        if (j->pool) {
            const nn_pool_desc *p = j->pool;
            size_t po = (size_t)p->OH * p->OW;
            for (int oc = 0; oc < d->OC; oc++) {
                size_t k = ((size_t)n * d->OC + oc) * po;
                maxpool_plane(p, y + oc * P, j->y + k, j->idx + k, j->b[oc], 1);
            }
        } else {
            add_bias_relu(y, j->b, d->OC, P, d->act == NN_ACT_RELU);
        }
    }
}

static void wino_weights_task(void *ctx, int task, int thread) {
    (void)thread;
    const conv_job *j = ctx;
    int lo, hi;
    cpu_split(j->d->OC, j->parts, task, &lo, &hi);
    cpu_wino_weights(j->w, j->d->OC, j->d->C, lo, hi, j->U, j->Uflip);
}

/* j->U (and j->Uflip when set) from j->w, split by output channel over the threads; the
 * caller's task count is restored. */
static void wino_weights(conv_job *j, int threads) {
    int parts = j->parts;
    j->parts = threads < j->d->OC ? threads : j->d->OC;
    nn_parallel_for(j->parts, wino_weights_task, j);
    j->parts = parts;
}

/* Lays j->ws out as cpu_conv2d_ws_bytes counts it (per-thread scratch, the Winograd
 * weights, the per-task partial gradients), sets the task count and, for Winograd,
 * transforms the weights (and the flipped ones when flip). Returns the thread count. */
static int conv_begin(conv_job *j, int flip) {
    const nn_conv_desc *d = j->d;
    int    threads = nn_get_threads();
    float *shared = j->ws + (size_t)threads * thread_floats(d);
    j->parts = conv_tasks(d, threads);
    j->parts_ws = shared + wino_weight_floats(d);
    if (use_wino(d)) {
        j->U = shared;
        j->Uflip = flip ? shared + 16 * (size_t)d->OC * d->C : NULL;
        wino_weights(j, threads);
    }
    return threads;
}

static void conv_forward(conv_job *j) {
    conv_begin(j, 0);
    nn_parallel_for(j->parts, fwd_task, (void *)j);
}

void cpu_conv2d_fwd(const nn_conv_desc *d, const float *x, const float *w, const float *b,
                    float *y, void *ws) {
    conv_job j = { .d = d, .x = x, .w = w, .b = b, .y = y, .ws = ws };
    conv_forward(&j);
}

void cpu_conv_pool_fwd(const nn_conv_desc *c, const nn_pool_desc *p, const float *x,
                       const float *w, const float *b, float *y, int32_t *idx, void *ws) {
    conv_job j = { .d = c, .pool = p, .x = x, .w = w, .b = b, .y = y, .idx = idx, .ws = ws };
    conv_forward(&j);
}

/* dconv (OC, P) of one image from the pooled gradient: zero, then each pooled gradient
 * goes to its argmax where the pooled output was positive (the ReLU mask). The bias
 * gradient, the sum of dconv per channel, is the sum of what was scattered. */
#if defined(__x86_64__) && defined(__GNUC__)
/* The 2x2 stride-2 case when the windows tile the plane exactly: every conv output gets
 * written once, the gradient where it was the window's argmax, zero elsewhere, so the
 * plane needs no zero fill and no scatter; 16 windows a step, rows rebuilt from the four
 * window positions with interleaving permutes. */
__attribute__((target("avx512f")))
static void unpool2x2_relu_avx512(const nn_pool_desc *p, int OC, const float *py,
                                  const int32_t *idx, const float *pdy, float *dconv, float *db) {
    int    W = p->W, OH = p->OH, OW = p->OW;
    size_t po = (size_t)OH * OW, P = (size_t)p->H * W;
    const __m512i il = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    const __m512i ih = _mm512_add_epi32(il, _mm512_set1_epi32(8));
    const __m512i lane2 = _mm512_slli_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6,
                                                             5, 4, 3, 2, 1, 0), 1);
    const __m512  zero = _mm512_setzero_ps();
    for (int oc = 0; oc < OC; oc++) {
        const float   *yy = py + oc * po, *gg = pdy + oc * po;
        const int32_t *ii = idx + oc * po;
        float         *dc = dconv + oc * P;
        __m512         s = zero;
        for (int oh = 0; oh < OH; oh++) {
            float *r0 = dc + (size_t)2 * oh * W, *r1 = r0 + W;
            for (int ow = 0; ow < OW; ow += 16) {
                int       n = OW - ow < 16 ? OW - ow : 16, k = oh * OW + ow;
                __mmask16 mo = cpu_lanes(n), m0 = cpu_lanes(2 * n), m1 = cpu_lanes(2 * n - 16);
                __m512  y = _mm512_maskz_loadu_ps(mo, yy + k), g = _mm512_maskz_loadu_ps(mo, gg + k);
                __m512i at = _mm512_maskz_loadu_epi32(mo, ii + k);
                g = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(y, zero, _CMP_GT_OQ), g);
                s = _mm512_add_ps(s, g);
                __m512i i0 = _mm512_add_epi32(_mm512_set1_epi32(2 * oh * W + 2 * ow), lane2);
                __m512  a = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(at, i0), g);
                __m512  b = _mm512_maskz_mov_ps(
                    _mm512_cmpeq_epi32_mask(at, _mm512_add_epi32(i0, _mm512_set1_epi32(1))), g);
                __m512  c = _mm512_maskz_mov_ps(
                    _mm512_cmpeq_epi32_mask(at, _mm512_add_epi32(i0, _mm512_set1_epi32(W))), g);
                __m512  e = _mm512_maskz_mov_ps(
                    _mm512_cmpeq_epi32_mask(at, _mm512_add_epi32(i0, _mm512_set1_epi32(W + 1))), g);
                _mm512_mask_storeu_ps(r0 + 2 * ow, m0, _mm512_permutex2var_ps(a, il, b));
                _mm512_mask_storeu_ps(r0 + 2 * ow + 16, m1, _mm512_permutex2var_ps(a, ih, b));
                _mm512_mask_storeu_ps(r1 + 2 * ow, m0, _mm512_permutex2var_ps(c, il, e));
                _mm512_mask_storeu_ps(r1 + 2 * ow + 16, m1, _mm512_permutex2var_ps(c, ih, e));
            }
        }
        db[oc] += _mm512_reduce_add_ps(s);
    }
}
#endif

HOT static void unpool_relu(const nn_pool_desc *p, int OC, size_t P, const float *py,
                            const int32_t *idx, const float *pdy, float *dconv, float *db) {
    size_t po = (size_t)p->OH * p->OW;
#if defined(__x86_64__) && defined(__GNUC__)
    if (cpu_have_avx512() && p->kh == 2 && p->kw == 2 && p->stride == 2 && p->pad == 0 &&
        p->H == 2 * p->OH && p->W == 2 * p->OW) {
        unpool2x2_relu_avx512(p, OC, py, idx, pdy, dconv, db);
        return;
    }
#endif
    memset(dconv, 0, (size_t)OC * P * sizeof *dconv);
    for (int oc = 0; oc < OC; oc++) {
        const float   *yy = py + oc * po, *gg = pdy + oc * po;
        const int32_t *ii = idx + oc * po;
        float         *dc = dconv + oc * P, s = 0;
        for (size_t k = 0; k < po; k++) {
            float g = yy[k] > 0 ? gg[k] : 0.0f;
            dc[ii[k]] += g;
            s += g;
        }
        db[oc] += s;
    }
}

HOT static void row_sums_add(const float *dy, int OC, size_t P, float *db) {
    for (int oc = 0; oc < OC; oc++) {
        const float *r = dy + oc * P;
        float        s = 0;
        for (size_t i = 0; i < P; i++) s += r[i];
        db[oc] += s;
    }
}

/* One image's Winograd backward: dU (16, OC, C) += sum over tiles of the transformed
 * gradient times the transformed input; dx = the "same" convolution of dy with the
 * flipped weights (Uflip), when dx is wanted. */
static void wino_bwd(const nn_conv_desc *d, const conv_job *j, const float *x,
                     const float *dy, float *dx, float *buf, float *dU) {
    int    C = d->C, OC = d->OC, H = d->H, W = d->W, T = (int)wino_tiles(d);
    float *V = buf, *D = buf + wino_buf_floats(d), *pp = D + wino_buf_floats(d);
    cpu_wino_input(x, C, H, W, V, pp);
    cpu_wino_grad(dy, OC, H, W, D);
    for (int xi = 0; xi < 16; xi++)    /* dU[xi] (OC, C) += D[xi] (OC, T) . V[xi]^T (T, C) */
        cpu_gemm1(0, 1, OC, C, T, 1.0f, D + (size_t)xi * OC * T, T, V + (size_t)xi * C * T, T,
                  1.0f, dU + (size_t)xi * OC * C, C);
    if (dx) wino_conv(OC, C, H, W, j->Uflip, dy, V, D, pp, dx);
}

static void bwd_task(void *ctx, int task, int thread) {
    const conv_job     *j = ctx;
    const nn_conv_desc *d = j->d;
    size_t ckk = (size_t)d->C * d->K * d->K, P = (size_t)d->OH * d->OW;
    size_t in_sz = (size_t)d->C * d->H * d->W, out_sz = (size_t)d->OC * P;
    float *cols  = j->ws + thread * thread_floats(d);
    float *dcols = cols + ckk * P;
    float *plane = cols + scratch_floats(d);
    /* this task's partial sums, added up by the caller */
    float *dw    = j->parts_ws + task * part_floats(d);
    float *db    = dw + part_w_floats(d);
    int    pointwise = d->K == 1 && d->stride == 1 && d->pad == 0;
    int    lo, hi;
    cpu_split(d->N, j->parts, task, &lo, &hi);
    memset(dw, 0, (part_w_floats(d) + d->OC) * sizeof *dw);
    for (int n = lo; n < hi; n++) {
        const float *x  = j->x + n * in_sz;
        const float *dy = j->dy + n * out_sz;
        float       *dx = j->dx ? j->dx + n * in_sz : NULL;
        if (j->pool) {
            size_t po = (size_t)j->pool->OH * j->pool->OW * d->OC;
            /* db gets the sum of what is scattered */
            unpool_relu(j->pool, d->OC, P, j->py + n * po, j->cidx + n * po, j->dy + n * po,
                        plane, db);
            dy = plane;
        } else {
            row_sums_add(dy, d->OC, P, db);
        }
        if (j->U) {
            wino_bwd(d, j, x, dy, dx, cols, dw);
            continue;
        }
        const float *src = x;
        if (!pointwise) { im2col(d, x, cols); src = cols; }
        /* dw (OC, CKK) += dy (OC, P) . cols^T (P, CKK) */
        cpu_gemm1(0, 1, d->OC, (int)ckk, (int)P, 1.0f, dy, (int)P, src, (int)P, 1.0f, dw,
                  (int)ckk);
        if (dx) {
            /* dcols (CKK, P) = w^T (CKK, OC) . dy (OC, P); then scattered back */
            float *dst = pointwise ? dx : dcols;
            cpu_gemm1(1, 0, (int)ckk, (int)P, d->OC, 1.0f, j->w, (int)ckk, dy, (int)P, 0.0f,
                      dst, (int)P);
            if (!pointwise) {
                memset(dx, 0, in_sz * sizeof *dx);
                col2im(d, dcols, dx);
            }
        }
    }
}

/* Adds the tasks' partial weight gradients, output channels split over the threads.
 * Every element is summed in task order, whatever the split: the same result for the
 * same thread count. Winograd's sums (dU, in place in part 0) then become dw; the
 * transform is linear, so once per call is enough. */
typedef struct sum_job {
    conv_job *j;
    int       chunks;
} sum_job;

static void sum_task(void *ctx, int task, int thread) {
    (void)thread;
    const sum_job      *sj = ctx;
    const conv_job     *j = sj->j;
    const nn_conv_desc *d = j->d;
    int    lo, hi;
    cpu_split(d->OC, sj->chunks, task, &lo, &hi);
    /* rows [lo, hi) of each block: dU has 16 blocks (OC, C), dw one (OC, C K K) */
    int    blocks = j->U ? 16 : 1;
    size_t row = j->U ? (size_t)d->C : (size_t)d->C * d->K * d->K;
    float *acc = j->U ? j->parts_ws : j->dw;
    for (int bl = 0; bl < blocks; bl++) {
        size_t off = (size_t)bl * d->OC * row + (size_t)lo * row, n = (size_t)(hi - lo) * row;
        float *a = acc + off;
        for (int t = 0; t < j->parts; t++) {
            const float *pw = j->parts_ws + t * part_floats(d) + off;
            if (t == 0) { if (a != pw) memcpy(a, pw, n * sizeof *a); continue; }
            for (size_t i = 0; i < n; i++) a[i] += pw[i];
        }
    }
    if (j->U) cpu_wino_wgrad_finish(acc, d->OC, d->C, lo, hi, j->dw);
}

static void conv_backward(conv_job *j) {
    const nn_conv_desc *d = j->d;
    int threads = conv_begin(j, j->dx != NULL);   /* only dx needs the flipped weights */
    nn_parallel_for(j->parts, bwd_task, j);
    for (int t = 0; t < j->parts; t++) {
        const float *pb = j->parts_ws + t * part_floats(d) + part_w_floats(d);
        for (int i = 0; i < d->OC; i++) j->db[i] = t ? j->db[i] + pb[i] : pb[i];
    }
    sum_job sj = { j, threads < d->OC ? threads : d->OC };
    nn_parallel_for(sj.chunks, sum_task, &sj);
}

void cpu_conv2d_bwd(const nn_conv_desc *d, const float *x, const float *w, const float *dy,
                    float *dx, float *dw, float *db, void *ws) {
    conv_job j = { .d = d, .x = x, .w = w, .dy = dy, .dx = dx, .dw = dw, .db = db, .ws = ws };
    conv_backward(&j);
}

void cpu_conv_pool_bwd(const nn_conv_desc *c, const nn_pool_desc *p, const float *x,
                       const float *w, const float *y, const int32_t *idx, const float *dy,
                       float *dx, float *dw, float *db, void *ws) {
    conv_job j = { .d = c, .pool = p, .x = x, .w = w, .py = y, .cidx = idx, .dy = dy, .dx = dx,
                   .dw = dw, .db = db, .ws = ws };
    conv_backward(&j);
}

/* ---------------------------------------------------------------- pooling */

typedef struct pool_job {
    const nn_pool_desc *d;
    const float        *x, *dy;
    float              *y, *dx;
    int32_t            *idx;
    const int32_t      *cidx;
    int                 parts;
} pool_job;

static void maxpool_fwd_task(void *ctx, int task, int thread) {
    (void)thread;
    const pool_job     *j = ctx;
    const nn_pool_desc *d = j->d;
    size_t in_sz = (size_t)d->H * d->W, out_sz = (size_t)d->OH * d->OW;
    int    lo, hi;
    cpu_split(d->N * d->C, j->parts, task, &lo, &hi);
    for (int pl = lo; pl < hi; pl++)
        maxpool_plane(d, j->x + pl * in_sz, j->y + pl * out_sz,
                      j->idx ? j->idx + pl * out_sz : NULL, 0.0f, 0);
}

static int pool_parts(const nn_pool_desc *d) {
    int t = nn_get_threads(), planes = d->N * d->C;
    return (size_t)planes * d->H * d->W < 32768 ? 1 : t < planes ? t : planes;
}

void cpu_maxpool_fwd(const nn_pool_desc *d, const float *x, float *y, int32_t *idx) {
    pool_job j = { .d = d, .x = x, .y = y, .idx = idx, .parts = pool_parts(d) };
    nn_parallel_for(j.parts, maxpool_fwd_task, &j);
}

static void maxpool_bwd_task(void *ctx, int task, int thread) {
    (void)thread;
    const pool_job     *j = ctx;
    const nn_pool_desc *d = j->d;
    size_t in_sz = (size_t)d->H * d->W, out_sz = (size_t)d->OH * d->OW;
    int    lo, hi;
    cpu_split(d->N * d->C, j->parts, task, &lo, &hi);
    memset(j->dx + lo * in_sz, 0, (size_t)(hi - lo) * in_sz * sizeof(float));
    for (int pl = lo; pl < hi; pl++) {
        float         *dx  = j->dx + pl * in_sz;
        const float   *dy  = j->dy + pl * out_sz;
        const int32_t *idx = j->cidx + pl * out_sz;
        for (size_t i = 0; i < out_sz; i++) dx[idx[i]] += dy[i];
    }
}

void cpu_maxpool_bwd(const nn_pool_desc *d, const float *dy, const int32_t *idx, float *dx) {
    pool_job j = { .d = d, .dy = dy, .dx = dx, .cidx = idx, .parts = pool_parts(d) };
    nn_parallel_for(j.parts, maxpool_bwd_task, &j);
}

static void avgpool_fwd_task(void *ctx, int task, int thread) {
    (void)thread;
    const pool_job     *j = ctx;
    const nn_pool_desc *d = j->d;
    int   H = d->H, W = d->W, OH = d->OH, OW = d->OW, S = d->stride, pad = d->pad;
    float inv = 1.0f / (float)(d->kh * d->kw);
    int   lo, hi;
    cpu_split(d->N * d->C, j->parts, task, &lo, &hi);
    for (int pl = lo; pl < hi; pl++) {
        const float *x = j->x + (size_t)pl * H * W;
        float       *y = j->y + (size_t)pl * OH * OW;
        for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++) {
                float s = 0;
                for (int kh = 0; kh < d->kh; kh++) {
                    int ih = oh * S - pad + kh;
                    if (ih < 0 || ih >= H) continue;
                    for (int kw = 0; kw < d->kw; kw++) {
                        int iw = ow * S - pad + kw;
                        if (iw >= 0 && iw < W) s += x[ih * W + iw];
                    }
                }
                y[oh * OW + ow] = s * inv;
            }
    }
}

void cpu_avgpool_fwd(const nn_pool_desc *d, const float *x, float *y) {
    pool_job j = { .d = d, .x = x, .y = y, .parts = pool_parts(d) };
    nn_parallel_for(j.parts, avgpool_fwd_task, &j);
}

static void avgpool_bwd_task(void *ctx, int task, int thread) {
    (void)thread;
    const pool_job     *j = ctx;
    const nn_pool_desc *d = j->d;
    int   H = d->H, W = d->W, OH = d->OH, OW = d->OW, S = d->stride, pad = d->pad;
    float inv = 1.0f / (float)(d->kh * d->kw);
    int   lo, hi;
    cpu_split(d->N * d->C, j->parts, task, &lo, &hi);
    for (int pl = lo; pl < hi; pl++) {
        float       *dx = j->dx + (size_t)pl * H * W;
        const float *dy = j->dy + (size_t)pl * OH * OW;
        memset(dx, 0, (size_t)H * W * sizeof *dx);
        for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++) {
                float g = dy[oh * OW + ow] * inv;
                for (int kh = 0; kh < d->kh; kh++) {
                    int ih = oh * S - pad + kh;
                    if (ih < 0 || ih >= H) continue;
                    for (int kw = 0; kw < d->kw; kw++) {
                        int iw = ow * S - pad + kw;
                        if (iw >= 0 && iw < W) dx[ih * W + iw] += g;
                    }
                }
            }
    }
}

void cpu_avgpool_bwd(const nn_pool_desc *d, const float *dy, float *dx) {
    pool_job j = { .d = d, .dy = dy, .dx = dx, .parts = pool_parts(d) };
    nn_parallel_for(j.parts, avgpool_bwd_task, &j);
}
