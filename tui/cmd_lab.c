/* cmd_lab.c: the `dlstudy lab` and `dlstudy data` commands: listing labs with their
 * concepts, running one (a progress bar on a terminal, one line per epoch with --plain,
 * JSON lines with --json; Ctrl-C stops after the current batch and keeps what is done),
 * comparing results and exporting curves, and finding or fetching data sets.
 * The live full-screen lab is the labs screen's (tui/screens); this file only prints. */
#include "tui/cli.h"

#include "study/lab.h"
#include "study/store.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- shared helpers ----------------------------------------------------------------- */

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig) {
    (void)sig;
    interrupted = 1;
    signal(SIGINT, SIG_DFL); /* a second Ctrl-C quits at once */
}

static void json_str(FILE *f, const char *s) {
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c == '\n') fputs("\\n", f);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

static void json_num(FILE *f, const char *key, double v) {
    if (isfinite(v)) fprintf(f, ",\"%s\":%.6g", key, v);
    else fprintf(f, ",\"%s\":null", key);
}

static void fmt_pct(char *buf, size_t n, double v) {
    if (isfinite(v)) snprintf(buf, n, "%.2f%%", v * 100);
    else snprintf(buf, n, "-");
}

static void fmt_time(char *buf, size_t n, double s) {
    if (!isfinite(s) || s < 0) snprintf(buf, n, "--:--");
    else if (s < 3600) snprintf(buf, n, "%d:%02d", (int)s / 60, (int)s % 60);
    else snprintf(buf, n, "%d:%02d:%02d", (int)s / 3600, (int)s / 60 % 60, (int)s % 60);
}

/* ---- lab list / show ---------------------------------------------------------------- */

static int lab_list(cli_ctx *ctx, int json) {
    lab_spec **specs;
    int n;
    dls_buf errs;
    dls_buf_init(&errs);
    dls_error e = {0};
    if (lab_spec_list(ctx->paths.labs_dir, &specs, &n, &errs, &e) != DLS_OK) {
        fprintf(stderr, "dlstudy lab: %s\n", e.msg);
        dls_buf_deinit(&errs);
        return DLS_EXIT_FAIL;
    }
    for (int i = 0; i < n; i++) {
        const lab_spec *s = specs[i];
        if (json) {
            printf("{\"name\":");
            json_str(stdout, s->name);
            printf(",\"title\":");
            json_str(stdout, s->title);
            printf(",\"dataset\":");
            json_str(stdout, lab_data_name(s->base.data));
            printf(",\"variants\":[");
            for (int v = 0; v < s->n_variants; v++) {
                if (v) putchar(',');
                json_str(stdout, s->variants[v].name);
            }
            printf("],\"concepts\":[");
            for (int c = 0; c < s->n_concepts; c++) {
                if (c) putchar(',');
                json_str(stdout, s->concepts[c]);
            }
            printf("]}\n");
            continue;
        }
        printf("%-14s %s  [%s", s->name, s->title, lab_data_name(s->base.data));
        if (s->n_variants > 1) {
            printf("; ");
            for (int v = 0; v < s->n_variants; v++) printf("%s%s", v ? " vs " : "", s->variants[v].name);
        }
        printf("]\n%-14s concepts: ", "");
        for (int c = 0; c < s->n_concepts; c++) printf("%s%s", c ? ", " : "", s->concepts[c]);
        printf("\n");
    }
    if (errs.len) fprintf(stderr, "dlstudy lab: some specs did not load:\n%s", errs.data);
    store *st = n ? cli_store_open(ctx, "lab") : NULL;
    if (st) { /* keep the labs table current for the screens */
        dls_error se = {0};
        if (lab_db_sync_specs(st, specs, n, &se) != DLS_OK) /* the list itself is still right */
            fprintf(stderr, "dlstudy lab: the labs could not be recorded in the database: %s\n", se.msg);
        store_free(st);
    }
    int rc = errs.len ? DLS_EXIT_FAIL : DLS_EXIT_OK;
    dls_buf_deinit(&errs);
    lab_spec_list_free(specs, n);
    return rc;
}

static int lab_show(cli_ctx *ctx, const char *name) {
    lab_spec *s;
    dls_error e = {0};
    if (lab_spec_find(ctx->paths.labs_dir, name, &s, &e) != DLS_OK) {
        fprintf(stderr, "dlstudy lab: %s\n", e.msg);
        return DLS_EXIT_FAIL;
    }
    printf("%s: %s\n", s->name, s->title);
    if (s->summary) printf("\n%s\n", s->summary);
    printf("\nconcepts: ");
    for (int c = 0; c < s->n_concepts; c++) printf("%s%s", c ? ", " : "", s->concepts[c]);
    printf("\nspec: %s\n\n", s->path);
    for (int v = 0; v < s->n_variants; v++) {
        const lab_config *c = &s->variants[v].cfg;
        char *m = lab_model_describe(c);
        printf("variant %s%s%s\n", s->variants[v].name, s->variants[v].description ? ": " : "",
               s->variants[v].description ? s->variants[v].description : "");
        printf("  data %s%s, model %s\n  loss %s, %s lr %g, %d epochs, batch %d, seed %llu\n", lab_data_name(c->data),
               c->subset ? " (subset)" : "", m, nn_loss_kind_name(c->loss), nn_optim_kind_name(c->opt.kind), c->opt.lr,
               c->epochs, c->batch, (unsigned long long)c->seed);
        free(m);
    }
    lab_spec_free(s);
    return DLS_EXIT_OK;
}

/* ---- lab NAME: running -------------------------------------------------------------- */

enum out_mode { OUT_BAR, OUT_PLAIN, OUT_JSON };

/* vw: width of the variant column; 0 when the lab has one variant (no column). */
static void print_epoch(enum out_mode mode, const lab_spec *s, const char *variant, const lab_epoch *ep, int epochs,
                        int vw) {
    if (mode == OUT_JSON) {
        printf("{\"type\":\"epoch\",\"lab\":");
        json_str(stdout, s->name);
        printf(",\"variant\":");
        json_str(stdout, variant);
        printf(",\"epoch\":%d,\"epochs\":%d", ep->epoch, epochs);
        json_num(stdout, "train_loss", ep->train_loss);
        json_num(stdout, "train_accuracy", ep->train_acc);
        json_num(stdout, "test_loss", ep->test_loss);
        json_num(stdout, "test_accuracy", ep->test_acc);
        json_num(stdout, "seconds", ep->seconds);
        json_num(stdout, "images_per_s", ep->images_per_s);
        printf("}\n");
    } else {
        char acc[16];
        fmt_pct(acc, sizeof acc, ep->test_acc);
        if (mode == OUT_BAR) printf("\r\033[K");
        if (vw) printf("%-*s ", vw, variant);
        printf("epoch %*d/%d  train loss %.4f  test loss %.4f  test acc %s  %.2f s\n", epochs >= 10 ? 2 : 1,
               ep->epoch, epochs, ep->train_loss, ep->test_loss, acc, ep->seconds);
    }
    fflush(stdout);
}

static void print_bar(const lab_snapshot *sn, int vw) {
    if (sn->current >= sn->n_variants || !sn->batches || !sn->batch) return; /* nothing measured yet */
    int width = 24, done = (int)((double)sn->batch / sn->batches * width);
    char bar[32], eta[16];
    for (int i = 0; i < width; i++) bar[i] = i < done ? '#' : '.';
    bar[width] = 0;
    fmt_time(eta, sizeof eta, sn->eta_s);
    printf("\r\033[K");
    if (vw) printf("%-*s ", vw, sn->variants[sn->current].name);
    printf("epoch %d/%d [%s] %3d%%  loss %.4f  %.0f img/s  left %s", sn->epoch, sn->epochs, bar,
           sn->batch * 100 / sn->batches, isfinite(sn->running_loss) ? sn->running_loss : 0.0, sn->images_per_s, eta);
    fflush(stdout);
}

static const char *state_word(enum lab_state s) {
    switch (s) {
    case LAB_DONE:          return "done";
    case LAB_EARLY_STOPPED: return "done";
    case LAB_STOPPED:       return "stopped";
    case LAB_FAILED:        return "failed";
    case LAB_RUNNING:       return "running";
    default:                return "pending";
    }
}

static void print_result(enum out_mode mode, const lab_spec *s, const lab_variant_snap *v) {
    const lab_epoch *last = v->n_epochs ? &v->curve[v->n_epochs - 1] : NULL;
    double secs = 0, imgs = 0;
    for (int i = 0; i < v->n_epochs; i++) secs += v->curve[i].seconds, imgs += v->curve[i].images_per_s;
    if (v->n_epochs) imgs /= v->n_epochs;
    if (mode == OUT_JSON) {
        printf("{\"type\":\"result\",\"lab\":");
        json_str(stdout, s->name);
        printf(",\"variant\":");
        json_str(stdout, v->name);
        printf(",\"status\":\"%s\",\"run_id\":%lld,\"epochs\":%d,\"epochs_planned\":%d", state_word(v->state),
               (long long)v->run_id, v->n_epochs, v->epochs_planned);
        json_num(stdout, "train_loss", last ? last->train_loss : NAN);
        json_num(stdout, "train_accuracy", last ? last->train_acc : NAN);
        json_num(stdout, "test_loss", last ? last->test_loss : NAN);
        json_num(stdout, "test_accuracy", last ? last->test_acc : NAN);
        json_num(stdout, "seconds", secs);
        json_num(stdout, "images_per_s", imgs);
        printf(",\"message\":");
        json_str(stdout, v->message);
        printf("}\n");
    } else {
        char acc[16];
        fmt_pct(acc, sizeof acc, last ? last->test_acc : NAN);
        if (mode == OUT_BAR) printf("\r\033[K");
        printf("result %s %s: %s after %d/%d epochs, train loss %.4f, test loss %.4f, test acc %s, %.1f s, %.0f img/s\n",
               s->name, v->name, state_word(v->state), v->n_epochs, v->epochs_planned, last ? last->train_loss : NAN,
               last ? last->test_loss : NAN, acc, secs, imgs);
        if (*v->message) printf("  %s\n", v->message);
    }
    fflush(stdout);
}

static int lab_usage(FILE *f) {
    fprintf(f, "usage: dlstudy lab list [--json]\n"
               "       dlstudy lab show NAME\n"
               "       dlstudy lab NAME [--epochs N] [--batch N] [--lr X] [--seed N] [--device cpu|cuda]\n"
               "                        [--data DIR] [--variants a,b] [--threads N] [--plain|--json] [--resume]\n"
               "       dlstudy lab results NAME [--all] [--json] [--export csv|svg FILE]\n"
               "Ctrl-C stops a run after the current batch; --resume continues the last unfinished one.\n");
    return f == stdout ? DLS_EXIT_OK : DLS_EXIT_USAGE;
}

static int lab_run_cmd(cli_ctx *ctx, const char *name, int argc, char **argv) {
    lab_run_opts o = {.seed = -1};
    int json = 0, plain = ctx->plain;
    for (int i = 0; i < argc; i++) {
        const char *v;
        int n;
        if (!strcmp(argv[i], "--json")) json = 1;
        else if (!strcmp(argv[i], "--plain")) plain = 1;
        else if (!strcmp(argv[i], "--resume")) o.resume = 1;
        else if ((v = cli_opt_value(argc, argv, &i, "--epochs"))) {
            if (cli_int_value("lab", "--epochs", v, 1, 100000, &o.epochs)) return DLS_EXIT_USAGE;
        } else if ((v = cli_opt_value(argc, argv, &i, "--batch"))) {
            if (cli_int_value("lab", "--batch", v, 1, 65536, &o.batch)) return DLS_EXIT_USAGE;
        } else if ((v = cli_opt_value(argc, argv, &i, "--threads"))) {
            if (cli_int_value("lab", "--threads", v, 1, 1024, &o.threads)) return DLS_EXIT_USAGE;
        } else if ((v = cli_opt_value(argc, argv, &i, "--seed"))) {
            if (cli_int_value("lab", "--seed", v, 0, 2147483647L, &n)) return DLS_EXIT_USAGE;
            o.seed = n;
        } else if ((v = cli_opt_value(argc, argv, &i, "--lr"))) {
            char *end;
            o.lr = strtod(v, &end);
            if (!*v || *end || !(o.lr > 0) || o.lr > 100) return cli_usage_error("lab", "--lr takes a number above 0, not '%s'", v);
        } else if ((v = cli_opt_value(argc, argv, &i, "--device"))) {
            if (strcmp(v, "cpu") && strcmp(v, "cuda")) return cli_usage_error("lab", "--device is cpu or cuda, not '%s'", v);
            o.device = v;
        } else if ((v = cli_opt_value(argc, argv, &i, "--data"))) o.data_opt = v;
        else if ((v = cli_opt_value(argc, argv, &i, "--variants"))) o.variants = v;
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return lab_usage(stdout);
        else return cli_usage_error("lab", "unknown option '%s' (see dlstudy lab --help)", argv[i]);
    }
    if (o.resume && o.variants) return cli_usage_error("lab", "--resume continues the variants of the run it resumes; drop --variants");
    enum out_mode mode = json ? OUT_JSON : plain || !isatty(STDOUT_FILENO) ? OUT_PLAIN : OUT_BAR;

    lab_spec *spec;
    dls_error e = {0};
    if (lab_spec_find(ctx->paths.labs_dir, name, &spec, &e) != DLS_OK) {
        fprintf(stderr, "dlstudy lab: %s\n", e.msg);
        return DLS_EXIT_FAIL;
    }
    store *st = cli_store_open(ctx, "lab");
    if (!st) {
        lab_spec_free(spec);
        return DLS_EXIT_FAIL;
    }
    o.db = st; /* checkpoints go beside it: DB_FOLDER/runs/<run-id>.ckpt */
    o.data_dir = ctx->paths.data_dir;
    lab_run *run;
    int rc = DLS_EXIT_OK;
    if (lab_run_new(spec, &o, &run, &e) != DLS_OK) {
        fprintf(stderr, "dlstudy lab: %s\n", e.msg);
        if (e.code == DLS_ERR_NOTFOUND || e.code == DLS_ERR_CORRUPT || e.code == DLS_ERR_MISMATCH) {
            /* a missing or damaged data set: say exactly how to get it */
            const char *set = strstr(e.msg, "fashion-mnist") ? "fashion-mnist" : strstr(e.msg, "mnist") ? "mnist" : NULL;
            if (set && !o.resume) {
                char *how = lab_data_howto(set, ctx->paths.data_dir);
                fprintf(stderr, "%s\n", how);
                free(how);
            }
        }
        store_free(st);
        lab_spec_free(spec);
        return DLS_EXIT_FAIL;
    }

    lab_snapshot sn;
    lab_run_snapshot(run, &sn);
    int multi = sn.n_variants > 1, vw = 0;
    for (int i = 0; multi && i < sn.n_variants; i++)
        if ((int)strlen(sn.variants[i].name) > vw) vw = (int)strlen(sn.variants[i].name);
    if (mode != OUT_JSON) {
        printf("lab %s: %s", spec->name, spec->title);
        if (multi) {
            printf(" (");
            for (int i = 0; i < sn.n_variants; i++) printf("%s%s", i ? " vs " : "", sn.variants[i].name);
            printf(")");
        }
        printf("\n");
    }
    int *printed = xcalloc((size_t)sn.n_variants + 1, sizeof *printed);
    lab_snapshot_deinit(&sn);
    fflush(stdout);

    struct sigaction sa = {0}, old;
    sa.sa_handler = on_sigint;
    /* Ctrl-C only asks the run to stop: a read or write it lands in (zlib reading the
     * data set, a line to a blocked terminal) is resumed, not failed with EINTR */
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old);
    interrupted = 0;
    int any_failed = 0, stopped = 0;
    double last_bar = 0;
    for (;;) {
        if (interrupted == 1) {
            lab_run_stop(run);
            interrupted = 2;
        }
        unsigned ev = 0;
        /* that variant failed (its result line follows); the others still run. The
         * error is printed below, unless the failed variant's line says it already */
        int untold = lab_run_step(run, mode == OUT_BAR ? 0.1 : 0.5, &ev, &e) != DLS_OK;
        if (untold) rc = DLS_EXIT_FAIL;
        if (ev & LAB_EV_INFO) {
            const char *info = lab_run_info(run);
            if (mode == OUT_JSON) {
                printf("{\"type\":\"info\",\"lab\":");
                json_str(stdout, spec->name);
                printf(",\"text\":");
                json_str(stdout, info);
                printf("}\n");
            } else {
                if (mode == OUT_BAR) printf("\r\033[K");
                fputs(info, stdout);
            }
        }
        lab_run_snapshot(run, &sn);
        if (ev & LAB_EV_EPOCH) {
            const char *variant;
            const lab_epoch *ep = lab_run_last_epoch(run, &variant);
            int epochs = 0;
            for (int i = 0; i < sn.n_variants; i++)
                if (!strcmp(sn.variants[i].name, variant)) epochs = sn.variants[i].epochs_planned;
            print_epoch(mode, spec, variant, ep, epochs, vw);
        }
        if (ev & LAB_EV_VARIANT_END) {
            /* the variants that ended are the ones before current that are not pending */
            for (int i = 0; i < sn.n_variants; i++) {
                const lab_variant_snap *v = &sn.variants[i];
                if (printed[i] || i >= sn.current || v->state == LAB_PENDING || v->state == LAB_RUNNING) continue;
                printed[i] = 1;
                print_result(mode, spec, v);
                if (v->state == LAB_FAILED) {
                    any_failed = 1;
                    fprintf(stderr, "dlstudy lab: %s %s: %s\n", spec->name, v->name, v->message);
                    if (untold && !strcmp(v->message, e.msg)) untold = 0;
                }
                if (v->state == LAB_STOPPED) stopped = 1;
            }
        }
        if (untold) { /* e.g. the database refused to record how a variant ended */
            if (mode == OUT_BAR) printf("\r\033[K");
            fflush(stdout);
            fprintf(stderr, "dlstudy lab: %s\n", e.msg);
        }
        if (mode == OUT_BAR) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            double t = (double)ts.tv_sec + ts.tv_nsec * 1e-9;
            if (t - last_bar > 0.1) print_bar(&sn, vw), last_bar = t;
        }
        int finished = ev & LAB_EV_FINISHED;
        if (finished) {
            double best = -1;
            const char *best_name = NULL;
            for (int i = 0; i < sn.n_variants; i++) {
                const lab_variant_snap *v = &sn.variants[i];
                if (v->n_epochs && isfinite(v->curve[v->n_epochs - 1].test_acc) && v->curve[v->n_epochs - 1].test_acc > best)
                    best = v->curve[v->n_epochs - 1].test_acc, best_name = v->name;
            }
            if (mode != OUT_JSON) {
                if (mode == OUT_BAR) printf("\r\033[K");
                printf("summary: lab %s, %d variant%s, %.1f s", spec->name, sn.n_variants, multi ? "s" : "", sn.elapsed_s);
                if (best_name) printf(", best test accuracy %.2f%% (%s)", best * 100, best_name);
                if (stopped) printf(", stopped: `dlstudy lab %s --resume` continues", spec->name);
                printf(", results: dlstudy lab results %s\n", spec->name);
            }
        }
        lab_snapshot_deinit(&sn);
        fflush(stdout);
        if (finished) break;
    }
    sigaction(SIGINT, &old, NULL);
    free(printed);
    if (rc == DLS_EXIT_OK && any_failed) rc = DLS_EXIT_FAIL;
    if (rc == DLS_EXIT_OK && stopped) rc = 130; /* the shell's code for "ended by SIGINT" */
    lab_run_free(run);
    store_free(st);
    lab_spec_free(spec);
    return rc;
}

/* ---- lab results -------------------------------------------------------------------- */

static int lab_results_cmd(cli_ctx *ctx, const char *name, int argc, char **argv) {
    int all = 0, json = 0;
    const char *fmt = NULL, *file = NULL;
    for (int i = 0; i < argc; i++) {
        const char *v;
        if (!strcmp(argv[i], "--all")) all = 1;
        else if (!strcmp(argv[i], "--json")) json = 1;
        else if (!strcmp(argv[i], "--plain")) continue;
        else if ((v = cli_opt_value(argc, argv, &i, "--export"))) {
            fmt = v;
            if (strcmp(fmt, "csv") && strcmp(fmt, "svg")) return cli_usage_error("lab", "--export takes csv or svg, not '%s'", fmt);
            if (i + 1 >= argc) return cli_usage_error("lab", "--export %s needs a FILE", fmt);
            file = argv[++i];
        } else return cli_usage_error("lab", "unknown option '%s' for lab results", argv[i]);
    }
    store *st = cli_store_open(ctx, "lab");
    if (!st) return DLS_EXIT_FAIL;
    lab_result_run *runs;
    int n;
    dls_error e = {0};
    if (lab_results_load(st, name, !all, &runs, &n, &e) != DLS_OK) {
        fprintf(stderr, "dlstudy lab: %s\n", e.msg);
        store_free(st);
        return DLS_EXIT_FAIL;
    }
    int rc = DLS_EXIT_OK;
    if (!n) {
        fprintf(stderr, "dlstudy lab: no runs of lab '%s' yet (run it with: dlstudy lab %s)\n", name, name);
        rc = DLS_EXIT_FAIL;
    } else if (fmt) {
        if (!strcmp(fmt, "csv")) rc = lab_export_csv(file, name, runs, n, &e);
        else {
            lab_spec *spec = NULL;
            char *title = NULL;
            if (lab_spec_find(ctx->paths.labs_dir, name, &spec, NULL) == DLS_OK) title = xasprintf("%s: %s", name, spec->title);
            else title = xstrdup(name);
            rc = lab_export_svg(file, title, runs, n, &e);
            free(title);
            lab_spec_free(spec);
        }
        if (rc) fprintf(stderr, "dlstudy lab: %s\n", e.msg), rc = DLS_EXIT_FAIL;
        else printf("wrote %s (%d run%s)\n", file, n, n == 1 ? "" : "s");
    } else if (json) {
        for (int i = 0; i < n; i++) {
            const lab_result_run *r = &runs[i];
            const lab_epoch *last = r->n_epochs ? &r->curve[r->n_epochs - 1] : NULL;
            double best = NAN;
            for (int k = 0; k < r->n_epochs; k++)
                if (isfinite(r->curve[k].test_acc) && !(best >= r->curve[k].test_acc)) best = r->curve[k].test_acc;
            printf("{\"lab\":");
            json_str(stdout, name);
            printf(",\"run_id\":%lld,\"group\":%lld,\"variant\":", (long long)r->id, (long long)r->group);
            json_str(stdout, r->variant);
            printf(",\"status\":\"%s\",\"started_at\":%lld,\"device\":", r->status, (long long)r->started_at);
            json_str(stdout, r->device);
            printf(",\"epochs\":%d,\"epochs_planned\":%d,\"batch\":%d", r->epochs_done, r->epochs_planned, r->batch);
            json_num(stdout, "lr", r->lr);
            json_num(stdout, "train_loss", last ? last->train_loss : NAN);
            json_num(stdout, "test_loss", last ? last->test_loss : NAN);
            json_num(stdout, "test_accuracy", last ? last->test_acc : NAN);
            json_num(stdout, "best_test_accuracy", best);
            printf("}\n");
        }
    } else {
        printf("%-5s %-20s %-17s %-8s %7s %10s %10s %9s %9s %8s %8s\n", "run", "variant", "started", "status", "epochs",
               "train loss", "test loss", "test acc", "best acc", "seconds", "img/s");
        int64_t group = -1;
        for (int i = 0; i < n; i++) {
            const lab_result_run *r = &runs[i];
            if (all && r->group != group && i) printf("\n");
            group = r->group;
            const lab_epoch *last = r->n_epochs ? &r->curve[r->n_epochs - 1] : NULL;
            double best = NAN, secs = 0, ips = 0;
            for (int k = 0; k < r->n_epochs; k++) {
                if (isfinite(r->curve[k].test_acc) && !(best >= r->curve[k].test_acc)) best = r->curve[k].test_acc;
                secs += isfinite(r->curve[k].seconds) ? r->curve[k].seconds : 0;
                ips += isfinite(r->curve[k].images_per_s) ? r->curve[k].images_per_s / r->n_epochs : 0;
            }
            char when[32], acc[16], bacc[16], ep[16];
            time_t t = (time_t)r->started_at;
            strftime(when, sizeof when, "%Y-%m-%d %H:%M", localtime(&t));
            fmt_pct(acc, sizeof acc, last ? last->test_acc : NAN);
            fmt_pct(bacc, sizeof bacc, best);
            snprintf(ep, sizeof ep, "%d/%d", r->epochs_done, r->epochs_planned);
            printf("%-5lld %-20.20s %-17s %-8s %7s %10.4f %10.4f %9s %9s %8.1f %8.0f\n", (long long)r->id, r->variant, when,
                   r->status, ep, last ? last->train_loss : NAN, last ? last->test_loss : NAN, acc, bacc, secs, ips);
            if (*r->error) printf("      %s\n", r->error);
        }
        if (!all) printf("(the last run of %s; --all shows every run, --export csv|svg FILE writes the curves)\n", name);
    }
    lab_results_free(runs, n);
    store_free(st);
    return rc;
}

int cmd_lab(cli_ctx *ctx, int argc, char **argv) {
    if (argc < 2) {
        if (!ctx->plain) return tui_app_run(ctx, TUI_SCREEN_LABS, argc, argv);
        return lab_list(ctx, 0);
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) return lab_usage(stdout);
    if (!strcmp(sub, "list")) {
        int json = 0;
        for (int i = 2; i < argc; i++) {
            if (!strcmp(argv[i], "--json")) json = 1;
            else if (strcmp(argv[i], "--plain")) return cli_usage_error("lab", "unknown option '%s' for lab list", argv[i]);
        }
        return lab_list(ctx, json);
    }
    if (!strcmp(sub, "show")) {
        if (argc != 3) return cli_usage_error("lab", "usage: dlstudy lab show NAME");
        return lab_show(ctx, argv[2]);
    }
    if (!strcmp(sub, "results")) {
        if (argc < 3 || argv[2][0] == '-') return cli_usage_error("lab", "usage: dlstudy lab results NAME [--all] [--json] [--export csv|svg FILE]");
        return lab_results_cmd(ctx, argv[2], argc - 3, argv + 3);
    }
    if (sub[0] == '-') return cli_usage_error("lab", "a lab NAME comes first (see dlstudy lab list)");
    return lab_run_cmd(ctx, sub, argc - 2, argv + 2);
}

/* ---- data --------------------------------------------------------------------------- */

static void log_line(const char *line, void *u) {
    (void)u;
    printf("%s\n", line);
    fflush(stdout);
}

int cmd_data(cli_ctx *ctx, int argc, char **argv) {
    const char *sub = argc >= 2 ? argv[1] : "list";
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
        printf("usage: dlstudy data list [--quick]   the data sets labs use, where they were found\n"
               "       dlstudy data fetch mnist|fashion-mnist [--dir DIR]   download (needs internet)\n");
        return DLS_EXIT_OK;
    }
    if (!strcmp(sub, "list")) {
        int verify = 1;
        const char *opt = NULL;
        for (int i = 2; i < argc; i++) {
            const char *v;
            if (!strcmp(argv[i], "--quick")) verify = 0;
            else if (!strcmp(argv[i], "--plain")) continue;
            else if ((v = cli_opt_value(argc, argv, &i, "--data"))) opt = v;
            else return cli_usage_error("data", "unknown option '%s'", argv[i]);
        }
        lab_data_status st[8];
        int n = lab_data_list(opt, ctx->paths.data_dir, verify, st);
        int missing = 0;
        for (int i = 0; i < n; i++) {
            printf("%-14s %-8s %s\n", st[i].name, st[i].found ? "ok" : st[i].damaged ? "DAMAGED" : "MISSING", st[i].dir);
            if (!st[i].synthetic) printf("%-14s %s\n", "", st[i].detail);
            missing += !st[i].found && !strcmp(st[i].name, "mnist");
        }
        return missing ? DLS_EXIT_FAIL : DLS_EXIT_OK;
    }
    if (!strcmp(sub, "fetch")) {
        if (argc < 3) return cli_usage_error("data", "usage: dlstudy data fetch mnist|fashion-mnist [--dir DIR]");
        const char *set = argv[2], *dir = NULL;
        for (int i = 3; i < argc; i++) {
            const char *v;
            if ((v = cli_opt_value(argc, argv, &i, "--dir"))) dir = v;
            else if (strcmp(argv[i], "--plain")) return cli_usage_error("data", "unknown option '%s'", argv[i]);
        }
        char *dest = dir ? xstrdup(dir) : xasprintf("%s/%s", ctx->paths.data_dir, set);
        dls_error e = {0};
        printf("fetching %s into %s\n", set, dest);
        int rc = lab_data_fetch(set, dest, log_line, NULL, &e);
        if (rc != DLS_OK) {
            fprintf(stderr, "dlstudy data: %s\n", e.msg);
            if (rc != DLS_ERR_INVALID) {
                char *how = lab_data_howto(set, ctx->paths.data_dir);
                fprintf(stderr, "%s\n", how);
                free(how);
            }
            free(dest);
            return DLS_EXIT_FAIL;
        }
        printf("%s is ready in %s (checksums verified)\n", set, dest);
        free(dest);
        return DLS_EXIT_OK;
    }
    return cli_usage_error("data", "unknown subcommand '%s' (list, fetch)", sub);
}
