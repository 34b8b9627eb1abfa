/* cpu_ops.c: CPU kernels for linear layers, elementwise activations, softmax, dropout,
 * batch norm, the losses and the optimizer updates. Not convolution or pooling
 * (cpu_conv.c). Formulas follow PyTorch's definitions so that recipes transfer. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "engine/cpu/cpu.h"

/* The elementwise loops here are memory- or divide-bound; O3 vectorises them, and
 * errno-free sqrt lets Adam's update vectorise too. Each hot loop is also compiled for
 * AVX-512 and chosen at load time (GCC function multi-versioning), so the default
 * build stays portable. */
#pragma GCC optimize("O3", "no-math-errno")

/* ---------------------------------------------------------------- linear */

typedef struct linear_job {
    const nn_linear_desc *d;
    const float          *x, *w, *b, *dy;
    float                *y, *dx, *dw, *db;
    int                   parts;
} linear_job;

static int linear_parts(const nn_linear_desc *d) {
    int t = nn_get_threads();
    /* below ~2M multiply-adds a split costs about what it saves */
    if ((double)d->N * d->IN * d->OUT < 2e6) return 1;
    return t < d->N ? t : d->N;
}

HOT void cpu_linear_rows(const nn_linear_desc *d, const float *x, const float *w,
                         const float *b, float *y, int lo, int hi) {
    float *yr = y + (size_t)lo * d->OUT;
    for (int n = lo; n < hi; n++) memcpy(y + (size_t)n * d->OUT, b, d->OUT * sizeof(float));
    cpu_gemm1(0, 1, hi - lo, d->OUT, d->IN, 1.0f, x + (size_t)lo * d->IN, d->IN, w, d->IN,
              1.0f, yr, d->OUT);
    if (d->act == NN_ACT_RELU) {
        size_t n = (size_t)(hi - lo) * d->OUT;
        for (size_t i = 0; i < n; i++) yr[i] = yr[i] > 0 ? yr[i] : 0;
    }
}

/* y rows lo..hi (N split). */
static void linear_fwd_task(void *ctx, int task, int thread) {
    (void)thread;
    const linear_job *j = ctx;
    int lo, hi;
    cpu_split(j->d->N, j->parts, task, &lo, &hi);
    cpu_linear_rows(j->d, j->x, j->w, j->b, j->y, lo, hi);
}

/* Big batches (inference) use the engine's own kernel (cpu_sgemm.c). Its packed weights
 * live in a per-thread buffer that only grows (no allocation once the largest layer has
 * been seen) and is freed when the thread ends (a lab runner thread, say). */
#define OWN_KERNEL_MIN_N 256

typedef struct pack_buf {
    float *p;
    size_t cap;
} pack_buf;

static pthread_key_t  pack_key;
static pthread_once_t pack_once = PTHREAD_ONCE_INIT;

static void pack_buf_free(void *v) {
    pack_buf *b = v;
    free(b->p);
    free(b);
}

static void pack_key_init(void) { DLS_ASSERT(pthread_key_create(&pack_key, pack_buf_free) == 0); }

static float *thread_pack_buf(size_t bytes) {
    pthread_once(&pack_once, pack_key_init);
    pack_buf *b = pthread_getspecific(pack_key);
    if (!b) {
        b = xcalloc(1, sizeof *b);
        DLS_ASSERT(pthread_setspecific(pack_key, b) == 0);
    }
    if (bytes > b->cap) {
        free(b->p);
        b->p = aligned_alloc(64, (bytes + 63) / 64 * 64);
        DLS_ASSERT(b->p != NULL);
        b->cap = bytes;
    }
    return b->p;
}

void cpu_linear_fwd(const nn_linear_desc *d, const float *x, const float *w, const float *b,
                    float *y) {
    if (d->N >= OWN_KERNEL_MIN_N && cpu_sgemm_handles(d) &&
        cpu_sgemm_linear_fwd(d, x, w, b, y, thread_pack_buf(cpu_sgemm_pack_bytes(d->IN, d->OUT))))
        return;
    linear_job j = { .d = d, .x = x, .w = w, .b = b, .y = y, .parts = linear_parts(d) };
    nn_parallel_for(j.parts, linear_fwd_task, &j);
}

/* Task t computes dx for batch rows of chunk t and dw, db for output units of chunk t:
 * neither needs a reduction across tasks. */
HOT static void linear_bwd_task(void *ctx, int task, int thread) {
    (void)thread;
    const linear_job     *j = ctx;
    const nn_linear_desc *d = j->d;
    int lo, hi;
    if (j->dx) {
        /* dx (rows, IN) = dy (rows, OUT) . w (OUT, IN) */
        cpu_split(d->N, j->parts, task, &lo, &hi);
        cpu_gemm1(0, 0, hi - lo, d->IN, d->OUT, 1.0f, j->dy + (size_t)lo * d->OUT, d->OUT,
                  j->w, d->IN, 0.0f, j->dx + (size_t)lo * d->IN, d->IN);
    }
    /* dw (units, IN) = dy[:, units]^T (units, N) . x (N, IN) */
    cpu_split(d->OUT, j->parts, task, &lo, &hi);
    cpu_gemm1(1, 0, hi - lo, d->IN, d->N, 1.0f, j->dy + lo, d->OUT, j->x, d->IN, 0.0f,
              j->dw + (size_t)lo * d->IN, d->IN);
    for (int o = lo; o < hi; o++) j->db[o] = 0;
    for (int n = 0; n < d->N; n++) {
        const float *r = j->dy + (size_t)n * d->OUT;
        for (int o = lo; o < hi; o++) j->db[o] += r[o];
    }
}

void cpu_linear_bwd(const nn_linear_desc *d, const float *x, const float *w, const float *dy,
                    float *dx, float *dw, float *db) {
    int parts = linear_parts(d);
    if (parts > d->OUT) parts = d->OUT;
    linear_job j = { .d = d, .x = x, .w = w, .dy = dy, .dx = dx, .dw = dw, .db = db,
                     .parts = parts };
    nn_parallel_for(parts, linear_bwd_task, &j);
}

/* ---------------------------------------------------------------- activations */

HOT void cpu_act_fwd(nn_act_kind k, float slope, const float *x, float *y, size_t n) {
    switch (k) {
    case NN_ACT_NONE:
        if (y != x) memcpy(y, x, n * sizeof *y);
        break;
    case NN_ACT_RELU:
        for (size_t i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : 0;
        break;
    case NN_ACT_LEAKY_RELU:
        for (size_t i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : slope * x[i];
        break;
    case NN_ACT_SIGMOID:
        /* split by sign so exp never overflows */
        for (size_t i = 0; i < n; i++) {
            float v = x[i];
            if (v >= 0) y[i] = 1.0f / (1.0f + expf(-v));
            else { float e = expf(v); y[i] = e / (1.0f + e); }
        }
        break;
    case NN_ACT_TANH:
        for (size_t i = 0; i < n; i++) y[i] = tanhf(x[i]);
        break;
    }
}

HOT void cpu_act_bwd(nn_act_kind k, float slope, const float *y, const float *dy, float *dx,
                 size_t n) {
    switch (k) {
    case NN_ACT_NONE:
        if (dx != dy) memcpy(dx, dy, n * sizeof *dx);
        break;
    case NN_ACT_RELU:
        for (size_t i = 0; i < n; i++) dx[i] = y[i] > 0 ? dy[i] : 0;
        break;
    case NN_ACT_LEAKY_RELU:
        for (size_t i = 0; i < n; i++) dx[i] = y[i] > 0 ? dy[i] : slope * dy[i];
        break;
    case NN_ACT_SIGMOID:
        for (size_t i = 0; i < n; i++) dx[i] = dy[i] * y[i] * (1.0f - y[i]);
        break;
    case NN_ACT_TANH:
        for (size_t i = 0; i < n; i++) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
        break;
    }
}

/* ---------------------------------------------------------------- softmax */

void cpu_softmax_fwd(const float *x, float *y, int rows, int cols, int log) {
    for (int r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * cols;
        float       *yr = y + (size_t)r * cols;
        float        m  = xr[0];
        for (int c = 1; c < cols; c++) m = xr[c] > m ? xr[c] : m;
        double s = 0;
        for (int c = 0; c < cols; c++) s += exp((double)xr[c] - m);
        if (log) {
            float lse = m + (float)logl(s);
            for (int c = 0; c < cols; c++) yr[c] = xr[c] - lse;
        } else {
            for (int c = 0; c < cols; c++) yr[c] = (float)(exp((double)xr[c] - m) / s);
        }
    }
}

void cpu_softmax_bwd(const float *y, const float *dy, float *dx, int rows, int cols, int log) {
    for (int r = 0; r < rows; r++) {
        const float *yr = y + (size_t)r * cols, *gr = dy + (size_t)r * cols;
        float       *xr = dx + (size_t)r * cols;
        double       s  = 0;
        if (log) {
            for (int c = 0; c < cols; c++) s += gr[c];
            for (int c = 0; c < cols; c++) xr[c] = gr[c] - expf(yr[c]) * (float)s;
        } else {
            for (int c = 0; c < cols; c++) s += (double)gr[c] * yr[c];
            for (int c = 0; c < cols; c++) xr[c] = yr[c] * (gr[c] - (float)s);
        }
    }
}

/* ---------------------------------------------------------------- dropout */

void cpu_dropout_fwd(const float *x, float *y, size_t n, float p, uint64_t seed,
                     uint64_t stream) {
    if (p <= 0) { if (y != x) memcpy(y, x, n * sizeof *y); return; }
    float scale = 1.0f / (1.0f - p);
    for (size_t i = 0; i < n; i++)
        y[i] = nn_rng_uniform_inline(seed, stream, i) >= p ? x[i] * scale : 0.0f;
}

void cpu_dropout_bwd(const float *dy, float *dx, size_t n, float p, uint64_t seed,
                     uint64_t stream) {
    cpu_dropout_fwd(dy, dx, n, p, seed, stream);   /* the same mask and scale */
}

/* ---------------------------------------------------------------- batch norm */

void cpu_bn_fwd(const nn_bn_desc *d, const float *x, const float *gamma, const float *beta,
                float *y, float *run_mean, float *run_var, float *save_mean,
                float *save_invstd) {
    size_t HW = (size_t)d->HW, M = (size_t)d->N * HW;
    for (int c = 0; c < d->C; c++) {
        float mean, invstd;
        if (d->training) {
            double s = 0, ss = 0;
            for (int n = 0; n < d->N; n++) {
                const float *xp = x + ((size_t)n * d->C + c) * HW;
                for (size_t i = 0; i < HW; i++) s += xp[i];
            }
            double mu = s / (double)M;
            for (int n = 0; n < d->N; n++) {
                const float *xp = x + ((size_t)n * d->C + c) * HW;
                for (size_t i = 0; i < HW; i++) ss += (xp[i] - mu) * (xp[i] - mu);
            }
            double var = ss / (double)M;
            mean   = (float)mu;
            invstd = (float)(1.0 / sqrt(var + d->eps));
            double unbiased = M > 1 ? ss / (double)(M - 1) : var;
            run_mean[c] = (1 - d->momentum) * run_mean[c] + d->momentum * (float)mu;
            run_var[c]  = (1 - d->momentum) * run_var[c] + d->momentum * (float)unbiased;
        } else {
            mean   = run_mean[c];
            invstd = 1.0f / sqrtf(run_var[c] + d->eps);
        }
        save_mean[c]   = mean;
        save_invstd[c] = invstd;
        float a = gamma[c] * invstd, bb = beta[c] - mean * a;
        for (int n = 0; n < d->N; n++) {
            const float *xp = x + ((size_t)n * d->C + c) * HW;
            float       *yp = y + ((size_t)n * d->C + c) * HW;
            for (size_t i = 0; i < HW; i++) yp[i] = xp[i] * a + bb;
        }
    }
}

void cpu_bn_bwd(const nn_bn_desc *d, const float *x, const float *gamma, const float *dy,
                const float *save_mean, const float *save_invstd, float *dx, float *dgamma,
                float *dbeta) {
    size_t HW = (size_t)d->HW, M = (size_t)d->N * HW;
    for (int c = 0; c < d->C; c++) {
        float  mean = save_mean[c], invstd = save_invstd[c];
        double sdy = 0, sdyx = 0;
        for (int n = 0; n < d->N; n++) {
            size_t off = ((size_t)n * d->C + c) * HW;
            for (size_t i = 0; i < HW; i++) {
                sdy  += dy[off + i];
                sdyx += dy[off + i] * (x[off + i] - mean) * invstd;
            }
        }
        dbeta[c]  = (float)sdy;
        dgamma[c] = (float)sdyx;
        if (!dx) continue;
        float k = gamma[c] * invstd;
        for (int n = 0; n < d->N; n++) {
            size_t off = ((size_t)n * d->C + c) * HW;
            for (size_t i = 0; i < HW; i++) {
                if (!d->training) { dx[off + i] = dy[off + i] * k; continue; }
                float xhat = (x[off + i] - mean) * invstd;
                dx[off + i] = k * (dy[off + i] - (float)(sdy / M) - xhat * (float)(sdyx / M));
            }
        }
    }
}

/* ---------------------------------------------------------------- losses */

float cpu_xent_fwd_bwd(const float *logits, const int32_t *labels, int N, int K,
                       float *dlogits) {
    double total = 0;
    for (int n = 0; n < N; n++) {
        const float *z = logits + (size_t)n * K;
        float       *g = dlogits + (size_t)n * K;
        float        m = z[0];
        for (int k = 1; k < K; k++) m = z[k] > m ? z[k] : m;
        double s = 0;
        for (int k = 0; k < K; k++) s += exp((double)z[k] - m);
        double lse = m + log(s);
        total += lse - z[labels[n]];
        for (int k = 0; k < K; k++) g[k] = (float)(exp(z[k] - lse) / N);
        g[labels[n]] -= 1.0f / N;
    }
    return (float)(total / N);
}

float cpu_mse_fwd_bwd(const float *y, const float *t, size_t n, float *dy) {
    double total = 0;
    for (size_t i = 0; i < n; i++) {
        float e = y[i] - t[i];
        total += (double)e * e;
        dy[i] = 2.0f * e / (float)n;
    }
    return (float)(total / n);
}

float cpu_bce_fwd_bwd(const float *logits, const float *t, size_t n, float *dlogits) {
    double total = 0;
    for (size_t i = 0; i < n; i++) {
        float z = logits[i];
        /* max(z, 0) - z t + log(1 + exp(-|z|)): no overflow for any z */
        total += (z > 0 ? z : 0) - z * t[i] + log1p(exp(-fabs((double)z)));
        float s = z >= 0 ? 1.0f / (1.0f + expf(-z)) : expf(z) / (1.0f + expf(z));
        dlogits[i] = (s - t[i]) / (float)n;
    }
    return (float)(total / n);
}

int cpu_count_correct(const float *logits, const int32_t *labels, int N, int K) {
    int ok = 0;
    for (int n = 0; n < N; n++) {
        const float *z = logits + (size_t)n * K;
        int best;
        if (K == 1) best = z[0] > 0;
        else {
            best = 0;
            for (int k = 1; k < K; k++) if (z[k] > z[best]) best = k;
        }
        ok += best == labels[n];
    }
    return ok;
}

/* ---------------------------------------------------------------- optimizers */

typedef struct optim_job {
    const nn_optim_config *c;
    float                  lr;
    long                   step;
    size_t                 n;
    float                 *w, *s1, *s2;
    const float           *g;
    int                    parts;
} optim_job;

HOT static void sgd_range(const optim_job *j, size_t lo, size_t hi) {
    const nn_optim_config *c = j->c;
    float lr = j->lr, mom = c->momentum, wd = c->weight_decay;
    float *restrict w = j->w, *restrict buf = j->s1;
    const float *restrict g = j->g;
    /* three branch-free loops, so that each vectorises */
    if (mom == 0) {
        for (size_t i = lo; i < hi; i++) w[i] -= lr * (g[i] + wd * w[i]);
    } else if (!c->nesterov) {
        for (size_t i = lo; i < hi; i++) {
            buf[i] = mom * buf[i] + (g[i] + wd * w[i]);   /* buf starts at 0: step 1 gives g */
            w[i] -= lr * buf[i];
        }
    } else {
        for (size_t i = lo; i < hi; i++) {
            float gi = g[i] + wd * w[i];
            buf[i] = mom * buf[i] + gi;
            w[i] -= lr * (gi + mom * buf[i]);
        }
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_AVX512_ADAM 1
/* The Adam update 16 lanes at a time (sqrt and divide do not auto-vectorise under
 * errno semantics); returns where the scalar loop continues. Same arithmetic, same
 * order of operations per element as the scalar loop. */
__attribute__((target("avx512f")))
static size_t adam_avx512(float *restrict w, const float *restrict g, float *restrict m,
                          float *restrict v, size_t lo, size_t hi, float b1, float b2, float eps,
                          float l2, float decay, float step_size, float inv_sqrt_bc2) {
    __m512 vb1 = _mm512_set1_ps(b1), vb2 = _mm512_set1_ps(b2);
    __m512 vc1 = _mm512_set1_ps(1.0f - b1), vc2 = _mm512_set1_ps(1.0f - b2);
    __m512 veps = _mm512_set1_ps(eps), vl2 = _mm512_set1_ps(l2), vdec = _mm512_set1_ps(decay);
    __m512 vss = _mm512_set1_ps(step_size), vib = _mm512_set1_ps(inv_sqrt_bc2);
    size_t i = lo;
    for (; i + 16 <= hi; i += 16) {
        __m512 wi = _mm512_loadu_ps(w + i);
        __m512 gi = _mm512_add_ps(_mm512_loadu_ps(g + i), _mm512_mul_ps(vl2, wi));
        __m512 mi = _mm512_add_ps(_mm512_mul_ps(vb1, _mm512_loadu_ps(m + i)), _mm512_mul_ps(vc1, gi));
        __m512 vi = _mm512_add_ps(_mm512_mul_ps(vb2, _mm512_loadu_ps(v + i)),
                                  _mm512_mul_ps(_mm512_mul_ps(vc2, gi), gi));
        __m512 den = _mm512_add_ps(_mm512_mul_ps(_mm512_sqrt_ps(vi), vib), veps);
        __m512 upd = _mm512_div_ps(_mm512_mul_ps(vss, mi), den);
        _mm512_storeu_ps(m + i, mi);
        _mm512_storeu_ps(v + i, vi);
        _mm512_storeu_ps(w + i, _mm512_sub_ps(_mm512_mul_ps(wi, vdec), upd));
    }
    return i;
}
#endif

static void adam_range(const optim_job *j, size_t lo, size_t hi) {
    const nn_optim_config *c = j->c;
    float b1 = c->beta1, b2 = c->beta2, eps = c->eps, wd = c->weight_decay;
    float bc1 = 1.0f - powf(b1, (float)j->step), bc2 = 1.0f - powf(b2, (float)j->step);
    float step_size = j->lr / bc1, inv_sqrt_bc2 = 1.0f / sqrtf(bc2);
    int   decoupled = c->kind == NN_OPTIM_ADAMW;
    float decay = decoupled ? 1.0f - j->lr * wd : 1.0f;
    float l2 = decoupled ? 0.0f : wd;
    float *restrict w = j->w, *restrict m = j->s1, *restrict v = j->s2;
    const float *restrict g = j->g;
#ifdef HAVE_AVX512_ADAM
    if (cpu_have_avx512())
        lo = adam_avx512(w, g, m, v, lo, hi, b1, b2, eps, l2, decay, step_size, inv_sqrt_bc2);
#endif
    for (size_t i = lo; i < hi; i++) {
        float gi = g[i] + l2 * w[i];
        m[i] = b1 * m[i] + (1.0f - b1) * gi;
        v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
        w[i] = w[i] * decay - (step_size * m[i]) / (sqrtf(v[i]) * inv_sqrt_bc2 + eps);
    }
}

#ifdef HAVE_AVX512_ADAM
/* RMSprop without momentum, 16 lanes at a time, the scalar loop's arithmetic. */
__attribute__((target("avx512f")))
static size_t rmsprop_avx512(float *restrict w, const float *restrict g, float *restrict sq,
                             size_t lo, size_t hi, float lr, float a, float eps, float wd) {
    __m512 va = _mm512_set1_ps(a), vc = _mm512_set1_ps(1.0f - a), veps = _mm512_set1_ps(eps);
    __m512 vwd = _mm512_set1_ps(wd), vlr = _mm512_set1_ps(lr);
    size_t i = lo;
    for (; i + 16 <= hi; i += 16) {
        __m512 wi = _mm512_loadu_ps(w + i);
        __m512 gi = _mm512_add_ps(_mm512_loadu_ps(g + i), _mm512_mul_ps(vwd, wi));
        __m512 s  = _mm512_add_ps(_mm512_mul_ps(va, _mm512_loadu_ps(sq + i)),
                                  _mm512_mul_ps(_mm512_mul_ps(vc, gi), gi));
        __m512 upd = _mm512_div_ps(gi, _mm512_add_ps(_mm512_sqrt_ps(s), veps));
        _mm512_storeu_ps(sq + i, s);
        _mm512_storeu_ps(w + i, _mm512_sub_ps(wi, _mm512_mul_ps(vlr, upd)));
    }
    return i;
}
#endif

HOT static void rmsprop_range(const optim_job *j, size_t lo, size_t hi) {
    const nn_optim_config *c = j->c;
    float lr = j->lr, a = c->alpha, eps = c->eps, wd = c->weight_decay, mom = c->momentum;
    float *restrict w = j->w, *restrict sq = j->s1, *restrict buf = j->s2;
    const float *restrict g = j->g;
#ifdef HAVE_AVX512_ADAM
    if (cpu_have_avx512() && mom == 0)
        lo = rmsprop_avx512(w, g, sq, lo, hi, lr, a, eps, wd);
#endif
    for (size_t i = lo; i < hi; i++) {
        float gi = g[i] + wd * w[i];
        sq[i] = a * sq[i] + (1.0f - a) * gi * gi;
        float upd = gi / (sqrtf(sq[i]) + eps);
        if (mom != 0) { buf[i] = mom * buf[i] + upd; upd = buf[i]; }
        w[i] -= lr * upd;
    }
}

static void optim_task(void *ctx, int task, int thread) {
    (void)thread;
    const optim_job *j = ctx;
    size_t lo = j->n * task / j->parts, hi = j->n * (task + 1) / j->parts;
    switch (j->c->kind) {
    case NN_OPTIM_SGD:     sgd_range(j, lo, hi); break;
    case NN_OPTIM_ADAM:
    case NN_OPTIM_ADAMW:   adam_range(j, lo, hi); break;
    case NN_OPTIM_RMSPROP: rmsprop_range(j, lo, hi); break;
    default: DLS_ASSERT(!"unknown optimizer");
    }
}

void cpu_optim_update(const nn_optim_config *c, float lr, long step, size_t n, float *w,
                      const float *g, float *s1, float *s2) {
    int parts = n < 65536 ? 1 : nn_get_threads();
    optim_job j = { c, lr, step, n, w, s1, s2, g, parts };
    nn_parallel_for(parts, optim_task, &j);
}
