/* test_lab_spec.c: the lab spec reader: every bundled lab loads and builds on the engine,
 * variants change what they say, broken specs fail with FILE:LINE:COL messages, and the
 * concept matching that links review cards to labs. Run from the repository root. */
#include "study/lab.h"
#include "tests/study/study_test.h"
#include "tests/test.h"

#include <stdlib.h>
#include <string.h>

static const char *const bundled[] = {"cnn-mnist", "mlp-mnist", "activations", "optimizers", "overfitting",
                                      "losses", "backprop", "depth", "residual", "data-quality", "perceptron",
                                      "training-loop"};

static lab_spec *load(const char *path) {
    lab_spec *s = NULL;
    dls_error e = {0};
    if (lab_spec_load(path, &s, &e) != DLS_OK) fprintf(stderr, "FAIL loading %s: %s\n", path, e.msg);
    return s;
}

static const lab_variant *variant(const lab_spec *s, const char *name) {
    for (int i = 0; i < s->n_variants; i++)
        if (!strcmp(s->variants[i].name, name)) return &s->variants[i];
    return NULL;
}

static void test_bundled(void) {
    for (size_t i = 0; i < sizeof bundled / sizeof bundled[0]; i++) {
        char *path = xasprintf("labs/%s.yaml", bundled[i]);
        lab_spec *s = load(path);
        CHECK(s != NULL);
        if (s) {
            CHECK_STR(s->name, bundled[i]);
            CHECK(s->title && *s->title);
            CHECK(s->n_concepts >= 3);
            CHECK(s->n_variants >= 1);
        }
        lab_spec_free(s);
        free(path);
    }
    lab_spec **all;
    int n;
    dls_buf errs;
    dls_buf_init(&errs);
    CHECK(lab_spec_list("labs", &all, &n, &errs, NULL) == DLS_OK);
    CHECK(n == 12);
    CHECK(errs.len == 0);
    if (n) CHECK_STR(all[0]->name, "activations"); /* sorted */
    lab_spec_list_free(all, n);
    dls_buf_deinit(&errs);
}

static void test_cnn(void) {
    lab_spec *s = load("labs/cnn-mnist.yaml");
    if (!s) return;
    const lab_config *c = &s->variants[0].cfg;
    CHECK(c->data == LAB_DATA_MNIST);
    CHECK(c->epochs == 10 && c->batch == 64);
    CHECK(c->opt.kind == NN_OPTIM_ADAM);
    CHECK_NEAR(c->opt.lr, 1e-3, 1e-9);
    nn_layer_spec *l;
    int n = lab_config_layers(c, &l, NULL, NULL);
    CHECK(n == 11);
    if (n == 11) {
        CHECK(l[0].kind == NN_LAYER_CONV2D && l[0].out == 32 && l[0].kernel == 3 && l[0].padding == 1);
        CHECK(l[2].kind == NN_LAYER_MAXPOOL2D && l[2].kernel == 2);
        CHECK(l[3].kind == NN_LAYER_CONV2D && l[3].out == 64);
        CHECK(l[7].kind == NN_LAYER_LINEAR && l[7].out == 128);
        CHECK(l[9].kind == NN_LAYER_DROPOUT);
        CHECK_NEAR(l[9].p, 0.5, 1e-6);
        CHECK(l[10].kind == NN_LAYER_LINEAR && l[10].out == 10);
    }
    free(l);
    char *d = lab_model_describe(c);
    CHECK_STR(d, "conv3x3 32 - relu - maxpool 2 - conv3x3 64 - relu - maxpool 2 - flatten - linear 128 - relu - dropout 0.5 - linear 10");
    free(d);
    lab_spec_free(s);
}

static void test_variants(void) {
    lab_spec *s = load("labs/activations.yaml");
    if (s) {
        const lab_variant *sig = variant(s, "sigmoid");
        CHECK(sig != NULL);
        if (sig) {
            nn_layer_spec *l;
            int n = lab_config_layers(&sig->cfg, &l, NULL, NULL), sigmoids = 0, relus = 0;
            for (int i = 0; i < n; i++) sigmoids += l[i].kind == NN_LAYER_SIGMOID, relus += l[i].kind == NN_LAYER_RELU;
            CHECK(sigmoids == 3 && relus == 0);
            free(l);
            CHECK(sig->description != NULL);
        }
        lab_spec_free(s);
    }
    s = load("labs/optimizers.yaml");
    if (s) {
        const lab_variant *m = variant(s, "sgd-momentum"), *a = variant(s, "adam");
        CHECK(m && m->cfg.opt.kind == NN_OPTIM_SGD);
        if (m) CHECK_NEAR(m->cfg.opt.momentum, 0.9, 1e-6);
        CHECK(a && a->cfg.opt.kind == NN_OPTIM_ADAM);
        if (a) CHECK_NEAR(a->cfg.opt.beta2, 0.999, 1e-6);
        lab_spec_free(s);
    }
    s = load("labs/depth.yaml");
    if (s) {
        const lab_variant *sh = variant(s, "shallow"), *re = variant(s, "relu");
        nn_layer_spec *l;
        if (sh) {
            int n = lab_config_layers(&sh->cfg, &l, NULL, NULL);
            CHECK(n == 1 + 2 * 2 + 1); /* flatten, 2 x (linear, sigmoid), linear */
            free(l);
        }
        if (re) {
            int n = lab_config_layers(&re->cfg, &l, NULL, NULL);
            CHECK(n == 1 + 10 * 2 + 1);
            CHECK(n > 2 && l[2].kind == NN_LAYER_RELU);
            free(l);
        }
        CHECK(s->metrics & LAB_METRIC_GRAD_NORMS);
        lab_spec_free(s);
    }
    s = load("labs/overfitting.yaml");
    if (s) {
        const lab_variant *d = variant(s, "dropout"), *w = variant(s, "weight-decay"), *es = variant(s, "early-stop");
        CHECK(d && w && es);
        if (d) CHECK(d->cfg.subset == 1000);
        if (w) CHECK_NEAR(w->cfg.opt.weight_decay, 1e-3, 1e-9);
        if (es) CHECK(es->cfg.patience == 3);
        if (d) {
            nn_layer_spec *l;
            int n = lab_config_layers(&d->cfg, &l, NULL, NULL);
            for (int i = 0; i < n; i++)
                if (l[i].kind == NN_LAYER_DROPOUT) CHECK_NEAR(l[i].p, 0.5, 1e-6);
            free(l);
        }
        lab_spec_free(s);
    }
    s = load("labs/losses.yaml");
    if (s) {
        const lab_variant *b = variant(s, "bce"), *m = variant(s, "mse");
        CHECK(b && b->cfg.loss == NN_LOSS_BCE);
        CHECK(m && m->cfg.loss == NN_LOSS_MSE);
        lab_spec_free(s);
    }
    s = load("labs/data-quality.yaml");
    if (s) {
        const lab_variant *nz = variant(s, "noisy20"), *few = variant(s, "few");
        if (nz) {
            CHECK_NEAR(nz->cfg.label_noise, 0.2, 1e-6);
            CHECK(nz->cfg.subset == 10000); /* merged into the base data set, not replacing it */
        }
        if (few) CHECK(few->cfg.subset == 1000);
        lab_spec_free(s);
    }
}

/* file, expected "file:line:col: " prefix, and a fragment of the message */
static void bad(const char *file, int line, int col, const char *fragment) {
    char *path = xasprintf("tests/fixtures/labs-bad/%s", file);
    lab_spec *s = NULL;
    dls_error e = {0};
    int rc = lab_spec_load(path, &s, &e);
    CHECK(rc != DLS_OK);
    CHECK(s == NULL);
    char *prefix = xasprintf("%s:%d:%d: ", path, line, col);
    if (strncmp(e.msg, prefix, strlen(prefix)) != 0 || !strstr(e.msg, fragment)) {
        fprintf(stderr, "FAIL %s: got \"%s\", expected \"%s...%s...\"\n", file, e.msg, prefix, fragment);
        CHECK(0);
    } else {
        CHECK(1);
    }
    free(prefix);
    free(path);
    lab_spec_free(s);
}

static void test_bad_specs(void) {
    bad("unknown-key.yaml", 6, 1, "unknown key 'epohcs'");
    bad("wrong-type.yaml", 6, 9, "'epochs' must be a whole number, not 'many'");
    bad("unknown-dataset.yaml", 3, 17, "unknown dataset 'cifar10'");
    bad("bad-shape.yaml", 6, 5, "maxpool2d");
    bad("wrong-outputs.yaml", 7, 5, "gives 10 outputs but spirals needs 2");
    bad("bad-yaml.yaml", 3, 8, "flow sequence");
    bad("unknown-layer.yaml", 6, 5, "unknown layer 'swish'");
    bad("bad-variant.yaml", 10, 18, "no dropout layer");
    bad("unknown-variant-key.yaml", 9, 10, "unknown key 'optimiser' in a variant");
    bad("duplicate-key.yaml", 7, 1, "duplicate key 'batch'");
    bad("bad-optimizer.yaml", 6, 19, "unknown optimizer 'adagrad'");
    bad("control-chars.yaml", 1, 8, "control or bidi-override character");
    bad("bidi.yaml", 2, 12, "control or bidi-override character");

    lab_spec *s = NULL;
    dls_error e = {0};
    CHECK(lab_spec_load("tests/fixtures/labs-bad/no-such-file.yaml", &s, &e) == DLS_ERR_IO);
    CHECK(strstr(e.msg, "no-such-file.yaml") != NULL);
    CHECK(lab_spec_find("labs", "no-such-lab", &s, &e) == DLS_ERR_NOTFOUND);
    CHECK(strstr(e.msg, "dlstudy lab list") != NULL);
    CHECK(lab_spec_find("labs", "../etc/passwd", &s, &e) == DLS_ERR_INVALID);
}

/* Layers, losses, optimizers, initialisers and schedules take the engine's names, the
 * same a checkpoint uses, in any case and with '-' for '_'; unknown ones say where. */
static void test_engine_names(void) {
    char dir[256];
    if (!test_tmpdir(dir, sizeof dir, "test_lab_spec")) {
        CHECK(!"a temporary folder");
        return;
    }
    char *path = xasprintf("%s/names.yaml", dir);
    FILE *f = fopen(path, "w");
    fputs("title: Names\nconcepts: [x]\ndataset: xor\nmodel: [Linear: 8, Leaky-ReLU, linear: 2]\n"
          "loss: Cross-Entropy\ninit: xavier_normal\noptimizer: {name: RMSprop}\nschedule: {name: cosine}\n"
          "variants:\n  base:\n  step: {schedule: step, optimizer: adamw, init: kaiming-uniform}\n",
          f);
    CHECK(fclose(f) == 0);
    lab_spec *s = load(path);
    CHECK(s != NULL);
    if (s) {
        const lab_config *b = &s->variants[0].cfg, *st = &s->variants[1].cfg;
        CHECK(b->layers[1].spec.kind == NN_LAYER_LEAKY_RELU && b->loss == NN_LOSS_CROSS_ENTROPY);
        CHECK(b->init == NN_INIT_XAVIER_NORMAL && b->opt.kind == NN_OPTIM_RMSPROP && b->opt.sched == NN_SCHED_COSINE);
        CHECK(st->opt.sched == NN_SCHED_STEP && st->opt.kind == NN_OPTIM_ADAMW && st->init == NN_INIT_KAIMING_UNIFORM);
        lab_spec_free(s);
    }
    f = fopen(path, "w");
    fputs("title: Names\nconcepts: [x]\ndataset: xor\nmodel: [linear: 2]\nschedule: {name: warmup}\n", f);
    CHECK(fclose(f) == 0);
    dls_error e = {0};
    s = NULL;
    CHECK(lab_spec_load(path, &s, &e) == DLS_ERR_INVALID && s == NULL);
    char *want = xasprintf("%s:5:18: unknown schedule 'warmup'", path);
    CHECK(!strncmp(e.msg, want, strlen(want)));
    free(want);
    free(path);
    CHECK(test_rmtree(dir) == 0);
}

static void test_concepts(void) {
    CHECK(lab_concept_matches("ReLU", "ReLU (Rectified Linear Unit)"));
    CHECK(lab_concept_matches("relu", "ReLU 的变体"));
    CHECK(lab_concept_matches("Backpropagation", "Back-propagation"));
    CHECK(lab_concept_matches("反向传播", "反向传播的直觉"));
    CHECK(!lab_concept_matches("Adam", "定义"));
    CHECK(!lab_concept_matches("", "anything"));

    lab_spec **all;
    int n;
    if (lab_spec_list("labs", &all, &n, NULL, NULL) != DLS_OK) return;
    const char *out[8];
    const char *note_labs[] = {"optimizers"};
    int k = lab_links_for_card(all, n, note_labs, 1, "ReLU (Rectified Linear Unit)", NULL, 0, out, 8);
    CHECK(k >= 2);
    if (k >= 2) {
        CHECK_STR(out[0], "optimizers"); /* the note's own labs come first */
        int has_act = 0;
        for (int i = 0; i < k; i++) has_act |= !strcmp(out[i], "activations");
        CHECK(has_act);
    }
    const char *tags[] = {"Dropout"};
    k = lab_links_for_card(all, n, NULL, 0, "定义", tags, 1, out, 8);
    int has_over = 0;
    for (int i = 0; i < k; i++) has_over |= !strcmp(out[i], "overfitting");
    CHECK(has_over);
    const char *unknown[] = {"no-such-lab"};
    CHECK(lab_links_for_card(all, n, unknown, 1, "zzz", NULL, 0, out, 8) == 0);
    lab_spec_list_free(all, n);
}

int main(void) {
    test_bundled();
    test_cnn();
    test_variants();
    test_bad_specs();
    test_engine_names();
    test_concepts();
    return test_done("test_lab_spec");
}
