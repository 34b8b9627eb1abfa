/* test_train.c: short training runs whose loss must fall and whose accuracy must beat
 * chance by far (spirals with an MLP, XOR with BCE, a small CNN on synthetic bar
 * images, sine regression with MSE), and bit-for-bit repeatability for a seed and a
 * thread count. The MNIST subset run is in test_mnist_train.c (data module). */
#include <stdlib.h>

#include "engine/nn.h"
#include "tests/test.h"

static nn_layer_spec lin(int out) { nn_layer_spec s = { .kind = NN_LAYER_LINEAR, .out = out }; return s; }
static nn_layer_spec act(nn_layer_kind k) { return nn_layer_spec_default(k); }

/* Trains for `steps` batches drawn in order (wrapping); returns the mean loss of the
 * first and last 10 steps. */
static void train(nn_model *m, nn_optim *o, const nn_dataset *d, int batch, int steps,
                  nn_loss_kind loss, int use_t, double *first, double *last) {
    int    dim = d->c * d->h * d->w;
    double f = 0, l = 0;
    for (int s = 0; s < steps; s++) {
        int at = (s * batch) % (d->n - batch + 1);
        float v;
        dls_error e;
        int rc = nn_model_train_step(m, o, d->x + (size_t)at * dim, use_t ? NULL : d->y + at,
                                     use_t ? d->t + (size_t)at * d->t_dim : NULL, batch, loss,
                                     &v, &e);
        if (rc) { fprintf(stderr, "train: %s\n", e.msg); CHECK(rc == DLS_OK); return; }
        if (s < 10) f += v / 10;
        if (s >= steps - 10) l += v / 10;
    }
    *first = f;
    *last = l;
}

static void test_spirals(void) {
    nn_dataset d = { 0 };
    nn_synth_spirals(1024, 0.02f, 3, &d);
    nn_layer_spec s[] = { act(NN_LAYER_FLATTEN), lin(64), act(NN_LAYER_RELU), lin(64),
                          act(NN_LAYER_RELU), lin(2) };
    s[1].init = s[3].init = NN_INIT_KAIMING_UNIFORM;
    dls_error e;
    nn_model *m = nn_model_new(s, 6, d.c, d.h, d.w, NULL, 1, &e);
    nn_optim_config c = nn_optim_config_default(NN_OPTIM_ADAM);
    c.lr = 0.01f;
    nn_optim *o = nn_optim_new(m, &c, &e);
    double first, last;
    train(m, o, &d, 64, 1500, NN_LOSS_CROSS_ENTROPY, 0, &first, &last);
    nn_eval_result r;
    CHECK(nn_model_evaluate(m, &d, 256, NN_LOSS_CROSS_ENTROPY, &r, &e) == DLS_OK);
    if (r.accuracy < 0.9) fprintf(stderr, "  spirals: loss %.3f -> %.3f, accuracy %.3f\n", first, last, r.accuracy);
    CHECK(last < first * 0.5);
    CHECK(r.accuracy > 0.9);
    nn_optim_free(o);
    nn_model_free(m);
    nn_dataset_free(&d);
}

static void test_xor_bce(void) {
    nn_dataset d = { 0 };
    nn_synth_xor(512, 0.1f, 4, &d);
    nn_layer_spec s[] = { act(NN_LAYER_FLATTEN), lin(8), act(NN_LAYER_TANH), lin(1) };
    dls_error e;
    nn_model *m = nn_model_new(s, 4, d.c, d.h, d.w, NULL, 2, &e);
    nn_optim_config c = nn_optim_config_default(NN_OPTIM_SGD);
    c.lr = 0.2f;
    c.momentum = 0.9f;
    nn_optim *o = nn_optim_new(m, &c, &e);
    double first, last;
    train(m, o, &d, 32, 400, NN_LOSS_BCE, 1, &first, &last);
    nn_eval_result r;
    CHECK(nn_model_evaluate(m, &d, 128, NN_LOSS_BCE, &r, &e) == DLS_OK);
    CHECK(last < first * 0.5);
    CHECK(r.accuracy > 0.95);   /* one output: logit > 0 is class 1 */
    nn_optim_free(o);
    nn_model_free(m);
    nn_dataset_free(&d);
}

static void test_sine_mse(void) {
    nn_dataset d = { 0 };
    nn_synth_sine(512, 0.0f, 5, &d);
    nn_layer_spec s[] = { act(NN_LAYER_FLATTEN), lin(32), act(NN_LAYER_TANH), lin(1) };
    dls_error e;
    nn_model *m = nn_model_new(s, 4, d.c, d.h, d.w, NULL, 3, &e);
    nn_optim_config c = nn_optim_config_default(NN_OPTIM_RMSPROP);
    c.lr = 0.005f;
    nn_optim *o = nn_optim_new(m, &c, &e);
    double first, last;
    train(m, o, &d, 32, 1500, NN_LOSS_MSE, 1, &first, &last);
    if (!(last < 0.02)) fprintf(stderr, "  sine: mse %.4f -> %.4f\n", first, last);
    CHECK(last < first * 0.1);
    CHECK(last < 0.02);
    nn_optim_free(o);
    nn_model_free(m);
    nn_dataset_free(&d);
}

/* 12x12 images with one bright bar, horizontal (class 0) or vertical (class 1), at a
 * random place, plus noise. */
static void make_bars(int n, nn_dataset *d) {
    d->n = n; d->c = 1; d->h = 12; d->w = 12; d->classes = 2;
    d->x = calloc((size_t)n * 144, sizeof *d->x);
    d->y = calloc((size_t)n, sizeof *d->y);
    snprintf(d->name, sizeof d->name, "bars");
    for (int i = 0; i < n; i++) {
        int cls = i % 2, pos = 1 + (int)(nn_rng_u64(8, 1, (uint64_t)i) % 10);
        float *x = d->x + (size_t)i * 144;
        for (int k = 0; k < 144; k++) x[k] = 0.3f * nn_rng_uniform(8, 2, (uint64_t)i * 144 + k);
        for (int k = 2; k < 10; k++) x[cls ? k * 12 + pos : pos * 12 + k] += 1.0f;
        d->y[i] = cls;
    }
}

static const nn_layer_spec small_cnn[] = {
    { .kind = NN_LAYER_CONV2D, .out = 8, .kernel = 3, .stride = 1, .padding = 1 },
    { .kind = NN_LAYER_RELU },
    { .kind = NN_LAYER_MAXPOOL2D, .kernel = 2, .stride = 2 },
    { .kind = NN_LAYER_CONV2D, .out = 8, .kernel = 3, .stride = 1, .padding = 1 },
    { .kind = NN_LAYER_RELU },
    { .kind = NN_LAYER_MAXPOOL2D, .kernel = 2, .stride = 2 },
    { .kind = NN_LAYER_FLATTEN },
    { .kind = NN_LAYER_LINEAR, .out = 16 },
    { .kind = NN_LAYER_RELU },
    { .kind = NN_LAYER_DROPOUT, .p = 0.25f },
    { .kind = NN_LAYER_LINEAR, .out = 2 },
};

static void test_cnn_bars(void) {
    nn_dataset d = { 0 };
    make_bars(512, &d);
    dls_error e;
    nn_model *m = nn_model_new(small_cnn, 11, 1, 12, 12, NULL, 4, &e);
    nn_optim_config c = nn_optim_config_default(NN_OPTIM_ADAM);
    c.lr = 3e-3f;
    nn_optim *o = nn_optim_new(m, &c, &e);
    double first, last;
    train(m, o, &d, 32, 300, NN_LOSS_CROSS_ENTROPY, 0, &first, &last);
    nn_eval_result r;
    CHECK(nn_model_evaluate(m, &d, 100, NN_LOSS_CROSS_ENTROPY, &r, &e) == DLS_OK);
    if (r.accuracy < 0.95) fprintf(stderr, "  bars: loss %.3f -> %.3f, accuracy %.3f\n", first, last, r.accuracy);
    CHECK(last < first * 0.5);
    CHECK(r.accuracy > 0.95);
    CHECK(nn_model_training(m));   /* evaluate restores the mode */
    /* per-layer gradient norms after a step: the convs and linears have them */
    CHECK(nn_model_grad_norm(m, 0) > 0 && nn_model_grad_norm(m, 10) > 0);
    CHECK(nn_model_grad_norm(m, 1) == 0);
    nn_optim_free(o);
    nn_model_free(m);
    nn_dataset_free(&d);
}

/* Trains the small CNN for a few steps and returns its outputs on a fixed batch. */
static void run_once(uint64_t seed, int threads, const nn_dataset *d, float *out, float *loss) {
    nn_set_threads(threads);
    dls_error e;
    nn_model *m = nn_model_new(small_cnn, 11, 1, 12, 12, NULL, seed, &e);
    nn_optim_config c = nn_optim_config_default(NN_OPTIM_ADAM);
    nn_optim *o = nn_optim_new(m, &c, &e);
    /* two runs that failed alike would compare equal: every step must succeed */
    int ok = 1;
    for (int s = 0; s < 20 && ok; s++)
        ok = nn_model_train_step(m, o, d->x + (size_t)(s % 8) * 64 * 144, d->y + (s % 8) * 64,
                                 NULL, 64, NN_LOSS_CROSS_ENTROPY, loss, &e) == DLS_OK;
    nn_model_set_training(m, 0);
    ok = ok && nn_model_forward(m, d->x, 64, NULL, &e) == DLS_OK;
    CHECK(ok);
    nn_model_output(m, out);
    nn_optim_free(o);
    nn_model_free(m);
}

static void test_repeatable(void) {
    nn_dataset d = { 0 };
    make_bars(512, &d);
    float a[128], b[128], c[128], la, lb, lc;
    for (int threads = 1; threads <= 2; threads++) {
        run_once(77, threads, &d, a, &la);
        run_once(77, threads, &d, b, &lb);
        CHECK(memcmp(a, b, sizeof a) == 0);   /* bit for bit */
        CHECK(memcmp(&la, &lb, sizeof la) == 0);
    }
    run_once(78, 2, &d, c, &lc);
    CHECK(memcmp(a, c, sizeof a) != 0);        /* another seed, another run */
    nn_dataset_free(&d);
}

/* The workspace grows when a bigger batch or more threads come, and results per
 * example do not depend on the batch they came in. */
static void test_workspace_growth(void) {
    nn_dataset d = { 0 };
    make_bars(300, &d);
    dls_error e;
    nn_set_threads(1);
    nn_model *m = nn_model_new(small_cnn, 11, 1, 12, 12, NULL, 9, &e);
    nn_optim_config c = nn_optim_config_default(NN_OPTIM_ADAM);
    nn_optim *o = nn_optim_new(m, &c, &e);
    float l;
    CHECK(nn_model_train_step(m, o, d.x, d.y, NULL, 8, NN_LOSS_CROSS_ENTROPY, &l, &e) == DLS_OK);
    nn_set_threads(2);   /* more threads than the workspace was sized for */
    CHECK(nn_model_train_step(m, o, d.x, d.y, NULL, 64, NN_LOSS_CROSS_ENTROPY, &l, &e) == DLS_OK);
    nn_model_set_training(m, 0);
    float small[4 * 2], big[300 * 2];
    CHECK(nn_model_forward(m, d.x, 4, NULL, &e) == DLS_OK);
    nn_model_output(m, small);
    CHECK(nn_model_forward(m, d.x, 300, NULL, &e) == DLS_OK);   /* grows to 300 */
    nn_model_output(m, big);
    double worst = 0;
    for (int i = 0; i < 8; i++) worst = fmax(worst, fabs(small[i] - big[i]));
    CHECK(worst < 1e-5);
    CHECK(nn_model_forward(m, d.x, 4, NULL, &e) == DLS_OK);     /* and back */
    nn_model_output(m, big);
    CHECK(memcmp(small, big, sizeof small) == 0);
    const nn_tensor *out;
    CHECK(nn_model_forward(m, d.x, 7, &out, &e) == DLS_OK);
    CHECK(out->ndim == 2 && out->shape[0] == 7 && out->shape[1] == 2);
    CHECK(nn_model_forward(m, d.x, 0, NULL, &e) == DLS_ERR_INVALID);
    nn_optim_free(o);
    nn_model_free(m);
    nn_dataset_free(&d);
}

int main(void) {
    test_workspace_growth();
    nn_set_threads(2);
    test_spirals();
    test_xor_bce();
    test_sine_mse();
    test_cnn_bars();
    test_repeatable();
    return test_done("test_train");
}
