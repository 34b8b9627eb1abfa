/* gradcheck.c: compares a model's backward pass with central differences of its loss,
 * on sampled parameters of every layer and on inputs (kann's kad_check_grad, for whole
 * models). Works on any backend: single values cross with to_host/to_device. Not a
 * per-kernel test (tests/engine/test_ops.c checks kernels one by one). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/model_impl.h"

typedef struct gc {
    nn_model     *m;
    const float  *x;
    const int    *labels;
    const float  *targets;
    int           n;
    nn_loss_kind  loss;
} gc;

static int eval_loss(gc *g, const float *x, double *out, dls_error *e) {
    float l;
    int   rc = nn_model_forward(g->m, x, g->n, NULL, e);
    if (!rc) rc = nn_model_loss(g->m, g->labels, g->targets, g->loss, &l, e);
    g->m->loss_ready = 0;
    *out = l;
    return rc;
}

static void record(nn_gradcheck_result *r, int li, double a, double num) {
    double err = fabs(a - num) / fmax(fabs(a) + fabs(num), 1e-2);
    if (r->checked++ == 0 || err > r->max_rel_err) {
        r->max_rel_err = err;
        r->worst_layer = li;
        r->worst_analytic = a;
        r->worst_numeric = num;
    }
}

int nn_model_gradcheck(nn_model *m, const float *x, const int *labels, const float *targets,
                       int n, nn_loss_kind loss, float eps, int max_per_layer,
                       nn_gradcheck_result *out, dls_error *e) {
    const nn_backend *be = m->be;
    gc     g = { m, x, labels, targets, n, loss };
    float  lval;
    int    rc;
    memset(out, 0, sizeof *out);
    out->worst_layer = -2;
    if (eps <= 0) eps = 1e-2f;
    if (max_per_layer <= 0) max_per_layer = 8;

    /* Running statistics change on every training-mode forward: keep them to restore. */
    float *stats = xmalloc((m->n_stats + 1) * sizeof *stats);
    be->to_host(stats, m->stats, m->n_stats * sizeof *stats);

    /* analytic gradients, parameters and input */
    float *grads = NULL, *dx = NULL, *xp = NULL;
    m->need_input_grad = 1;
    rc = nn_model_forward(m, x, n, NULL, e);
    if (!rc) rc = nn_model_loss(m, labels, targets, loss, &lval, e);
    if (rc) { m->need_input_grad = 0; goto done; }   /* the forward may have moved stats */
    nn_model_backward(m);
    m->need_input_grad = 0;
    grads = xmalloc((m->n_params + 1) * sizeof *grads);
    size_t nx = (size_t)n * m->in_sz;
    dx = xmalloc(nx * sizeof *dx);
    xp = xmalloc(nx * sizeof *xp);
    be->to_host(grads, m->grads, m->n_params * sizeof *grads);
    be->to_host(dx, m->dx_input, nx * sizeof *dx);
    memcpy(xp, x, nx * sizeof *xp);

    for (int li = 0; li < m->n_layers && !rc; li++) {
        const layer *l = &m->layers[li];
        for (int k = 0; k < max_per_layer && (size_t)k < l->n_params && !rc; k++) {
            size_t i = l->n_params <= (size_t)max_per_layer ? (size_t)k
                     : nn_rng_u64(m->seed, 0xC4ECull + li, k) % l->n_params;
            float *p = m->params + l->p_off + i, w0, w;
            double fp, fm;
            be->to_host(&w0, p, sizeof w0);
            w = w0 + eps; be->to_device(p, &w, sizeof w);
            rc = eval_loss(&g, x, &fp, e);
            w = w0 - eps; be->to_device(p, &w, sizeof w);
            if (!rc) rc = eval_loss(&g, x, &fm, e);
            be->to_device(p, &w0, sizeof w0);
            if (!rc) record(out, li, grads[l->p_off + i], (fp - fm) / (2.0 * eps));
        }
    }
    for (int k = 0; k < max_per_layer && !rc; k++) {
        size_t i = nn_rng_u64(m->seed, 0xC4ECull - 1, k) % nx;
        double fp, fm;
        xp[i] = x[i] + eps;
        rc = eval_loss(&g, xp, &fp, e);
        xp[i] = x[i] - eps;
        if (!rc) rc = eval_loss(&g, xp, &fm, e);
        xp[i] = x[i];
        if (!rc) record(out, -1, dx[i], (fp - fm) / (2.0 * eps));
    }
done:
    be->to_device(m->stats, stats, m->n_stats * sizeof *stats);
    free(stats);
    free(grads);
    free(dx);
    free(xp);
    return rc;
}
