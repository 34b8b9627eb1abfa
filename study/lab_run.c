/* lab_run.c: the lab runner. Trains each selected variant of a lab spec on the engine,
 * a few batches per lab_run_step() so that a screen can poll keys in between; checks
 * gradients and per-layer gradient norms when the spec asks; stops a diverging variant
 * with an explanation; records every epoch in SQLite at once and checkpoints it, so a
 * stopped or killed run resumes (--resume) from its last completed epoch.
 * Not here: printing (tui/), spec parsing (lab_spec.c), SQL (lab_results.c). */
#include "study/lab.h"
#include "study/paths.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct vstate {
    const lab_variant *v;
    lab_variant_snap   snap;      /* curve grows here; state, message */
    int                cap;
    int                resume_from; /* epochs already recorded (resume) */
    char              *ckpt;      /* its checkpoint file, or NULL */
} vstate;

struct lab_run {
    const lab_spec *spec;
    lab_run_opts    o;
    char           *device, *data_opt, *data_dir, *ckpt_dir;
    const nn_backend *be;
    vstate         *vs;
    int             n, cur;
    int64_t         group;
    char           *config;       /* JSON shared by the rows of this run */

    /* image data sets, loaded once and shared by the variants that use them */
    nn_dataset      img_train, img_test;
    int             img_kind;     /* enum lab_data_kind, -1 when none */
    enum nn_norm    img_norm;

    /* the variant in training */
    int             active;
    lab_config      cfg;
    nn_dataset      own_train, own_test; /* subsets and synthetic sets */
    nn_dataset      view_train;          /* what training reads (may borrow img_train) */
    const nn_dataset *train, *test;
    int            *noisy_y;
    nn_model       *m;
    nn_optim       *opt;
    nn_loader       loader;
    float          *xb, *tb, *out;
    int            *yb;
    int             outs, labels;  /* outputs per example; 1 when training on labels */
    int             epoch, batch_i, batches;
    double          loss_sum, first_loss;
    long            correct, seen;
    double          t_epoch0, t_train;
    double          best_test;
    int             best_epoch, bad_epochs;
    double          gsum[LAB_MAX_GRAD_LAYERS];
    int             glayer[LAB_MAX_GRAD_LAYERS], n_glayers, gcount;

    int             stop;
    lab_epoch       last;
    const char     *last_variant;
    dls_buf         info;
    double          t0;
};

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int is_image(enum lab_data_kind k) { return k == LAB_DATA_MNIST || k == LAB_DATA_FASHION; }

static void json_str(dls_buf *b, const char *s) {
    dls_buf_puts(b, "\"");
    for (; s && *s; s++) {
        if (*s == '"' || *s == '\\') dls_buf_printf(b, "\\%c", *s);
        else if ((unsigned char)*s < 0x20) dls_buf_printf(b, "\\u%04x", *s);
        else dls_buf_append(b, s, 1);
    }
    dls_buf_puts(b, "\"");
}

/* ---- data --------------------------------------------------------------------------- */

static void release_data(lab_run *r) {
    nn_dataset_free(&r->own_train);
    nn_dataset_free(&r->own_test);
    free(r->noisy_y);
    r->noisy_y = NULL;
    memset(&r->view_train, 0, sizeof r->view_train);
    r->train = r->test = NULL;
}

static int load_images(lab_run *r, const lab_config *c, dls_error *e) {
    if (r->img_kind == (int)c->data && r->img_norm == c->norm) return DLS_OK;
    nn_dataset_free(&r->img_train);
    nn_dataset_free(&r->img_test);
    r->img_kind = -1;
    const char *set = lab_data_name(c->data);
    char dir[1024];
    dls_error le = {0};
    if (lab_data_locate(set, r->data_opt, r->data_dir, 0, dir, sizeof dir, &le) != DLS_OK)
        return dls_fail(e, le.code, "%s", le.msg);
    enum nn_idxset which = c->data == LAB_DATA_FASHION ? NN_SET_FASHION : NN_SET_MNIST;
    nn_load_opts lo = {c->norm, 1, 0};
    if (nn_idxset_load(which, dir, NN_SPLIT_TRAIN, &lo, &r->img_train, e) ||
        nn_idxset_load(which, dir, NN_SPLIT_TEST, &lo, &r->img_test, e)) {
        nn_dataset_free(&r->img_train);
        return e->code;
    }
    r->img_kind = (int)c->data;
    r->img_norm = c->norm;
    return DLS_OK;
}

static void synth(enum lab_data_kind k, int n, float noise, uint64_t seed, nn_dataset *out) {
    switch (k) {
    case LAB_DATA_XOR:     nn_synth_xor(n, noise, seed, out); break;
    case LAB_DATA_SPIRALS: nn_synth_spirals(n, noise, seed, out); break;
    case LAB_DATA_MOONS:   nn_synth_moons(n, noise, seed, out); break;
    default:               nn_synth_sine(n, noise, seed, out); break;
    }
}

/* A stratified subset of n examples of src into own (which src may be: it is read
 * before own is freed), or src itself when n asks for all of it. */
static const nn_dataset *subset(const nn_dataset *src, int n, nn_dataset *own) {
    if (n <= 0 || n >= src->n) return src;
    nn_dataset sub = {0};
    nn_dataset_subset(src, n, NN_SUBSET_STRATIFIED, &sub);
    nn_dataset_free(own);
    *own = sub;
    return own;
}

static int prepare_data(lab_run *r, dls_error *e) {
    const lab_config *c = &r->cfg;
    const nn_dataset *train, *test;
    if (is_image(c->data)) {
        if (load_images(r, c, e)) return e->code;
        train = &r->img_train;
        test = &r->img_test;
    } else {
        /* the test set comes from another seed: same distribution, other points */
        synth(c->data, c->n_samples, c->noise, c->seed, &r->own_train);
        synth(c->data, c->n_samples / 2 > 50 ? c->n_samples / 2 : 50, c->noise, c->seed ^ 0x5eed7e57ull, &r->own_test);
        train = &r->own_train;
        test = &r->own_test;
    }
    train = subset(train, c->subset, &r->own_train);
    test = subset(test, c->test_subset, &r->own_test);
    r->view_train = *train;
    if (c->label_noise > 0 && train->y && train->classes > 1) {
        /* replace a fraction of the labels by a different class, chosen from the seed */
        r->noisy_y = xmalloc(sizeof *r->noisy_y * (size_t)train->n);
        memcpy(r->noisy_y, train->y, sizeof *r->noisy_y * (size_t)train->n);
        uint64_t st = c->seed * 0x9E3779B97F4A7C15ull + 17;
        for (int i = 0; i < train->n; i++) {
            double u = (double)(nn_data_rand64(&st) >> 11) / 9007199254740992.0;
            if (u < c->label_noise) {
                int shift = 1 + (int)(nn_data_rand64(&st) % (uint64_t)(train->classes - 1));
                r->noisy_y[i] = (train->y[i] + shift) % train->classes;
            }
        }
        r->view_train.y = r->noisy_y;
        r->view_train.t = NULL; /* labels drive training; targets would disagree with them */
    }
    r->train = &r->view_train;
    r->test = test;
    return DLS_OK;
}

/* ---- evaluation --------------------------------------------------------------------- */

static double accuracy_of(const float *out, int outs, const int *y, int n) {
    long ok = 0;
    for (int i = 0; i < n; i++) {
        const float *o = out + (size_t)i * outs;
        int pred;
        if (outs == 1) pred = o[0] > 0;
        else {
            pred = 0;
            for (int k = 1; k < outs; k++)
                if (o[k] > o[pred]) pred = k;
        }
        ok += pred == y[i];
    }
    return (double)ok;
}

/* Mean loss and accuracy over d; in eval mode unless the variant evaluates in training
 * mode on purpose (training-loop lab). */
static int evaluate(lab_run *r, const nn_dataset *d, double *loss, double *acc, dls_error *e) {
    const int B = 256;
    int dim = nn_dataset_dim(d);
    int use_labels = r->labels && d->y;
    float *out = xmalloc(sizeof *out * (size_t)B * (size_t)r->outs);
    double lsum = 0, correct = 0;
    int rc = DLS_OK;
    nn_model_set_training(r->m, r->cfg.eval_train_mode);
    for (int i = 0; i < d->n; i += B) {
        int nb = d->n - i < B ? d->n - i : B;
        float l;
        if ((rc = nn_model_forward(r->m, d->x + (size_t)i * dim, nb, NULL, e))) break;
        if ((rc = nn_model_loss(r->m, use_labels ? d->y + i : NULL, use_labels ? NULL : d->t + (size_t)i * d->t_dim,
                                r->cfg.loss, &l, e)))
            break;
        lsum += (double)l * nb;
        if (use_labels) {
            nn_model_output(r->m, out);
            correct += accuracy_of(out, r->outs, d->y + i, nb);
        }
    }
    nn_model_set_training(r->m, 1);
    free(out);
    *loss = d->n ? lsum / d->n : NAN;
    *acc = use_labels && d->n ? correct / d->n : NAN;
    return rc;
}

/* ---- variants ----------------------------------------------------------------------- */

static void effective_config(const lab_run *r, const lab_variant *v, lab_config *c) {
    lab_config_copy(c, &v->cfg);
    if (r->o.epochs > 0) c->epochs = r->o.epochs;
    if (r->o.batch > 0) c->batch = r->o.batch;
    if (r->o.lr > 0) c->opt.lr = (float)r->o.lr;
    if (r->o.seed >= 0) c->seed = (uint64_t)r->o.seed;
}

static void end_active(lab_run *r) {
    if (!r->active) return;
    nn_optim_free(r->opt);
    nn_model_free(r->m);
    r->opt = NULL;
    r->m = NULL;
    nn_loader_deinit(&r->loader);
    free(r->xb);
    free(r->yb);
    free(r->tb);
    free(r->out);
    r->xb = r->tb = r->out = NULL;
    r->yb = NULL;
    release_data(r);
    lab_config_deinit(&r->cfg);
    r->active = 0;
}

static void snap_push(vstate *v, const lab_epoch *ep) {
    if (v->snap.n_epochs == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 16;
        v->snap.curve = xrealloc(v->snap.curve, sizeof *v->snap.curve * (size_t)v->cap);
    }
    v->snap.curve[v->snap.n_epochs++] = *ep;
}

static void reset_epoch(lab_run *r) {
    r->batch_i = 0;
    r->loss_sum = 0;
    r->correct = 0;
    r->seen = 0;
    r->t_train = 0;
    r->gcount = 0;
    memset(r->gsum, 0, sizeof r->gsum);
    r->t_epoch0 = now_s();
}

static int gradient_check(lab_run *r, dls_error *e) {
    const nn_dataset *d = r->train;
    int n = d->n < 8 ? d->n : 8;
    nn_gradcheck_result g;
    int use_labels = r->labels && d->y;
    if (nn_model_gradcheck(r->m, d->x, use_labels ? d->y : NULL, use_labels ? NULL : d->t, n, r->cfg.loss, 1e-3f, 16,
                           &g, e))
        return e->code;
    char where[48] = "the input";
    if (g.worst_layer >= 0)
        snprintf(where, sizeof where, "layer %d (%s)", g.worst_layer + 1,
                 nn_layer_kind_name(nn_model_layer_spec(r->m, g.worst_layer)->kind));
    const char *verdict = g.max_rel_err < 1e-2 ? "backprop agrees with the numerical gradients"
                                               : "backprop and the numerical gradients DISAGREE";
    dls_buf_printf(&r->info,
                   "gradient check (%s): %d gradients compared with central differences (f(w+e) - f(w-e)) / 2e, "
                   "e = 1e-3, on %d examples\n"
                   "  largest relative error %.2e, at %s: backprop %.6g, numerical %.6g\n  %s\n",
                   r->vs[r->cur].v->name, g.checked, n, g.max_rel_err, where, g.worst_analytic, g.worst_numeric, verdict);
    return DLS_OK;
}

/* The epoch of a checkpoint's metadata ("lab=..\nvariant=..\nepoch=N\n", end_epoch):
 * the last epoch= line, so no variant name can pose as it; 0 when absent. */
static int meta_epoch(const char *meta) {
    const char *p = meta ? strstr(meta, "\nepoch=") : NULL, *q;
    while (p && (q = strstr(p + 1, "\nepoch="))) p = q;
    return p ? atoi(p + 7) : 0;
}

static int start_variant(lab_run *r, unsigned *events, dls_error *e) {
    vstate *v = &r->vs[r->cur];
    effective_config(r, v->v, &r->cfg);
    r->active = 1;
    int rc = prepare_data(r, e);
    if (rc) return rc;

    int ch, h, w;
    lab_data_shape(&r->cfg, &ch, &h, &w, &r->outs);
    nn_layer_spec *specs;
    int nl = lab_config_layers(&r->cfg, &specs, NULL, NULL);
    r->m = nn_model_new(specs, nl, ch, h, w, r->be, r->cfg.seed, e);
    free(specs);
    if (!r->m) return e->code;
    r->labels = r->train->y != NULL;
    nn_loader_init(&r->loader, r->train, r->cfg.batch, r->cfg.seed, NN_LOADER_SHUFFLE);
    r->batches = nn_loader_batches(&r->loader);
    nn_optim_config oc = r->cfg.opt;
    oc.step_size = (long)r->cfg.opt.step_size * r->batches; /* epochs -> optimizer steps */
    oc.total_steps = (long)r->cfg.epochs * r->batches;
    r->opt = nn_optim_new(r->m, &oc, e);
    if (!r->opt) return e->code;
    int dim = nn_dataset_dim(r->train), tdim = r->train->t_dim > 0 ? r->train->t_dim : 1;
    r->xb = xmalloc(sizeof *r->xb * (size_t)r->cfg.batch * (size_t)dim);
    r->yb = xmalloc(sizeof *r->yb * (size_t)r->cfg.batch);
    r->tb = xmalloc(sizeof *r->tb * (size_t)r->cfg.batch * (size_t)tdim);
    r->out = xmalloc(sizeof *r->out * (size_t)r->cfg.batch * (size_t)r->outs);

    /* which layers have parameters (for gradient norms) */
    r->n_glayers = 0;
    for (int i = 0; i < nn_model_n_layers(r->m) && r->n_glayers < LAB_MAX_GRAD_LAYERS; i++)
        if (nn_model_layer_param_count(r->m, i) > 0) r->glayer[r->n_glayers++] = i;

    v->snap.state = LAB_RUNNING;
    v->snap.epochs_planned = r->cfg.epochs;
    r->epoch = 1;
    r->best_test = INFINITY;
    r->best_epoch = 0;
    r->bad_epochs = 0;
    r->first_loss = NAN;

    if (v->snap.run_id) { /* a row from an earlier try (--resume) */
        int ok = v->resume_from > 0 && v->ckpt && access(v->ckpt, R_OK) == 0;
        dls_error ce = {0};
        char *meta = NULL;
        /* A damaged checkpoint is the user's trained work: refuse to resume and keep
         * the file and the recorded epochs, rather than silently start over on top. */
        if (ok && nn_checkpoint_load(v->ckpt, r->m, r->opt, &meta, &ce) != DLS_OK)
            return dls_fail(e, ce.code, "%s: cannot resume: %s; the file and the completed epochs are "
                            "kept; run the lab without --resume to start over", v->v->name, ce.msg);
        if (ok) {
            /* An epoch is recorded before its checkpoint takes its place (end_epoch), so
             * a kill between the two leaves the file an epoch behind the rows: training
             * goes on from the file's epoch, writing the rows after it again. */
            int saved = meta_epoch(meta);
            free(meta);
            if (saved < 1 || saved > v->resume_from)
                return dls_fail(e, DLS_ERR_MISMATCH, "%s: cannot resume: %s holds epoch %d, but %d epoch%s "
                                "recorded; run the lab without --resume to start over", v->v->name, v->ckpt,
                                saved, v->resume_from, v->resume_from == 1 ? " is" : "s are");
            if (saved < v->resume_from && r->o.db && lab_db_run_reset(r->o.db, v->snap.run_id, saved, e))
                return e->code;
            v->resume_from = saved;
            v->snap.n_epochs = saved; /* the curve is by epoch, from 1 */
            r->epoch = v->resume_from + 1;
            nn_loader_seek(&r->loader, v->resume_from);
            for (int k = 0; k < v->snap.n_epochs; k++) { /* early-stopping state from the curve */
                const lab_epoch *ep = &v->snap.curve[k];
                if (ep->test_loss < r->best_test) r->best_test = ep->test_loss, r->best_epoch = ep->epoch, r->bad_epochs = 0;
                else r->bad_epochs++;
            }
            dls_buf_printf(&r->info, "%s: resuming at epoch %d of %d from %s\n", v->v->name, r->epoch, r->cfg.epochs, v->ckpt);
        } else {
            if (r->o.db && lab_db_run_reset(r->o.db, v->snap.run_id, 0, e)) return e->code;
            v->snap.n_epochs = 0;
            v->resume_from = 0;
        }
        if (r->o.db && lab_db_run_status(r->o.db, v->snap.run_id, "running", e)) return e->code;
    } else if (r->o.db) {
        if (lab_db_run_begin(r->o.db, r->spec->name, v->v->name, (int64_t)r->cfg.seed, nn_backend_name(r->be),
                             r->cfg.epochs, r->cfg.batch, r->cfg.opt.lr, r->config, &v->snap.run_id, e))
            return e->code;
    }
    if (r->ckpt_dir && v->snap.run_id && !v->ckpt) {
        if (dls_mkdir_p(r->ckpt_dir, e)) return e->code;
        v->ckpt = xasprintf("%s/%lld.ckpt", r->ckpt_dir, (long long)v->snap.run_id);
    }
    if ((r->spec->metrics & LAB_METRIC_GRAD_CHECK) && r->epoch == 1) {
        if (gradient_check(r, e)) return e->code;
        *events |= LAB_EV_INFO;
    }
    if (r->info.len) *events |= LAB_EV_INFO;
    reset_epoch(r);
    return DLS_OK;
}

/* Ends the current variant with a state; moves on to the next. */
static int finish_variant(lab_run *r, enum lab_state state, const char *db_status, unsigned *events, dls_error *e) {
    vstate *v = &r->vs[r->cur];
    v->snap.state = state;
    int rc = DLS_OK;
    if (r->o.db && v->snap.run_id)
        rc = lab_db_run_end(r->o.db, v->snap.run_id, db_status, state == LAB_FAILED ? v->snap.message : NULL, e);
    end_active(r);
    *events |= LAB_EV_VARIANT_END;
    r->cur++;
    while (r->cur < r->n && r->vs[r->cur].snap.state != LAB_PENDING) r->cur++; /* done on an earlier try */
    if (r->cur >= r->n) *events |= LAB_EV_FINISHED;
    return rc;
}

static int end_epoch(lab_run *r, unsigned *events, dls_error *e) {
    vstate *v = &r->vs[r->cur];
    lab_epoch ep = {.epoch = r->epoch};
    ep.train_loss = r->seen ? r->loss_sum / r->seen : NAN;
    ep.train_acc = r->labels && r->seen ? (double)r->correct / r->seen : NAN;
    if (evaluate(r, r->test, &ep.test_loss, &ep.test_acc, e)) return e->code;
    ep.seconds = now_s() - r->t_epoch0;
    ep.images_per_s = r->t_train > 0 ? r->seen / r->t_train : 0;
    snap_push(v, &ep);
    r->last = ep;
    r->last_variant = v->v->name;
    *events |= LAB_EV_EPOCH;

    /* The checkpoint is written and synced beside its place (.next), the epoch recorded,
     * and only then the file renamed into place: it is never ahead of the recorded
     * epochs, and behind them only if dlstudy dies between the commit and the rename
     * (resuming then trains again from the file's epoch). */
    char *next = v->ckpt ? xasprintf("%s.next", v->ckpt) : NULL;
    if (next) {
        char *meta = xasprintf("lab=%s\nvariant=%s\nepoch=%d\n", r->spec->name, v->v->name, r->epoch);
        int rc = nn_checkpoint_save(next, r->m, r->opt, meta, e);
        free(meta);
        if (rc) {
            free(next);
            return rc;
        }
    }
    int rc = DLS_OK;
    if (r->o.db && v->snap.run_id) rc = lab_db_epoch(r->o.db, v->snap.run_id, &ep, v->ckpt, e);
    if (rc == DLS_OK && next && rename(next, v->ckpt) != 0)
        rc = dls_fail(e, DLS_ERR_IO, "%s: cannot rename into place: %s", v->ckpt, strerror(errno));
    free(next);
    if (rc) return rc;

    if ((r->spec->metrics & LAB_METRIC_GRAD_NORMS) && r->gcount) {
        v->snap.n_grad = r->n_glayers;
        dls_buf_printf(&r->info, "gradient norms, epoch %d (%s), first layer to last:", r->epoch, v->v->name);
        for (int i = 0; i < r->n_glayers; i++) {
            const nn_layer_spec *ls = nn_model_layer_spec(r->m, r->glayer[i]);
            v->snap.grad_norm[i] = r->gsum[i] / r->gcount;
            snprintf(v->snap.grad_layer[i], sizeof v->snap.grad_layer[i], "%d %s", r->glayer[i] + 1,
                     nn_layer_kind_name(ls->kind));
            dls_buf_printf(&r->info, "%s%s %.2e", i % 4 ? "  " : "\n  ", v->snap.grad_layer[i], v->snap.grad_norm[i]);
        }
        if (r->n_glayers > 1 && v->snap.grad_norm[r->n_glayers - 1] > 0)
            dls_buf_printf(&r->info, "\n  first/last layer ratio %.2g\n",
                           v->snap.grad_norm[0] / v->snap.grad_norm[r->n_glayers - 1]);
        else
            dls_buf_puts(&r->info, "\n");
        *events |= LAB_EV_INFO;
    }

    int early = 0;
    if (r->cfg.patience > 0 && isfinite(ep.test_loss)) {
        if (ep.test_loss < r->best_test) r->best_test = ep.test_loss, r->best_epoch = ep.epoch, r->bad_epochs = 0;
        else if (++r->bad_epochs >= r->cfg.patience) early = 1;
    }
    if (early) {
        snprintf(v->snap.message, sizeof v->snap.message,
                 "stopped early after epoch %d: the test loss has not improved for %d epochs (best %.4f at epoch %d)",
                 ep.epoch, r->cfg.patience, r->best_test, r->best_epoch);
        return finish_variant(r, LAB_EARLY_STOPPED, "done", events, e);
    }
    if (r->epoch >= r->cfg.epochs) return finish_variant(r, LAB_DONE, "done", events, e);
    r->epoch++;
    reset_epoch(r);
    return DLS_OK;
}

static int diverged(lab_run *r, float loss, unsigned *events, dls_error *e) {
    vstate *v = &r->vs[r->cur];
    char what[64];
    if (isfinite(loss)) snprintf(what, sizeof what, "exploded to %.3g", loss);
    else snprintf(what, sizeof what, "became %s", isnan(loss) ? "NaN" : "infinite");
    snprintf(v->snap.message, sizeof v->snap.message,
             "training diverged at epoch %d, batch %d of %d: the loss %s (it started at %.3g). The learning rate "
             "(%g) is too high for this network and optimizer; lower it, e.g. --lr %g",
             r->epoch, r->batch_i + 1, r->batches, what, r->first_loss, r->cfg.opt.lr, r->cfg.opt.lr / 10);
    return finish_variant(r, LAB_FAILED, "failed", events, e);
}

/* ---- the public API ----------------------------------------------------------------- */

static int select_variants(lab_run *r, const char *list, dls_error *e) {
    const lab_spec *s = r->spec;
    r->vs = xcalloc((size_t)s->n_variants, sizeof *r->vs);
    if (!list || !*list) {
        for (int i = 0; i < s->n_variants; i++) r->vs[r->n++].v = &s->variants[i];
        return DLS_OK;
    }
    char *copy = xstrdup(list), *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        const lab_variant *found = NULL;
        for (int i = 0; i < s->n_variants; i++)
            if (!strcmp(s->variants[i].name, t)) found = &s->variants[i];
        if (!found) {
            dls_buf all;
            dls_buf_init(&all);
            for (int i = 0; i < s->n_variants; i++) dls_buf_printf(&all, "%s%s", i ? ", " : "", s->variants[i].name);
            dls_fail(e, DLS_ERR_INVALID, "lab '%s' has no variant '%s' (it has: %s)", s->name, t, all.data);
            dls_buf_deinit(&all);
            free(copy);
            return DLS_ERR_INVALID;
        }
        int dup = 0;
        for (int i = 0; i < r->n; i++) dup |= r->vs[i].v == found;
        if (!dup && r->n < s->n_variants) r->vs[r->n++].v = found;
    }
    free(copy);
    return DLS_OK;
}

/* --resume: the newest unfinished group of this lab, with its options and rows. */
static int prepare_resume(lab_run *r, dls_error *e) {
    store *db = r->o.db;
    if (!db) return dls_fail(e, DLS_ERR_INVALID, "--resume needs the database");
    char *config;
    if (lab_db_find_unfinished(db, r->spec->name, &r->group, &config, e)) return e->code;
    /* the original options, unless given again now (SQLite reads the JSON); a failed
     * read is an error: guessing would resume other variants or another schedule */
    sqlite3_stmt *st = store_prepare(db,
                                     "SELECT json_extract(?1, '$.variants'), json_extract(?1, '$.epochs'),"
                                     " json_extract(?1, '$.batch'), json_extract(?1, '$.lr'), json_extract(?1, '$.seed')", e);
    if (!st) {
        free(config);
        return e->code;
    }
    sqlite3_bind_text(st, 1, config, -1, SQLITE_TRANSIENT);
    free(config);
    char *variants = NULL;
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        variants = sqlite3_column_type(st, 0) != SQLITE_NULL ? xstrdup((const char *)sqlite3_column_text(st, 0)) : NULL;
        if (r->o.epochs <= 0 && sqlite3_column_type(st, 1) != SQLITE_NULL) r->o.epochs = sqlite3_column_int(st, 1);
        if (r->o.batch <= 0 && sqlite3_column_type(st, 2) != SQLITE_NULL) r->o.batch = sqlite3_column_int(st, 2);
        if (r->o.lr <= 0 && sqlite3_column_type(st, 3) != SQLITE_NULL) r->o.lr = sqlite3_column_double(st, 3);
        if (r->o.seed < 0 && sqlite3_column_type(st, 4) != SQLITE_NULL) r->o.seed = sqlite3_column_int64(st, 4);
    }
    sqlite3_reset(st);
    int rc = store_check(db, src, "reading the options of the run to resume", e);
    if (rc == DLS_OK) rc = select_variants(r, variants, e);
    free(variants);
    if (rc) return rc;

    /* the store's cached statement: reset (never finalized) when done with; the curves
     * loaded inside the loop use statements of their own */
    st = store_prepare(db,
                       "SELECT id, variant, status, epochs_done, checkpoint FROM lab_runs WHERE lab = ?"
                       " AND json_extract(config, '$.group') = ? ORDER BY id", e);
    if (!st) return e->code;
    sqlite3_bind_text(st, 1, r->spec->name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, r->group);
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 1);
        const char *status = (const char *)sqlite3_column_text(st, 2);
        for (int i = 0; i < r->n; i++) {
            vstate *vs = &r->vs[i];
            if (strcmp(vs->v->name, name ? name : "")) continue;
            vs->snap.run_id = sqlite3_column_int64(st, 0);
            free(vs->snap.curve);
            vs->snap.curve = NULL;
            vs->snap.n_epochs = vs->cap = 0;
            if (lab_db_load_curve(db, vs->snap.run_id, &vs->snap.curve, &vs->snap.n_epochs, e)) {
                sqlite3_reset(st);
                return e->code;
            }
            vs->cap = vs->snap.n_epochs;
            if (!strcmp(status, "done")) vs->snap.state = LAB_DONE;
            else if (!strcmp(status, "failed")) vs->snap.state = LAB_FAILED;
            else {
                vs->snap.state = LAB_PENDING;
                vs->resume_from = sqlite3_column_int(st, 3);
                if (vs->resume_from > vs->snap.n_epochs) vs->resume_from = vs->snap.n_epochs;
                const char *ck = (const char *)sqlite3_column_text(st, 4);
                free(vs->ckpt);
                vs->ckpt = ck && *ck ? xstrdup(ck) : NULL;
                /* a row without epochs resumes as a row started over */
                if (!vs->resume_from) vs->resume_from = -1;
            }
        }
    }
    sqlite3_reset(st);
    /* a row not read would start its variant over beside the kept one */
    return store_check(db, src, "reading the runs to resume", e);
}

int lab_run_new(const lab_spec *spec, const lab_run_opts *o, lab_run **out, dls_error *e) {
    dls_error local;
    if (!e) e = &local;
    const nn_backend *be = nn_backend_get(o->device && *o->device ? o->device : "cpu", e);
    if (!be) return e->code;
    lab_run *r = xcalloc(1, sizeof *r);
    r->spec = spec;
    r->o = *o;
    r->be = be;
    r->device = o->device ? xstrdup(o->device) : NULL;
    r->data_opt = o->data_opt ? xstrdup(o->data_opt) : NULL;
    r->data_dir = o->data_dir ? xstrdup(o->data_dir) : NULL;
    r->ckpt_dir = o->ckpt_dir ? xstrdup(o->ckpt_dir) : NULL;
    if (!r->ckpt_dir && o->db) {
        /* by default checkpoints live beside the database (~/.local/share/dlstudy/runs/),
         * so run ids of different databases never share a file */
        const char *f = sqlite3_db_filename(store_db(o->db), "main"); /* absolute, unlike store_path */
        const char *slash = f ? strrchr(f, '/') : NULL;
        if (slash) r->ckpt_dir = xasprintf("%.*s/runs", (int)(slash - f), f);
    }
    r->o.device = r->device, r->o.data_opt = r->data_opt, r->o.data_dir = r->data_dir, r->o.ckpt_dir = r->ckpt_dir;
    r->o.variants = NULL;
    r->img_kind = -1;
    dls_buf_init(&r->info);
    if (o->threads > 0) nn_set_threads(o->threads);

    int rc = o->resume ? prepare_resume(r, e) : select_variants(r, o->variants, e);
    if (rc) goto fail;
    for (int i = 0; i < r->n; i++) {
        snprintf(r->vs[i].snap.name, sizeof r->vs[i].snap.name, "%s", r->vs[i].v->name);
        r->vs[i].snap.epochs_planned = r->o.epochs > 0 ? r->o.epochs : r->vs[i].v->cfg.epochs;
        if (r->vs[i].resume_from < 0) r->vs[i].resume_from = 0, r->vs[i].snap.state = LAB_PENDING;
    }
    /* every image set the selected variants need must be there before anything starts */
    for (int i = 0; i < r->n; i++) {
        const lab_config *c = &r->vs[i].v->cfg;
        if (!is_image(c->data) || r->vs[i].snap.state != LAB_PENDING) continue;
        char dir[1024];
        dls_error le = {0};
        if (lab_data_locate(lab_data_name(c->data), r->data_opt, r->data_dir, 0, dir, sizeof dir, &le) != DLS_OK) {
            rc = dls_fail(e, le.code, "%s", le.msg);
            goto fail;
        }
    }
    if (!o->resume && o->db && (rc = lab_db_new_group(o->db, &r->group, e))) goto fail;
    dls_buf cj;
    dls_buf_init(&cj);
    dls_buf_printf(&cj, "{\"group\":%lld,\"variants\":", (long long)r->group);
    dls_buf vl;
    dls_buf_init(&vl);
    for (int i = 0; i < r->n; i++) dls_buf_printf(&vl, "%s%s", i ? "," : "", r->vs[i].v->name);
    json_str(&cj, vl.data ? vl.data : "");
    dls_buf_deinit(&vl);
    dls_buf_printf(&cj, ",\"epochs\":%d,\"batch\":%d,\"lr\":%.9g,\"seed\":%lld,\"device\":", r->o.epochs, r->o.batch,
                   r->o.lr, (long long)r->o.seed);
    json_str(&cj, nn_backend_name(be));
    dls_buf_printf(&cj, ",\"threads\":%d}", nn_get_threads());
    r->config = dls_buf_take(&cj);

    r->cur = 0;
    while (r->cur < r->n && r->vs[r->cur].snap.state != LAB_PENDING) r->cur++;
    if (o->resume && r->cur >= r->n) {
        rc = dls_fail(e, DLS_ERR_NOTFOUND, "nothing left to resume in lab '%s'", spec->name);
        goto fail;
    }
    r->t0 = now_s();
    *out = r;
    return DLS_OK;
fail:
    lab_run_free(r);
    return rc;
}

static int step(lab_run *r, double budget_s, unsigned *events, dls_error *e);

int lab_run_step(lab_run *r, double budget_s, unsigned *events, dls_error *e) {
    dls_error local;
    if (!e) e = &local;
    int cur = r->cur;
    int rc = step(r, budget_s, events, e);
    if (rc != DLS_OK && r->cur == cur && cur < r->n) {
        /* the variant cannot go on (data, device memory, disk, database): it fails with
         * the reason, and the next step goes on with the next variant */
        vstate *v = &r->vs[cur];
        snprintf(v->snap.message, sizeof v->snap.message, "%s", e->msg);
        dls_error ignored = {0};
        finish_variant(r, LAB_FAILED, "failed", events, &ignored);
    }
    return rc;
}

static int step(lab_run *r, double budget_s, unsigned *events, dls_error *e) {
    *events = 0;
    dls_buf_deinit(&r->info);
    dls_buf_init(&r->info);
    if (r->cur >= r->n) {
        *events = LAB_EV_FINISHED;
        return DLS_OK;
    }
    if (!r->active) {
        int rc = start_variant(r, events, e);
        if (rc) return rc;
        if (*events & LAB_EV_INFO) return DLS_OK; /* let the caller show it before training */
    }
    double t_start = now_s();
    for (;;) {
        if (r->stop) {
            vstate *v = &r->vs[r->cur];
            snprintf(v->snap.message, sizeof v->snap.message,
                     "stopped during epoch %d (batch %d of %d); %d epoch%s kept. `dlstudy lab %s --resume` continues",
                     r->epoch, r->batch_i, r->batches, r->epoch - 1, r->epoch - 1 == 1 ? "" : "s", r->spec->name);
            v->snap.state = LAB_STOPPED;
            int rc = DLS_OK;
            if (r->o.db && v->snap.run_id) rc = lab_db_run_end(r->o.db, v->snap.run_id, "stopped", NULL, e);
            end_active(r);
            r->cur = r->n;
            *events |= LAB_EV_VARIANT_END | LAB_EV_FINISHED;
            return rc;
        }
        double tb0 = now_s();
        int got = nn_loader_next(&r->loader, r->xb, r->labels ? r->yb : NULL, r->labels ? NULL : r->tb);
        if (got == 0) return end_epoch(r, events, e);
        float loss;
        dls_error te = {0};
        int rc = nn_model_train_step(r->m, r->opt, r->xb, r->labels ? r->yb : NULL, r->labels ? NULL : r->tb, got,
                                     r->cfg.loss, &loss, &te);
        if (rc == DLS_ERR_DIVERGED) return diverged(r, loss, events, e); /* loss: the NaN or infinity */
        if (rc) return dls_fail(e, rc, "%s", te.msg);
        if (isnan(r->first_loss)) r->first_loss = loss;
        if (loss > 50 && loss > 100 * r->first_loss) return diverged(r, loss, events, e);
        if (r->labels) {
            nn_model_output(r->m, r->out);
            r->correct += (long)accuracy_of(r->out, r->outs, r->yb, got);
        }
        if (r->spec->metrics & LAB_METRIC_GRAD_NORMS) {
            for (int i = 0; i < r->n_glayers; i++) r->gsum[i] += nn_model_grad_norm(r->m, r->glayer[i]);
            r->gcount++;
        }
        r->loss_sum += (double)loss * got;
        r->seen += got;
        r->batch_i++;
        double t = now_s();
        r->t_train += t - tb0;
        if (t - t_start >= budget_s) return DLS_OK;
    }
}

void lab_run_stop(lab_run *r) { r->stop = 1; }

const lab_epoch *lab_run_last_epoch(const lab_run *r, const char **variant) {
    if (variant) *variant = r->last_variant;
    return r->last_variant ? &r->last : NULL;
}

const char *lab_run_info(const lab_run *r) { return r->info.data ? r->info.data : ""; }

int64_t lab_run_group(const lab_run *r) { return r->group; }

void lab_run_snapshot(const lab_run *r, lab_snapshot *s) {
    memset(s, 0, sizeof *s);
    s->current = r->cur;
    s->n_variants = r->n;
    s->variants = xcalloc((size_t)r->n + 1, sizeof *s->variants);
    double remaining = 0; /* examples left to train, for the time estimate */
    for (int i = 0; i < r->n; i++) {
        s->variants[i] = r->vs[i].snap;
        s->variants[i].curve = NULL;
        if (r->vs[i].snap.n_epochs) {
            size_t bytes = sizeof *s->variants[i].curve * (size_t)r->vs[i].snap.n_epochs;
            s->variants[i].curve = xmalloc(bytes);
            memcpy(s->variants[i].curve, r->vs[i].snap.curve, bytes);
        }
    }
    if (r->active && r->cur < r->n) {
        s->epoch = r->epoch;
        s->epochs = r->cfg.epochs;
        s->batch = r->batch_i;
        s->batches = r->batches;
        s->running_loss = r->seen ? r->loss_sum / r->seen : NAN;
        s->images_per_s = r->t_train > 0 ? r->seen / r->t_train : 0;
        remaining = (double)(r->batches - r->batch_i) * r->cfg.batch +
                    (double)(r->cfg.epochs - r->epoch) * r->train->n;
        for (int i = r->cur + 1; i < r->n; i++)
            if (r->vs[i].snap.state == LAB_PENDING) remaining += (double)r->vs[i].snap.epochs_planned * r->train->n;
        s->eta_s = s->images_per_s > 0 ? remaining / s->images_per_s : NAN;
    } else {
        s->eta_s = r->cur >= r->n ? 0 : NAN;
        s->running_loss = NAN;
    }
    s->elapsed_s = now_s() - r->t0;
}

void lab_snapshot_deinit(lab_snapshot *s) {
    if (!s || !s->variants) return;
    for (int i = 0; i < s->n_variants; i++) free(s->variants[i].curve);
    free(s->variants);
    s->variants = NULL;
}

void lab_run_free(lab_run *r) {
    if (!r) return;
    end_active(r);
    nn_dataset_free(&r->img_train);
    nn_dataset_free(&r->img_test);
    for (int i = 0; i < r->n; i++) {
        free(r->vs[i].snap.curve);
        free(r->vs[i].ckpt);
    }
    free(r->vs);
    free(r->config);
    free(r->device);
    free(r->data_opt);
    free(r->data_dir);
    free(r->ckpt_dir);
    dls_buf_deinit(&r->info);
    free(r);
}
