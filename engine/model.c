/* model.c: a model as a sequence of layers built from nn_layer_spec: shape checks,
 * parameter layout and initialisation, the activation workspace, forward, loss,
 * backward, training step, evaluation, summary. Every tensor operation goes through the
 * backend table (m->be), so the same code drives the CPU and the GPU. Not the kernels
 * (engine/cpu/, engine/cuda/), the optimizers (optim/), checkpoints or gradient checks.
 *
 * Letters: N batch, C/H/W input channels and size, OC output channels, K kernel. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/model_impl.h"

#define BN_EPS      1e-5f
#define BN_MOMENTUM 0.1f

static size_t max_sz(size_t a, size_t b) { return a > b ? a : b; }

/* ---------------------------------------------------------------- shapes and setup */

static nn_act_kind act_of(nn_layer_kind k) {
    switch (k) {
    case NN_LAYER_RELU:       return NN_ACT_RELU;
    case NN_LAYER_LEAKY_RELU: return NN_ACT_LEAKY_RELU;
    case NN_LAYER_SIGMOID:    return NN_ACT_SIGMOID;
    case NN_LAYER_TANH:       return NN_ACT_TANH;
    default:                  return NN_ACT_NONE;
    }
}

static float slope_of(const nn_layer_spec *s) { return s->slope != 0 ? s->slope : 0.01f; }

static int setup_layers(layer *L, const nn_layer_spec *specs, int n, int c, int h, int w,
                        int index0, dls_error *e);

/* Computes the output shape and parameter counts of one layer for an input (c, h, w). */
static int layer_setup(layer *l, const nn_layer_spec *s, int c, int h, int w, int index,
                       dls_error *e) {
    const char *name = nn_layer_kind_name(s->kind);
    memset(l, 0, sizeof *l);
    l->spec = *s;
    l->index = index;
    l->in_c = l->out_c = c;
    l->in_h = l->out_h = h;
    l->in_w = l->out_w = w;
    if ((unsigned)s->kind >= NN_LAYER_KIND_COUNT)
        return dls_fail(e, DLS_ERR_INVALID, "layer %d: unknown kind %d", index + 1, (int)s->kind);
    if ((unsigned)s->init >= NN_INIT_KIND_COUNT)
        return dls_fail(e, DLS_ERR_INVALID, "layer %d (%s): unknown init %d", index + 1, name,
                        (int)s->init);
    switch (s->kind) {
    case NN_LAYER_LINEAR:
        if (s->out <= 0)
            return dls_fail(e, DLS_ERR_INVALID, "layer %d (linear): out must be positive, got %d",
                            index + 1, s->out);
        l->out_c = s->out; l->out_h = l->out_w = 1;
        l->n_w = (size_t)s->out * c * h * w;
        l->n_b = (size_t)s->out;
        break;
    case NN_LAYER_CONV2D:
    case NN_LAYER_MAXPOOL2D:
    case NN_LAYER_AVGPOOL2D: {
        int conv = s->kind == NN_LAYER_CONV2D;
        int K = s->kernel, S = s->stride ? s->stride : conv ? 1 : K, P = s->padding;
        if (conv && s->out <= 0)
            return dls_fail(e, DLS_ERR_INVALID, "layer %d (conv2d): out channels must be "
                            "positive, got %d", index + 1, s->out);
        if (K <= 0 || S <= 0 || P < 0)
            return dls_fail(e, DLS_ERR_INVALID, "layer %d (%s): kernel %d, stride %d, padding %d"
                            " must be positive (padding may be 0)", index + 1, name, K, S, P);
        if (!conv && P > K / 2)
            return dls_fail(e, DLS_ERR_INVALID, "layer %d (%s): padding %d larger than half the "
                            "kernel %d", index + 1, name, P, K);
        if (h + 2 * P < K || w + 2 * P < K)
            return dls_fail(e, DLS_ERR_INVALID, "layer %d (%s): kernel %d larger than its input "
                            "%dx%d (padding %d)", index + 1, name, K, h, w, P);
        l->spec.stride = S;
        l->out_h = (h + 2 * P - K) / S + 1;
        l->out_w = (w + 2 * P - K) / S + 1;
        if (conv) {
            l->out_c = s->out;
            l->n_w = (size_t)s->out * c * K * K;
            l->n_b = (size_t)s->out;
        }
        break;
    }
    case NN_LAYER_GLOBAL_AVGPOOL:
        l->out_h = l->out_w = 1;
        break;
    case NN_LAYER_FLATTEN:
        l->out_c = c * h * w; l->out_h = l->out_w = 1;
        break;
    case NN_LAYER_DROPOUT:
        if (!(s->p >= 0 && s->p < 1))
            return dls_fail(e, DLS_ERR_INVALID, "layer %d (dropout): p must be in [0, 1), got %g",
                            index + 1, s->p);
        break;
    case NN_LAYER_LEAKY_RELU:
        if (slope_of(s) < 0)
            return dls_fail(e, DLS_ERR_INVALID, "layer %d (leaky_relu): slope must be positive",
                            index + 1);
        break;
    case NN_LAYER_BATCHNORM:
        l->n_w = l->n_b = (size_t)c;   /* gamma, beta */
        l->n_stats = 2 * (size_t)c;    /* running mean, running variance */
        break;
    case NN_LAYER_RESIDUAL: {
        int K = s->kernel ? s->kernel : 3, S = s->stride ? s->stride : 1, OC = s->out;
        if (OC <= 0 || K % 2 == 0)
            return dls_fail(e, DLS_ERR_INVALID, "layer %d (residual): needs out > 0 and an odd "
                            "kernel, got out=%d kernel=%d", index + 1, OC, K);
        nn_layer_spec sub[7];
        int n = 0;
        sub[n++] = (nn_layer_spec){ .kind = NN_LAYER_CONV2D, .out = OC, .kernel = K, .stride = S,
                                    .padding = K / 2, .init = s->init };
        sub[n++] = (nn_layer_spec){ .kind = NN_LAYER_BATCHNORM };
        sub[n++] = (nn_layer_spec){ .kind = NN_LAYER_RELU };
        sub[n++] = (nn_layer_spec){ .kind = NN_LAYER_CONV2D, .out = OC, .kernel = K, .stride = 1,
                                    .padding = K / 2, .init = s->init };
        sub[n++] = (nn_layer_spec){ .kind = NN_LAYER_BATCHNORM };
        l->n_main = n;
        if (S != 1 || c != OC) {   /* projection shortcut: 1x1 conv + batch norm */
            sub[n++] = (nn_layer_spec){ .kind = NN_LAYER_CONV2D, .out = OC, .kernel = 1,
                                        .stride = S, .init = s->init };
            sub[n++] = (nn_layer_spec){ .kind = NN_LAYER_BATCHNORM };
        }
        l->n_sub = n;
        l->sub = xcalloc((size_t)n, sizeof *l->sub);
        int rc;
        /* the main path and the shortcut both start from the block's input */
        if ((rc = setup_layers(l->sub, sub, l->n_main, c, h, w, index, e))) return rc;
        if (n > l->n_main &&
            (rc = setup_layers(l->sub + l->n_main, sub + l->n_main, n - l->n_main, c, h, w,
                               index, e)))
            return rc;
        layer *last = &l->sub[l->n_main - 1];
        l->out_c = last->out_c; l->out_h = last->out_h; l->out_w = last->out_w;
        break;
    }
    default:
        break;
    }
    if (s->kind == NN_LAYER_RESIDUAL)
        for (int i = 0; i < l->n_sub; i++) l->n_params += l->sub[i].n_params;
    l->n_params += l->n_w + l->n_b;
    l->in_sz = (size_t)l->in_c * l->in_h * l->in_w;
    l->out_sz = (size_t)l->out_c * l->out_h * l->out_w;
    return DLS_OK;
}

/* Sets up layers L[0..n) from specs, chaining shapes, and marks conv/linear + relu pairs
 * for fusion. */
static int setup_layers(layer *L, const nn_layer_spec *specs, int n, int c, int h, int w,
                        int index0, dls_error *e) {
    for (int i = 0; i < n; i++) {
        int rc = layer_setup(&L[i], &specs[i], c, h, w, index0 < 0 ? i : index0, e);
        if (rc) return rc;
        c = L[i].out_c; h = L[i].out_h; w = L[i].out_w;
    }
    for (int i = 0; i + 1 < n; i++)
        if ((L[i].spec.kind == NN_LAYER_CONV2D || L[i].spec.kind == NN_LAYER_LINEAR) &&
            L[i + 1].spec.kind == NN_LAYER_RELU) {
            L[i].fuse = NN_ACT_RELU;
            L[i + 1].fused = 1;
        }
    return DLS_OK;
}

static void free_layers(layer *L, int n) {
    for (int i = 0; L && i < n; i++) {
        free_layers(L[i].sub, L[i].n_sub);
        free(L[i].sub);
    }
}

/* Gives every layer (and sub-layer) its slice of the parameter and statistics vectors. */
static void assign_offsets(layer *L, int n, size_t *p_off, size_t *s_off) {
    for (int i = 0; i < n; i++) {
        layer *l = &L[i];
        l->p_off = *p_off;
        l->s_off = *s_off;
        *p_off += l->n_w + l->n_b;
        *s_off += l->n_stats;
        assign_offsets(l->sub, l->n_sub, p_off, s_off);
    }
}

static void bind_views(nn_model *m, layer *L, int n) {
    for (int i = 0; i < n; i++) {
        layer *l = &L[i];
        l->w  = m->params + l->p_off;
        l->b  = l->w + l->n_w;
        l->dw = m->grads + l->p_off;
        l->db = l->dw + l->n_w;
        if (l->n_stats) {
            l->run_mean = m->stats + l->s_off;
            l->run_var  = l->run_mean + l->in_c;
        }
        bind_views(m, l->sub, l->n_sub);
    }
}

/* ---------------------------------------------------------------- initialisation */

static void init_layer(const nn_model *m, const layer *l, float *hp, float *hs) {
    const nn_layer_spec *s = &l->spec;
    float *w = hp + l->p_off, *b = w + l->n_w;
    uint64_t stream = ((uint64_t)(l->index + 1) << 20) + l->p_off;   /* unique per layer */
    if (s->kind == NN_LAYER_BATCHNORM) {
        for (size_t i = 0; i < l->n_w; i++) { w[i] = 1; b[i] = 0; }
        float *st = hs + l->s_off;
        for (int c = 0; c < l->in_c; c++) { st[c] = 0; st[l->in_c + c] = 1; }
        return;
    }
    if (s->kind != NN_LAYER_LINEAR && s->kind != NN_LAYER_CONV2D) return;
    double rf = s->kind == NN_LAYER_CONV2D ? (double)s->kernel * s->kernel : 1;
    double fan_in = s->kind == NN_LAYER_CONV2D ? l->in_c * rf : (double)l->in_sz;
    double fan_out = l->out_c * rf;
    double bound = 1.0 / sqrt(fan_in), std = 0;
    int    normal = 0, zero_bias = 1;
    switch (s->init) {
    case NN_INIT_DEFAULT:         zero_bias = 0; break;   /* PyTorch: U(+-1/sqrt(fan_in)) */
    case NN_INIT_KAIMING_UNIFORM: bound = sqrt(6.0 / fan_in); break;
    case NN_INIT_KAIMING_NORMAL:  normal = 1; std = sqrt(2.0 / fan_in); break;
    case NN_INIT_XAVIER_UNIFORM:  bound = sqrt(6.0 / (fan_in + fan_out)); break;
    case NN_INIT_XAVIER_NORMAL:   normal = 1; std = sqrt(2.0 / (fan_in + fan_out)); break;
    default: DLS_ASSERT(!"unknown init");
    }
    for (size_t i = 0; i < l->n_w; i++)
        w[i] = normal ? (float)(std * nn_rng_normal(m->seed, stream, i))
                      : (float)(bound * (2.0 * nn_rng_uniform(m->seed, stream, i) - 1.0));
    double bb = 1.0 / sqrt(fan_in);
    for (size_t i = 0; i < l->n_b; i++)
        b[i] = zero_bias ? 0.0f
                         : (float)(bb * (2.0 * nn_rng_uniform(m->seed, stream + 1, i) - 1.0));
}

static void init_layers(const nn_model *m, const layer *L, int n, float *hp, float *hs) {
    for (int i = 0; i < n; i++) {
        init_layer(m, &L[i], hp, hs);
        init_layers(m, L[i].sub, L[i].n_sub, hp, hs);
    }
}

/* ---------------------------------------------------------------- workspace */

typedef struct plan {
    nn_arena *a;      /* NULL: only count bytes */
    size_t    bytes;
} plan;

static void *take(plan *p, size_t nfloats) {
    if (p->a) return nn_arena_floats(p->a, nfloats);
    p->bytes += nn_arena_bytes(nfloats);
    return NULL;
}

static nn_conv_desc conv_desc(const layer *l, int N) {
    return (nn_conv_desc){ .N = N, .C = l->in_c, .H = l->in_h, .W = l->in_w, .OC = l->out_c,
                           .K = l->spec.kernel, .stride = l->spec.stride, .pad = l->spec.padding,
                           .OH = l->out_h, .OW = l->out_w, .act = l->fuse };
}

static nn_pool_desc pool_desc(const layer *l, int N) {
    if (l->spec.kind == NN_LAYER_GLOBAL_AVGPOOL)
        return (nn_pool_desc){ .N = N, .C = l->in_c, .H = l->in_h, .W = l->in_w, .kh = l->in_h,
                               .kw = l->in_w, .stride = 1, .pad = 0, .OH = 1, .OW = 1 };
    return (nn_pool_desc){ .N = N, .C = l->in_c, .H = l->in_h, .W = l->in_w,
                           .kh = l->spec.kernel, .kw = l->spec.kernel, .stride = l->spec.stride,
                           .pad = l->spec.padding, .OH = l->out_h, .OW = l->out_w };
}

static int needs_ybuf(const layer *l) {
    return l->spec.kind != NN_LAYER_FLATTEN && !l->fused && !l->absorbed;
}

/* conv2d + relu + maxpool2d run as one backend op when the backend has it: the conv
 * output is never stored (see conv_pool_fwd in backend.h). */
static void fuse_conv_pool(const nn_backend *be, layer *L, int n) {
    if (!be->conv_pool_fwd || !be->conv_pool_bwd || !be->conv_pool_ws_bytes) return;
    for (int i = 0; i + 2 < n; i++)
        if (L[i].spec.kind == NN_LAYER_CONV2D && L[i + 1].spec.kind == NN_LAYER_RELU &&
            L[i + 2].spec.kind == NN_LAYER_MAXPOOL2D) {
            L[i].pool = &L[i + 2];
            L[i + 1].absorbed = L[i + 2].absorbed = 1;
        }
}

static void plan_layers(nn_model *m, plan *p, layer *L, int n, int N, int threads) {
    for (int i = 0; i < n; i++) {
        layer *l = &L[i];
        size_t out_sz = l->pool ? l->pool->out_sz : l->out_sz;   /* what ybuf holds */
        l->ybuf = needs_ybuf(l) ? take(p, (size_t)N * out_sz) : NULL;
        if ((l->spec.kind == NN_LAYER_MAXPOOL2D && !l->absorbed) || l->pool)
            l->idx = (int32_t *)take(p, (size_t)N * out_sz);
        if (l->spec.kind == NN_LAYER_BATCHNORM) {
            l->save_mean = take(p, (size_t)l->in_c);
            l->save_invstd = take(p, (size_t)l->in_c);
        }
        if (l->spec.kind == NN_LAYER_CONV2D) {
            nn_conv_desc d = conv_desc(l, N);
            nn_pool_desc pd = l->pool ? pool_desc(l->pool, N) : (nn_pool_desc){ 0 };
            size_t need = l->pool ? m->be->conv_pool_ws_bytes(&d, &pd, threads)
                                  : m->be->conv2d_ws_bytes(&d, threads);
            m->conv_ws_bytes = max_sz(m->conv_ws_bytes, need);
        }
        if (l->spec.kind == NN_LAYER_RESIDUAL) {
            plan_layers(m, p, l->sub, l->n_sub, N, threads);
            size_t mx = l->in_sz;
            for (int j = 0; j < l->n_sub; j++) mx = max_sz(mx, l->sub[j].out_sz);
            l->ra = take(p, (size_t)N * mx);
            l->rb = take(p, (size_t)N * mx);
            l->rc = take(p, (size_t)N * mx);
        }
        /* gradient buffers hold what backward passes between layers: nothing for layers
         * a fused conv absorbed, the pooled size for that conv */
        if (!l->absorbed) m->max_act = max_sz(m->max_act, out_sz);
    }
}

static void plan_all(nn_model *m, plan *p, int N, int threads) {
    int K = nn_model_out_features(m);
    m->max_act = m->in_sz;
    m->conv_ws_bytes = 0;
    plan_layers(m, p, m->layers, m->n_layers, N, threads);
    m->xbuf    = m->be->device == NN_DEV_CPU ? NULL : take(p, (size_t)N * m->in_sz);
    m->labels  = (int32_t *)take(p, (size_t)N);
    m->targets = take(p, (size_t)N * K);
    m->g[0]    = take(p, (size_t)N * m->max_act);
    m->g[1]    = take(p, (size_t)N * m->max_act);
    m->conv_ws = m->conv_ws_bytes ? take(p, (m->conv_ws_bytes + 3) / 4) : NULL;
}

/* Makes the workspace fit a batch of N with the current thread count; grows only. */
static int ensure_ws(nn_model *m, int N, dls_error *e) {
    int threads = nn_get_threads();
    if (N <= m->cap_n && threads <= m->ws_threads) return DLS_OK;
    if (N < m->cap_n) N = m->cap_n;
    plan counting = { NULL, 0 };
    plan_all(m, &counting, N, threads);
    nn_arena_deinit(&m->ws);
    int rc = nn_arena_init(&m->ws, m->be, counting.bytes, e);
    if (rc) { m->cap_n = 0; return rc; }
    plan real = { &m->ws, 0 };
    plan_all(m, &real, N, threads);
    free(m->host_t);
    m->host_t = xmalloc((size_t)N * nn_model_out_features(m) * sizeof(float));
    m->cap_n = N;
    m->ws_threads = threads;
    return DLS_OK;
}

/* ---------------------------------------------------------------- model lifetime */

nn_model *nn_model_new(const nn_layer_spec *specs, int n_specs, int in_c, int in_h, int in_w,
                       const nn_backend *be, uint64_t seed, dls_error *e) {
    if (n_specs <= 0 || !specs) {
        dls_fail(e, DLS_ERR_INVALID, "a model needs at least one layer");
        return NULL;
    }
    if (in_c <= 0 || in_h <= 0 || in_w <= 0) {
        dls_fail(e, DLS_ERR_INVALID, "input shape %dx%dx%d must be positive", in_c, in_h, in_w);
        return NULL;
    }
    nn_model *m = xcalloc(1, sizeof *m);
    m->be = be ? be : &nn_backend_cpu;
    m->seed = seed;
    m->in_c = in_c; m->in_h = in_h; m->in_w = in_w;
    m->in_sz = (size_t)in_c * in_h * in_w;
    m->n_layers = n_specs;
    m->specs = xmalloc((size_t)n_specs * sizeof *specs);
    memcpy(m->specs, specs, (size_t)n_specs * sizeof *specs);
    m->layers = xcalloc((size_t)n_specs, sizeof *m->layers);
    m->training = 1;
    if (setup_layers(m->layers, specs, n_specs, in_c, in_h, in_w, -1, e)) goto fail;
    fuse_conv_pool(m->be, m->layers, m->n_layers);
    size_t p_off = 0, s_off = 0;
    assign_offsets(m->layers, m->n_layers, &p_off, &s_off);
    m->n_params = p_off;
    m->n_stats = s_off;
    size_t bytes = 2 * nn_arena_bytes(m->n_params) + nn_arena_bytes(m->n_stats);
    if (nn_arena_init(&m->store, m->be, bytes, e)) goto fail;
    m->params = nn_arena_floats(&m->store, m->n_params);
    m->grads  = nn_arena_floats(&m->store, m->n_params);
    m->stats  = nn_arena_floats(&m->store, m->n_stats);
    bind_views(m, m->layers, m->n_layers);

    float *hp = xcalloc(m->n_params + 1, sizeof *hp), *hs = xcalloc(m->n_stats + 1, sizeof *hs);
    init_layers(m, m->layers, m->n_layers, hp, hs);
    m->be->to_device(m->params, hp, m->n_params * sizeof *hp);
    m->be->to_device(m->stats, hs, m->n_stats * sizeof *hs);
    m->be->fill(m->grads, m->n_params, 0.0f);
    free(hp);
    free(hs);
    return m;
fail:
    nn_model_free(m);
    return NULL;
}

void nn_model_free(nn_model *m) {
    if (!m) return;
    free_layers(m->layers, m->n_layers);
    free(m->layers);
    free(m->specs);
    free(m->host_t);
    nn_arena_deinit(&m->ws);
    nn_arena_deinit(&m->store);
    free(m);
}

void nn_model_set_training(nn_model *m, int training) { m->training = training != 0; }
int  nn_model_training(const nn_model *m) { return m->training; }
size_t nn_model_param_count(const nn_model *m) { return m->n_params; }
int  nn_model_n_layers(const nn_model *m) { return m->n_layers; }
const nn_backend *nn_model_backend(const nn_model *m) { return m->be; }
uint64_t nn_model_seed(const nn_model *m) { return m->seed; }

const nn_layer_spec *nn_model_layer_spec(const nn_model *m, int i) {
    DLS_ASSERT(i >= 0 && i < m->n_layers);
    return &m->specs[i];
}

void nn_model_layer_shape(const nn_model *m, int i, int *c, int *h, int *w) {
    DLS_ASSERT(i >= -1 && i < m->n_layers);
    if (i < 0) { *c = m->in_c; *h = m->in_h; *w = m->in_w; return; }
    *c = m->layers[i].out_c; *h = m->layers[i].out_h; *w = m->layers[i].out_w;
}

int nn_model_out_features(const nn_model *m) {
    return (int)m->layers[m->n_layers - 1].out_sz;
}

size_t nn_model_layer_param_count(const nn_model *m, int i) {
    DLS_ASSERT(i >= 0 && i < m->n_layers);
    return m->layers[i].n_params;
}

void nn_model_get_params(const nn_model *m, int i, float *host) {
    DLS_ASSERT(i >= 0 && i < m->n_layers);
    const layer *l = &m->layers[i];
    m->be->to_host(host, m->params + l->p_off, l->n_params * sizeof *host);
}

void nn_model_set_params(nn_model *m, int i, const float *host) {
    DLS_ASSERT(i >= 0 && i < m->n_layers);
    const layer *l = &m->layers[i];
    m->be->to_device(m->params + l->p_off, host, l->n_params * sizeof *host);
}

uint64_t nn_model_dropout_stream(const nn_model *m, int i) {
    return ((uint64_t)m->step << 8) ^ (uint64_t)i;
}

void nn_model_summary(const nn_model *m, dls_buf *out) {
    char shape[48];
    dls_buf_printf(out, "%-4s %-44s %-12s %10s\n", "#", "layer", "output", "params");
    snprintf(shape, sizeof shape, "%dx%dx%d", m->in_c, m->in_h, m->in_w);
    dls_buf_printf(out, "%-4s %-44s %-12s %10s\n", "", "input", shape, "");
    for (int i = 0; i < m->n_layers; i++) {
        const layer *l = &m->layers[i];
        dls_buf spec;
        dls_buf_init(&spec);
        nn_layer_spec_format(&l->spec, &spec);
        snprintf(shape, sizeof shape, "%dx%dx%d", l->out_c, l->out_h, l->out_w);
        dls_buf_printf(out, "%-4d %-44s %-12s %10zu\n", i + 1, spec.data ? spec.data : "",
                       shape, l->n_params);
        dls_buf_deinit(&spec);
    }
    dls_buf_printf(out, "input %dx%dx%d, backend %s\n", m->in_c, m->in_h, m->in_w, m->be->name);
    dls_buf_printf(out, "total parameters: %zu\n", m->n_params);
}

/* ---------------------------------------------------------------- forward */

static void chain_forward(nn_model *m, layer *L, int n, const float *x);

static void residual_forward(nn_model *m, layer *l, const float *x) {
    const nn_backend *be = m->be;
    size_t n_out = (size_t)m->n * l->out_sz;
    chain_forward(m, l->sub, l->n_main, x);
    const float *sc = x;
    if (l->n_sub > l->n_main) {
        chain_forward(m, l->sub + l->n_main, l->n_sub - l->n_main, x);
        sc = l->sub[l->n_sub - 1].out;
    }
    be->copy(l->ybuf, l->sub[l->n_main - 1].out, n_out * sizeof(float));
    be->axpy(n_out, 1.0f, sc, l->ybuf);
    be->act_fwd(NN_ACT_RELU, 0, l->ybuf, l->ybuf, n_out);
}

static void layer_forward(nn_model *m, layer *l, const float *x) {
    const nn_backend *be = m->be;
    int    N = m->n;
    size_t n_out = (size_t)N * l->out_sz;
    l->out = l->ybuf;
    if (l->absorbed) { l->out = x; return; }   /* done by the conv before it */
    switch (l->spec.kind) {
    case NN_LAYER_LINEAR: {
        nn_linear_desc d = { .N = N, .IN = (int)l->in_sz, .OUT = l->out_c, .act = l->fuse };
        be->linear_fwd(&d, x, l->w, l->b, l->ybuf);
        break;
    }
    case NN_LAYER_CONV2D: {
        nn_conv_desc d = conv_desc(l, N);
        if (l->pool) {
            nn_pool_desc pd = pool_desc(l->pool, N);
            be->conv_pool_fwd(&d, &pd, x, l->w, l->b, l->ybuf, l->idx, m->conv_ws);
        } else {
            be->conv2d_fwd(&d, x, l->w, l->b, l->ybuf, m->conv_ws);
        }
        break;
    }
    case NN_LAYER_MAXPOOL2D: {
        nn_pool_desc d = pool_desc(l, N);
        be->maxpool_fwd(&d, x, l->ybuf, l->idx);
        break;
    }
    case NN_LAYER_AVGPOOL2D:
    case NN_LAYER_GLOBAL_AVGPOOL: {
        nn_pool_desc d = pool_desc(l, N);
        be->avgpool_fwd(&d, x, l->ybuf);
        break;
    }
    case NN_LAYER_FLATTEN:
        l->out = x;
        break;
    case NN_LAYER_RELU:
    case NN_LAYER_LEAKY_RELU:
    case NN_LAYER_SIGMOID:
    case NN_LAYER_TANH:
        if (l->fused) l->out = x;   /* the previous conv/linear applied it */
        else be->act_fwd(act_of(l->spec.kind), slope_of(&l->spec), x, l->ybuf, n_out);
        break;
    case NN_LAYER_SOFTMAX:
    case NN_LAYER_LOG_SOFTMAX:
        be->softmax_fwd(x, l->ybuf, N, (int)l->out_sz, l->spec.kind == NN_LAYER_LOG_SOFTMAX);
        break;
    case NN_LAYER_DROPOUT:
        if (m->training && l->spec.p > 0)
            be->dropout_fwd(x, l->ybuf, n_out, l->spec.p, m->seed,
                            nn_model_dropout_stream(m, l->index));
        else
            l->out = x;
        break;
    case NN_LAYER_BATCHNORM: {
        nn_bn_desc d = { .N = N, .C = l->in_c, .HW = l->in_h * l->in_w, .eps = BN_EPS,
                         .momentum = BN_MOMENTUM, .training = m->training };
        be->bn_fwd(&d, x, l->w, l->b, l->ybuf, l->run_mean, l->run_var, l->save_mean,
                   l->save_invstd);
        break;
    }
    case NN_LAYER_RESIDUAL:
        residual_forward(m, l, x);
        break;
    default:
        DLS_ASSERT(!"unknown layer kind");
    }
}

static void chain_forward(nn_model *m, layer *L, int n, const float *x) {
    for (int i = 0; i < n; i++) {
        layer_forward(m, &L[i], x);
        x = L[i].out;
    }
}

int nn_model_forward(nn_model *m, const float *x, int n, const nn_tensor **out, dls_error *e) {
    if (n <= 0) return dls_fail(e, DLS_ERR_INVALID, "batch size must be positive, got %d", n);
    int rc = ensure_ws(m, n, e);
    if (rc) return rc;
    m->n = n;
    if (m->xbuf) {
        m->be->to_device(m->xbuf, x, (size_t)n * m->in_sz * sizeof(float));
        m->x = m->xbuf;
    } else {
        m->x = x;   /* CPU: read the caller's batch in place */
    }
    chain_forward(m, m->layers, m->n_layers, m->x);
    m->loss_ready = 0;
    if (out) {
        const layer *last = &m->layers[m->n_layers - 1];
        int shape[2] = { n, (int)last->out_sz };
        m->out_tensor = nn_tensor_view(m->be, (float *)last->out, 2, shape);
        *out = &m->out_tensor;
    }
    return DLS_OK;
}

void nn_model_output(const nn_model *m, float *host) {
    const layer *last = &m->layers[m->n_layers - 1];
    m->be->to_host(host, last->out, (size_t)m->n * last->out_sz * sizeof(float));
}

/* ---------------------------------------------------------------- loss */

int nn_model_loss(nn_model *m, const int *labels, const float *targets, nn_loss_kind loss,
                  float *loss_out, dls_error *e) {
    const nn_backend *be = m->be;
    int    N = m->n, K = nn_model_out_features(m);
    size_t nk = (size_t)N * K;
    const float *z = m->layers[m->n_layers - 1].out;
    DLS_ASSERT(N > 0 && z);
    if (!labels && !targets)
        return dls_fail(e, DLS_ERR_INVALID, "%s loss needs labels or targets",
                        nn_loss_kind_name(loss));
    if (labels) {
        int maxl = K == 1 ? 2 : K;
        for (int i = 0; i < N; i++)
            if (labels[i] < 0 || labels[i] >= maxl)
                return dls_fail(e, DLS_ERR_INVALID, "label %d of example %d out of range "
                                "[0, %d) for a model with %d outputs", labels[i], i, maxl, K);
        be->to_device(m->labels, labels, (size_t)N * sizeof(int32_t));
    }
    float value;
    switch (loss) {
    case NN_LOSS_CROSS_ENTROPY:
        if (!labels)
            return dls_fail(e, DLS_ERR_INVALID, "cross-entropy needs class labels");
        if (K < 2)
            return dls_fail(e, DLS_ERR_INVALID, "cross-entropy needs at least 2 outputs, the "
                            "model has %d (use bce for one output)", K);
        value = be->xent_fwd_bwd(z, m->labels, N, K, m->g[0]);
        break;
    case NN_LOSS_MSE:
    case NN_LOSS_BCE:
        if (targets) {
            be->to_device(m->targets, targets, nk * sizeof(float));
        } else {
            /* labels as targets: one-hot, or the label itself for a single output */
            memset(m->host_t, 0, nk * sizeof(float));
            for (int i = 0; i < N; i++) {
                if (K == 1) m->host_t[i] = (float)labels[i];
                else m->host_t[(size_t)i * K + labels[i]] = 1.0f;
            }
            be->to_device(m->targets, m->host_t, nk * sizeof(float));
        }
        value = loss == NN_LOSS_MSE ? be->mse_fwd_bwd(z, m->targets, nk, m->g[0])
                                    : be->bce_fwd_bwd(z, m->targets, nk, m->g[0]);
        break;
    default:
        return dls_fail(e, DLS_ERR_INVALID, "unknown loss %d", (int)loss);
    }
    m->loss_ready = 1;
    if (loss_out) *loss_out = value;
    return DLS_OK;
}

/* ---------------------------------------------------------------- backward */

/* Kinds whose backward may write dx over dy (elementwise, or no change at all). */
static int bwd_in_place(const layer *l) {
    nn_layer_kind k = l->spec.kind;
    return l->absorbed || k == NN_LAYER_FLATTEN || act_of(k) != NN_ACT_NONE ||
           k == NN_LAYER_DROPOUT || k == NN_LAYER_SOFTMAX || k == NN_LAYER_LOG_SOFTMAX;
}

static void chain_backward(nn_model *m, layer *L, int n, const float *x0, float **cur,
                           float **other, int need_dx0);

/* y = relu(main(x) + shortcut(x)); dy is clobbered; dx may be NULL. */
static void residual_backward(nn_model *m, layer *l, const float *x, float *dy, float *dx) {
    const nn_backend *be = m->be;
    size_t n_out = (size_t)m->n * l->out_sz, n_in = (size_t)m->n * l->in_sz;
    be->act_bwd(NN_ACT_RELU, 0, l->ybuf, dy, dy, n_out);
    be->copy(l->ra, dy, n_out * sizeof(float));
    float *cur = l->ra, *other = l->rb;
    chain_backward(m, l->sub, l->n_main, x, &cur, &other, dx != NULL);
    if (l->n_sub > l->n_main) {
        /* the shortcut's chain: its own ping-pong in rc and other */
        float *scur = l->rc, *soth = other;
        be->copy(l->rc, dy, n_out * sizeof(float));
        chain_backward(m, l->sub + l->n_main, l->n_sub - l->n_main, x, &scur, &soth, dx != NULL);
        if (dx) {
            be->copy(dx, cur, n_in * sizeof(float));
            be->axpy(n_in, 1.0f, scur, dx);
        }
    } else if (dx) {
        be->copy(dx, cur, n_in * sizeof(float));
        be->axpy(n_in, 1.0f, dy, dx);
    }
}

/* Writes parameter gradients; dx (may be NULL) receives the input gradient. For
 * bwd_in_place kinds dx may be dy. */
static void layer_backward(nn_model *m, layer *l, const float *x, float *dy, float *dx) {
    const nn_backend *be = m->be;
    int    N = m->n;
    size_t n_out = (size_t)N * l->out_sz;
    if (l->absorbed) return;   /* the conv before it takes the pooled gradient */
    switch (l->spec.kind) {
    case NN_LAYER_LINEAR: {
        nn_linear_desc d = { .N = N, .IN = (int)l->in_sz, .OUT = l->out_c, .act = l->fuse };
        be->linear_bwd(&d, x, l->w, dy, dx, l->dw, l->db);
        break;
    }
    case NN_LAYER_CONV2D: {
        nn_conv_desc d = conv_desc(l, N);
        if (l->pool) {
            nn_pool_desc pd = pool_desc(l->pool, N);
            be->conv_pool_bwd(&d, &pd, x, l->w, l->ybuf, l->idx, dy, dx, l->dw, l->db,
                              m->conv_ws);
        } else {
            be->conv2d_bwd(&d, x, l->w, dy, dx, l->dw, l->db, m->conv_ws);
        }
        break;
    }
    case NN_LAYER_MAXPOOL2D: {
        nn_pool_desc d = pool_desc(l, N);
        if (dx) be->maxpool_bwd(&d, dy, l->idx, dx);
        break;
    }
    case NN_LAYER_AVGPOOL2D:
    case NN_LAYER_GLOBAL_AVGPOOL: {
        nn_pool_desc d = pool_desc(l, N);
        if (dx) be->avgpool_bwd(&d, dy, dx);
        break;
    }
    case NN_LAYER_FLATTEN:
        break;
    case NN_LAYER_RELU:
    case NN_LAYER_LEAKY_RELU:
    case NN_LAYER_SIGMOID:
    case NN_LAYER_TANH:
        if (dx) be->act_bwd(act_of(l->spec.kind), slope_of(&l->spec), l->out, dy, dx, n_out);
        break;
    case NN_LAYER_SOFTMAX:
    case NN_LAYER_LOG_SOFTMAX:
        if (dx) be->softmax_bwd(l->out, dy, dx, N, (int)l->out_sz,
                                l->spec.kind == NN_LAYER_LOG_SOFTMAX);
        break;
    case NN_LAYER_DROPOUT:
        if (dx && m->training && l->spec.p > 0)
            be->dropout_bwd(dy, dx, n_out, l->spec.p, m->seed,
                            nn_model_dropout_stream(m, l->index));
        break;
    case NN_LAYER_BATCHNORM: {
        nn_bn_desc d = { .N = N, .C = l->in_c, .HW = l->in_h * l->in_w, .eps = BN_EPS,
                         .momentum = BN_MOMENTUM, .training = m->training };
        be->bn_bwd(&d, x, l->w, dy, l->save_mean, l->save_invstd, dx, l->dw, l->db);
        break;
    }
    case NN_LAYER_RESIDUAL:
        residual_backward(m, l, x, dy, dx);
        break;
    default:
        DLS_ASSERT(!"unknown layer kind");
    }
}

/* Backward through L[0..n) whose input was x0, starting from the gradient in *cur;
 * ends with the input gradient in *cur when need_dx0. */
static void chain_backward(nn_model *m, layer *L, int n, const float *x0, float **cur,
                           float **other, int need_dx0) {
    /* Below the first layer with parameters nobody needs a gradient (unless the caller
     * wants the input's): an MLP's first linear after a flatten skips its dx GEMM. */
    int first = n;
    for (int i = 0; i < n && first == n; i++)
        if (L[i].n_params) first = i;
    for (int i = n - 1; i >= 0; i--) {
        const float *x = i ? L[i - 1].out : x0;
        int need = i > first || need_dx0;
        if (!need && !L[i].n_params) continue;
        if (bwd_in_place(&L[i])) {
            if (need) layer_backward(m, &L[i], x, *cur, *cur);
            continue;
        }
        layer_backward(m, &L[i], x, *cur, need ? *other : NULL);
        if (need) { float *t = *cur; *cur = *other; *other = t; }
    }
}

void nn_model_backward(nn_model *m) {
    DLS_ASSERT(m->loss_ready);
    /* the scratch was sized for the forward's thread count (nn.h: no nn_set_threads
     * between a forward and its backward) */
    DLS_ASSERT(nn_get_threads() <= m->ws_threads);
    float *cur = m->g[0], *other = m->g[1];
    chain_backward(m, m->layers, m->n_layers, m->x, &cur, &other, m->need_input_grad);
    m->dx_input = m->need_input_grad ? cur : NULL;
    m->loss_ready = 0;
}

double nn_model_grad_norm(const nn_model *m, int i) {
    DLS_ASSERT(i >= 0 && i < m->n_layers);
    const layer *l = &m->layers[i];
    if (!l->n_params) return 0;
    return sqrt(m->be->sumsq(m->grads + l->p_off, l->n_params));
}

/* ---------------------------------------------------------------- training and evaluation */

int nn_model_train_step(nn_model *m, nn_optim *opt, const float *x, const int *labels,
                        const float *targets, int n, nn_loss_kind loss, float *loss_out,
                        dls_error *e) {
    float value = 0;
    int   rc = nn_model_forward(m, x, n, NULL, e);
    if (!rc) rc = nn_model_loss(m, labels, targets, loss, &value, e);
    if (rc) return rc;
    if (loss_out) *loss_out = value;
    if (!isfinite(value)) {
        m->loss_ready = 0;
        /* a device fault reads as a NaN loss: report the fault, not a divergence (e may
         * be NULL, so the code comes from the return value) */
        if (m->be->error && (rc = m->be->error(e)) != DLS_OK) return rc;
        return dls_fail(e, DLS_ERR_DIVERGED, "loss is %g at step %ld: training diverged "
                        "(try a smaller learning rate)", value, m->step);
    }
    nn_model_backward(m);
    nn_optim_step(opt);
    m->step++;
    return DLS_OK;
}

int nn_model_evaluate(nn_model *m, const nn_dataset *d, int batch, nn_loss_kind loss,
                      nn_eval_result *out, dls_error *e) {
    memset(out, 0, sizeof *out);
    if ((size_t)d->c * d->h * d->w != m->in_sz)
        return dls_fail(e, DLS_ERR_MISMATCH, "data set %s has examples %dx%dx%d, the model "
                        "expects %dx%dx%d", d->name, d->c, d->h, d->w, m->in_c, m->in_h, m->in_w);
    int K = nn_model_out_features(m);
    if (!d->y && (!d->t || d->t_dim != K))
        return dls_fail(e, DLS_ERR_MISMATCH, "data set %s has no labels and no targets of "
                        "width %d", d->name, K);
    if (batch <= 0) batch = 256;
    int    was = m->training, rc = DLS_OK;
    double total = 0;
    long   correct = 0;
    m->training = 0;
    for (int i = 0; i < d->n; i += batch) {
        int nb = d->n - i < batch ? d->n - i : batch;
        float l;
        rc = nn_model_forward(m, d->x + (size_t)i * m->in_sz, nb, NULL, e);
        if (!rc) rc = nn_model_loss(m, d->y ? d->y + i : NULL,
                                    d->t && !d->y ? d->t + (size_t)i * K : NULL, loss, &l, e);
        if (rc) break;
        total += (double)l * nb;
        if (d->y) correct += m->be->count_correct(m->layers[m->n_layers - 1].out, m->labels, nb, K);
    }
    m->training = was;
    m->loss_ready = 0;
    if (rc) return rc;
    out->n = d->n;
    out->loss = d->n ? total / d->n : 0;
    out->accuracy = d->n && d->y ? (double)correct / d->n : 0;
    return DLS_OK;
}
