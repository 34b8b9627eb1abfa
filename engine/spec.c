/* spec.c: the text names of layer kinds, initialisers, losses, optimizers and
 * schedules (shared by lab specs and checkpoints), layer-spec defaults and formatting.
 * Not model building (model.c). */
#include <stdio.h>
#include <string.h>

#include "engine/nn.h"

static const char *const layer_names[NN_LAYER_KIND_COUNT] = {
    [NN_LAYER_LINEAR]         = "linear",
    [NN_LAYER_CONV2D]         = "conv2d",
    [NN_LAYER_MAXPOOL2D]      = "maxpool2d",
    [NN_LAYER_AVGPOOL2D]      = "avgpool2d",
    [NN_LAYER_GLOBAL_AVGPOOL] = "global_avgpool",
    [NN_LAYER_FLATTEN]        = "flatten",
    [NN_LAYER_RELU]           = "relu",
    [NN_LAYER_LEAKY_RELU]     = "leaky_relu",
    [NN_LAYER_SIGMOID]        = "sigmoid",
    [NN_LAYER_TANH]           = "tanh",
    [NN_LAYER_SOFTMAX]        = "softmax",
    [NN_LAYER_LOG_SOFTMAX]    = "log_softmax",
    [NN_LAYER_DROPOUT]        = "dropout",
    [NN_LAYER_BATCHNORM]      = "batchnorm",
    [NN_LAYER_RESIDUAL]       = "residual",
};

static const char *const init_names[NN_INIT_KIND_COUNT] = {
    [NN_INIT_DEFAULT]         = "default",
    [NN_INIT_KAIMING_UNIFORM] = "kaiming_uniform",
    [NN_INIT_KAIMING_NORMAL]  = "kaiming_normal",
    [NN_INIT_XAVIER_UNIFORM]  = "xavier_uniform",
    [NN_INIT_XAVIER_NORMAL]   = "xavier_normal",
};

static const char *const loss_names[NN_LOSS_KIND_COUNT] = {
    [NN_LOSS_CROSS_ENTROPY] = "cross_entropy",
    [NN_LOSS_MSE]           = "mse",
    [NN_LOSS_BCE]           = "bce",
};

static const char *const optim_names[NN_OPTIM_KIND_COUNT] = {
    [NN_OPTIM_SGD]     = "sgd",
    [NN_OPTIM_ADAM]    = "adam",
    [NN_OPTIM_ADAMW]   = "adamw",
    [NN_OPTIM_RMSPROP] = "rmsprop",
};

static const char *const sched_names[NN_SCHED_KIND_COUNT] = {
    [NN_SCHED_CONSTANT] = "constant",
    [NN_SCHED_STEP]     = "step",
    [NN_SCHED_COSINE]   = "cosine",
};

/* Accepts the canonical name, any case, with '-' for '_'; a few common aliases are
 * handled by the callers' tables. */
static int name_eq(const char *canon, const char *s) {
    for (; *canon && *s; canon++, s++) {
        char c = *s;
        if (c == '-') c = '_';
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != *canon) return 0;
    }
    return *canon == 0 && *s == 0;
}

static int parse_name(const char *const *names, int count, const char *what, const char *s,
                      int *out, dls_error *e) {
    for (int i = 0; i < count; i++)
        if (names[i] && s && name_eq(names[i], s)) { *out = i; return DLS_OK; }
    char list[200] = "";
    size_t used = 0;
    for (int i = 0; i < count && used < sizeof list; i++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", names[i]);
    return dls_fail(e, DLS_ERR_INVALID, "unknown %s '%s' (expected one of: %s)", what,
                    s ? s : "", list);
}

static const char *name_at(const char *const *table, int count, int k) {
    return k >= 0 && k < count && table[k] ? table[k] : "?";
}

const char *nn_layer_kind_name(nn_layer_kind k) { return name_at(layer_names, NN_LAYER_KIND_COUNT, (int)k); }
const char *nn_init_kind_name(nn_init_kind k)   { return name_at(init_names, NN_INIT_KIND_COUNT, (int)k); }
const char *nn_loss_kind_name(nn_loss_kind k)   { return name_at(loss_names, NN_LOSS_KIND_COUNT, (int)k); }
const char *nn_optim_kind_name(nn_optim_kind k) { return name_at(optim_names, NN_OPTIM_KIND_COUNT, (int)k); }
const char *nn_sched_kind_name(nn_sched_kind k) { return name_at(sched_names, NN_SCHED_KIND_COUNT, (int)k); }

int nn_layer_kind_parse(const char *name, nn_layer_kind *out, dls_error *e) {
    int v, rc;
    /* PyTorch's spellings are welcome too */
    static const struct { const char *alias; nn_layer_kind k; } aliases[] = {
        { "dense", NN_LAYER_LINEAR }, { "fc", NN_LAYER_LINEAR }, { "conv", NN_LAYER_CONV2D },
        { "maxpool", NN_LAYER_MAXPOOL2D }, { "avgpool", NN_LAYER_AVGPOOL2D },
        { "batchnorm2d", NN_LAYER_BATCHNORM }, { "batchnorm1d", NN_LAYER_BATCHNORM },
        { "bn", NN_LAYER_BATCHNORM }, { "leakyrelu", NN_LAYER_LEAKY_RELU },
        { "logsoftmax", NN_LAYER_LOG_SOFTMAX }, { "gap", NN_LAYER_GLOBAL_AVGPOOL },
    };
    for (size_t i = 0; name && i < sizeof aliases / sizeof *aliases; i++)
        if (name_eq(aliases[i].alias, name)) { *out = aliases[i].k; return DLS_OK; }
    if ((rc = parse_name(layer_names, NN_LAYER_KIND_COUNT, "layer", name, &v, e))) return rc;
    *out = (nn_layer_kind)v;
    return DLS_OK;
}

int nn_init_kind_parse(const char *name, nn_init_kind *out, dls_error *e) {
    int v, rc;
    if (name && (name_eq("kaiming", name) || name_eq("he", name))) { *out = NN_INIT_KAIMING_NORMAL; return DLS_OK; }
    if (name && (name_eq("xavier", name) || name_eq("glorot", name))) { *out = NN_INIT_XAVIER_UNIFORM; return DLS_OK; }
    if ((rc = parse_name(init_names, NN_INIT_KIND_COUNT, "initialiser", name, &v, e))) return rc;
    *out = (nn_init_kind)v;
    return DLS_OK;
}

int nn_loss_kind_parse(const char *name, nn_loss_kind *out, dls_error *e) {
    int v, rc;
    if (name && (name_eq("ce", name) || name_eq("xent", name) || name_eq("crossentropy", name))) {
        *out = NN_LOSS_CROSS_ENTROPY;
        return DLS_OK;
    }
    if ((rc = parse_name(loss_names, NN_LOSS_KIND_COUNT, "loss", name, &v, e))) return rc;
    *out = (nn_loss_kind)v;
    return DLS_OK;
}

int nn_optim_kind_parse(const char *name, nn_optim_kind *out, dls_error *e) {
    int v, rc;
    if ((rc = parse_name(optim_names, NN_OPTIM_KIND_COUNT, "optimizer", name, &v, e))) return rc;
    *out = (nn_optim_kind)v;
    return DLS_OK;
}

int nn_sched_kind_parse(const char *name, nn_sched_kind *out, dls_error *e) {
    int v, rc;
    if (name && name_eq("none", name)) { *out = NN_SCHED_CONSTANT; return DLS_OK; }
    if ((rc = parse_name(sched_names, NN_SCHED_KIND_COUNT, "schedule", name, &v, e))) return rc;
    *out = (nn_sched_kind)v;
    return DLS_OK;
}

nn_layer_spec nn_layer_spec_default(nn_layer_kind kind) {
    nn_layer_spec s = { .kind = kind };
    switch (kind) {
    case NN_LAYER_CONV2D:    s.kernel = 3; s.stride = 1; s.padding = 1; break;
    case NN_LAYER_MAXPOOL2D:
    case NN_LAYER_AVGPOOL2D: s.kernel = 2; s.stride = 2; break;
    case NN_LAYER_RESIDUAL:  s.kernel = 3; s.stride = 1; s.padding = 1; break;
    case NN_LAYER_DROPOUT:   s.p = 0.5f; break;
    case NN_LAYER_LEAKY_RELU: s.slope = 0.01f; break;
    default: break;
    }
    return s;
}

void nn_layer_spec_format(const nn_layer_spec *s, dls_buf *out) {
    dls_buf_puts(out, nn_layer_kind_name(s->kind));
    switch (s->kind) {
    case NN_LAYER_LINEAR:
        dls_buf_printf(out, " out=%d", s->out);
        break;
    case NN_LAYER_CONV2D:
        dls_buf_printf(out, " out=%d kernel=%d stride=%d padding=%d", s->out, s->kernel,
                       s->stride ? s->stride : 1, s->padding);
        break;
    case NN_LAYER_RESIDUAL:   /* padding is always kernel / 2 */
        dls_buf_printf(out, " out=%d kernel=%d stride=%d", s->out, s->kernel ? s->kernel : 3,
                       s->stride ? s->stride : 1);
        break;
    case NN_LAYER_MAXPOOL2D:
    case NN_LAYER_AVGPOOL2D:
        dls_buf_printf(out, " kernel=%d stride=%d padding=%d", s->kernel,
                       s->stride ? s->stride : s->kernel, s->padding);
        break;
    case NN_LAYER_DROPOUT:    dls_buf_printf(out, " p=%g", s->p); break;
    case NN_LAYER_LEAKY_RELU: dls_buf_printf(out, " slope=%g", s->slope ? s->slope : 0.01f); break;
    default: break;
    }
    /* the initialiser only when it is not the default, to keep summaries short */
    if ((s->kind == NN_LAYER_LINEAR || s->kind == NN_LAYER_CONV2D ||
         s->kind == NN_LAYER_RESIDUAL) && s->init != NN_INIT_DEFAULT)
        dls_buf_printf(out, " init=%s", nn_init_kind_name(s->init));
}

int nn_reference_specs(nn_reference_model model, nn_layer_spec *s) {
    int n = 0;
    if (model == NN_REFERENCE_MLP) { /* a linear layer flattens its input */
        for (int i = 0; i < 2; i++) {
            s[n] = nn_layer_spec_default(NN_LAYER_LINEAR), s[n++].out = 128;
            s[n++] = nn_layer_spec_default(NN_LAYER_RELU);
        }
    } else {
        for (int oc = 32; oc <= 64; oc *= 2) {
            s[n] = nn_layer_spec_default(NN_LAYER_CONV2D);
            s[n].out = oc, s[n].kernel = 3, s[n].stride = 1, s[n++].padding = 1;
            s[n++] = nn_layer_spec_default(NN_LAYER_RELU);
            s[n] = nn_layer_spec_default(NN_LAYER_MAXPOOL2D);
            s[n].kernel = 2, s[n++].stride = 2;
        }
        s[n++] = nn_layer_spec_default(NN_LAYER_FLATTEN);
        s[n] = nn_layer_spec_default(NN_LAYER_LINEAR), s[n++].out = 128;
        s[n++] = nn_layer_spec_default(NN_LAYER_RELU);
        s[n] = nn_layer_spec_default(NN_LAYER_DROPOUT), s[n++].p = 0.5f;
    }
    s[n] = nn_layer_spec_default(NN_LAYER_LINEAR), s[n++].out = 10;
    return n;
}
