/* backend.cu: the CUDA kernel table (nn_backend_cuda_get) and the CUDA-graph replay
 * that makes small models fast. Not the kernels (the other .cu files) nor the context
 * and copies (memory.cu).
 *
 * Why graphs, and how without help from the model code. At MNIST sizes a training step
 * is ~40 tiny kernels: launch overhead, not arithmetic, sets the speed. So the table's
 * functions do not launch; they append a record of the call (descriptor, pointers,
 * sizes) to a tape. The tape runs when the host needs a result: a loss, a count, a
 * to_host, sync or free. Between two such points a training loop repeats exactly the
 * same calls (backward, update, next batch's upload, forward, loss), so the second time
 * a tape is seen it is captured into a CUDA graph, and from then on every matching tape
 * is one cudaGraphLaunch. Values that change from step to step are not in the records:
 * batches are copied at call time into pinned staging that the graph reads, and the
 * learning rate, Adam's bias corrections and dropout's seed and stream go to pinned
 * slots (nn_cuda_dyn) that the graph's first node uploads. A tape that differs (the
 * last short batch, evaluation) simply runs eagerly, and gets its own graph if it
 * recurs. DLS_CUDA_GRAPHS=0 in the environment turns all of this off: every call then
 * launches at once (the baseline for measuring, and a way to bisect a suspect graph).
 *
 * One context per process and no locking: the engine drives a backend from one thread. */
#include "engine/cuda/cuda_common.cuh"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef enum op {
    OP_TO_DEVICE = 1, OP_COPY, OP_FILL, OP_SCALE, OP_AXPY, OP_SUMSQ, OP_GEMM, OP_LINEAR_FWD,
    OP_LINEAR_BWD, OP_CONV_FWD, OP_CONV_BWD, OP_CONVPOOL_FWD, OP_CONVPOOL_BWD, OP_MAXPOOL_FWD, OP_MAXPOOL_BWD, OP_AVGPOOL_FWD,
    OP_AVGPOOL_BWD, OP_ACT_FWD, OP_ACT_BWD, OP_SOFTMAX_FWD, OP_SOFTMAX_BWD, OP_DROPOUT_FWD,
    OP_DROPOUT_BWD, OP_BN_FWD, OP_BN_BWD, OP_XENT, OP_MSE, OP_BCE, OP_COUNT, OP_OPTIM, OP_TO_HOST
} op;

/* One recorded call. Records are compared bytewise (memcmp), so each is zeroed before it
 * is filled and holds only what fixes the work: no per-step values. */
typedef struct rec {    /* (a multiple of 8 bytes: see hash_recs) */
    int    op;
    int    dyn;           /* slot in the dyn arrays, or -1 */
    int    i[10];         /* ints: flags, shapes */
    float  f[4];          /* floats that are part of the work (alpha, slope, p) */
    size_t n;             /* element or byte count */
    const void *p[11];    /* device pointers (and staging for OP_TO_DEVICE) */
    nn_pool_desc pool2;   /* the pool of a fused conv + pool */
    union {
        nn_linear_desc  lin;
        nn_conv_desc    conv;
        nn_pool_desc    pool;
        nn_bn_desc      bn;
        nn_optim_config opt;
    } d;
} rec;
static_assert(sizeof(rec) % 8 == 0, "hash_recs reads records 8 bytes at a time");

enum {
    TAPE_MAX    = 2048,        /* records between two host syncs */
    DYN_MAX     = 256,         /* per-step scalar slots in a tape */
    CACHE_MAX   = 16,          /* distinct tapes remembered (and their graphs) */
    STAGE_BYTES = 32u << 20,   /* pinned staging for uploads recorded in one tape */
    READBACK_BYTES = 4u << 20, /* pinned landing area for a to_host that ends a tape */
    STAGE_ALIGN = 256
};

/* A tape seen before: its records, how often, and its graph once captured. */
typedef struct tape_entry {
    uint64_t        hash;
    int             n;
    rec            *recs;
    long            seen, last_use;
    int             no_graph;      /* capture failed once: always run eagerly */
    cudaGraphExec_t exec;
} tape_entry;

typedef struct tape_state {
    int          on;               /* graphs enabled (defer calls into the tape) */
    rec          tape[TAPE_MAX];
    int          n, n_dyn;
    size_t       stage_used;
    char        *stage;            /* pinned, STAGE_BYTES */
    char        *readback;         /* pinned, READBACK_BYTES */
    nn_cuda_dyn *h_dyn, *d_dyn;    /* pinned / device, DYN_MAX each */
    int          imm_dyn;          /* next slot in immediate mode (a ring) */
    void        *h_res, *d_res;    /* a result (loss, count, sum of squares): 16 bytes */
    tape_entry   cache[CACHE_MAX];
    long         clock;
    long         launches, captures, eager_runs;
    dls_error    capture_err;      /* why the first refused capture was refused */
} tape_state;

static tape_state *T;

/* ---------------------------------------------------------------- running records */

static nn_cuda_dyn *dyn_dev(const rec *r) { return r->dyn >= 0 ? T->d_dyn + r->dyn : NULL; }

/* Queues one record's work on the stream (eagerly or into a capture). */
static void exec_rec(const rec *r) {
    float *res = (float *)T->d_res;
    switch ((op)r->op) {
    case OP_TO_DEVICE:
        CU_CHECK(cudaMemcpyAsync((void *)r->p[0], r->p[1], r->n, cudaMemcpyHostToDevice, cu_g.stream));
        break;
    case OP_COPY:
        CU_CHECK(cudaMemcpyAsync((void *)r->p[0], r->p[1], r->n, cudaMemcpyDeviceToDevice, cu_g.stream));
        break;
    case OP_TO_HOST:
        CU_CHECK(cudaMemcpyAsync((void *)r->p[1], r->p[0], r->n, cudaMemcpyDeviceToHost, cu_g.stream));
        break;
    case OP_FILL:  nn_cuda_fill((float *)r->p[0], r->n, r->f[0]); break;
    case OP_SCALE: nn_cuda_scale((float *)r->p[0], r->n, r->f[0]); break;
    case OP_AXPY:  nn_cuda_axpy(r->n, r->f[0], (const float *)r->p[0], (float *)r->p[1]); break;
    case OP_SUMSQ: nn_cuda_sumsq((double *)T->d_res, (const float *)r->p[0], r->n); break;
    case OP_GEMM:
        nn_cuda_gemm(r->i[0], r->i[1], r->i[2], r->i[3], r->i[4], r->f[0], (const float *)r->p[0],
                     r->i[5], (const float *)r->p[1], r->i[6], r->f[1], (float *)r->p[2], r->i[7]);
        break;
    case OP_LINEAR_FWD:
        nn_cuda_linear_fwd(&r->d.lin, (const float *)r->p[0], (const float *)r->p[1],
                           (const float *)r->p[2], (float *)r->p[3]);
        break;
    case OP_LINEAR_BWD:
        nn_cuda_linear_bwd(&r->d.lin, (const float *)r->p[0], (const float *)r->p[1],
                           (const float *)r->p[2], (float *)r->p[3], (float *)r->p[4],
                           (float *)r->p[5]);
        break;
    case OP_CONV_FWD:
        nn_cuda_conv2d_fwd(&r->d.conv, (const float *)r->p[0], (const float *)r->p[1],
                           (const float *)r->p[2], (float *)r->p[3], (void *)r->p[4]);
        break;
    case OP_CONV_BWD:
        nn_cuda_conv2d_bwd(&r->d.conv, (const float *)r->p[0], (const float *)r->p[1],
                           (const float *)r->p[2], (float *)r->p[3], (float *)r->p[4],
                           (float *)r->p[5], (void *)r->p[6]);
        break;
    case OP_CONVPOOL_FWD:
        nn_cuda_conv_pool_fwd(&r->d.conv, &r->pool2, (const float *)r->p[0], (const float *)r->p[1],
                              (const float *)r->p[2], (float *)r->p[3], (int32_t *)r->p[4],
                              (void *)r->p[5]);
        break;
    case OP_CONVPOOL_BWD:
        nn_cuda_conv_pool_bwd(&r->d.conv, &r->pool2, (const float *)r->p[0], (const float *)r->p[1],
                              (const float *)r->p[2], (const int32_t *)r->p[3], (const float *)r->p[4],
                              (float *)r->p[5], (float *)r->p[6], (float *)r->p[7], (void *)r->p[8]);
        break;
    case OP_MAXPOOL_FWD:
        nn_cuda_maxpool_fwd(&r->d.pool, (const float *)r->p[0], (float *)r->p[1], (int32_t *)r->p[2]);
        break;
    case OP_MAXPOOL_BWD:
        nn_cuda_maxpool_bwd(&r->d.pool, (const float *)r->p[0], (const int32_t *)r->p[1], (float *)r->p[2]);
        break;
    case OP_AVGPOOL_FWD: nn_cuda_avgpool_fwd(&r->d.pool, (const float *)r->p[0], (float *)r->p[1]); break;
    case OP_AVGPOOL_BWD: nn_cuda_avgpool_bwd(&r->d.pool, (const float *)r->p[0], (float *)r->p[1]); break;
    case OP_ACT_FWD:
        nn_cuda_act_fwd((nn_act_kind)r->i[0], r->f[0], (const float *)r->p[0], (float *)r->p[1], r->n);
        break;
    case OP_ACT_BWD:
        nn_cuda_act_bwd((nn_act_kind)r->i[0], r->f[0], (const float *)r->p[0], (const float *)r->p[1],
                        (float *)r->p[2], r->n);
        break;
    case OP_SOFTMAX_FWD:
        nn_cuda_softmax_fwd((const float *)r->p[0], (float *)r->p[1], r->i[0], r->i[1], r->i[2]);
        break;
    case OP_SOFTMAX_BWD:
        nn_cuda_softmax_bwd((const float *)r->p[0], (const float *)r->p[1], (float *)r->p[2], r->i[0],
                            r->i[1], r->i[2]);
        break;
    case OP_DROPOUT_FWD:
        nn_cuda_dropout_fwd((const float *)r->p[0], (float *)r->p[1], r->n, r->f[0], dyn_dev(r));
        break;
    case OP_DROPOUT_BWD:
        nn_cuda_dropout_bwd((const float *)r->p[0], (float *)r->p[1], r->n, r->f[0], dyn_dev(r));
        break;
    case OP_BN_FWD:
        nn_cuda_bn_fwd(&r->d.bn, (const float *)r->p[0], (const float *)r->p[1], (const float *)r->p[2],
                       (float *)r->p[3], (float *)r->p[4], (float *)r->p[5], (float *)r->p[6],
                       (float *)r->p[7]);
        break;
    case OP_BN_BWD:
        nn_cuda_bn_bwd(&r->d.bn, (const float *)r->p[0], (const float *)r->p[1], (const float *)r->p[2],
                       (const float *)r->p[3], (const float *)r->p[4], (float *)r->p[5],
                       (float *)r->p[6], (float *)r->p[7]);
        break;
    case OP_XENT:
        nn_cuda_xent(res, (const float *)r->p[0], (const int32_t *)r->p[1], r->i[0], r->i[1], (float *)r->p[2]);
        break;
    case OP_MSE: nn_cuda_mse(res, (const float *)r->p[0], (const float *)r->p[1], r->n, (float *)r->p[2]); break;
    case OP_BCE: nn_cuda_bce(res, (const float *)r->p[0], (const float *)r->p[1], r->n, (float *)r->p[2]); break;
    case OP_COUNT:
        nn_cuda_count_correct((int *)T->d_res, (const float *)r->p[0], (const int32_t *)r->p[1], r->i[0], r->i[1]);
        break;
    case OP_OPTIM:
        nn_cuda_optim_update(&r->d.opt, r->n, (float *)r->p[0], (const float *)r->p[1], (float *)r->p[2],
                             (float *)r->p[3], dyn_dev(r));
        break;
    }
}

static int is_result_op(int o) {
    return o == OP_SUMSQ || o == OP_XENT || o == OP_MSE || o == OP_BCE || o == OP_COUNT;
}

/* The whole tape, in order: dyn upload first, the result download last. These are the
 * nodes a capture records. */
static void run_tape(const rec *recs, int n, int n_dyn) {
    if (n_dyn)
        CU_CHECK(cudaMemcpyAsync(T->d_dyn, T->h_dyn, (size_t)n_dyn * sizeof(nn_cuda_dyn),
                                 cudaMemcpyHostToDevice, cu_g.stream));
    for (int k = 0; k < n; k++) exec_rec(&recs[k]);
    if (n && is_result_op(recs[n - 1].op))
        CU_CHECK(cudaMemcpyAsync(T->h_res, T->d_res, 16, cudaMemcpyDeviceToHost, cu_g.stream));
}

/* A fast hash of the records, 8 bytes at a time (a rec's size is a multiple of 8: it
 * holds pointers); memcmp settles equality, this only narrows the search. */
static uint64_t hash_recs(const rec *recs, int n) {
    const uint64_t *w = (const uint64_t *)recs;
    size_t words = (size_t)n * sizeof *recs / 8;
    uint64_t h = 0x9E3779B97F4A7C15ULL;
    for (size_t i = 0; i < words; i++) h = (h ^ w[i]) * 0xBF58476D1CE4E5B9ULL + (h >> 29);
    return h;
}

/* Captures the tape into a graph; 0 when CUDA refuses (then the entry stays eager, and
 * the first refusal's reason is kept for nn_backend_cuda_capture_error). */
static int capture(tape_entry *e) {
    cudaGraph_t g = NULL;
    dls_error saved = cu_g.err;
    const char *call = "cudaStreamBeginCapture";
    cudaError_t st = cudaStreamBeginCapture(cu_g.stream, cudaStreamCaptureModeThreadLocal);
    if (st != cudaSuccess) goto fail;
    run_tape(T->tape, T->n, T->n_dyn);
    call = "cudaStreamEndCapture";
    if ((st = cudaStreamEndCapture(cu_g.stream, &g)) != cudaSuccess || !g) goto fail;
    if (cu_g.err.code != saved.code) goto fail; /* a call inside failed to record */
    call = "cudaGraphInstantiate";
    if ((st = cudaGraphInstantiate(&e->exec, g, 0)) != cudaSuccess) goto fail;
    CU_CHECK(cudaGraphDestroy(g)); /* the instantiated graph does not need it */
    T->captures++;
    return 1;
fail:
    if (!T->capture_err.code) {
        if (cu_g.err.code != saved.code)
            T->capture_err = cu_g.err;
        else
            dls_fail(&T->capture_err, DLS_ERR_IO, "CUDA: graph capture refused: %s failed: %s",
                     call, cudaGetErrorString(st));
    }
    /* Leave no other trace: the eager run that follows reports real errors, and the
     * graph of a refused capture is only freed. */
    if (g) cudaGraphDestroy(g);
    e->exec = NULL;
    cu_g.err = saved;
    cudaGetLastError();
    e->no_graph = 1;
    return 0;
}

static tape_entry *remember(uint64_t h) {
    tape_entry *e = NULL;
    for (int k = 0; k < CACHE_MAX; k++) {
        tape_entry *c = &T->cache[k];
        if (!c->recs) { e = c; break; }
        if (!e || c->last_use < e->last_use) e = c;
    }
    if (e->exec) CU_CHECK(cudaGraphExecDestroy(e->exec));
    free(e->recs);
    memset(e, 0, sizeof *e);
    e->hash = h;
    e->n    = T->n;
    e->recs = (rec *)xmalloc((size_t)T->n * sizeof(rec));
    memcpy(e->recs, T->tape, (size_t)T->n * sizeof(rec));
    return e;
}

/* Runs what the tape holds and waits for it: a graph when this tape was seen before,
 * else eagerly. Afterwards the staging and the dyn slots are free again. */
static void flush(void) {
    if (!T || !T->on || T->n == 0) return;
    uint64_t h = hash_recs(T->tape, T->n);
    tape_entry *e = NULL;
    for (int k = 0; k < CACHE_MAX; k++) {
        tape_entry *c = &T->cache[k];
        if (c->recs && c->hash == h && c->n == T->n && !memcmp(c->recs, T->tape, (size_t)T->n * sizeof(rec))) {
            e = c;
            break;
        }
    }
    if (!e) e = remember(h);
    e->seen++;
    e->last_use = ++T->clock;
    if (!e->exec && !e->no_graph && e->seen >= 2) capture(e);
    if (e->exec) {
        CU_CHECK(cudaGraphLaunch(e->exec, cu_g.stream));
        T->launches++;
    } else {
        run_tape(T->tape, T->n, T->n_dyn);
        T->eager_runs++;
    }
    CU_CHECK(cudaStreamSynchronize(cu_g.stream));
    T->n = T->n_dyn = 0;
    T->stage_used = 0;
}

/* ---------------------------------------------------------------- recording */

static rec *new_rec(op o) {
    if (T->on && T->n == TAPE_MAX) flush();
    rec *r = T->on ? &T->tape[T->n] : &T->tape[0];
    memset(r, 0, sizeof *r);
    r->op  = o;
    r->dyn = -1;
    return r;
}

/* Gives *rp a dyn slot and returns its pinned host copy, to be filled by the caller.
 * When the slots are full, what came before runs first and the record moves to the
 * new tape's start: *rp is updated. */
static nn_cuda_dyn *dyn_slot(rec **rp) {
    rec *r = *rp;
    if (T->on) {
        if (T->n_dyn == DYN_MAX) {
            rec keep = *r;
            flush();
            T->tape[0] = keep;
            *rp = r = &T->tape[0];
        }
        r->dyn = T->n_dyn++;
    } else {
        /* immediate mode: a ring of slots; wait for the stream before reusing one */
        if (T->imm_dyn == DYN_MAX) {
            CU_CHECK(cudaStreamSynchronize(cu_g.stream));
            T->imm_dyn = 0;
        }
        r->dyn = T->imm_dyn++;
    }
    return &T->h_dyn[r->dyn];
}

/* Appends r to the tape, or runs it now in immediate mode (uploading its dyn slot). */
static void submit(rec *r) {
    if (T->on) {
        T->n++;
        if (is_result_op(r->op)) flush();
        return;
    }
    if (r->dyn >= 0)
        CU_CHECK(cudaMemcpyAsync(T->d_dyn + r->dyn, T->h_dyn + r->dyn, sizeof(nn_cuda_dyn),
                                 cudaMemcpyHostToDevice, cu_g.stream));
    exec_rec(r);
    if (is_result_op(r->op)) {
        CU_CHECK(cudaMemcpyAsync(T->h_res, T->d_res, 16, cudaMemcpyDeviceToHost, cu_g.stream));
        CU_CHECK(cudaStreamSynchronize(cu_g.stream));
    }
}

/* The result of the last result op, or NaN when the device failed (the error is kept
 * for nn_cuda_sync / nn_backend_cuda_error). */
static float res_float(void) { return cu_g.err.code ? NAN : *(const float *)T->h_res; }

/* ---------------------------------------------------------------- the table's functions */

static int be_alloc(void **p, size_t bytes) { return nn_cuda_alloc(p, bytes); }

static void be_free(void *p) {
    flush(); /* recorded work may still use p */
    nn_cuda_free(p);
}

static void be_to_device(void *dst, const void *src, size_t bytes) {
    if (!bytes) return;
    if (!T->on) { nn_cuda_to_device(dst, src, bytes); return; }
    size_t need = (bytes + STAGE_ALIGN - 1) / STAGE_ALIGN * STAGE_ALIGN;
    if (need > STAGE_BYTES) {
        /* too big to stage (a whole data set): run the tape, then copy directly */
        flush();
        CU_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, cu_g.stream));
        CU_CHECK(cudaStreamSynchronize(cu_g.stream));
        return;
    }
    if (T->stage_used + need > STAGE_BYTES) flush();
    rec *r = new_rec(OP_TO_DEVICE);
    char *st = T->stage + T->stage_used;
    T->stage_used += need;
    memcpy(st, src, bytes); /* the caller may reuse src as soon as we return */
    r->p[0] = dst, r->p[1] = st, r->n = bytes;
    submit(r);
}

/* A small read-back (logits, a metric) joins the tape as its last node, so the tape and
 * the copy are one graph launch and one wait; the bytes land in pinned memory first. */
static void be_to_host(void *dst, const void *src, size_t bytes) {
    if (!bytes) return;
    if (T->on && bytes <= READBACK_BYTES) {
        rec *r = new_rec(OP_TO_HOST);
        r->p[0] = src, r->p[1] = T->readback, r->n = bytes;
        T->n++;
        flush();
        memcpy(dst, T->readback, bytes);
        return;
    }
    flush();
    nn_cuda_to_host(dst, src, bytes);
}

static void be_copy(void *dst, const void *src, size_t bytes) {
    if (!bytes) return;
    rec *r = new_rec(OP_COPY);
    r->p[0] = dst, r->p[1] = src, r->n = bytes;
    submit(r);
}

static void be_sync(void) {
    flush();
    CU_CHECK(cudaStreamSynchronize(cu_g.stream));
}

static void be_gemm(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                    const float *b, int ldb, float beta, float *c, int ldc) {
    rec *r = new_rec(OP_GEMM);
    int iv[8] = { ta, tb, m, n, k, lda, ldb, ldc };
    memcpy(r->i, iv, sizeof iv);
    r->f[0] = alpha, r->f[1] = beta;
    r->p[0] = a, r->p[1] = b, r->p[2] = c;
    submit(r);
}

static void be_fill(float *x, size_t n, float v) {
    rec *r = new_rec(OP_FILL);
    r->p[0] = x, r->n = n, r->f[0] = v;
    submit(r);
}

static void be_scale(float *x, size_t n, float a) {
    rec *r = new_rec(OP_SCALE);
    r->p[0] = x, r->n = n, r->f[0] = a;
    submit(r);
}

static void be_axpy(size_t n, float a, const float *x, float *y) {
    rec *r = new_rec(OP_AXPY);
    r->p[0] = x, r->p[1] = y, r->n = n, r->f[0] = a;
    submit(r);
}

static double be_sumsq(const float *x, size_t n) {
    rec *r = new_rec(OP_SUMSQ);
    r->p[0] = x, r->n = n;
    submit(r);
    return cu_g.err.code ? NAN : *(const double *)T->h_res;
}

static void be_linear_fwd(const nn_linear_desc *d, const float *x, const float *w,
                          const float *b, float *y) {
    rec *r = new_rec(OP_LINEAR_FWD);
    r->d.lin = *d;
    r->p[0] = x, r->p[1] = w, r->p[2] = b, r->p[3] = y;
    submit(r);
}

static void be_linear_bwd(const nn_linear_desc *d, const float *x, const float *w,
                          const float *dy, float *dx, float *dw, float *db) {
    rec *r = new_rec(OP_LINEAR_BWD);
    r->d.lin = *d;
    r->p[0] = x, r->p[1] = w, r->p[2] = dy, r->p[3] = dx, r->p[4] = dw, r->p[5] = db;
    submit(r);
}

static size_t be_conv2d_ws_bytes(const nn_conv_desc *d, int threads) {
    (void)threads; /* one GEMM per pass, whatever the host's thread count */
    return nn_cuda_conv2d_ws_bytes(d);
}

static void be_conv2d_fwd(const nn_conv_desc *d, const float *x, const float *w,
                          const float *b, float *y, void *ws) {
    rec *r = new_rec(OP_CONV_FWD);
    r->d.conv = *d;
    r->p[0] = x, r->p[1] = w, r->p[2] = b, r->p[3] = y, r->p[4] = ws;
    submit(r);
}

static void be_conv2d_bwd(const nn_conv_desc *d, const float *x, const float *w,
                          const float *dy, float *dx, float *dw, float *db, void *ws) {
    rec *r = new_rec(OP_CONV_BWD);
    r->d.conv = *d;
    r->p[0] = x, r->p[1] = w, r->p[2] = dy, r->p[3] = dx, r->p[4] = dw, r->p[5] = db, r->p[6] = ws;
    submit(r);
}

static size_t be_conv_pool_ws_bytes(const nn_conv_desc *c, const nn_pool_desc *p, int threads) {
    (void)p, (void)threads;
    return nn_cuda_conv2d_ws_bytes(c);
}

static void be_conv_pool_fwd(const nn_conv_desc *c, const nn_pool_desc *p, const float *x,
                             const float *w, const float *b, float *y, int32_t *idx, void *ws) {
    rec *r = new_rec(OP_CONVPOOL_FWD);
    r->d.conv = *c, r->pool2 = *p;
    r->p[0] = x, r->p[1] = w, r->p[2] = b, r->p[3] = y, r->p[4] = idx, r->p[5] = ws;
    submit(r);
}

static void be_conv_pool_bwd(const nn_conv_desc *c, const nn_pool_desc *p, const float *x,
                             const float *w, const float *y, const int32_t *idx,
                             const float *dy, float *dx, float *dw, float *db, void *ws) {
    rec *r = new_rec(OP_CONVPOOL_BWD);
    r->d.conv = *c, r->pool2 = *p;
    r->p[0] = x, r->p[1] = w, r->p[2] = y, r->p[3] = idx, r->p[4] = dy, r->p[5] = dx;
    r->p[6] = dw, r->p[7] = db, r->p[8] = ws;
    submit(r);
}

static void be_maxpool_fwd(const nn_pool_desc *d, const float *x, float *y, int32_t *idx) {
    rec *r = new_rec(OP_MAXPOOL_FWD);
    r->d.pool = *d;
    r->p[0] = x, r->p[1] = y, r->p[2] = idx;
    submit(r);
}

static void be_maxpool_bwd(const nn_pool_desc *d, const float *dy, const int32_t *idx, float *dx) {
    rec *r = new_rec(OP_MAXPOOL_BWD);
    r->d.pool = *d;
    r->p[0] = dy, r->p[1] = idx, r->p[2] = dx;
    submit(r);
}

static void be_avgpool_fwd(const nn_pool_desc *d, const float *x, float *y) {
    rec *r = new_rec(OP_AVGPOOL_FWD);
    r->d.pool = *d;
    r->p[0] = x, r->p[1] = y;
    submit(r);
}

static void be_avgpool_bwd(const nn_pool_desc *d, const float *dy, float *dx) {
    rec *r = new_rec(OP_AVGPOOL_BWD);
    r->d.pool = *d;
    r->p[0] = dy, r->p[1] = dx;
    submit(r);
}

static void be_act_fwd(nn_act_kind k, float slope, const float *x, float *y, size_t n) {
    rec *r = new_rec(OP_ACT_FWD);
    r->i[0] = k, r->f[0] = slope, r->p[0] = x, r->p[1] = y, r->n = n;
    submit(r);
}

static void be_act_bwd(nn_act_kind k, float slope, const float *y, const float *dy, float *dx,
                       size_t n) {
    rec *r = new_rec(OP_ACT_BWD);
    r->i[0] = k, r->f[0] = slope, r->p[0] = y, r->p[1] = dy, r->p[2] = dx, r->n = n;
    submit(r);
}

static void be_softmax_fwd(const float *x, float *y, int rows, int cols, int log) {
    rec *r = new_rec(OP_SOFTMAX_FWD);
    r->p[0] = x, r->p[1] = y, r->i[0] = rows, r->i[1] = cols, r->i[2] = log;
    submit(r);
}

static void be_softmax_bwd(const float *y, const float *dy, float *dx, int rows, int cols, int log) {
    rec *r = new_rec(OP_SOFTMAX_BWD);
    r->p[0] = y, r->p[1] = dy, r->p[2] = dx, r->i[0] = rows, r->i[1] = cols, r->i[2] = log;
    submit(r);
}

static void dropout(op o, const float *in, float *out, size_t n, float p, uint64_t seed,
                    uint64_t stream) {
    rec *r = new_rec(o);
    r->p[0] = in, r->p[1] = out, r->n = n, r->f[0] = p;
    nn_cuda_dyn *s = dyn_slot(&r);
    memset(s, 0, sizeof *s);
    s->u[0] = seed, s->u[1] = stream;
    submit(r);
}

static void be_dropout_fwd(const float *x, float *y, size_t n, float p, uint64_t seed,
                           uint64_t stream) {
    dropout(OP_DROPOUT_FWD, x, y, n, p, seed, stream);
}

static void be_dropout_bwd(const float *dy, float *dx, size_t n, float p, uint64_t seed,
                           uint64_t stream) {
    dropout(OP_DROPOUT_BWD, dy, dx, n, p, seed, stream);
}

static void be_bn_fwd(const nn_bn_desc *d, const float *x, const float *gamma, const float *beta,
                      float *y, float *run_mean, float *run_var, float *save_mean,
                      float *save_invstd) {
    rec *r = new_rec(OP_BN_FWD);
    r->d.bn = *d;
    r->p[0] = x, r->p[1] = gamma, r->p[2] = beta, r->p[3] = y, r->p[4] = run_mean;
    r->p[5] = run_var, r->p[6] = save_mean, r->p[7] = save_invstd;
    submit(r);
}

static void be_bn_bwd(const nn_bn_desc *d, const float *x, const float *gamma, const float *dy,
                      const float *save_mean, const float *save_invstd, float *dx,
                      float *dgamma, float *dbeta) {
    rec *r = new_rec(OP_BN_BWD);
    r->d.bn = *d;
    r->p[0] = x, r->p[1] = gamma, r->p[2] = dy, r->p[3] = save_mean, r->p[4] = save_invstd;
    r->p[5] = dx, r->p[6] = dgamma, r->p[7] = dbeta;
    submit(r);
}

static float be_xent(const float *logits, const int32_t *labels, int N, int K, float *dlogits) {
    rec *r = new_rec(OP_XENT);
    r->p[0] = logits, r->p[1] = labels, r->p[2] = dlogits, r->i[0] = N, r->i[1] = K;
    submit(r);
    return res_float();
}

static float be_mse(const float *y, const float *t, size_t n, float *dy) {
    rec *r = new_rec(OP_MSE);
    r->p[0] = y, r->p[1] = t, r->p[2] = dy, r->n = n;
    submit(r);
    return res_float();
}

static float be_bce(const float *logits, const float *t, size_t n, float *dlogits) {
    rec *r = new_rec(OP_BCE);
    r->p[0] = logits, r->p[1] = t, r->p[2] = dlogits, r->n = n;
    submit(r);
    return res_float();
}

static int be_count_correct(const float *logits, const int32_t *labels, int N, int K) {
    rec *r = new_rec(OP_COUNT);
    r->p[0] = logits, r->p[1] = labels, r->i[0] = N, r->i[1] = K;
    submit(r);
    return cu_g.err.code ? 0 : *(const int *)T->h_res;
}

static void be_optim_update(const nn_optim_config *c, float lr, long step, size_t n, float *w,
                            const float *g, float *s1, float *s2) {
    rec *r = new_rec(OP_OPTIM);
    /* Field by field into the zeroed record (the struct has padding, which memcmp would
     * see). lr and step change every step: they travel in the dyn slot, not the record;
     * the schedule fields only feed lr, so they stay out of the comparison too. */
    nn_optim_config *k = &r->d.opt;
    k->kind = c->kind, k->momentum = c->momentum, k->nesterov = c->nesterov;
    k->weight_decay = c->weight_decay, k->beta1 = c->beta1, k->beta2 = c->beta2;
    k->eps = c->eps, k->alpha = c->alpha;
    r->p[0] = w, r->p[1] = g, r->p[2] = s1, r->p[3] = s2, r->n = n;
    nn_cuda_dyn *s = dyn_slot(&r);
    nn_cuda_optim_dyn(c, lr, step, s);
    submit(r);
}

/* ---------------------------------------------------------------- the getter */

static struct nn_backend_ops cuda_ops;

static int tape_init(dls_error *e) {
    T = (tape_state *)xcalloc(1, sizeof *T);
    const char *g = getenv("DLS_CUDA_GRAPHS");
    T->on = !(g && !strcmp(g, "0"));
    int rc;
    if ((rc = CU_CHECK(cudaHostAlloc((void **)&T->stage, STAGE_BYTES, cudaHostAllocDefault)))) goto fail;
    if ((rc = CU_CHECK(cudaHostAlloc((void **)&T->readback, READBACK_BYTES, cudaHostAllocDefault)))) goto fail;
    if ((rc = CU_CHECK(cudaHostAlloc((void **)&T->h_dyn, DYN_MAX * sizeof(nn_cuda_dyn), cudaHostAllocDefault)))) goto fail;
    if ((rc = CU_CHECK(cudaHostAlloc(&T->h_res, 16, cudaHostAllocDefault)))) goto fail;
    if ((rc = nn_cuda_alloc((void **)&T->d_dyn, DYN_MAX * sizeof(nn_cuda_dyn)))) goto fail;
    if ((rc = nn_cuda_alloc(&T->d_res, 16))) goto fail;
    memset(T->h_res, 0, 16);
    return DLS_OK;
fail:
    if (T->stage) CU_CHECK(cudaFreeHost(T->stage));
    if (T->readback) CU_CHECK(cudaFreeHost(T->readback));
    if (T->h_dyn) CU_CHECK(cudaFreeHost(T->h_dyn));
    if (T->h_res) CU_CHECK(cudaFreeHost(T->h_res));
    nn_cuda_free(T->d_dyn);
    free(T);
    T = NULL;
    /* Hand the recorded failure over (and clear it, so that the next sync does not
     * report it again); a plain out-of-memory was not recorded: say it here. */
    if (nn_cuda_sync(e) == DLS_OK)
        dls_fail(e, rc, "CUDA: cannot allocate the backend's buffers: %s", dls_code_str(rc));
    return rc;
}

const struct nn_backend_ops *nn_backend_cuda_get(dls_error *e) {
    if (T) return &cuda_ops;
    if (nn_cuda_init(e)) return NULL;
    if (tape_init(e)) return NULL;
    struct nn_backend_ops *o = &cuda_ops;
    o->name            = "cuda";
    o->device          = NN_DEV_CUDA;
    o->alloc           = be_alloc;
    o->free            = be_free;
    o->to_device       = be_to_device;
    o->to_host         = be_to_host;
    o->copy            = be_copy;
    o->sync            = be_sync;
    o->error           = nn_backend_cuda_error;
    o->gemm            = be_gemm;
    o->fill            = be_fill;
    o->scale           = be_scale;
    o->axpy            = be_axpy;
    o->sumsq           = be_sumsq;
    o->linear_fwd      = be_linear_fwd;
    o->linear_bwd      = be_linear_bwd;
    o->conv2d_ws_bytes = be_conv2d_ws_bytes;
    o->conv2d_fwd      = be_conv2d_fwd;
    o->conv2d_bwd      = be_conv2d_bwd;
    o->conv_pool_ws_bytes = be_conv_pool_ws_bytes;
    o->conv_pool_fwd   = be_conv_pool_fwd;
    o->conv_pool_bwd   = be_conv_pool_bwd;
    o->maxpool_fwd     = be_maxpool_fwd;
    o->maxpool_bwd     = be_maxpool_bwd;
    o->avgpool_fwd     = be_avgpool_fwd;
    o->avgpool_bwd     = be_avgpool_bwd;
    o->act_fwd         = be_act_fwd;
    o->act_bwd         = be_act_bwd;
    o->softmax_fwd     = be_softmax_fwd;
    o->softmax_bwd     = be_softmax_bwd;
    o->dropout_fwd     = be_dropout_fwd;
    o->dropout_bwd     = be_dropout_bwd;
    o->bn_fwd          = be_bn_fwd;
    o->bn_bwd          = be_bn_bwd;
    o->xent_fwd_bwd    = be_xent;
    o->mse_fwd_bwd     = be_mse;
    o->bce_fwd_bwd     = be_bce;
    o->count_correct   = be_count_correct;
    o->optim_update    = be_optim_update;
    return o;
}

int nn_backend_cuda_error(dls_error *e) {
    if (T) flush();
    return nn_cuda_sync(e);
}

void nn_backend_cuda_set_graphs(int on) {
    if (!T) return;
    flush();
    CU_CHECK(cudaStreamSynchronize(cu_g.stream));
    T->on = on != 0;
    T->imm_dyn = 0;
}

void nn_backend_cuda_stats(long *graph_launches, long *captures, long *eager_runs) {
    *graph_launches = T ? T->launches : 0;
    *captures       = T ? T->captures : 0;
    *eager_runs     = T ? T->eager_runs : 0;
}

int nn_backend_cuda_capture_error(dls_error *e) {
    if (!T || !T->capture_err.code) return DLS_OK;
    if (e) *e = T->capture_err;
    return T->capture_err.code;
}
