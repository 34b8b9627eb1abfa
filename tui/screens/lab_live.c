/* lab_live.c: a lab running live: the runner (study/lab.h) trains a few batches per
 * tick (about 40 ms), so keys stay responsive; the screen draws from a snapshot
 * (never engine pointers): progress of the epoch and the run, the curves of every
 * variant, and a table of their last epoch. s stops (the run keeps its checkpoint),
 * q stops and goes back. */
#include "tui/screens/screens.h"

#include "study/lab.h"
#include "tui/widgets/markdown.h"
#include "tui/widgets/widgets.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct live_view {
    tui_view        base;
    const lab_spec *spec;   /* borrowed from the app's list */
    lab_run        *run;
    lab_snapshot    snap;
    int             have_snap, finished, stopping;
    char            err[512];
    /* the running loss of the epoch under way, one sample per new batch count, so the
     * first epoch already draws a curve */
    float           live[1024];
    int             n_live, live_epoch, live_variant, live_batch;
} live_view;

static const char *state_name(enum lab_state s) {
    switch (s) {
    case LAB_PENDING: return "waiting";
    case LAB_RUNNING: return "training";
    case LAB_DONE: return "done";
    case LAB_STOPPED: return "stopped";
    case LAB_FAILED: return "failed";
    case LAB_EARLY_STOPPED: return "early stop";
    }
    return "?";
}

static void take_snapshot(live_view *lv) {
    if (!lv->run) return;
    if (lv->have_snap) lab_snapshot_deinit(&lv->snap);
    lab_run_snapshot(lv->run, &lv->snap);
    lv->have_snap = 1;
    const lab_snapshot *sn = &lv->snap;
    if (sn->epoch != lv->live_epoch || sn->current != lv->live_variant) {
        lv->n_live = 0;
        lv->live_epoch = sn->epoch;
        lv->live_variant = sn->current;
        lv->live_batch = -1;
    }
    if (sn->batch != lv->live_batch && sn->batch > 0 && sn->running_loss == sn->running_loss) {
        if (lv->n_live == (int)(sizeof lv->live / sizeof lv->live[0])) { /* full: keep every other sample */
            for (int i = 0; i < lv->n_live / 2; i++) lv->live[i] = lv->live[2 * i + 1];
            lv->n_live /= 2;
        }
        lv->live[lv->n_live++] = (float)sn->running_loss;
        lv->live_batch = sn->batch;
    }
}

static int live_tick(tui_view *v, tui_app *a) {
    (void)a;
    live_view *lv = (live_view *)v;
    if (!lv->run || lv->finished) return TUI_R_NONE;
    unsigned ev = 0;
    dls_error e = {0};
    /* a variant that cannot start fails alone: the message stays on screen and the
     * next step goes on with the other variants, as `dlstudy lab` does (lab.h) */
    if (lab_run_step(lv->run, 0.04, &ev, &e) != DLS_OK) snprintf(lv->err, sizeof lv->err, "%s", e.msg);
    if (ev & LAB_EV_FINISHED) lv->finished = 1;
    take_snapshot(lv);
    return TUI_R_REDRAW;
}

static void live_draw(tui_view *v, tui_app *a, tui_grid *g, int y, int h) {
    (void)a;
    live_view *lv = (live_view *)v;
    int w = g->w, bottom = y + h;
    tui_style ms = {0, TUI_C_MUTED}, bs = {TUI_A_BOLD, TUI_C_BAD};
    tui_grid_puts(g, y, 2, w - 4, (tui_style){TUI_A_BOLD, TUI_C_ACCENT}, lv->spec ? (lv->spec->title ? lv->spec->title : lv->spec->name) : "lab");
    if (lv->err[0]) {
        tui_lines ls = {0};
        tui_text_wrap(lv->err, w - 4, bs, &ls);
        for (int i = 0; i < ls.n && y + 2 + i < bottom; i++) tui_grid_put_line(g, y + 2 + i, 2, w - 4, &ls.v[i]);
        int used = ls.n;
        tui_lines_deinit(&ls);
        if (!lv->have_snap) return;
        y += used;
    }
    if (!lv->have_snap) {
        tui_grid_puts(g, y + 2, 2, w - 4, ms, "preparing (loading data, building the model)\xe2\x80\xa6");
        return;
    }
    const lab_snapshot *s = &lv->snap;
    int cur = s->current < s->n_variants ? s->current : s->n_variants - 1;
    const char *vname = cur >= 0 ? s->variants[cur].name : "";
    int r = y + 1;
    if (!lv->finished) {
        tui_grid_printf(g, r++, 2, w - 4, TUI_PLAIN, "variant %d/%d %s \xc2\xb7 epoch %d/%d \xc2\xb7 batch %d/%d \xc2\xb7 loss %.4f \xc2\xb7 %.0f img/s \xc2\xb7 ETA %.0fs",
                        cur + 1, s->n_variants, vname, s->epoch, s->epochs, s->batch, s->batches, s->running_loss,
                        s->images_per_s, s->eta_s);
        tui_progress_draw(g, r++, 2, w - 4, s->batches ? (double)s->batch / s->batches : 0, (tui_style){0, TUI_C_GOOD});
    } else {
        tui_grid_printf(g, r++, 2, w - 4, (tui_style){TUI_A_BOLD, TUI_C_GOOD}, "finished in %.1fs", s->elapsed_s);
        r++;
    }
    /* curves: test accuracy when the lab has it, else training loss */
    int plot_h = bottom - r - (s->n_variants + 2);
    if (plot_h > 14) plot_h = 14;
    if (plot_h >= 5) {
        int have_acc = 0;
        for (int i = 0; i < s->n_variants; i++)
            for (int k = 0; k < s->variants[i].n_epochs; k++)
                if (!isnan(s->variants[i].curve[k].test_acc)) have_acc = 1;
        tui_series ser[8];
        float *vals[8] = {0};
        int ns = 0, xmax = 0;
        static const int colors[] = {TUI_C_ACCENT, TUI_C_GOOD, TUI_C_HEADING, TUI_C_WARN, TUI_C_BAD, TUI_C_LINK};
        for (int i = 0; i < s->n_variants && ns < 8; i++) {
            const lab_variant_snap *vs = &s->variants[i];
            vals[ns] = xcalloc((size_t)(vs->n_epochs ? vs->n_epochs : 1), sizeof(float));
            for (int k = 0; k < vs->n_epochs; k++)
                vals[ns][k] = (float)(have_acc ? vs->curve[k].test_acc * 100 : vs->curve[k].train_loss);
            ser[ns] = (tui_series){vs->name, vals[ns], vs->n_epochs, colors[i % 6]};
            if (vs->epochs_planned > xmax) xmax = vs->epochs_planned;
            ns++;
        }
        int first_epoch = !lv->finished && cur >= 0 && s->variants[cur].n_epochs == 0 && lv->n_live > 1;
        if (first_epoch) {
            /* nothing per epoch yet: the running loss of this epoch, batch by batch */
            tui_series one = {"running loss", lv->live, lv->n_live, TUI_C_ACCENT};
            tui_draw_section(g, r, 0, w, "training loss, first epoch so far");
            tui_plot_draw(g, r + 1, 1, plot_h, w - 2, &one, 1, 0);
        } else {
            tui_draw_section(g, r, 0, w, have_acc ? "test accuracy (%) per epoch" : "training loss per epoch");
            tui_plot_draw(g, r + 1, 1, plot_h, w - 2, ser, ns, xmax);
        }
        for (int i = 0; i < ns; i++) free(vals[i]);
        r += plot_h + 1;
    }
    if (r < bottom) {
        tui_grid_printf(g, r++, 2, w - 4, ms, "%-16s %-10s %7s %10s %9s %9s", "variant", "state", "epochs", "train loss", "train acc", "test acc");
    }
    for (int i = 0; i < s->n_variants && r < bottom; i++, r++) {
        const lab_variant_snap *vs = &s->variants[i];
        const lab_epoch *last = vs->n_epochs ? &vs->curve[vs->n_epochs - 1] : NULL;
        char ep[16], tl[16] = "-", ta[16] = "-", va[16] = "-";
        snprintf(ep, sizeof ep, "%d/%d", vs->n_epochs, vs->epochs_planned);
        if (last) {
            snprintf(tl, sizeof tl, "%.4f", last->train_loss);
            if (!isnan(last->train_acc)) snprintf(ta, sizeof ta, "%.2f%%", last->train_acc * 100);
            if (!isnan(last->test_acc)) snprintf(va, sizeof va, "%.2f%%", last->test_acc * 100);
        }
        tui_style st = vs->state == LAB_FAILED ? bs : TUI_PLAIN;
        tui_grid_printf(g, r, 2, w - 4, st, "%-16.16s %-10s %7s %10s %9s %9s", vs->name, state_name(vs->state), ep, tl, ta, va);
        if (vs->message[0] && w > 80) tui_grid_puts(g, r, 70, w - 72, ms, vs->message);
    }
}

/* Stops the run; returns DLS_OK, or the error of recording the stop (also in lv->err). */
static int stop(live_view *lv) {
    if (!lv->run || lv->finished) return DLS_OK;
    lab_run_stop(lv->run);
    unsigned ev = 0;
    dls_error e = {0};
    /* the next step records the stop (checkpoint and status) */
    int rc = lab_run_step(lv->run, 0.01, &ev, &e);
    if (rc != DLS_OK) snprintf(lv->err, sizeof lv->err, "%s", e.msg);
    lv->finished = 1;
    take_snapshot(lv);
    return rc;
}

static int live_key(tui_view *v, tui_app *a, int key, int action) {
    (void)key;
    live_view *lv = (live_view *)v;
    if (action == TUI_ACT_STOP) {
        if (lv->finished) return TUI_R_HANDLED;
        if (stop(lv) != DLS_OK) tui_app_message(a, 1, "stopped, but not saved: %s", lv->err);
        else tui_app_message(a, 0, "stopped; the finished epochs are saved");
        return TUI_R_HANDLED;
    }
    /* going back stops the run: a failure to save it shows on the screen below */
    if (action == TUI_ACT_BACK && stop(lv) != DLS_OK) tui_app_message(a, 1, "lab stopped, but not saved: %s", lv->err);
    return TUI_R_NONE;
}

static void live_free(tui_view *v) {
    live_view *lv = (live_view *)v;
    stop(lv);
    if (lv->have_snap) lab_snapshot_deinit(&lv->snap);
    lab_run_free(lv->run);
    free(lv);
}

static const tui_view_ops live_ops = {
    .name = "Lab", .keys = &tui_keys_lab_run, .draw = live_draw, .key = live_key,
    .tick = live_tick, .tick_ms = 1, .free = live_free,
};

tui_view *tui_lab_live_new(tui_app *a, const char *lab_name) {
    live_view *lv = xcalloc(1, sizeof *lv);
    lv->base.ops = &live_ops;
    lab_spec *const *specs;
    int n = tui_app_labs(a, &specs);
    for (int i = 0; i < n; i++)
        if (!strcmp(specs[i]->name, lab_name)) lv->spec = specs[i];
    if (!lv->spec) {
        snprintf(lv->err, sizeof lv->err, "no lab named %s", lab_name);
        lv->finished = 1;
        return &lv->base;
    }
    cli_ctx *ctx = tui_app_ctx(a);
    lab_run_opts o = {0};
    o.seed = -1;
    o.device = "cpu";
    o.data_opt = ctx->paths.data_dir;
    o.data_dir = ctx->paths.data_dir;
    o.db = tui_app_store(a); /* the app's store: the run is stepped on the UI thread */
    dls_error e = {0};
    int rc = lab_run_new(lv->spec, &o, &lv->run, &e);
    if (rc != DLS_OK) {
        snprintf(lv->err, sizeof lv->err, "%s%s", e.msg,
                 rc == DLS_ERR_NOTFOUND || rc == DLS_ERR_CORRUPT
                     ? "\n\nGive dlstudy the data with --data DIR or DLSTUDY_DATA, or run `dlstudy data fetch mnist`."
                     : "");
        lv->run = NULL;
        lv->finished = 1;
    } else {
        take_snapshot(lv);
    }
    return &lv->base;
}
