/* checkpoint.c: dlstudy's own checkpoint format: save (atomic) and load (validated).
 * Not a general serialisation library; the layout is written out below and versioned.
 *
 * File layout, all integers and floats little-endian:
 *   "DLSCKPT\0"            8 bytes magic
 *   u32 version            CKPT_VERSION
 *   u64 body_len           bytes of body that follow
 *   body:
 *     u32 in_c, in_h, in_w, n_specs
 *     n_specs x { u32 kind, i32 out, kernel, stride, padding, f32 p, slope, u32 init }
 *     u64 seed, i64 step                       model seed, training steps done (dropout)
 *     u64 n_params, f32 params[n_params]
 *     u64 n_stats,  f32 stats[n_stats]         batch-norm running statistics
 *     u32 has_optim; when 1:
 *       u32 kind, f32 lr, momentum, u32 nesterov, f32 weight_decay, beta1, beta2, eps,
 *       alpha, u32 sched, i64 step_size, f32 gamma, i64 total_steps, f32 lr_min,
 *       i64 t, f32 s1[n_params], f32 s2[n_params]
 *     u32 meta_len, meta bytes                 "key=value\n" lines
 *   u32 crc32              CRC-32 (IEEE) of everything before it */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/optim/optim_impl.h"

#define CKPT_MAGIC   "DLSCKPT"   /* 7 chars + NUL = 8 bytes */
#define CKPT_VERSION 1u
#define CKPT_HEAD    (8 + 4 + 8)
#define CKPT_MAX     ((size_t)1 << 32)

static uint32_t crc32_ieee(const uint8_t *p, size_t n) {
    static uint32_t table[256];
    if (!table[1])
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

/* ---------------------------------------------------------------- writing */

/* x86-64 and arm64 are little-endian; the format is defined little-endian regardless. */
static void put_u32(dls_buf *b, uint32_t v) {
    uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    dls_buf_append(b, x, 4);
}
static void put_u64(dls_buf *b, uint64_t v) { put_u32(b, (uint32_t)v); put_u32(b, (uint32_t)(v >> 32)); }
static void put_f32(dls_buf *b, float f) { uint32_t v; memcpy(&v, &f, 4); put_u32(b, v); }
static void put_floats(dls_buf *b, const float *host, size_t n) {
    for (size_t i = 0; i < n; i++) put_f32(b, host[i]);
}

/* Copies n device floats to the host and appends them. */
static void put_device(dls_buf *b, const nn_backend *be, const float *dev, size_t n) {
    float *h = xmalloc((n + 1) * sizeof *h);
    be->to_host(h, dev, n * sizeof *h);
    put_floats(b, h, n);
    free(h);
}

static int write_atomic(const char *path, const void *data, size_t len, dls_error *e) {
    char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
    int   fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        int rc = dls_fail(e, DLS_ERR_IO, "%s: cannot create: %s", tmp, strerror(errno));
        free(tmp);
        return rc;
    }
    const char *p = data;
    size_t      left = len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            int rc = dls_fail(e, DLS_ERR_IO, "%s: write failed: %s", path, strerror(errno));
            close(fd);
            unlink(tmp);
            free(tmp);
            return rc;
        }
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        int rc = dls_fail(e, DLS_ERR_IO, "%s: cannot flush: %s", path, strerror(errno));
        unlink(tmp);
        free(tmp);
        return rc;
    }
    if (rename(tmp, path) != 0) {
        int rc = dls_fail(e, DLS_ERR_IO, "%s: cannot rename into place: %s", path, strerror(errno));
        unlink(tmp);
        free(tmp);
        return rc;
    }
    free(tmp);
    return DLS_OK;
}

int nn_checkpoint_save(const char *path, const nn_model *m, const nn_optim *opt,
                       const char *meta, dls_error *e) {
    if (opt && opt->m != m)
        return dls_fail(e, DLS_ERR_INVALID, "%s: the optimizer belongs to another model", path);
    dls_buf body;
    dls_buf_init(&body);
    put_u32(&body, (uint32_t)m->in_c);
    put_u32(&body, (uint32_t)m->in_h);
    put_u32(&body, (uint32_t)m->in_w);
    put_u32(&body, (uint32_t)m->n_layers);
    for (int i = 0; i < m->n_layers; i++) {
        const nn_layer_spec *s = &m->specs[i];
        put_u32(&body, (uint32_t)s->kind);
        put_u32(&body, (uint32_t)s->out);
        put_u32(&body, (uint32_t)s->kernel);
        put_u32(&body, (uint32_t)s->stride);
        put_u32(&body, (uint32_t)s->padding);
        put_f32(&body, s->p);
        put_f32(&body, s->slope);
        put_u32(&body, (uint32_t)s->init);
    }
    put_u64(&body, m->seed);
    put_u64(&body, (uint64_t)m->step);
    put_u64(&body, m->n_params);
    put_device(&body, m->be, m->params, m->n_params);
    put_u64(&body, m->n_stats);
    put_device(&body, m->be, m->stats, m->n_stats);
    put_u32(&body, opt != NULL);
    if (opt) {
        const nn_optim_config *c = &opt->cfg;
        put_u32(&body, (uint32_t)c->kind);
        put_f32(&body, c->lr);
        put_f32(&body, c->momentum);
        put_u32(&body, (uint32_t)c->nesterov);
        put_f32(&body, c->weight_decay);
        put_f32(&body, c->beta1);
        put_f32(&body, c->beta2);
        put_f32(&body, c->eps);
        put_f32(&body, c->alpha);
        put_u32(&body, (uint32_t)c->sched);
        put_u64(&body, (uint64_t)c->step_size);
        put_f32(&body, c->gamma);
        put_u64(&body, (uint64_t)c->total_steps);
        put_f32(&body, c->lr_min);
        put_u64(&body, (uint64_t)opt->t);
        put_device(&body, m->be, opt->s1, m->n_params);
        put_device(&body, m->be, opt->s2, m->n_params);
    }
    size_t mlen = meta ? strlen(meta) : 0;
    put_u32(&body, (uint32_t)mlen);
    dls_buf_append(&body, meta ? meta : "", mlen);

    dls_buf file;
    dls_buf_init(&file);
    dls_buf_append(&file, CKPT_MAGIC, 8);
    put_u32(&file, CKPT_VERSION);
    put_u64(&file, body.len);
    dls_buf_append(&file, body.data, body.len);
    put_u32(&file, crc32_ieee((const uint8_t *)file.data, file.len));
    dls_buf_deinit(&body);
    int rc = write_atomic(path, file.data, file.len, e);
    dls_buf_deinit(&file);
    return rc;
}

/* ---------------------------------------------------------------- reading */

typedef struct reader {
    const uint8_t *p;
    size_t         left;
    int            short_read;   /* a read past the end: the body is shorter than it says */
} reader;

static uint32_t get_u32(reader *r) {
    if (r->left < 4) { r->short_read = 1; r->left = 0; return 0; }
    uint32_t v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 |
                 (uint32_t)r->p[3] << 24;
    r->p += 4;
    r->left -= 4;
    return v;
}
static uint64_t get_u64(reader *r) { uint64_t lo = get_u32(r); return lo | (uint64_t)get_u32(r) << 32; }
static float get_f32(reader *r) { uint32_t v = get_u32(r); float f; memcpy(&f, &v, 4); return f; }
/* Points at n floats in the file (copied out later); NULL when the file is too short. */
static const uint8_t *get_floats(reader *r, uint64_t n) {
    if (n > r->left / 4) { r->short_read = 1; r->left = 0; return NULL; }
    const uint8_t *p = r->p;
    r->p += n * 4;
    r->left -= n * 4;
    return p;
}
static void floats_from(float *dst, const uint8_t *src, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint32_t v = (uint32_t)src[4 * i] | (uint32_t)src[4 * i + 1] << 8 |
                     (uint32_t)src[4 * i + 2] << 16 | (uint32_t)src[4 * i + 3] << 24;
        memcpy(&dst[i], &v, 4);
    }
}

/* Everything a checkpoint holds, parsed and validated, before anything is applied. */
typedef struct ckpt {
    char          *file;
    size_t         len;
    int            in_c, in_h, in_w, n_specs;
    nn_layer_spec *specs;
    uint64_t       seed;
    long           step;
    uint64_t       n_params, n_stats;
    const uint8_t *params, *stats;
    int            has_optim;
    nn_optim_config cfg;
    long           t;
    const uint8_t *s1, *s2;
    char          *meta;
} ckpt;

static void ckpt_free(ckpt *c) {
    free(c->file);
    free(c->specs);
    free(c->meta);
}

static int ckpt_read(const char *path, ckpt *c, dls_error *e) {
    memset(c, 0, sizeof *c);
    int rc = dls_read_file(path, CKPT_MAX, &c->file, &c->len, e);
    if (rc) return rc;
    const uint8_t *f = (const uint8_t *)c->file;
    if (c->len < 8 || memcmp(f, CKPT_MAGIC, 8) != 0)
        return dls_fail(e, DLS_ERR_PARSE, "%s: not a dlstudy checkpoint (bad magic)", path);
    if (c->len < CKPT_HEAD + 4)
        return dls_fail(e, DLS_ERR_CORRUPT, "%s: truncated checkpoint (%zu bytes)", path, c->len);
    reader hr = { f + 8, c->len - 8, 0 };
    uint32_t version = get_u32(&hr);
    uint64_t body_len = get_u64(&hr);
    if (version != CKPT_VERSION)
        return dls_fail(e, DLS_ERR_UNSUPPORTED, "%s: checkpoint version %u, this dlstudy reads "
                        "version %u", path, version, CKPT_VERSION);
    if (body_len != c->len - CKPT_HEAD - 4)
        return dls_fail(e, DLS_ERR_CORRUPT, "%s: %s checkpoint: header says %llu bytes of data, the file has %zu",
                        path, body_len > c->len - CKPT_HEAD - 4 ? "truncated" : "corrupt",
                        (unsigned long long)body_len, c->len - CKPT_HEAD - 4);
    reader tail = { f + c->len - 4, 4, 0 };
    uint32_t want = get_u32(&tail), got = crc32_ieee(f, c->len - 4);
    if (want != got)
        return dls_fail(e, DLS_ERR_CORRUPT, "%s: corrupt checkpoint (checksum %08x, expected "
                        "%08x)", path, got, want);

    reader r = { f + CKPT_HEAD, body_len, 0 };
    c->in_c = (int)get_u32(&r);
    c->in_h = (int)get_u32(&r);
    c->in_w = (int)get_u32(&r);
    uint32_t ns = get_u32(&r);
    if (ns == 0 || ns > 4096)
        return dls_fail(e, DLS_ERR_CORRUPT, "%s: corrupt checkpoint (%u layers)", path, ns);
    c->n_specs = (int)ns;
    c->specs = xcalloc(ns, sizeof *c->specs);
    for (uint32_t i = 0; i < ns; i++) {
        nn_layer_spec *s = &c->specs[i];
        s->kind = (nn_layer_kind)get_u32(&r);
        s->out = (int)get_u32(&r);
        s->kernel = (int)get_u32(&r);
        s->stride = (int)get_u32(&r);
        s->padding = (int)get_u32(&r);
        s->p = get_f32(&r);
        s->slope = get_f32(&r);
        s->init = (nn_init_kind)get_u32(&r);
        if ((unsigned)s->kind >= NN_LAYER_KIND_COUNT || (unsigned)s->init >= NN_INIT_KIND_COUNT)
            return dls_fail(e, DLS_ERR_CORRUPT, "%s: corrupt checkpoint (layer %u has kind %d)",
                            path, i + 1, (int)s->kind);
    }
    c->seed = get_u64(&r);
    c->step = (long)get_u64(&r);
    c->n_params = get_u64(&r);
    c->params = get_floats(&r, c->n_params);
    c->n_stats = get_u64(&r);
    c->stats = get_floats(&r, c->n_stats);
    c->has_optim = (int)get_u32(&r);
    if (c->has_optim) {
        nn_optim_config *o = &c->cfg;
        o->kind = (nn_optim_kind)get_u32(&r);
        o->lr = get_f32(&r);
        o->momentum = get_f32(&r);
        o->nesterov = (int)get_u32(&r);
        o->weight_decay = get_f32(&r);
        o->beta1 = get_f32(&r);
        o->beta2 = get_f32(&r);
        o->eps = get_f32(&r);
        o->alpha = get_f32(&r);
        o->sched = (nn_sched_kind)get_u32(&r);
        o->step_size = (long)get_u64(&r);
        o->gamma = get_f32(&r);
        o->total_steps = (long)get_u64(&r);
        o->lr_min = get_f32(&r);
        c->t = (long)get_u64(&r);
        c->s1 = get_floats(&r, c->n_params);
        c->s2 = get_floats(&r, c->n_params);
    }
    uint32_t mlen = get_u32(&r);
    if (!r.short_read && mlen <= r.left) {
        c->meta = xstrndup((const char *)r.p, mlen);
        r.left -= mlen;
    } else {
        r.short_read = 1;
    }
    if (r.short_read || r.left != 0)
        return dls_fail(e, DLS_ERR_CORRUPT, "%s: corrupt checkpoint (sections do not add up)", path);
    return DLS_OK;
}

static int same_spec(const nn_layer_spec *a, const nn_layer_spec *b) {
    return a->kind == b->kind && a->out == b->out && a->kernel == b->kernel &&
           a->stride == b->stride && a->padding == b->padding && a->p == b->p &&
           a->slope == b->slope;   /* init only matters for a fresh model */
}

int nn_checkpoint_load(const char *path, nn_model *m, nn_optim *opt, char **meta,
                       dls_error *e) {
    ckpt c;
    int  rc = ckpt_read(path, &c, e);
    if (rc) goto done;
    if (c.in_c != m->in_c || c.in_h != m->in_h || c.in_w != m->in_w) {
        rc = dls_fail(e, DLS_ERR_MISMATCH, "%s: saved for inputs %dx%dx%d, the model takes "
                      "%dx%dx%d", path, c.in_c, c.in_h, c.in_w, m->in_c, m->in_h, m->in_w);
        goto done;
    }
    if (c.n_specs != m->n_layers) {
        rc = dls_fail(e, DLS_ERR_MISMATCH, "%s: saved model has %d layers, this one %d", path,
                      c.n_specs, m->n_layers);
        goto done;
    }
    for (int i = 0; i < c.n_specs; i++)
        if (!same_spec(&c.specs[i], &m->specs[i])) {
            dls_buf a, b;
            dls_buf_init(&a);
            dls_buf_init(&b);
            nn_layer_spec_format(&c.specs[i], &a);
            nn_layer_spec_format(&m->specs[i], &b);
            rc = dls_fail(e, DLS_ERR_MISMATCH, "%s: layer %d is '%s' in the file but '%s' in "
                          "the model", path, i + 1, a.data, b.data);
            dls_buf_deinit(&a);
            dls_buf_deinit(&b);
            goto done;
        }
    if (c.n_params != m->n_params || c.n_stats != m->n_stats) {
        rc = dls_fail(e, DLS_ERR_MISMATCH, "%s: %llu parameters in the file, %zu in the model",
                      path, (unsigned long long)c.n_params, m->n_params);
        goto done;
    }
    if (opt && c.has_optim && c.cfg.kind != opt->cfg.kind) {
        rc = dls_fail(e, DLS_ERR_MISMATCH, "%s: saved with optimizer %s, resuming with %s", path,
                      nn_optim_kind_name(c.cfg.kind), nn_optim_kind_name(opt->cfg.kind));
        goto done;
    }
    if (opt && opt->m != m) {
        rc = dls_fail(e, DLS_ERR_INVALID, "%s: the optimizer belongs to another model", path);
        goto done;
    }
    /* Everything checked: apply. */
    size_t n = m->n_params;
    float *h = xmalloc((n + m->n_stats + 1) * sizeof *h);
    floats_from(h, c.params, n);
    m->be->to_device(m->params, h, n * sizeof *h);
    floats_from(h, c.stats, m->n_stats);
    m->be->to_device(m->stats, h, m->n_stats * sizeof *h);
    m->step = c.step;
    m->seed = c.seed;   /* dropout masks derive from it: resume exactly */
    if (opt && c.has_optim) {
        floats_from(h, c.s1, n);
        m->be->to_device(opt->s1, h, n * sizeof *h);
        floats_from(h, c.s2, n);
        m->be->to_device(opt->s2, h, n * sizeof *h);
        opt->t = c.t;
    }
    free(h);
    if (meta) { *meta = c.meta; c.meta = NULL; }
done:
    ckpt_free(&c);
    return rc;
}

int nn_checkpoint_read_arch(const char *path, nn_layer_spec **specs, int *n_specs, int *in_c,
                            int *in_h, int *in_w, char **meta, dls_error *e) {
    ckpt c;
    int  rc = ckpt_read(path, &c, e);
    if (!rc) {
        *specs = c.specs;
        c.specs = NULL;
        *n_specs = c.n_specs;
        *in_c = c.in_c;
        *in_h = c.in_h;
        *in_w = c.in_w;
        if (meta) { *meta = c.meta; c.meta = NULL; }
    }
    ckpt_free(&c);
    return rc;
}
