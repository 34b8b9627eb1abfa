/* optim.c: optimizer configs (PyTorch's defaults), learning-rate schedules, and the
 * optimizer object bound to a model. The update arithmetic itself is a backend kernel
 * (optim_update in backend.h), applied to the model's whole flat parameter vector in
 * one call. Not checkpoints (checkpoint.c saves the state this file allocates). */
#include <math.h>
#include <stdlib.h>

#include "engine/model_impl.h"
#include "engine/optim/optim_impl.h"

nn_optim_config nn_optim_config_default(nn_optim_kind kind) {
    nn_optim_config c = { .kind = kind, .lr = 0.01f, .beta1 = 0.9f, .beta2 = 0.999f,
                          .eps = 1e-8f, .alpha = 0.99f, .sched = NN_SCHED_CONSTANT,
                          .step_size = 1000, .gamma = 0.1f, .total_steps = 0, .lr_min = 0 };
    if (kind == NN_OPTIM_ADAM || kind == NN_OPTIM_ADAMW) c.lr = 1e-3f;
    if (kind == NN_OPTIM_ADAMW) c.weight_decay = 0.01f;
    return c;
}

float nn_sched_lr(const nn_optim_config *c, long step) {
    switch (c->sched) {
    case NN_SCHED_STEP:
        if (c->step_size <= 0) return c->lr;
        return c->lr * powf(c->gamma, (float)(step / c->step_size));
    case NN_SCHED_COSINE: {
        if (c->total_steps <= 0) return c->lr;
        double t = step >= c->total_steps ? 1.0 : (double)step / c->total_steps;
        return (float)(c->lr_min + (c->lr - c->lr_min) * (1 + cos(M_PI * t)) / 2);
    }
    default:
        return c->lr;
    }
}

static int check_config(const nn_optim_config *c, dls_error *e) {
    if ((unsigned)c->kind >= NN_OPTIM_KIND_COUNT)
        return dls_fail(e, DLS_ERR_INVALID, "unknown optimizer %d", (int)c->kind);
    if (!(c->lr > 0) || !isfinite(c->lr))
        return dls_fail(e, DLS_ERR_INVALID, "%s: learning rate must be positive, got %g",
                        nn_optim_kind_name(c->kind), c->lr);
    if (c->weight_decay < 0 || c->momentum < 0 || c->momentum >= 1)
        return dls_fail(e, DLS_ERR_INVALID, "%s: need weight_decay >= 0 and momentum in [0, 1)",
                        nn_optim_kind_name(c->kind));
    if (c->nesterov && c->momentum <= 0)
        return dls_fail(e, DLS_ERR_INVALID, "sgd: nesterov needs momentum > 0");
    if ((c->kind == NN_OPTIM_ADAM || c->kind == NN_OPTIM_ADAMW) &&
        (c->beta1 < 0 || c->beta1 >= 1 || c->beta2 < 0 || c->beta2 >= 1 || c->eps <= 0))
        return dls_fail(e, DLS_ERR_INVALID, "%s: betas must be in [0, 1) and eps > 0, got "
                        "%g, %g, %g", nn_optim_kind_name(c->kind), c->beta1, c->beta2, c->eps);
    if (c->kind == NN_OPTIM_RMSPROP && (c->alpha < 0 || c->alpha >= 1 || c->eps <= 0))
        return dls_fail(e, DLS_ERR_INVALID, "rmsprop: alpha must be in [0, 1) and eps > 0");
    if ((unsigned)c->sched >= NN_SCHED_KIND_COUNT)
        return dls_fail(e, DLS_ERR_INVALID, "unknown schedule %d", (int)c->sched);
    if (c->sched == NN_SCHED_STEP && (c->step_size <= 0 || c->gamma <= 0))
        return dls_fail(e, DLS_ERR_INVALID, "step schedule: step_size and gamma must be positive");
    if (c->sched == NN_SCHED_COSINE && c->total_steps <= 0)
        return dls_fail(e, DLS_ERR_INVALID, "cosine schedule: total_steps must be positive");
    return DLS_OK;
}

nn_optim *nn_optim_new(nn_model *m, const nn_optim_config *cfg, dls_error *e) {
    if (check_config(cfg, e)) return NULL;
    nn_optim *o = xcalloc(1, sizeof *o);
    o->m = m;
    o->cfg = *cfg;
    size_t n = m->n_params;
    if (nn_arena_init(&o->state, m->be, 2 * nn_arena_bytes(n), e)) {
        free(o);
        return NULL;
    }
    o->s1 = nn_arena_floats(&o->state, n);
    o->s2 = nn_arena_floats(&o->state, n);
    m->be->fill(o->s1, n, 0.0f);
    m->be->fill(o->s2, n, 0.0f);
    return o;
}

void nn_optim_free(nn_optim *o) {
    if (!o) return;
    nn_arena_deinit(&o->state);
    free(o);
}

void nn_optim_step(nn_optim *o) {
    nn_model *m = o->m;
    float lr = nn_sched_lr(&o->cfg, o->t);
    m->be->optim_update(&o->cfg, lr, o->t + 1, m->n_params, m->params, m->grads, o->s1, o->s2);
    o->t++;
}

long  nn_optim_steps(const nn_optim *o) { return o->t; }
float nn_optim_lr(const nn_optim *o) { return nn_sched_lr(&o->cfg, o->t); }
const nn_optim_config *nn_optim_get_config(const nn_optim *o) { return &o->cfg; }
