/* lab_results.c: lab runs and their per-epoch metrics in SQLite (tables lab_runs and
 * lab_metrics of schema.sql, through the store's cached statements and transactions),
 * reading them back for comparison, and exporting curves as CSV or as an SVG plot.
 * Not here: training (lab_run.c) or printing tables (tui/cmd_lab.c). */
#include "study/lab.h"
#include "study/store.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- writing ------------------------------------------------------------------------ */

/* Every statement comes from store_prepare: cached by the store, reset and unbound when
 * handed out, never finalized here; one that returned a row is reset once read, so it
 * holds no read snapshot between calls. */

int lab_db_run_begin(store *s, const char *lab, const char *variant, int64_t seed, const char *device,
                     int epochs, int batch, double lr, const char *config, int64_t *id, dls_error *e) {
    sqlite3_stmt *st = store_prepare(
        s, "INSERT INTO lab_runs(lab, variant, status, started_at, seed, device, epochs_planned,"
           " epochs_done, batch, lr, config) VALUES (?, ?, 'running', ?, ?, ?, ?, 0, ?, ?, ?)", e);
    if (!st) return e ? e->code : DLS_ERR_DB;
    sqlite3_bind_text(st, 1, lab, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, variant, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
    sqlite3_bind_int64(st, 4, seed);
    sqlite3_bind_text(st, 5, device, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 6, epochs);
    sqlite3_bind_int(st, 7, batch);
    sqlite3_bind_double(st, 8, lr);
    sqlite3_bind_text(st, 9, config, -1, SQLITE_TRANSIENT);
    int rc = store_step_done(s, st, "recording a lab run", e);
    if (rc) return rc;
    *id = sqlite3_last_insert_rowid(store_db(s));
    return DLS_OK;
}

static void bind_num(sqlite3_stmt *st, int i, double v) {
    if (isfinite(v)) sqlite3_bind_double(st, i, v);
    else sqlite3_bind_null(st, i); /* NaN (no accuracy for regression) is NULL in SQL */
}

/* The metrics row and the run's progress change together: a kill between the two must
 * never leave a checkpoint path that is ahead of the recorded epochs. */
int lab_db_epoch(store *s, int64_t id, const lab_epoch *ep, const char *checkpoint, dls_error *e) {
    int rc = store_begin(s, e);
    if (rc) return rc;
    sqlite3_stmt *st = store_prepare(
        s, "INSERT OR REPLACE INTO lab_metrics(run_id, epoch, train_loss, train_acc, test_loss, test_acc,"
           " seconds, images_per_s) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", e);
    if (!st) goto fail;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, ep->epoch);
    bind_num(st, 3, ep->train_loss);
    bind_num(st, 4, ep->train_acc);
    bind_num(st, 5, ep->test_loss);
    bind_num(st, 6, ep->test_acc);
    bind_num(st, 7, ep->seconds);
    bind_num(st, 8, ep->images_per_s);
    if (store_step_done(s, st, "recording an epoch", e)) goto fail;
    st = store_prepare(s, "UPDATE lab_runs SET epochs_done = ?, checkpoint = COALESCE(?, checkpoint) WHERE id = ?", e);
    if (!st) goto fail;
    sqlite3_bind_int(st, 1, ep->epoch);
    if (checkpoint) sqlite3_bind_text(st, 2, checkpoint, -1, SQLITE_TRANSIENT);
    else sqlite3_bind_null(st, 2);
    sqlite3_bind_int64(st, 3, id);
    if (store_step_done(s, st, "recording an epoch", e)) goto fail;
    return store_commit(s, e); /* committed at once: kill -9 after this keeps the epoch */
fail:
    store_rollback(s);
    return e ? e->code : DLS_ERR_DB;
}

int lab_db_run_end(store *s, int64_t id, const char *status, const char *error, dls_error *e) {
    sqlite3_stmt *st = store_prepare(s, "UPDATE lab_runs SET status = ?, finished_at = ?, error = ? WHERE id = ?", e);
    if (!st) return e ? e->code : DLS_ERR_DB;
    sqlite3_bind_text(st, 1, status, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
    if (error && *error) sqlite3_bind_text(st, 3, error, -1, SQLITE_TRANSIENT);
    else sqlite3_bind_null(st, 3);
    sqlite3_bind_int64(st, 4, id);
    return store_step_done(s, st, "ending a lab run", e);
}

int lab_db_run_status(store *s, int64_t id, const char *status, dls_error *e) {
    sqlite3_stmt *st = store_prepare(s, "UPDATE lab_runs SET status = ?, finished_at = NULL, error = NULL WHERE id = ?", e);
    if (!st) return e ? e->code : DLS_ERR_DB;
    sqlite3_bind_text(st, 1, status, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, id);
    return store_step_done(s, st, "updating a lab run", e);
}

int lab_db_find_unfinished(store *s, const char *lab, int64_t *group, char **config, dls_error *e) {
    sqlite3_stmt *st = store_prepare(
        s, "SELECT json_extract(config, '$.group'), config FROM lab_runs WHERE lab = ?"
           " AND status IN ('running', 'stopped') ORDER BY id DESC LIMIT 1", e);
    if (!st) return e ? e->code : DLS_ERR_DB;
    sqlite3_bind_text(st, 1, lab, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *group = sqlite3_column_int64(st, 0);
        const char *c = (const char *)sqlite3_column_text(st, 1);
        *config = xstrdup(c ? c : "{}");
        sqlite3_reset(st);
        return DLS_OK;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return store_check(s, rc, "looking for a run to resume", e);
    return dls_fail(e, DLS_ERR_NOTFOUND, "no unfinished run of lab '%s' to resume", lab);
}

int lab_db_new_group(store *s, int64_t *group, dls_error *e) {
    sqlite3_stmt *st = store_prepare(s, "SELECT COALESCE(MAX(json_extract(config, '$.group')), 0) + 1 FROM lab_runs", e);
    if (!st) return e ? e->code : DLS_ERR_DB;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *group = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return store_check(s, rc, "choosing a lab run group", e);
}

int lab_db_sync_specs(store *s, lab_spec *const *specs, int n, dls_error *e) {
    sqlite3_stmt *st = store_prepare(
        s, "INSERT INTO labs(name, title, spec_path, concepts, updated_at) VALUES (?, ?, ?, ?, ?)"
           " ON CONFLICT(name) DO UPDATE SET title = excluded.title, spec_path = excluded.spec_path,"
           " concepts = excluded.concepts, updated_at = excluded.updated_at", e);
    if (!st) return e ? e->code : DLS_ERR_DB;
    int rc = store_begin(s, e);
    for (int i = 0; i < n && rc == DLS_OK; i++) {
        dls_buf c;
        dls_buf_init(&c);
        for (int k = 0; k < specs[i]->n_concepts; k++) dls_buf_printf(&c, "%s%s", k ? "," : "", specs[i]->concepts[k]);
        sqlite3_bind_text(st, 1, specs[i]->name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, specs[i]->title, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, specs[i]->path, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 4, c.data ? c.data : "", -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 5, (sqlite3_int64)time(NULL));
        rc = store_step_done(s, st, "recording the labs", e); /* resets st for the next spec */
        dls_buf_deinit(&c);
    }
    if (rc == DLS_OK) return store_commit(s, e);
    store_rollback(s);
    return rc;
}

/* ---- reading ------------------------------------------------------------------------ */

static double col_num(sqlite3_stmt *st, int i) {
    return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

static void copy_col(sqlite3_stmt *st, int i, char *dst, size_t size) {
    const char *s = (const char *)sqlite3_column_text(st, i);
    snprintf(dst, size, "%s", s ? s : "");
}

static int load_curve(store *s, lab_result_run *r, dls_error *e) {
    sqlite3_stmt *st = store_prepare(
        s, "SELECT epoch, train_loss, train_acc, test_loss, test_acc, seconds, images_per_s"
           " FROM lab_metrics WHERE run_id = ? ORDER BY epoch", e);
    if (!st) return e ? e->code : DLS_ERR_DB;
    sqlite3_bind_int64(st, 1, r->id);
    int cap = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (r->n_epochs == cap) {
            cap = cap ? cap * 2 : 16;
            r->curve = xrealloc(r->curve, sizeof *r->curve * (size_t)cap);
        }
        lab_epoch *ep = &r->curve[r->n_epochs++];
        ep->epoch = sqlite3_column_int(st, 0);
        ep->train_loss = col_num(st, 1);
        ep->train_acc = col_num(st, 2);
        ep->test_loss = col_num(st, 3);
        ep->test_acc = col_num(st, 4);
        ep->seconds = col_num(st, 5);
        ep->images_per_s = col_num(st, 6);
    }
    sqlite3_reset(st);
    return store_check(s, rc, "reading lab metrics", e);
}

int lab_results_load(store *s, const char *lab, int last_only, lab_result_run **out, int *n_out, dls_error *e) {
    const char *sql =
        last_only
            ? "SELECT id, variant, status, started_at, device, epochs_done, epochs_planned, batch, lr, seed,"
              " COALESCE(error, ''), COALESCE(json_extract(config, '$.group'), id) AS g FROM lab_runs"
              " WHERE lab = ?1 AND COALESCE(json_extract(config, '$.group'), id) ="
              " (SELECT COALESCE(json_extract(config, '$.group'), id) FROM lab_runs WHERE lab = ?1"
              "  ORDER BY id DESC LIMIT 1) ORDER BY id"
            : "SELECT id, variant, status, started_at, device, epochs_done, epochs_planned, batch, lr, seed,"
              " COALESCE(error, ''), COALESCE(json_extract(config, '$.group'), id) FROM lab_runs"
              " WHERE lab = ?1 ORDER BY id DESC";
    sqlite3_stmt *st = store_prepare(s, sql, e);
    if (!st) return e ? e->code : DLS_ERR_DB;
    sqlite3_bind_text(st, 1, lab, -1, SQLITE_TRANSIENT);
    lab_result_run *runs = NULL;
    int n = 0, cap = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            runs = xrealloc(runs, sizeof *runs * (size_t)cap);
        }
        lab_result_run *r = &runs[n++];
        memset(r, 0, sizeof *r);
        r->id = sqlite3_column_int64(st, 0);
        copy_col(st, 1, r->variant, sizeof r->variant);
        copy_col(st, 2, r->status, sizeof r->status);
        r->started_at = sqlite3_column_int64(st, 3);
        copy_col(st, 4, r->device, sizeof r->device);
        r->epochs_done = sqlite3_column_int(st, 5);
        r->epochs_planned = sqlite3_column_int(st, 6);
        r->batch = sqlite3_column_int(st, 7);
        r->lr = sqlite3_column_double(st, 8);
        r->seed = sqlite3_column_int64(st, 9);
        copy_col(st, 10, r->error, sizeof r->error);
        r->group = sqlite3_column_int64(st, 11);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        free(runs);
        return store_check(s, rc, "reading lab runs", e);
    }
    for (int i = 0; i < n; i++)
        if (load_curve(s, &runs[i], e)) {
            lab_results_free(runs, n);
            return e ? e->code : DLS_ERR_DB;
        }
    *out = runs;
    *n_out = n;
    return DLS_OK;
}

int lab_db_load_curve(store *s, int64_t id, lab_epoch **curve, int *n, dls_error *e) {
    lab_result_run r = {.id = id};
    int rc = load_curve(s, &r, e);
    if (rc) {
        free(r.curve);
        return rc;
    }
    *curve = r.curve;
    *n = r.n_epochs;
    return DLS_OK;
}

int lab_db_run_reset(store *s, int64_t id, int keep, dls_error *e) {
    int rc = store_begin(s, e);
    if (rc) return rc;
    sqlite3_stmt *st = store_prepare(s, "DELETE FROM lab_metrics WHERE run_id = ? AND epoch > ?", e);
    if (!st) goto fail;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, keep);
    if (store_step_done(s, st, "resetting a lab run", e)) goto fail;
    st = store_prepare(s, "UPDATE lab_runs SET epochs_done = ?1, checkpoint = CASE WHEN ?1 > 0 THEN checkpoint END"
                          " WHERE id = ?2", e);
    if (!st) goto fail;
    sqlite3_bind_int(st, 1, keep);
    sqlite3_bind_int64(st, 2, id);
    if (store_step_done(s, st, "resetting a lab run", e)) goto fail;
    return store_commit(s, e);
fail:
    store_rollback(s);
    return e ? e->code : DLS_ERR_DB;
}

void lab_results_free(lab_result_run *runs, int n) {
    if (!runs) return;
    for (int i = 0; i < n; i++) free(runs[i].curve);
    free(runs);
}

/* ---- CSV ---------------------------------------------------------------------------- */

static void csv_field(FILE *f, const char *s) {
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void csv_num(FILE *f, double v) {
    if (isfinite(v)) fprintf(f, ",%.6g", v);
    else fputs(",", f);
}

/* Closes a file written with stdio and says whether every write reached it: a write
 * that fails while the buffer is flushed sets the error flag, and one that bypasses the
 * buffer (a long fputs) may leave nothing for fclose to fail on, so both are checked. */
static int close_written(FILE *f, const char *path, dls_error *e) {
    int failed = ferror(f), err = errno;
    if (fclose(f) != 0 && !failed) failed = 1, err = errno;
    if (failed) return dls_fail(e, DLS_ERR_IO, "cannot write %s: %s", path, err ? strerror(err) : "write error");
    return DLS_OK;
}

int lab_export_csv(const char *path, const char *lab, const lab_result_run *runs, int n, dls_error *e) {
    FILE *f = fopen(path, "w");
    if (!f) return dls_fail(e, DLS_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    fputs("lab,run_id,variant,epoch,train_loss,train_acc,test_loss,test_acc,seconds,images_per_s\n", f);
    for (int i = 0; i < n; i++)
        for (int k = 0; k < runs[i].n_epochs; k++) {
            const lab_epoch *ep = &runs[i].curve[k];
            csv_field(f, lab);
            fprintf(f, ",%lld,", (long long)runs[i].id);
            csv_field(f, runs[i].variant);
            fprintf(f, ",%d", ep->epoch);
            csv_num(f, ep->train_loss);
            csv_num(f, ep->train_acc);
            csv_num(f, ep->test_loss);
            csv_num(f, ep->test_acc);
            csv_num(f, ep->seconds);
            csv_num(f, ep->images_per_s);
            fputc('\n', f);
        }
    return close_written(f, path, e);
}

/* ---- SVG ---------------------------------------------------------------------------- */

/* Okabe-Ito colours: distinguishable with the common colour-vision deficiencies. */
static const char *const palette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                      "#E69F00", "#56B4E9", "#000000", "#F0E442"};

static void xml_text(dls_buf *b, const char *s) {
    for (; *s; s++) {
        switch (*s) {
        case '&': dls_buf_puts(b, "&amp;"); break;
        case '<': dls_buf_puts(b, "&lt;"); break;
        case '>': dls_buf_puts(b, "&gt;"); break;
        case '"': dls_buf_puts(b, "&quot;"); break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\t') dls_buf_append(b, s, 1);
        }
    }
}

/* A "nice" tick step (1, 2 or 5 times a power of ten) giving about `ticks` intervals. */
static double nice_step(double range, int ticks) {
    if (range <= 0) range = 1;
    double raw = range / ticks, mag = pow(10, floor(log10(raw))), f = raw / mag;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

typedef struct panel {
    double x0, y0, w, h;        /* plot area in SVG units */
    double xmin, xmax, ymin, ymax;
} panel;

static double px(const panel *p, double x) { return p->x0 + (x - p->xmin) / (p->xmax - p->xmin) * p->w; }
static double py(const panel *p, double y) { return p->y0 + p->h - (y - p->ymin) / (p->ymax - p->ymin) * p->h; }

static void fmt_tick(char *buf, size_t size, double v, double step) {
    int dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
    if (dec > 6) dec = 6;
    snprintf(buf, size, "%.*f", dec, fabs(v) < step * 1e-6 ? 0.0 : v);
}

static void x_tick(dls_buf *b, const panel *p, double v) {
    double x = px(p, v);
    dls_buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#444\"/>"
                      "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"11\">%g</text>\n",
                   x, p->y0 + p->h, x, p->y0 + p->h + 5, x, p->y0 + p->h + 18, v);
}

static void draw_axes(dls_buf *b, const panel *p, const char *title, const char *ylabel) {
    dls_buf_printf(b, "<g class=\"panel\">\n<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#ffffff\" stroke=\"#444\"/>\n",
                   p->x0, p->y0, p->w, p->h);
    dls_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">",
                   p->x0 + p->w / 2, p->y0 - 10);
    xml_text(b, title);
    dls_buf_puts(b, "</text>\n");
    /* y ticks with grid lines */
    double ys = nice_step(p->ymax - p->ymin, 5);
    for (double v = ceil(p->ymin / ys - 1e-9) * ys; v <= p->ymax + ys * 1e-6; v += ys) {
        char t[32];
        fmt_tick(t, sizeof t, v, ys);
        double y = py(p, v);
        dls_buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>"
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#444\"/>"
                          "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"11\">%s</text>\n",
                       p->x0, y, p->x0 + p->w, y, p->x0 - 5, y, p->x0, y, p->x0 - 8, y + 4, t);
    }
    /* x ticks: whole epochs */
    double xs = nice_step(p->xmax - p->xmin, 8);
    if (xs < 1) xs = 1;
    double first = ceil(p->xmin / xs - 1e-9) * xs;
    if (p->xmin == 1 && first > 1.5) x_tick(b, p, 1); /* epoch 1 labelled too, then round ticks */
    for (double v = first; v <= p->xmax + 1e-9; v += xs) x_tick(b, p, v);
    dls_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"12\">epoch</text>\n",
                   p->x0 + p->w / 2, p->y0 + p->h + 36);
    dls_buf_printf(b, "<text transform=\"translate(%.1f %.1f) rotate(-90)\" text-anchor=\"middle\" font-size=\"12\">",
                   p->x0 - 48, p->y0 + p->h / 2);
    xml_text(b, ylabel);
    dls_buf_puts(b, "</text>\n</g>\n");
}

/* One polyline over the finite points of a series; which: 0 train loss, 1 test loss,
 * 2 train acc, 3 test acc. */
static void draw_series(dls_buf *b, const panel *p, const lab_result_run *r, int which, const char *color) {
    int pts = 0;
    for (int k = 0; k < r->n_epochs; k++) {
        const lab_epoch *ep = &r->curve[k];
        double v = which == 0 ? ep->train_loss : which == 1 ? ep->test_loss : which == 2 ? ep->train_acc : ep->test_acc;
        if (!isfinite(v)) continue;
        if (v > p->ymax) v = p->ymax; /* clip a diverged run at the top edge */
        if (!pts++)
            dls_buf_printf(b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"", color,
                           which % 2 == 0 ? " stroke-dasharray=\"6 4\" stroke-opacity=\"0.75\"" : "");
        dls_buf_printf(b, "%.1f,%.1f ", px(p, ep->epoch), py(p, v));
    }
    if (pts) dls_buf_puts(b, "\"/>\n");
    /* a single point makes no visible line: mark it */
    if (pts == 1)
        for (int k = 0; k < r->n_epochs; k++) {
            const lab_epoch *ep = &r->curve[k];
            double v = which == 0 ? ep->train_loss : which == 1 ? ep->test_loss : which == 2 ? ep->train_acc : ep->test_acc;
            if (isfinite(v))
                dls_buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", px(p, ep->epoch),
                               py(p, v > p->ymax ? p->ymax : v), color);
        }
}

char *lab_svg_render(const char *title, const lab_result_run *runs, int n) {
    const double W = 960, H = 470;
    dls_buf b;
    dls_buf_init(&b);
    /* ranges over every run */
    int max_epoch = 1, have_acc = 0;
    double lmax = 0, amin = 1;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < runs[i].n_epochs; k++) {
            const lab_epoch *ep = &runs[i].curve[k];
            if (ep->epoch > max_epoch) max_epoch = ep->epoch;
            if (isfinite(ep->train_loss) && ep->train_loss > lmax) lmax = ep->train_loss;
            if (isfinite(ep->test_loss) && ep->test_loss > lmax) lmax = ep->test_loss;
            if (isfinite(ep->train_acc)) have_acc = 1, amin = fmin(amin, ep->train_acc);
            if (isfinite(ep->test_acc)) have_acc = 1, amin = fmin(amin, ep->test_acc);
        }
    if (lmax <= 0) lmax = 1;
    lmax = ceil(lmax / nice_step(lmax, 5)) * nice_step(lmax, 5);
    double a0 = have_acc ? floor(amin * 10) / 10 : 0;
    if (a0 > 0.9) a0 = 0.9;
    if (a0 < 0) a0 = 0;
    /* one epoch still needs a visible x range */
    panel loss = {80, 60, 360, 290, max_epoch > 1 ? 1 : 0.5, max_epoch > 1 ? max_epoch : 1.5, 0, lmax};
    panel acc = {560, 60, 360, 290, loss.xmin, loss.xmax, a0, 1};

    dls_buf_printf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                       "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
                       "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n"
                       "<rect width=\"100%%\" height=\"100%%\" fill=\"#fafafa\"/>\n"
                       "<text x=\"%.0f\" y=\"26\" text-anchor=\"middle\" font-size=\"17\">",
                   W, H, W, H, W / 2);
    xml_text(&b, title);
    dls_buf_puts(&b, "</text>\n");
    draw_axes(&b, &loss, "Loss", "loss");
    draw_axes(&b, &acc, "Accuracy", have_acc ? "accuracy" : "accuracy (n/a: regression)");
    for (int i = 0; i < n; i++) {
        const char *c = palette[i % (int)(sizeof palette / sizeof palette[0])];
        dls_buf_printf(&b, "<g class=\"run\" data-variant=\"");
        xml_text(&b, runs[i].variant);
        dls_buf_puts(&b, "\">\n");
        draw_series(&b, &loss, &runs[i], 0, c);
        draw_series(&b, &loss, &runs[i], 1, c);
        draw_series(&b, &acc, &runs[i], 2, c);
        draw_series(&b, &acc, &runs[i], 3, c);
        dls_buf_puts(&b, "</g>\n");
    }
    /* legend: one entry per run, then the line styles */
    double lx = 80, ly = 410;
    dls_buf_puts(&b, "<g class=\"legend\" font-size=\"12\">\n");
    for (int i = 0; i < n; i++) {
        const char *c = palette[i % (int)(sizeof palette / sizeof palette[0])];
        char label[96];
        int dup = 0;
        for (int j = 0; j < n; j++) dup |= j != i && !strcmp(runs[j].variant, runs[i].variant);
        if (dup) snprintf(label, sizeof label, "%s #%lld", runs[i].variant, (long long)runs[i].id);
        else snprintf(label, sizeof label, "%s", runs[i].variant);
        double w = 40 + 7.5 * (double)strlen(label);
        if (lx + w > W - 20) lx = 80, ly += 20;
        dls_buf_printf(&b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"3\"/>"
                           "<text x=\"%.1f\" y=\"%.1f\">",
                       lx, ly, lx + 24, ly, c, lx + 30, ly + 4);
        xml_text(&b, label);
        dls_buf_puts(&b, "</text>\n");
        lx += w;
    }
    ly += 24;
    dls_buf_printf(&b, "<line x1=\"80\" y1=\"%.1f\" x2=\"104\" y2=\"%.1f\" stroke=\"#444\" stroke-width=\"2\"/>"
                       "<text x=\"110\" y=\"%.1f\">test</text>"
                       "<line x1=\"170\" y1=\"%.1f\" x2=\"194\" y2=\"%.1f\" stroke=\"#444\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/>"
                       "<text x=\"200\" y=\"%.1f\">train</text>\n</g>\n</svg>\n",
                   ly, ly, ly + 4, ly, ly, ly + 4);
    return dls_buf_take(&b);
}

int lab_export_svg(const char *path, const char *title, const lab_result_run *runs, int n, dls_error *e) {
    char *svg = lab_svg_render(title, runs, n);
    FILE *f = fopen(path, "w");
    if (!f) {
        free(svg);
        return dls_fail(e, DLS_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    }
    fputs(svg, f);
    free(svg);
    return close_written(f, path, e);
}
