/* lab_spec.c: reads and validates lab specs (labs/NAME.yaml) with libyaml's document
 * API, so every error can name the file, line and column of the node at fault. Also
 * shape-checks each variant's model against its data set, and lists the labs folder.
 * Not here: running (lab_run.c) or storing results (lab_results.c). */
#include "study/lab.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* ---- names -------------------------------------------------------------------------- */

/* Layers, losses, optimizers, initialisers and schedules are named by the engine's
 * parsers (engine/spec.c: one list for specs and checkpoints); the words here are the
 * spec's own. */
static const char *const data_names[] = {"mnist", "fashion-mnist", "xor", "spirals", "moons", "sine"};

const char *lab_data_name(enum lab_data_kind k) { return data_names[k]; }

#define N_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* "cross-entropy" and "cross_entropy" are the same name to a reader; so are cases. */
static int name_eq(const char *a, const char *b) {
    for (; *a && *b; a++, b++) {
        char x = (char)tolower((unsigned char)*a), y = (char)tolower((unsigned char)*b);
        if (x == '-') x = '_';
        if (y == '-') y = '_';
        if (x != y) return 0;
    }
    return *a == *b;
}

static int name_index(const char *const *names, int n, const char *s) {
    for (int i = 0; i < n; i++)
        if (name_eq(names[i], s)) return i;
    return -1;
}

static char *join_names(const char *const *names, int n) {
    dls_buf b;
    dls_buf_init(&b);
    for (int i = 0; i < n; i++) dls_buf_printf(&b, "%s%s", i ? ", " : "", names[i]);
    return dls_buf_take(&b);
}

/* ---- configs ------------------------------------------------------------------------ */

static void layers_free(lab_layer *l, int n) {
    for (int i = 0; i < n; i++) layers_free(l[i].body, l[i].n_body);
    free(l);
}

static lab_layer *layers_copy(const lab_layer *l, int n) {
    if (!n) return NULL;
    lab_layer *c = xmalloc(sizeof *c * (size_t)n);
    for (int i = 0; i < n; i++) {
        c[i] = l[i];
        c[i].body = layers_copy(l[i].body, l[i].n_body);
    }
    return c;
}

void lab_config_copy(lab_config *dst, const lab_config *src) {
    *dst = *src;
    dst->layers = layers_copy(src->layers, src->n_layers);
}

void lab_config_deinit(lab_config *c) {
    if (!c) return;
    layers_free(c->layers, c->n_layers);
    c->layers = NULL;
    c->n_layers = 0;
}

static void config_defaults(lab_config *c) {
    memset(c, 0, sizeof *c);
    c->data = LAB_DATA_MNIST;
    c->n_samples = 1000;
    c->noise = 0.1f;
    c->norm = NN_NORM_MNIST;
    c->loss = NN_LOSS_CROSS_ENTROPY;
    c->opt = nn_optim_config_default(NN_OPTIM_ADAM);
    c->opt.step_size = 1;
    c->opt.gamma = 0.1f;
    c->init = NN_INIT_DEFAULT;
    c->epochs = 1;
    c->batch = 64;
    c->seed = 42;
}

void lab_data_shape(const lab_config *c, int *ch, int *h, int *w, int *outputs) {
    int n_classes;
    switch (c->data) {
    case LAB_DATA_MNIST:
    case LAB_DATA_FASHION: *ch = 1, *h = 28, *w = 28, n_classes = 10; break;
    case LAB_DATA_SINE:    *ch = 1, *h = 1, *w = 1, n_classes = 0; break;
    default:               *ch = 2, *h = 1, *w = 1, n_classes = 2; break;
    }
    /* outputs the model must give: one per class, one logit for bce, one for sine */
    if (c->loss == NN_LOSS_BCE || n_classes == 0) n_classes = 1;
    *outputs = n_classes;
}

static int count_layers(const lab_layer *l, int n) {
    int total = 0;
    for (int i = 0; i < n; i++)
        total += l[i].spec.kind == (nn_layer_kind)LAB_REPEAT ? l[i].repeat * count_layers(l[i].body, l[i].n_body) : 1;
    return total;
}

static void expand_layers(const lab_layer *l, int n, nn_layer_spec *specs, int *lines, int *cols, int *k,
                          nn_init_kind init) {
    for (int i = 0; i < n; i++) {
        if (l[i].spec.kind == (nn_layer_kind)LAB_REPEAT) {
            for (int t = 0; t < l[i].repeat; t++) expand_layers(l[i].body, l[i].n_body, specs, lines, cols, k, init);
            continue;
        }
        specs[*k] = l[i].spec;
        specs[*k].init = init;
        if (lines) lines[*k] = l[i].line;
        if (cols) cols[*k] = l[i].col;
        (*k)++;
    }
}

int lab_config_layers(const lab_config *c, nn_layer_spec **specs, int **lines, int **cols) {
    int n = count_layers(c->layers, c->n_layers), k = 0;
    *specs = xcalloc((size_t)n + 1, sizeof **specs);
    if (lines) *lines = xcalloc((size_t)n + 1, sizeof **lines);
    if (cols) *cols = xcalloc((size_t)n + 1, sizeof **cols);
    expand_layers(c->layers, c->n_layers, *specs, lines ? *lines : NULL, cols ? *cols : NULL, &k, c->init);
    return n;
}

/* ---- the reader --------------------------------------------------------------------- */

typedef struct reader {
    const char   *path;
    yaml_document_t doc;
    dls_error    *e;
} reader;

static int node_line(yaml_node_t *n) { return (int)n->start_mark.line + 1; }
static int node_col(yaml_node_t *n) { return (int)n->start_mark.column + 1; }

static int failf(reader *r, yaml_node_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int failf(reader *r, yaml_node_t *n, const char *fmt, ...) {
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return dls_fail(r->e, DLS_ERR_INVALID, "%s:%d:%d: %s", r->path, node_line(n), node_col(n), msg);
}

static yaml_node_t *node(reader *r, int id) { return yaml_document_get_node(&r->doc, id); }

static const char *scalar(yaml_node_t *n) {
    return n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static const char *type_word(yaml_node_t *n) {
    switch (n->type) {
    case YAML_MAPPING_NODE:  return "a mapping";
    case YAML_SEQUENCE_NODE: return "a list";
    default:                 return "a scalar";
    }
}

static int get_str(reader *r, yaml_node_t *n, const char *key, const char **out) {
    const char *s = scalar(n);
    *out = "";
    if (!s) return failf(r, n, "'%s' must be a text, not %s", key, type_word(n));
    *out = s;
    return DLS_OK;
}

static int get_int(reader *r, yaml_node_t *n, const char *key, long lo, long hi, long *out) {
    const char *s = scalar(n);
    if (!s) return failf(r, n, "'%s' must be a whole number, not %s", key, type_word(n));
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno) return failf(r, n, "'%s' must be a whole number, not '%s'", key, s);
    if (v < lo || v > hi) return failf(r, n, "'%s' must be between %ld and %ld, not %ld", key, lo, hi, v);
    *out = v;
    return DLS_OK;
}

static int get_float(reader *r, yaml_node_t *n, const char *key, double lo, double hi, float *out) {
    const char *s = scalar(n);
    if (!s) return failf(r, n, "'%s' must be a number, not %s", key, type_word(n));
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || *end || errno || !isfinite(v)) return failf(r, n, "'%s' must be a number, not '%s'", key, s);
    if (v < lo || v > hi) return failf(r, n, "'%s' must be between %g and %g, not %g", key, lo, hi, v);
    *out = (float)v;
    return DLS_OK;
}

static int get_bool(reader *r, yaml_node_t *n, const char *key, int *out) {
    const char *s = scalar(n);
    if (s && (name_eq(s, "true") || name_eq(s, "yes") || name_eq(s, "on"))) return *out = 1, DLS_OK;
    if (s && (name_eq(s, "false") || name_eq(s, "no") || name_eq(s, "off"))) return *out = 0, DLS_OK;
    return failf(r, n, "'%s' must be true or false", key);
}

static int get_enum(reader *r, yaml_node_t *n, const char *key, const char *const *names, int count,
                    int *out) {
    const char *s;
    if (get_str(r, n, key, &s)) return r->e->code;
    int i = name_index(names, count, s);
    if (i < 0) {
        char *all = join_names(names, count);
        failf(r, n, "unknown %s '%s' (known: %s)", key, s, all);
        free(all);
        return DLS_ERR_INVALID;
    }
    *out = i;
    return DLS_OK;
}

/* Checks a mapping's keys against the allowed ones and for duplicates. */
static int check_keys(reader *r, yaml_node_t *map, const char *what, const char *const *allowed, int n) {
    if (map->type != YAML_MAPPING_NODE) return failf(r, map, "%s must be a mapping, not %s", what, type_word(map));
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(r, p->key);
        const char *ks = scalar(k);
        if (!ks) return failf(r, k, "keys of %s must be names", what);
        if (name_index(allowed, n, ks) < 0) {
            char *all = join_names(allowed, n);
            failf(r, k, "unknown key '%s' in %s (known: %s)", ks, what, all);
            free(all);
            return DLS_ERR_INVALID;
        }
        for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
            const char *qs = scalar(node(r, q->key));
            if (qs && name_eq(qs, ks)) return failf(r, k, "duplicate key '%s' in %s", ks, what);
        }
    }
    return DLS_OK;
}

#define FOR_PAIRS(r, map, k, ks, v)                                                          \
    for (yaml_node_pair_t *p_ = (map)->data.mapping.pairs.start; p_ < (map)->data.mapping.pairs.top; p_++) \
        for (yaml_node_t *k = node(r, p_->key), *v = node(r, p_->value); k; k = NULL)       \
            for (const char *ks = scalar(k); ks; ks = NULL)

/* ---- layers ------------------------------------------------------------------------- */

static int parse_layers(reader *r, yaml_node_t *seq, lab_layer **out, int *n_out);

/* pools: "maxpool2d: 2" or {k: 2, stride: 2, pad: 0} */
static int pool_args(reader *r, yaml_node_t *v, nn_layer_spec *l, const char *name) {
    if (v->type == YAML_SCALAR_NODE) {
        long k;
        if (get_int(r, v, name, 1, 64, &k)) return r->e->code;
        l->kernel = l->stride = (int)k;
        return DLS_OK;
    }
    static const char *const keys[] = {"k", "stride", "pad"};
    if (check_keys(r, v, name, keys, 3)) return r->e->code;
    l->kernel = 2;
    l->stride = 0;
    FOR_PAIRS(r, v, k, ks, val) {
        long x;
        if (get_int(r, val, ks, name_eq(ks, "pad") ? 0 : 1, 64, &x)) return r->e->code;
        if (name_eq(ks, "k")) l->kernel = (int)x;
        else if (name_eq(ks, "stride")) l->stride = (int)x;
        else l->padding = (int)x;
    }
    return DLS_OK;
}

/* "- linear: 128" or "- linear: {out: 128}"; residual takes out and stride likewise */
static int out_args(reader *r, yaml_node_t *v, nn_layer_spec *l, const char *name, int with_stride) {
    long o;
    if (v->type == YAML_SCALAR_NODE) {
        if (get_int(r, v, name, 1, 1 << 20, &o)) return r->e->code;
        l->out = (int)o;
        return DLS_OK;
    }
    static const char *const keys[] = {"out", "stride"};
    if (check_keys(r, v, name, keys, with_stride ? 2 : 1)) return r->e->code;
    l->out = 0;
    FOR_PAIRS(r, v, k, ks, val) {
        if (get_int(r, val, ks, 1, 1 << 20, &o)) return r->e->code;
        if (name_eq(ks, "out")) l->out = (int)o;
        else l->stride = (int)o;
    }
    if (!l->out) return failf(r, v, "%s needs 'out'", name);
    return DLS_OK;
}

static int parse_layer(reader *r, yaml_node_t *n, lab_layer *ll) {
    memset(ll, 0, sizeof *ll);
    ll->line = node_line(n);
    ll->col = node_col(n);
    const char *name;
    yaml_node_t *v = NULL;
    if (n->type == YAML_SCALAR_NODE) {
        name = scalar(n);
    } else if (n->type == YAML_MAPPING_NODE &&
               n->data.mapping.pairs.top - n->data.mapping.pairs.start == 1) {
        yaml_node_t *k = node(r, n->data.mapping.pairs.start->key);
        v = node(r, n->data.mapping.pairs.start->value);
        name = scalar(k);
        if (!name) return failf(r, k, "a layer's name must be a word");
    } else {
        return failf(r, n, "a layer is a name ('- relu') or one name with its settings ('- linear: 128')");
    }
    int kind = LAB_REPEAT;
    if (!name_eq(name, "repeat")) {
        nn_layer_kind lk;
        dls_error pe;
        if (nn_layer_kind_parse(name, &lk, &pe)) return failf(r, n, "%s, or repeat", pe.msg);
        kind = (int)lk;
    }
    static const char *const hint[NN_LAYER_KIND_COUNT + 1] = {
        [NN_LAYER_LINEAR] = ": 128", [NN_LAYER_CONV2D] = ": {out: 32, k: 3, pad: 1}",
        [NN_LAYER_MAXPOOL2D] = ": 2", [NN_LAYER_AVGPOOL2D] = ": 2", [NN_LAYER_DROPOUT] = ": 0.5",
        [NN_LAYER_RESIDUAL] = ": {out: 32}", [LAB_REPEAT] = ": {times: 4, layers: [...]}"};
    if (hint[kind] && (!v || (v->type == YAML_SCALAR_NODE && !*scalar(v))))
        return failf(r, n, "layer '%s' needs settings (e.g. '- %s%s')", name, name, hint[kind]);
    if (kind == LAB_REPEAT) {
        ll->spec.kind = (nn_layer_kind)LAB_REPEAT;
        static const char *const keys[] = {"times", "layers"};
        if (check_keys(r, v, "repeat", keys, 2)) return r->e->code;
        ll->repeat = 1;
        int have_layers = 0;
        FOR_PAIRS(r, v, k, ks, val) {
            if (name_eq(ks, "times")) {
                long t;
                if (get_int(r, val, "times", 0, 64, &t)) return r->e->code;
                ll->repeat = (int)t;
            } else {
                if (val->type != YAML_SEQUENCE_NODE) return failf(r, val, "'layers' must be a list of layers");
                if (parse_layers(r, val, &ll->body, &ll->n_body)) return r->e->code;
                have_layers = 1;
            }
        }
        if (!have_layers) return failf(r, v, "repeat needs 'layers'");
        return DLS_OK;
    }
    nn_layer_spec *l = &ll->spec;
    *l = nn_layer_spec_default((nn_layer_kind)kind);
    switch (l->kind) {
    case NN_LAYER_LINEAR:
        return out_args(r, v, l, name, 0);
    case NN_LAYER_RESIDUAL:
        return out_args(r, v, l, name, 1);
    case NN_LAYER_CONV2D: {
        static const char *const keys[] = {"out", "k", "stride", "pad"};
        if (check_keys(r, v, "conv2d", keys, 4)) return r->e->code;
        l->kernel = 3, l->stride = 1, l->padding = 0, l->out = 0;
        FOR_PAIRS(r, v, k, ks, val) {
            long x;
            if (get_int(r, val, ks, name_eq(ks, "pad") ? 0 : 1, 1 << 16, &x)) return r->e->code;
            if (name_eq(ks, "out")) l->out = (int)x;
            else if (name_eq(ks, "k")) l->kernel = (int)x;
            else if (name_eq(ks, "stride")) l->stride = (int)x;
            else l->padding = (int)x;
        }
        if (!l->out) return failf(r, v, "conv2d needs 'out' (the number of output channels)");
        return DLS_OK;
    }
    case NN_LAYER_MAXPOOL2D:
    case NN_LAYER_AVGPOOL2D:
        return pool_args(r, v, l, name);
    case NN_LAYER_DROPOUT:
        return get_float(r, v, "dropout", 0, 0.95, &l->p);
    case NN_LAYER_LEAKY_RELU:
        if (!v || (v->type == YAML_SCALAR_NODE && !*scalar(v))) return DLS_OK;
        return get_float(r, v, "leaky_relu", 0, 1, &l->slope);
    default:
        if (v && !(v->type == YAML_SCALAR_NODE && !*scalar(v)))
            return failf(r, v, "layer '%s' takes no settings", name);
        return DLS_OK;
    }
}

static int parse_layers(reader *r, yaml_node_t *seq, lab_layer **out, int *n_out) {
    if (seq->type != YAML_SEQUENCE_NODE) return failf(r, seq, "'model' must be a list of layers");
    int n = (int)(seq->data.sequence.items.top - seq->data.sequence.items.start);
    if (!n) return failf(r, seq, "a model needs at least one layer");
    lab_layer *l = xcalloc((size_t)n, sizeof *l);
    for (int i = 0; i < n; i++) {
        if (parse_layer(r, node(r, seq->data.sequence.items.start[i]), &l[i])) {
            layers_free(l, i + 1);
            return r->e->code;
        }
    }
    *out = l;
    *n_out = n;
    return DLS_OK;
}

/* ---- checking a model against its data set ----------------------------------------- */

/* Builds each layer list on the engine (CPU, no training) so that shape errors come
 * from the one place that knows the shapes, then maps the engine's layer number back
 * to the line and column where the layer is written. */
static int check_config(const char *path, const lab_config *c, int line, int col, const char *where,
                        dls_error *e) {
    char in[96] = "";
    if (*where) snprintf(in, sizeof in, " (in %s)", where);
    int ch, h, w, outs;
    lab_data_shape(c, &ch, &h, &w, &outs);
    if (!c->n_layers) return dls_fail(e, DLS_ERR_INVALID, "%s:%d:%d: the model has no layers%s", path, line, col, in);
    nn_layer_spec *specs;
    int *lines, *cols;
    int n = lab_config_layers(c, &specs, &lines, &cols);
    int rc = DLS_OK;
    if (!n) {
        rc = dls_fail(e, DLS_ERR_INVALID, "%s:%d:%d: the model has no layers (a repeat of 0?)%s", path, line, col, in);
        goto done;
    }
    dls_error be = {0};
    nn_model *m = nn_model_new(specs, n, ch, h, w, &nn_backend_cpu, c->seed, &be);
    if (!m) {
        /* "layer 3 (maxpool2d): ..." -> the line of that layer */
        int li = -1;
        if (sscanf(be.msg, "layer %d", &li) == 1 && --li >= 0 && li < n) /* the engine counts from 1 */
            rc = dls_fail(e, DLS_ERR_INVALID, "%s:%d:%d: %s%s", path, lines[li], cols[li], be.msg, in);
        else
            rc = dls_fail(e, DLS_ERR_INVALID, "%s:%d:%d: %s%s", path, line, col, be.msg, in);
        goto done;
    }
    int got = nn_model_out_features(m);
    nn_model_free(m);
    if (got != outs) {
        const char *why = c->data == LAB_DATA_SINE ? "sine is a regression with one output"
                        : c->loss == NN_LOSS_BCE ? "bce takes one logit per example"
                                                 : "one output per class";
        rc = dls_fail(e, DLS_ERR_INVALID, "%s:%d:%d: the model gives %d outputs but %s needs %d (%s)%s",
                      path, lines[n - 1], cols[n - 1], got, data_names[c->data], outs, why, in);
    } else if (c->data == LAB_DATA_SINE && c->loss != NN_LOSS_MSE) {
        rc = dls_fail(e, DLS_ERR_INVALID, "%s:%d:%d: sine is a regression: use 'loss: mse'%s", path, line, col, in);
    }
done:
    free(specs);
    free(lines);
    free(cols);
    return rc;
}

/* ---- config keys -------------------------------------------------------------------- */

static int parse_dataset(reader *r, yaml_node_t *v, lab_config *c) {
    int k;
    if (v->type == YAML_SCALAR_NODE) {
        if (get_enum(r, v, "dataset", data_names, N_OF(data_names), &k)) return r->e->code;
        c->data = (enum lab_data_kind)k;
        return DLS_OK;
    }
    static const char *const keys[] = {"name", "subset", "test_subset", "noise", "label_noise", "samples",
                                       "normalize"};
    if (check_keys(r, v, "dataset", keys, N_OF(keys))) return r->e->code;
    FOR_PAIRS(r, v, key, ks, val) {
        long x;
        if (name_eq(ks, "name")) {
            if (get_enum(r, val, "dataset", data_names, N_OF(data_names), &k)) return r->e->code;
            c->data = (enum lab_data_kind)k;
        } else if (name_eq(ks, "subset") || name_eq(ks, "test_subset") || name_eq(ks, "samples")) {
            if (get_int(r, val, ks, name_eq(ks, "samples") ? 4 : 0, 10000000, &x)) return r->e->code;
            if (name_eq(ks, "subset")) c->subset = (int)x;
            else if (name_eq(ks, "test_subset")) c->test_subset = (int)x;
            else c->n_samples = (int)x;
        } else if (name_eq(ks, "normalize")) {
            static const char *const norms[] = {"unit", "mnist"};
            if (get_enum(r, val, "normalize", norms, 2, &k)) return r->e->code;
            c->norm = k ? NN_NORM_MNIST : NN_NORM_UNIT;
        } else if (name_eq(ks, "noise")) {
            if (get_float(r, val, ks, 0, 10, &c->noise)) return r->e->code;
        } else {
            if (get_float(r, val, ks, 0, 1, &c->label_noise)) return r->e->code;
        }
    }
    return DLS_OK;
}

/* A new optimizer starts from the engine's defaults for it (PyTorch's), keeping the
 * schedule; the settings given then apply. */
static void set_optim(lab_config *c, nn_optim_kind k) {
    nn_optim_config old = c->opt;
    c->opt = nn_optim_config_default(k);
    c->opt.sched = old.sched, c->opt.step_size = old.step_size, c->opt.gamma = old.gamma;
    c->opt.lr_min = old.lr_min;
}

static int optim_setting(reader *r, const char *ks, yaml_node_t *val, lab_config *c, int *handled) {
    *handled = 1;
    if (name_eq(ks, "lr")) return get_float(r, val, ks, 1e-9, 100, &c->opt.lr);
    if (name_eq(ks, "momentum")) return get_float(r, val, ks, 0, 0.9999, &c->opt.momentum);
    if (name_eq(ks, "nesterov")) return get_bool(r, val, ks, &c->opt.nesterov);
    if (name_eq(ks, "weight_decay")) return get_float(r, val, ks, 0, 1, &c->opt.weight_decay);
    if (name_eq(ks, "eps")) return get_float(r, val, ks, 1e-12, 1, &c->opt.eps);
    if (name_eq(ks, "alpha")) return get_float(r, val, ks, 0, 0.9999, &c->opt.alpha);
    if (name_eq(ks, "betas")) {
        if (val->type != YAML_SEQUENCE_NODE || val->data.sequence.items.top - val->data.sequence.items.start != 2)
            return failf(r, val, "'betas' must be a list of two numbers, e.g. [0.9, 0.999]");
        if (get_float(r, node(r, val->data.sequence.items.start[0]), "betas", 0, 0.9999, &c->opt.beta1) ||
            get_float(r, node(r, val->data.sequence.items.start[1]), "betas", 0, 0.99999, &c->opt.beta2))
            return r->e->code;
        return DLS_OK;
    }
    *handled = 0;
    return DLS_OK;
}

static int optim_name(reader *r, yaml_node_t *n, lab_config *c) {
    const char *s;
    nn_optim_kind k;
    dls_error pe;
    if (get_str(r, n, "optimizer", &s)) return r->e->code;
    if (nn_optim_kind_parse(s, &k, &pe)) return failf(r, n, "%s", pe.msg);
    set_optim(c, k);
    return DLS_OK;
}

static int parse_optimizer(reader *r, yaml_node_t *v, lab_config *c) {
    if (v->type == YAML_SCALAR_NODE) return optim_name(r, v, c);
    static const char *const keys[] = {"name", "lr", "momentum", "nesterov", "weight_decay", "betas", "eps", "alpha"};
    if (check_keys(r, v, "optimizer", keys, N_OF(keys))) return r->e->code;
    FOR_PAIRS(r, v, key, ks, val) {
        if (name_eq(ks, "name") && optim_name(r, val, c)) return r->e->code;
    }
    FOR_PAIRS(r, v, key, ks, val) {
        int handled;
        if (!name_eq(ks, "name") && optim_setting(r, ks, val, c, &handled)) return r->e->code;
    }
    if (c->opt.nesterov && c->opt.momentum <= 0) return failf(r, v, "nesterov needs a momentum above 0");
    return DLS_OK;
}

static int sched_name(reader *r, yaml_node_t *n, lab_config *c) {
    const char *s;
    dls_error pe;
    if (get_str(r, n, "schedule", &s)) return r->e->code;
    if (nn_sched_kind_parse(s, &c->opt.sched, &pe)) return failf(r, n, "%s", pe.msg);
    return DLS_OK;
}

static int parse_schedule(reader *r, yaml_node_t *v, lab_config *c) {
    if (v->type == YAML_SCALAR_NODE) return sched_name(r, v, c);
    static const char *const keys[] = {"name", "step_size", "gamma", "lr_min"};
    if (check_keys(r, v, "schedule", keys, N_OF(keys))) return r->e->code;
    FOR_PAIRS(r, v, key, ks, val) {
        long x;
        if (name_eq(ks, "name")) {
            if (sched_name(r, val, c)) return r->e->code;
        } else if (name_eq(ks, "step_size")) { /* in epochs */
            if (get_int(r, val, ks, 1, 1000, &x)) return r->e->code;
            c->opt.step_size = x;
        } else if (name_eq(ks, "lr_min")) {
            if (get_float(r, val, ks, 0, 100, &c->opt.lr_min)) return r->e->code;
        } else if (get_float(r, val, ks, 0, 1, &c->opt.gamma)) {
            return r->e->code;
        }
    }
    return DLS_OK;
}

static int parse_early(reader *r, yaml_node_t *v, lab_config *c) {
    long x;
    if (v->type == YAML_SCALAR_NODE) {
        int off;
        if (get_bool(r, v, "early_stopping", &off) == DLS_OK && !off) return c->patience = 0, DLS_OK;
        if (get_int(r, v, "early_stopping", 0, 1000, &x)) return r->e->code;
        c->patience = (int)x;
        return DLS_OK;
    }
    static const char *const keys[] = {"patience"};
    if (check_keys(r, v, "early_stopping", keys, 1)) return r->e->code;
    FOR_PAIRS(r, v, key, ks, val) {
        if (get_int(r, val, ks, 0, 1000, &x)) return r->e->code;
        c->patience = (int)x;
    }
    return DLS_OK;
}

static int is_activation(nn_layer_kind k) {
    return k == NN_LAYER_RELU || k == NN_LAYER_LEAKY_RELU || k == NN_LAYER_SIGMOID || k == NN_LAYER_TANH;
}

/* Override helpers for variants: each returns how many layers it changed. */
static int set_activation(lab_layer *l, int n, nn_layer_kind k) {
    int changed = 0;
    for (int i = 0; i < n; i++) {
        if (is_activation(l[i].spec.kind)) {
            l[i].spec = nn_layer_spec_default(k);
            changed++;
        }
        changed += set_activation(l[i].body, l[i].n_body, k);
    }
    return changed;
}

static int set_dropout(lab_layer *l, int n, float p) {
    int changed = 0;
    for (int i = 0; i < n; i++) {
        if (l[i].spec.kind == NN_LAYER_DROPOUT) l[i].spec.p = p, changed++;
        changed += set_dropout(l[i].body, l[i].n_body, p);
    }
    return changed;
}

static int set_depth(lab_layer *l, int n, int times) {
    int changed = 0;
    for (int i = 0; i < n; i++)
        if (l[i].spec.kind == (nn_layer_kind)LAB_REPEAT) l[i].repeat = times, changed++;
    return changed;
}

static const char *const top_keys[] = {"title", "summary", "concepts", "dataset", "model", "loss",
                                       "optimizer", "schedule", "init", "epochs", "batch", "seed",
                                       "metrics", "early_stopping", "eval_mode", "variants"};
static const char *const variant_keys[] = {"description", "activation", "optimizer", "lr", "momentum",
                                           "nesterov", "weight_decay", "dropout", "init", "depth",
                                           "loss", "dataset", "model", "epochs", "batch", "seed",
                                           "schedule", "early_stopping", "eval_mode"};

/* Applies one key shared by the top level and variants; 1 = not a config key. */
static int apply_key(reader *r, const char *ks, yaml_node_t *val, lab_config *c, int *handled) {
    long x;
    int k;
    *handled = 1;
    if (name_eq(ks, "dataset")) return parse_dataset(r, val, c);
    if (name_eq(ks, "optimizer")) return parse_optimizer(r, val, c);
    if (name_eq(ks, "schedule")) return parse_schedule(r, val, c);
    if (name_eq(ks, "early_stopping")) return parse_early(r, val, c);
    if (name_eq(ks, "model")) {
        lab_layer *l;
        int n;
        if (parse_layers(r, val, &l, &n)) return r->e->code;
        layers_free(c->layers, c->n_layers);
        c->layers = l, c->n_layers = n;
        return DLS_OK;
    }
    if (name_eq(ks, "loss") || name_eq(ks, "init")) {
        const char *s;
        dls_error pe;
        if (get_str(r, val, ks, &s)) return r->e->code;
        if (name_eq(ks, "loss") ? nn_loss_kind_parse(s, &c->loss, &pe) : nn_init_kind_parse(s, &c->init, &pe))
            return failf(r, val, "%s", pe.msg);
        return DLS_OK;
    }
    if (name_eq(ks, "eval_mode")) {
        static const char *const modes[] = {"eval", "train"};
        if (get_enum(r, val, "eval_mode", modes, 2, &k)) return r->e->code;
        c->eval_train_mode = k;
        return DLS_OK;
    }
    if (name_eq(ks, "epochs")) {
        if (get_int(r, val, ks, 1, 100000, &x)) return r->e->code;
        c->epochs = (int)x;
        return DLS_OK;
    }
    if (name_eq(ks, "batch")) {
        if (get_int(r, val, ks, 1, 65536, &x)) return r->e->code;
        c->batch = (int)x;
        return DLS_OK;
    }
    if (name_eq(ks, "seed")) {
        if (get_int(r, val, ks, 0, 2147483647L, &x)) return r->e->code;
        c->seed = (uint64_t)x;
        return DLS_OK;
    }
    *handled = 0;
    return DLS_OK;
}

static int parse_variant(reader *r, yaml_node_t *key, yaml_node_t *v, const lab_config *base, lab_variant *out) {
    memset(out, 0, sizeof *out);
    out->name = xstrdup(scalar(key));
    lab_config_copy(&out->cfg, base);
    if (v->type == YAML_SCALAR_NODE && !*scalar(v)) return DLS_OK; /* "baseline:" = the base as is */
    if (check_keys(r, v, "a variant", variant_keys, N_OF(variant_keys))) return r->e->code;
    lab_config *c = &out->cfg;
    FOR_PAIRS(r, v, k, ks, val) {
        int handled;
        if (apply_key(r, ks, val, c, &handled)) return r->e->code;
        if (handled) continue;
        if (name_eq(ks, "description")) {
            const char *s;
            if (get_str(r, val, ks, &s)) return r->e->code;
            out->description = xstrdup(s);
        } else if (name_eq(ks, "activation")) {
            static const char *const acts[] = {"relu", "leaky_relu", "sigmoid", "tanh"};
            static const nn_layer_kind kinds[] = {NN_LAYER_RELU, NN_LAYER_LEAKY_RELU, NN_LAYER_SIGMOID, NN_LAYER_TANH};
            int a;
            if (get_enum(r, val, "activation", acts, 4, &a)) return r->e->code;
            if (!set_activation(c->layers, c->n_layers, kinds[a]))
                return failf(r, k, "the model has no activation layer for 'activation' to change");
        } else if (name_eq(ks, "dropout")) {
            float p;
            if (get_float(r, val, ks, 0, 0.95, &p)) return r->e->code;
            if (!set_dropout(c->layers, c->n_layers, p))
                return failf(r, k, "the model has no dropout layer for 'dropout' to change");
        } else if (name_eq(ks, "depth")) {
            long d;
            if (get_int(r, val, ks, 0, 64, &d)) return r->e->code;
            if (!set_depth(c->layers, c->n_layers, (int)d))
                return failf(r, k, "'depth' changes the model's 'repeat' block, and it has none");
        } else if (optim_setting(r, ks, val, c, &handled)) {
            return r->e->code;
        }
    }
    return DLS_OK;
}

/* Length of a terminal-unsafe character at s (C0 but tab/newline, DEL, C1, bidi
 * controls), 0 when s starts with a safe one. Specs are text for people: these are
 * refused so no title, name or message can drive the terminal. */
static int unsafe_char(const unsigned char *s) {
    if ((s[0] < 0x20 && s[0] != '\t' && s[0] != '\n') || s[0] == 0x7f) return 1;
    if (s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f) return 2;                 /* C1 */
    if (s[0] == 0xd8 && s[1] == 0x9c) return 2;                                 /* U+061C */
    if (s[0] == 0xe2 && s[1] == 0x80 && (s[2] == 0x8e || s[2] == 0x8f || (s[2] >= 0xaa && s[2] <= 0xae)))
        return 3;                                                               /* U+200E/F, U+202A-E */
    if (s[0] == 0xe2 && s[1] == 0x81 && s[2] >= 0xa6 && s[2] <= 0xa9) return 3; /* U+2066-9 */
    return 0;
}

static int check_text(reader *r) {
    for (yaml_node_t *n = r->doc.nodes.start; n < r->doc.nodes.top; n++) {
        if (n->type != YAML_SCALAR_NODE) continue;
        const unsigned char *v = n->data.scalar.value;
        for (size_t i = 0; i < n->data.scalar.length; i++)
            if (unsafe_char(v + i))
                return failf(r, n, "a control or bidi-override character (byte %zu of this value) is not allowed here", i + 1);
    }
    return DLS_OK;
}

static void spec_free_partial(lab_spec *s) {
    if (!s) return;
    free(s->path);
    free(s->name);
    free(s->title);
    free(s->summary);
    for (int i = 0; i < s->n_concepts; i++) free(s->concepts[i]);
    free(s->concepts);
    lab_config_deinit(&s->base);
    for (int i = 0; i < s->n_variants; i++) {
        free(s->variants[i].name);
        free(s->variants[i].description);
        lab_config_deinit(&s->variants[i].cfg);
    }
    free(s->variants);
    free(s);
}

void lab_spec_free(lab_spec *s) { spec_free_partial(s); }

static int parse_spec(reader *r, lab_spec *s) {
    yaml_node_t *root = yaml_document_get_root_node(&r->doc);
    if (!root) return dls_fail(r->e, DLS_ERR_INVALID, "%s:1:1: the lab spec is empty", r->path);
    if (check_keys(r, root, "a lab spec", top_keys, N_OF(top_keys))) return r->e->code;
    config_defaults(&s->base);
    s->metrics = LAB_METRIC_LOSS | LAB_METRIC_ACCURACY;
    yaml_node_t *variants = NULL, *model = NULL;
    /* the base config first, so variants (wherever they are written) copy a complete one */
    FOR_PAIRS(r, root, k, ks, val) {
        int handled;
        if (name_eq(ks, "variants")) { variants = val; continue; }
        if (name_eq(ks, "model")) model = k;
        if (apply_key(r, ks, val, &s->base, &handled)) return r->e->code;
        if (handled) continue;
        if (name_eq(ks, "title") || name_eq(ks, "summary")) {
            const char *t;
            if (get_str(r, val, ks, &t)) return r->e->code;
            char **dst = name_eq(ks, "title") ? &s->title : &s->summary;
            size_t n = strlen(t);
            while (n && isspace((unsigned char)t[n - 1])) n--; /* a folded `>` block ends with a newline */
            *dst = xstrndup(t, n);
        } else if (name_eq(ks, "concepts")) {
            if (val->type != YAML_SEQUENCE_NODE) return failf(r, val, "'concepts' must be a list of terms");
            int n = (int)(val->data.sequence.items.top - val->data.sequence.items.start);
            s->concepts = xcalloc((size_t)n + 1, sizeof *s->concepts);
            for (int i = 0; i < n; i++) {
                const char *t;
                if (get_str(r, node(r, val->data.sequence.items.start[i]), "concepts", &t)) return r->e->code;
                s->concepts[s->n_concepts++] = xstrdup(t);
            }
        } else if (name_eq(ks, "metrics")) {
            static const char *const metric_names[] = {"loss", "accuracy", "grad_norms", "grad_check"};
            if (val->type != YAML_SEQUENCE_NODE) return failf(r, val, "'metrics' must be a list, e.g. [loss, accuracy]");
            s->metrics = 0;
            for (yaml_node_item_t *it = val->data.sequence.items.start; it < val->data.sequence.items.top; it++) {
                int m;
                if (get_enum(r, node(r, *it), "metric", metric_names, 4, &m)) return r->e->code;
                s->metrics |= 1u << m;
            }
        }
    }
    if (!s->title) return failf(r, root, "a lab spec needs a 'title'");
    if (!s->n_concepts) return failf(r, root, "a lab spec needs 'concepts' (the terms it teaches)");
    if (!model) return failf(r, root, "a lab spec needs a 'model' (a list of layers)");
    if (check_config(r->path, &s->base, node_line(model), node_col(model), "", r->e)) return r->e->code;

    if (variants) {
        if (variants->type != YAML_MAPPING_NODE)
            return failf(r, variants, "'variants' must map names to what each changes");
        int n = (int)(variants->data.mapping.pairs.top - variants->data.mapping.pairs.start);
        if (!n) return failf(r, variants, "'variants' is empty");
        s->variants = xcalloc((size_t)n, sizeof *s->variants);
        FOR_PAIRS(r, variants, k, ks, val) {
            for (int i = 0; i < s->n_variants; i++)
                if (!strcmp(s->variants[i].name, ks)) return failf(r, k, "duplicate variant '%s'", ks);
            if (strlen(ks) >= 48 || strchr(ks, ',') || strchr(ks, ' '))
                return failf(r, k, "a variant's name is a short word without spaces or commas");
            int rc = parse_variant(r, k, val, &s->base, &s->variants[s->n_variants]);
            s->n_variants++;
            if (rc) return rc;
            char where[80];
            snprintf(where, sizeof where, "variant '%s'", ks);
            if (check_config(r->path, &s->variants[s->n_variants - 1].cfg, node_line(k), node_col(k), where, r->e))
                return r->e->code;
        }
    } else {
        s->variants = xcalloc(1, sizeof *s->variants);
        s->variants[0].name = xstrdup("default");
        lab_config_copy(&s->variants[0].cfg, &s->base);
        s->n_variants = 1;
    }
    return DLS_OK;
}

int lab_spec_load(const char *path, lab_spec **out, dls_error *e) {
    char  *text;
    size_t len;
    if (dls_read_file(path, 1 << 20, &text, &len, e)) return e ? e->code : DLS_ERR_IO;
    dls_error local;
    if (!e) e = &local;
    reader r = {.path = path, .e = e};
    yaml_parser_t p;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    if (!yaml_parser_load(&p, &r.doc)) {
        dls_fail(e, DLS_ERR_PARSE, "%s:%zu:%zu: %s%s%s", path, p.problem_mark.line + 1,
                 p.problem_mark.column + 1, p.problem ? p.problem : "invalid YAML",
                 p.context ? " " : "", p.context ? p.context : "");
        yaml_parser_delete(&p);
        free(text);
        return DLS_ERR_PARSE;
    }
    yaml_parser_delete(&p);
    free(text);

    lab_spec *s = xcalloc(1, sizeof *s);
    s->path = xstrdup(path);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t bl = strlen(base);
    if (bl > 5 && !strcmp(base + bl - 5, ".yaml")) bl -= 5;
    else if (bl > 4 && !strcmp(base + bl - 4, ".yml")) bl -= 4;
    s->name = xstrndup(base, bl);
    int rc = check_text(&r);
    if (rc == DLS_OK) rc = parse_spec(&r, s);
    yaml_document_delete(&r.doc);
    if (rc != DLS_OK) {
        spec_free_partial(s);
        return rc;
    }
    *out = s;
    return DLS_OK;
}

int lab_spec_find(const char *labs_dir, const char *name, lab_spec **out, dls_error *e) {
    for (const char *c = name; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_')
            return dls_fail(e, DLS_ERR_INVALID, "'%s' is not a lab name (see dlstudy lab list)", name);
    char *path = xasprintf("%s/%s.yaml", labs_dir, name);
    FILE *f = fopen(path, "r");
    if (!f) {
        free(path);
        return dls_fail(e, DLS_ERR_NOTFOUND, "no lab '%s' in %s (see dlstudy lab list)", name, labs_dir);
    }
    fclose(f);
    int rc = lab_spec_load(path, out, e);
    free(path);
    return rc;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int lab_spec_list(const char *labs_dir, lab_spec ***out, int *n_out, dls_buf *errors, dls_error *e) {
    DIR *d = opendir(labs_dir);
    if (!d) return dls_fail(e, DLS_ERR_IO, "cannot open the labs folder %s: %s", labs_dir, strerror(errno));
    char **names = NULL;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (de->d_name[0] == '.' || l < 6 || strcmp(de->d_name + l - 5, ".yaml")) continue;
        int ok = 1;
        for (size_t i = 0; i + 5 < l; i++)
            ok &= isalnum((unsigned char)de->d_name[i]) || de->d_name[i] == '-' || de->d_name[i] == '_';
        if (!ok) { /* the lab's name is its file name: it must be one a command line can give */
            if (errors) {
                dls_buf_printf(errors, "%s/", labs_dir);
                for (size_t i = 0; i < l; i++)
                    dls_buf_printf(errors, "%c", isprint((unsigned char)de->d_name[i]) ? de->d_name[i] : '?');
                dls_buf_puts(errors, ": skipped: a lab's file name is letters, digits, '-' and '_' before .yaml\n");
            }
            continue;
        }
        names = xrealloc(names, sizeof *names * (size_t)(n + 1));
        names[n++] = xstrdup(de->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    lab_spec **specs = xcalloc((size_t)n + 1, sizeof *specs);
    int k = 0;
    for (int i = 0; i < n; i++) {
        char *path = xasprintf("%s/%s", labs_dir, names[i]);
        dls_error le = {0};
        if (lab_spec_load(path, &specs[k], &le) == DLS_OK) k++;
        else if (errors) dls_buf_printf(errors, "%s\n", le.msg);
        free(path);
        free(names[i]);
    }
    free(names);
    *out = specs;
    *n_out = k;
    return DLS_OK;
}

void lab_spec_list_free(lab_spec **specs, int n) {
    if (!specs) return;
    for (int i = 0; i < n; i++) lab_spec_free(specs[i]);
    free(specs);
}

static void describe_layers(dls_buf *b, const lab_layer *l, int n, int *first) {
    for (int i = 0; i < n; i++, l++) {
        if (!*first) dls_buf_puts(b, " - ");
        *first = 0;
        const nn_layer_spec *s = &l->spec;
        if (s->kind == (nn_layer_kind)LAB_REPEAT) {
            int f = 1;
            dls_buf_printf(b, "%dx[", l->repeat);
            describe_layers(b, l->body, l->n_body, &f);
            dls_buf_puts(b, "]");
            continue;
        }
        switch (s->kind) {
        case NN_LAYER_LINEAR: dls_buf_printf(b, "linear %d", s->out); break;
        case NN_LAYER_CONV2D: dls_buf_printf(b, "conv%dx%d %d", s->kernel, s->kernel, s->out); break;
        case NN_LAYER_MAXPOOL2D: dls_buf_printf(b, "maxpool %d", s->kernel); break;
        case NN_LAYER_AVGPOOL2D: dls_buf_printf(b, "avgpool %d", s->kernel); break;
        case NN_LAYER_DROPOUT: dls_buf_printf(b, "dropout %g", s->p); break;
        case NN_LAYER_RESIDUAL: dls_buf_printf(b, "residual %d", s->out); break;
        default: dls_buf_puts(b, nn_layer_kind_name(s->kind)); break;
        }
    }
}

char *lab_model_describe(const lab_config *c) {
    dls_buf b;
    dls_buf_init(&b);
    int first = 1;
    describe_layers(&b, c->layers, c->n_layers, &first);
    return dls_buf_take(&b);
}

/* ---- concept links ------------------------------------------------------------------ */

/* Lower-cases ASCII and drops spaces, '-', '_' so "Back-propagation" = "backpropagation". */
static char *fold(const char *s) {
    char *o = xmalloc(strlen(s) + 1), *p = o;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == ' ' || c == '-' || c == '_' || c == '\t') continue;
        *p++ = (char)(c < 128 ? tolower(c) : c);
    }
    *p = 0;
    return o;
}

int lab_concept_matches(const char *concept, const char *heading) {
    char *c = fold(concept), *h = fold(heading);
    int m = *c && strstr(h, c) != NULL;
    free(c);
    free(h);
    return m;
}

int lab_links_for_card(lab_spec *const *specs, int n_specs, const char *const *note_labs, int n_note_labs,
                       const char *heading, const char *const *tags, int n_tags, const char **out, int max) {
    int n = 0;
    for (int i = 0; i < n_note_labs && n < max; i++)
        for (int j = 0; j < n_specs; j++)
            if (!strcmp(specs[j]->name, note_labs[i])) {
                int dup = 0;
                for (int k = 0; k < n; k++) dup |= !strcmp(out[k], specs[j]->name);
                if (!dup) out[n++] = specs[j]->name;
            }
    for (int j = 0; j < n_specs && n < max; j++) {
        int hit = 0;
        for (int c = 0; c < specs[j]->n_concepts && !hit; c++) {
            if (heading && lab_concept_matches(specs[j]->concepts[c], heading)) hit = 1;
            for (int t = 0; t < n_tags && !hit; t++)
                if (lab_concept_matches(specs[j]->concepts[c], tags[t]) &&
                    lab_concept_matches(tags[t], specs[j]->concepts[c]))
                    hit = 1; /* a tag must equal the concept, not merely contain it */
        }
        for (int k = 0; k < n && hit; k++)
            if (!strcmp(out[k], specs[j]->name)) hit = 0;
        if (hit) out[n++] = specs[j]->name;
    }
    return n;
}
