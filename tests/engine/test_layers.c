/* test_layers.c: every layer kind and loss, inside small models, checked against
 * central differences (nn_model_gradcheck); shape errors name the layer; summaries and
 * spec names round-trip. */
#include <stdlib.h>

#include "engine/nn.h"
#include "tests/test.h"

#define N_EX 4

typedef struct net {
    const char    *name;
    nn_layer_spec  specs[10];
    int            n_specs;
    int            c, h, w;
    nn_loss_kind   loss;
    int            use_targets;
    double         tol;
} net;

static nn_layer_spec L(nn_layer_kind k) { return nn_layer_spec_default(k); }
static nn_layer_spec LIN(int out) { nn_layer_spec s = L(NN_LAYER_LINEAR); s.out = out; return s; }
static nn_layer_spec CONV(int out, int k, int stride, int pad) {
    nn_layer_spec s = L(NN_LAYER_CONV2D);
    s.out = out; s.kernel = k; s.stride = stride; s.padding = pad;
    return s;
}
static nn_layer_spec POOL(nn_layer_kind k, int kernel, int stride, int pad) {
    nn_layer_spec s = L(k);
    s.kernel = kernel; s.stride = stride; s.padding = pad;
    return s;
}
static nn_layer_spec DROP(float p) { nn_layer_spec s = L(NN_LAYER_DROPOUT); s.p = p; return s; }
static nn_layer_spec RES(int out, int stride) {
    nn_layer_spec s = L(NN_LAYER_RESIDUAL);
    s.out = out; s.stride = stride;
    return s;
}

static void check_net(const net *t) {
    dls_error e = { 0 };
    nn_model *m = nn_model_new(t->specs, t->n_specs, t->c, t->h, t->w, NULL, 7, &e);
    CHECK(m != NULL);
    if (!m) { fprintf(stderr, "  %s: %s\n", t->name, e.msg); return; }
    size_t nx = (size_t)N_EX * t->c * t->h * t->w;
    int    K = nn_model_out_features(m);
    float *x = malloc(nx * sizeof *x), *tg = malloc((size_t)N_EX * K * sizeof *tg);
    int    labels[N_EX];
    for (size_t i = 0; i < nx; i++) x[i] = 2.0f * nn_rng_uniform(99, 1, i) - 1.0f;
    for (int i = 0; i < N_EX * K; i++) tg[i] = nn_rng_uniform(99, 2, (uint64_t)i);
    for (int i = 0; i < N_EX; i++) labels[i] = K == 1 ? i % 2 : (i * 3) % K;
    nn_gradcheck_result r;
    int rc = nn_model_gradcheck(m, x, t->use_targets ? NULL : labels,
                                t->use_targets ? tg : NULL, N_EX, t->loss, 1e-3f, 12, &r, &e);
    CHECK(rc == DLS_OK);
    CHECK(r.checked > 0);
    if (rc || r.max_rel_err > t->tol)
        fprintf(stderr, "  %s: rc %d %s; %d checked, max rel err %.3g at layer %d "
                "(analytic %.6g, numeric %.6g)\n", t->name, rc, e.msg, r.checked,
                r.max_rel_err, r.worst_layer, r.worst_analytic, r.worst_numeric);
    CHECK(r.max_rel_err <= t->tol);
    free(x);
    free(tg);
    nn_model_free(m);
}

static void test_gradchecks(void) {
    const double tol = 3e-2;
    net nets[] = {
        { "mlp relu ce", { LIN(6), L(NN_LAYER_RELU), LIN(3) }, 3, 5, 1, 1,
          NN_LOSS_CROSS_ENTROPY, 0, tol },
        { "mlp sigmoid mse-labels", { LIN(6), L(NN_LAYER_SIGMOID), LIN(3) }, 3, 5, 1, 1,
          NN_LOSS_MSE, 0, tol },
        { "mlp tanh mse-targets", { LIN(6), L(NN_LAYER_TANH), LIN(2) }, 3, 5, 1, 1,
          NN_LOSS_MSE, 1, tol },
        { "mlp leaky bce-targets", { LIN(6), L(NN_LAYER_LEAKY_RELU), LIN(3) }, 3, 5, 1, 1,
          NN_LOSS_BCE, 1, tol },
        { "mlp bce one output", { LIN(6), L(NN_LAYER_TANH), LIN(1) }, 3, 5, 1, 1,
          NN_LOSS_BCE, 0, tol },
        { "softmax mse", { LIN(4), L(NN_LAYER_SOFTMAX) }, 2, 5, 1, 1, NN_LOSS_MSE, 0, tol },
        { "log_softmax ce", { LIN(4), L(NN_LAYER_LOG_SOFTMAX) }, 2, 5, 1, 1,
          NN_LOSS_CROSS_ENTROPY, 0, tol },
        { "dropout", { LIN(8), L(NN_LAYER_TANH), DROP(0.4f), LIN(3) }, 4, 5, 1, 1,
          NN_LOSS_CROSS_ENTROPY, 0, tol },
        { "batchnorm 1d", { LIN(6), L(NN_LAYER_BATCHNORM), L(NN_LAYER_TANH), LIN(3) }, 4, 5, 1,
          1, NN_LOSS_CROSS_ENTROPY, 0, tol },
        { "conv direct relu maxpool", { CONV(3, 3, 1, 1), L(NN_LAYER_RELU),
          POOL(NN_LAYER_MAXPOOL2D, 2, 2, 0), L(NN_LAYER_FLATTEN), LIN(3) }, 5, 2, 6, 6,
          NN_LOSS_CROSS_ENTROPY, 0, tol },
        { "conv im2col tanh avgpool", { CONV(3, 3, 1, 1), L(NN_LAYER_TANH),
          POOL(NN_LAYER_AVGPOOL2D, 2, 2, 0), L(NN_LAYER_FLATTEN), LIN(3) }, 5, 4, 6, 6,
          NN_LOSS_CROSS_ENTROPY, 0, tol },
        { "conv stride 2 no pad", { CONV(3, 3, 2, 0), L(NN_LAYER_SIGMOID), L(NN_LAYER_FLATTEN),
          LIN(3) }, 4, 2, 7, 7, NN_LOSS_CROSS_ENTROPY, 0, tol },
        { "conv 1x1 + global avgpool", { CONV(4, 1, 1, 0), L(NN_LAYER_TANH),
          L(NN_LAYER_GLOBAL_AVGPOOL), L(NN_LAYER_FLATTEN), LIN(3) }, 5, 3, 5, 5,
          NN_LOSS_CROSS_ENTROPY, 0, tol },
        { "maxpool 3 stride 2 pad 1", { CONV(2, 3, 1, 1), L(NN_LAYER_TANH),
          POOL(NN_LAYER_MAXPOOL2D, 3, 2, 1), L(NN_LAYER_FLATTEN), LIN(3) }, 5, 1, 6, 6,
          NN_LOSS_CROSS_ENTROPY, 0, tol },
        { "batchnorm 2d", { CONV(3, 3, 1, 1), L(NN_LAYER_BATCHNORM), L(NN_LAYER_TANH),
          L(NN_LAYER_FLATTEN), LIN(3) }, 5, 2, 4, 4, NN_LOSS_CROSS_ENTROPY, 0, tol },
        { "residual identity", { CONV(4, 3, 1, 1), L(NN_LAYER_TANH), RES(4, 1),
          L(NN_LAYER_GLOBAL_AVGPOOL), L(NN_LAYER_FLATTEN), LIN(3) }, 6, 1, 5, 5,
          NN_LOSS_CROSS_ENTROPY, 0, tol },
        { "residual projection", { RES(3, 2), L(NN_LAYER_FLATTEN), LIN(3) }, 3, 2, 6, 6,
          NN_LOSS_CROSS_ENTROPY, 0, tol },
    };
    for (size_t i = 0; i < sizeof nets / sizeof *nets; i++) check_net(&nets[i]);
}

/* A gradient check that fails (a label out of range) leaves the batch-norm running
 * statistics as it found them, as a successful one does. */
static void test_gradcheck_failure(void) {
    nn_layer_spec s[] = { LIN(4), L(NN_LAYER_BATCHNORM), LIN(3) };
    nn_model *m = nn_model_new(s, 3, 5, 1, 1, NULL, 3, NULL);
    float x[N_EX * 5], before[N_EX * 3], after[N_EX * 3];
    for (int i = 0; i < N_EX * 5; i++) x[i] = 4.0f * nn_rng_uniform(98, 1, (uint64_t)i);
    int bad[N_EX] = { 0, 1, 2, 7 };
    nn_gradcheck_result r;
    dls_error e;
    nn_model_set_training(m, 0);
    CHECK(nn_model_forward(m, x, N_EX, NULL, &e) == DLS_OK);
    nn_model_output(m, before);
    nn_model_set_training(m, 1);
    CHECK(nn_model_gradcheck(m, x, bad, NULL, N_EX, NN_LOSS_CROSS_ENTROPY, 1e-3f, 4, &r, &e) ==
          DLS_ERR_INVALID);
    nn_model_set_training(m, 0);
    CHECK(nn_model_forward(m, x, N_EX, NULL, &e) == DLS_OK);
    nn_model_output(m, after);
    CHECK(memcmp(before, after, sizeof before) == 0);
    nn_model_free(m);
}

static void test_shape_errors(void) {
    dls_error e = { 0 };
    nn_layer_spec s[] = { CONV(4, 3, 1, 0), POOL(NN_LAYER_MAXPOOL2D, 2, 2, 0),
                          POOL(NN_LAYER_MAXPOOL2D, 2, 2, 0), LIN(3) };
    nn_model *m = nn_model_new(s, 4, 1, 4, 4, NULL, 1, &e);
    CHECK(m == NULL);
    CHECK(e.code == DLS_ERR_INVALID);
    CHECK(strstr(e.msg, "layer 3 (maxpool2d)") != NULL);
    nn_layer_spec bad[] = { LIN(0) };
    CHECK(nn_model_new(bad, 1, 1, 4, 4, NULL, 1, &e) == NULL);
    CHECK(strstr(e.msg, "layer 1 (linear)") != NULL);
    nn_layer_spec d[] = { DROP(1.0f) };
    CHECK(nn_model_new(d, 1, 1, 4, 4, NULL, 1, &e) == NULL);
    CHECK(strstr(e.msg, "dropout") != NULL);
}

static void test_names_and_summary(void) {
    for (int k = 0; k < NN_LAYER_KIND_COUNT; k++) {
        nn_layer_kind back;
        CHECK(nn_layer_kind_parse(nn_layer_kind_name((nn_layer_kind)k), &back, NULL) == DLS_OK);
        CHECK(back == (nn_layer_kind)k);
    }
    nn_layer_kind k;
    dls_error e;
    CHECK(nn_layer_kind_parse("Conv2d", &k, NULL) == DLS_OK && k == NN_LAYER_CONV2D);
    CHECK(nn_layer_kind_parse("leaky-relu", &k, NULL) == DLS_OK && k == NN_LAYER_LEAKY_RELU);
    CHECK(nn_layer_kind_parse("convolution3d", &k, &e) == DLS_ERR_INVALID);
    CHECK(strstr(e.msg, "conv2d") != NULL);
    nn_loss_kind lk;
    CHECK(nn_loss_kind_parse("cross_entropy", &lk, NULL) == DLS_OK && lk == NN_LOSS_CROSS_ENTROPY);
    nn_optim_kind ok;
    CHECK(nn_optim_kind_parse("adamw", &ok, NULL) == DLS_OK && ok == NN_OPTIM_ADAMW);
    nn_init_kind ik;
    CHECK(nn_init_kind_parse("xavier_normal", &ik, NULL) == DLS_OK && ik == NN_INIT_XAVIER_NORMAL);

    /* the CNN of the notes: 421,642 parameters, as PyTorch counts them */
    nn_layer_spec cnn[] = { CONV(32, 3, 1, 1), L(NN_LAYER_RELU), POOL(NN_LAYER_MAXPOOL2D, 2, 2, 0),
                            CONV(64, 3, 1, 1), L(NN_LAYER_RELU), POOL(NN_LAYER_MAXPOOL2D, 2, 2, 0),
                            L(NN_LAYER_FLATTEN), LIN(128), L(NN_LAYER_RELU), DROP(0.5f), LIN(10) };
    nn_model *m = nn_model_new(cnn, 11, 1, 28, 28, NULL, 1, &e);
    CHECK(m != NULL);
    if (!m) return;
    CHECK(nn_model_param_count(m) == 421642);
    int c, h, w;
    nn_model_layer_shape(m, 5, &c, &h, &w);
    CHECK(c == 64 && h == 7 && w == 7);
    dls_buf b;
    dls_buf_init(&b);
    nn_model_summary(m, &b);
    CHECK(strstr(b.data, "total parameters: 421642") != NULL);
    CHECK(strstr(b.data, "conv2d out=32 kernel=3") != NULL);
    dls_buf_deinit(&b);
    nn_model_free(m);

    /* the benchmark's reference models are the notes' CNN and the 784-128-128-10 MLP */
    nn_layer_spec ref[NN_REFERENCE_MAX_LAYERS];
    size_t want[] = { [NN_REFERENCE_MLP] = 784 * 128 + 128 + 128 * 128 + 128 + 128 * 10 + 10,
                      [NN_REFERENCE_CNN] = 421642 };
    for (int r = NN_REFERENCE_MLP; r <= NN_REFERENCE_CNN; r++) {
        int n = nn_reference_specs((nn_reference_model)r, ref);
        CHECK(n == (r == NN_REFERENCE_CNN ? 11 : 5));
        m = nn_model_new(ref, n, 1, 28, 28, NULL, 1, &e);
        CHECK(m != NULL && nn_model_param_count(m) == want[r]);
        nn_model_free(m);
    }
}

/* Initialisers: the spread of the weights matches the formula; biases are zero except
 * with the default (PyTorch's) initialisation. */
static void test_init(void) {
    nn_init_kind kinds[] = { NN_INIT_DEFAULT, NN_INIT_KAIMING_UNIFORM, NN_INIT_KAIMING_NORMAL,
                             NN_INIT_XAVIER_UNIFORM, NN_INIT_XAVIER_NORMAL };
    int fan_in = 400, fan_out = 300;
    double want_std[] = { 1 / sqrt(3.0 * fan_in), sqrt(2.0 / fan_in), sqrt(2.0 / fan_in),
                          sqrt(2.0 / (fan_in + fan_out)), sqrt(2.0 / (fan_in + fan_out)) };
    for (int k = 0; k < 5; k++) {
        nn_layer_spec s = LIN(fan_out);
        s.init = kinds[k];
        nn_model *m = nn_model_new(&s, 1, fan_in, 1, 1, NULL, 5, NULL);
        size_t n = nn_model_layer_param_count(m, 0);
        CHECK(n == (size_t)fan_in * fan_out + fan_out);
        float *p = malloc(n * sizeof *p);
        nn_model_get_params(m, 0, p);
        double s1 = 0, s2 = 0, bias = 0, maxabs = 0;
        for (int i = 0; i < fan_in * fan_out; i++) {
            s1 += p[i]; s2 += (double)p[i] * p[i];
            maxabs = fmax(maxabs, fabs(p[i]));
        }
        for (int i = 0; i < fan_out; i++) bias += fabs(p[fan_in * fan_out + i]);
        double mean = s1 / (fan_in * fan_out), sd = sqrt(s2 / (fan_in * fan_out) - mean * mean);
        if (fabs(sd / want_std[k] - 1) > 0.03)
            fprintf(stderr, "  init %s: std %g, expected %g\n", nn_init_kind_name(kinds[k]), sd, want_std[k]);
        CHECK(fabs(sd / want_std[k] - 1) <= 0.03);
        CHECK(fabs(mean) < 0.05 * want_std[k] * 10);
        if (kinds[k] == NN_INIT_DEFAULT) CHECK(bias > 0);
        else CHECK(bias == 0);
        if (kinds[k] == NN_INIT_KAIMING_UNIFORM) CHECK(maxabs <= sqrt(6.0 / fan_in));
        /* set_params round trip */
        p[0] = 42.0f;
        nn_model_set_params(m, 0, p);
        float q[1];
        nn_model_get_params(m, 0, p);
        q[0] = p[0];
        CHECK(q[0] == 42.0f);
        free(p);
        nn_model_free(m);
    }
}

int main(void) {
    test_init();
    nn_set_threads(1);
    test_gradchecks();
    nn_set_threads(2);
    test_gradchecks();   /* the batch-split kernels must agree */
    test_gradcheck_failure();
    test_shape_errors();
    test_names_and_summary();
    return test_done("test_layers");
}
