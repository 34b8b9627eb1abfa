/* cpu_conv.c: CPU convolution (im2col + sgemm per image, or a direct loop when the
 * input has few channels) and pooling, forward and backward, split over the batch on
 * the engine's threads. Not linear layers or activations (cpu_ops.c).
 *
 * Letters: N batch, C input channels, H W input size, OC output channels, K kernel,
 * OH OW output size, P = OH*OW output pixels, CKK = C*K*K (one im2col column). */
#include <float.h>
#include <string.h>

#include "engine/cpu/cpu.h"

/* A first layer on 1-3 channels (C*K*K of 9 or 27) makes a GEMM with k = 9: slow in any
 * BLAS. A direct loop over (oc, c, kh, kw) with the output row as the vector is faster. */
#define DIRECT_MAX_CKK 32

static int conv_direct(const nn_conv_desc *d) {
    return d->stride == 1 && d->C * d->K * d->K <= DIRECT_MAX_CKK;
}

/* Per-task scratch: cols (CKK, P), dcols (CKK, P), dw partial (OC, CKK), db partial (OC). */
static size_t task_floats(const nn_conv_desc *d) {
    size_t ckk = (size_t)d->C * d->K * d->K, p = (size_t)d->OH * d->OW;
    size_t n = 2 * ckk * p + (size_t)d->OC * ckk + d->OC;
    return (n + 15) / 16 * 16;   /* keep every task's block 64-byte aligned */
}

size_t cpu_conv2d_ws_bytes(const nn_conv_desc *d, int threads) {
    return (size_t)(threads < 1 ? 1 : threads) * task_floats(d) * sizeof(float);
}

/* cols (CKK, P) from one image x (C, H, W). */
static void im2col(const nn_conv_desc *d, const float *x, float *cols) {
    int K = d->K, S = d->stride, pad = d->pad, H = d->H, W = d->W, OH = d->OH, OW = d->OW;
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
                        for (int ow = 0; ow < lo; ow++) r[ow] = 0;
                        memcpy(r + lo, xr + lo - pad + kw, (size_t)(hi - lo) * sizeof *r);
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

/* dx (C, H, W) += col2im(dcols (CKK, P)); dx must be zeroed by the caller. */
static void col2im(const nn_conv_desc *d, const float *dcols, float *dx) {
    int K = d->K, S = d->stride, pad = d->pad, H = d->H, W = d->W, OH = d->OH, OW = d->OW;
    for (int c = 0; c < d->C; c++)
        for (int kh = 0; kh < K; kh++)
            for (int kw = 0; kw < K; kw++) {
                const float *row = dcols + ((size_t)(c * K + kh) * K + kw) * OH * OW;
                for (int oh = 0; oh < OH; oh++) {
                    int ih = oh * S - pad + kh;
                    if (ih < 0 || ih >= H) continue;
                    const float *r  = row + oh * OW;
                    float       *xr = dx + ((size_t)c * H + ih) * W;
                    for (int ow = 0; ow < OW; ow++) {
                        int iw = ow * S - pad + kw;
                        if (iw >= 0 && iw < W) xr[iw] += r[ow];
                    }
                }
            }
}

/* ---------------------------------------------------------------- direct (stride 1) */

/* y (OC, OH, OW) for one image. */
static void direct_fwd1(const nn_conv_desc *d, const float *x, const float *w,
                        const float *b, float *y) {
    int C = d->C, K = d->K, pad = d->pad, H = d->H, W = d->W, OH = d->OH, OW = d->OW;
    for (int oc = 0; oc < d->OC; oc++) {
        float *yo = y + (size_t)oc * OH * OW;
        for (int i = 0; i < OH * OW; i++) yo[i] = b[oc];
        for (int c = 0; c < C; c++)
            for (int kh = 0; kh < K; kh++)
                for (int kw = 0; kw < K; kw++) {
                    float wv = w[((size_t)(oc * C + c) * K + kh) * K + kw];
                    int   lo = pad - kw > 0 ? pad - kw : 0;
                    int   hi = W + pad - kw < OW ? W + pad - kw : OW;
                    for (int oh = 0; oh < OH; oh++) {
                        int ih = oh - pad + kh;
                        if (ih < 0 || ih >= H) continue;
                        const float *xr = x + ((size_t)c * H + ih) * W - pad + kw;
                        float       *yr = yo + oh * OW;
                        for (int ow = lo; ow < hi; ow++) yr[ow] += wv * xr[ow];
                    }
                }
        if (d->act == NN_ACT_RELU)
            for (int i = 0; i < OH * OW; i++) yo[i] = yo[i] > 0 ? yo[i] : 0;
    }
}

/* dw, db accumulate; dx (C, H, W) accumulates (zeroed by the caller) when not NULL. */
static void direct_bwd1(const nn_conv_desc *d, const float *x, const float *w,
                        const float *dy, float *dx, float *dw, float *db) {
    int C = d->C, K = d->K, pad = d->pad, H = d->H, W = d->W, OH = d->OH, OW = d->OW;
    for (int oc = 0; oc < d->OC; oc++) {
        const float *dyo = dy + (size_t)oc * OH * OW;
        float        s   = 0;
        for (int i = 0; i < OH * OW; i++) s += dyo[i];
        db[oc] += s;
        for (int c = 0; c < C; c++)
            for (int kh = 0; kh < K; kh++)
                for (int kw = 0; kw < K; kw++) {
                    size_t wi = ((size_t)(oc * C + c) * K + kh) * K + kw;
                    int    lo = pad - kw > 0 ? pad - kw : 0;
                    int    hi = W + pad - kw < OW ? W + pad - kw : OW;
                    float  acc = 0, wv = w[wi];
                    for (int oh = 0; oh < OH; oh++) {
                        int ih = oh - pad + kh;
                        if (ih < 0 || ih >= H) continue;
                        size_t       off = ((size_t)c * H + ih) * W - pad + kw;
                        const float *xr  = x + off;
                        const float *dyr = dyo + oh * OW;
                        for (int ow = lo; ow < hi; ow++) acc += dyr[ow] * xr[ow];
                        if (dx) {
                            float *dxr = dx + off;
                            for (int ow = lo; ow < hi; ow++) dxr[ow] += wv * dyr[ow];
                        }
                    }
                    dw[wi] += acc;
                }
    }
}

/* ---------------------------------------------------------------- batch-parallel driver */

typedef struct conv_job {
    const nn_conv_desc *d;
    const float        *x, *w, *b, *dy;
    float              *y, *dx, *dw, *db;
    float              *ws;
    int                 parts;
} conv_job;

static void fwd_task(void *ctx, int task, int thread) {
    (void)thread;
    const conv_job     *j = ctx;
    const nn_conv_desc *d = j->d;
    size_t ckk = (size_t)d->C * d->K * d->K, P = (size_t)d->OH * d->OW;
    size_t in_sz = (size_t)d->C * d->H * d->W, out_sz = (size_t)d->OC * P;
    float *cols = j->ws + task * task_floats(d);
    int    lo, hi;
    cpu_split(d->N, j->parts, task, &lo, &hi);
    for (int n = lo; n < hi; n++) {
        const float *x = j->x + n * in_sz;
        float       *y = j->y + n * out_sz;
        if (conv_direct(d)) { direct_fwd1(d, x, j->w, j->b, y); continue; }
        /* y (OC, P) = w (OC, CKK) . cols (CKK, P) + b */
        const float *src = x;
        if (!(d->K == 1 && d->stride == 1 && d->pad == 0)) { im2col(d, x, cols); src = cols; }
        for (int oc = 0; oc < d->OC; oc++) {
            float *yo = y + oc * P;
            for (size_t i = 0; i < P; i++) yo[i] = j->b[oc];
        }
        cpu_gemm1(0, 0, d->OC, (int)P, (int)ckk, 1.0f, j->w, (int)ckk, src, (int)P, 1.0f, y,
                  (int)P);
        if (d->act == NN_ACT_RELU)
            for (size_t i = 0; i < out_sz; i++) y[i] = y[i] > 0 ? y[i] : 0;
    }
}

void cpu_conv2d_fwd(const nn_conv_desc *d, const float *x, const float *w, const float *b,
                    float *y, void *ws) {
    int      parts = nn_get_threads() < d->N ? nn_get_threads() : d->N;
    conv_job j = { .d = d, .x = x, .w = w, .b = b, .y = y, .ws = ws, .parts = parts };
    nn_parallel_for(parts, fwd_task, &j);
}

static void bwd_task(void *ctx, int task, int thread) {
    (void)thread;
    const conv_job     *j = ctx;
    const nn_conv_desc *d = j->d;
    size_t ckk = (size_t)d->C * d->K * d->K, P = (size_t)d->OH * d->OW;
    size_t in_sz = (size_t)d->C * d->H * d->W, out_sz = (size_t)d->OC * P;
    float *cols  = j->ws + task * task_floats(d);
    float *dcols = cols + ckk * P;
    float *dw    = dcols + ckk * P;   /* this task's partial sums, added up by the caller */
    float *db    = dw + (size_t)d->OC * ckk;
    int    lo, hi;
    cpu_split(d->N, j->parts, task, &lo, &hi);
    memset(dw, 0, ((size_t)d->OC * ckk + d->OC) * sizeof *dw);
    for (int n = lo; n < hi; n++) {
        const float *x  = j->x + n * in_sz;
        const float *dy = j->dy + n * out_sz;
        float       *dx = j->dx ? j->dx + n * in_sz : NULL;
        if (dx) memset(dx, 0, in_sz * sizeof *dx);
        if (conv_direct(d)) { direct_bwd1(d, x, j->w, dy, dx, dw, db); continue; }
        int pointwise = d->K == 1 && d->stride == 1 && d->pad == 0;
        const float *src = x;
        if (!pointwise) { im2col(d, x, cols); src = cols; }
        /* dw (OC, CKK) += dy (OC, P) . cols^T (P, CKK) */
        cpu_gemm1(0, 1, d->OC, (int)ckk, (int)P, 1.0f, dy, (int)P, src, (int)P, 1.0f, dw,
                  (int)ckk);
        for (int oc = 0; oc < d->OC; oc++) {
            const float *r = dy + oc * P;
            float        s = 0;
            for (size_t i = 0; i < P; i++) s += r[i];
            db[oc] += s;
        }
        if (dx) {
            /* dcols (CKK, P) = w^T (CKK, OC) . dy (OC, P); then scattered back */
            float *dst = pointwise ? dx : dcols;
            cpu_gemm1(1, 0, (int)ckk, (int)P, d->OC, 1.0f, j->w, (int)ckk, dy, (int)P, 0.0f,
                      dst, (int)P);
            if (!pointwise) col2im(d, dcols, dx);
        }
    }
}

void cpu_conv2d_bwd(const nn_conv_desc *d, const float *x, const float *w, const float *dy,
                    float *dx, float *dw, float *db, void *ws) {
    int      parts = nn_get_threads() < d->N ? nn_get_threads() : d->N;
    conv_job j = { .d = d, .x = x, .w = w, .dy = dy, .dx = dx, .ws = ws, .parts = parts };
    nn_parallel_for(parts, bwd_task, &j);
    /* Add the partial sums in task order: the same result for the same thread count. */
    size_t ckk = (size_t)d->C * d->K * d->K, P = (size_t)d->OH * d->OW;
    size_t nw  = (size_t)d->OC * ckk;
    for (int t = 0; t < parts; t++) {
        const float *pw = (const float *)ws + t * task_floats(d) + 2 * ckk * P;
        const float *pb = pw + nw;
        if (t == 0) {
            memcpy(dw, pw, nw * sizeof *dw);
            memcpy(db, pb, d->OC * sizeof *db);
            continue;
        }
        for (size_t i = 0; i < nw; i++) dw[i] += pw[i];
        for (int i = 0; i < d->OC; i++) db[i] += pb[i];
    }
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
    int H = d->H, W = d->W, OH = d->OH, OW = d->OW, S = d->stride, pad = d->pad;
    int lo, hi;
    cpu_split(d->N * d->C, j->parts, task, &lo, &hi);
    for (int pl = lo; pl < hi; pl++) {
        const float *x   = j->x + (size_t)pl * H * W;
        float       *y   = j->y + (size_t)pl * OH * OW;
        int32_t     *idx = j->idx ? j->idx + (size_t)pl * OH * OW : NULL;
        if (d->kh == 2 && d->kw == 2 && S == 2 && pad == 0) {
            /* the common case, unrolled: each window is two pairs of adjacent values */
            for (int oh = 0; oh < OH; oh++) {
                const float *r0 = x + 2 * oh * W, *r1 = r0 + W;
                for (int ow = 0; ow < OW; ow++) {
                    int   i0 = 2 * oh * W + 2 * ow;
                    float m  = r0[2 * ow];
                    int   mi = i0;
                    if (r0[2 * ow + 1] > m) { m = r0[2 * ow + 1]; mi = i0 + 1; }
                    if (r1[2 * ow] > m)     { m = r1[2 * ow];     mi = i0 + W; }
                    if (r1[2 * ow + 1] > m) { m = r1[2 * ow + 1]; mi = i0 + W + 1; }
                    y[oh * OW + ow] = m;
                    if (idx) idx[oh * OW + ow] = mi;
                }
            }
            continue;
        }
        for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++) {
                float m = -FLT_MAX;
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
                y[oh * OW + ow] = m;
                if (idx) idx[oh * OW + ow] = mi;
            }
    }
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
