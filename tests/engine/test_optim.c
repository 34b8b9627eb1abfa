/* test_optim.c: optimizer updates against steps computed by hand (SGD, momentum,
 * Nesterov, weight decay, Adam, AdamW, RMSprop), the vectorised and scalar paths
 * agreeing, learning-rate schedules, config validation and the optimizer object. */
#include <stdlib.h>

#include "engine/backend.h"
#include "tests/test.h"

#define N 37   /* two AVX-512 blocks and a scalar tail */

static const nn_backend *be = &nn_backend_cpu;

/* Runs `steps` updates with constant gradient g from w = 1; returns w (all N equal). */
static double run(nn_optim_config c, int steps, float g0, int *uniform) {
    float w[N], g[N], s1[N] = { 0 }, s2[N] = { 0 };
    for (int i = 0; i < N; i++) { w[i] = 1.0f; g[i] = g0; }
    for (int t = 1; t <= steps; t++) be->optim_update(&c, nn_sched_lr(&c, t - 1), t, N, w, g, s1, s2);
    *uniform = 1;
    for (int i = 1; i < N; i++) *uniform &= w[i] == w[0];
    return w[0];
}

static void test_updates(void) {
    int u;
    nn_optim_config c = nn_optim_config_default(NN_OPTIM_SGD);
    c.lr = 0.1f;
    CHECK_NEAR(run(c, 1, 0.5f, &u), 0.95, 1e-7);            /* 1 - 0.1 * 0.5 */
    CHECK(u);
    c.momentum = 0.9f;
    CHECK_NEAR(run(c, 2, 0.5f, &u), 0.855, 1e-6);           /* buf 0.5 then 0.95 */
    c.nesterov = 1;
    CHECK_NEAR(run(c, 1, 0.5f, &u), 0.905, 1e-6);           /* g + 0.9 buf = 0.95 */
    c = nn_optim_config_default(NN_OPTIM_SGD);
    c.lr = 0.1f;
    c.weight_decay = 0.1f;
    CHECK_NEAR(run(c, 1, 0.5f, &u), 0.94, 1e-6);            /* g + 0.1 w = 0.6 */

    /* Adam: the first step moves by lr whatever the gradient's size (bias correction) */
    c = nn_optim_config_default(NN_OPTIM_ADAM);
    c.lr = 0.1f;
    CHECK_NEAR(run(c, 1, 0.5f, &u), 0.9, 1e-6);
    CHECK(u);
    CHECK_NEAR(run(c, 1, 1e-3f, &u), 0.9, 1e-5);
    /* three steps, by the formulas in double */
    double w = 1, m = 0, v = 0;
    for (int t = 1; t <= 3; t++) {
        double g = 0.5;
        m = 0.9 * m + 0.1 * g;
        v = 0.999 * v + 0.001 * g * g;
        w -= 0.1 * (m / (1 - pow(0.9, t))) / (sqrt(v / (1 - pow(0.999, t))) + 1e-8);
    }
    CHECK_NEAR(run(c, 3, 0.5f, &u), w, 1e-5);
    CHECK(u);
    c.weight_decay = 0.1f;                                  /* L2: g + 0.1 w */
    CHECK_NEAR(run(c, 1, 0.5f, &u), 0.9, 1e-5);             /* still lr on step 1 */
    c = nn_optim_config_default(NN_OPTIM_ADAMW);
    c.lr = 0.1f;
    c.weight_decay = 0.1f;
    CHECK_NEAR(run(c, 1, 0.5f, &u), 1 * (1 - 0.01) - 0.1, 1e-6);   /* decoupled decay */

    c = nn_optim_config_default(NN_OPTIM_RMSPROP);
    CHECK_NEAR(run(c, 1, 0.5f, &u), 1 - 0.01 * 0.5 / sqrt(0.01 * 0.25), 1e-6);   /* 0.9 */
    c.momentum = 0.5f;
    double sq1 = 0.01 * 0.25, sq2 = 0.99 * sq1 + 0.01 * 0.25;
    double b1 = 0.5 / sqrt(sq1), b2 = 0.5 * b1 + 0.5 / sqrt(sq2);
    CHECK_NEAR(run(c, 2, 0.5f, &u), 1 - 0.01 * b1 - 0.01 * b2, 1e-5);
}

static void test_schedules(void) {
    nn_optim_config c = nn_optim_config_default(NN_OPTIM_SGD);
    c.lr = 0.1f;
    CHECK_NEAR(nn_sched_lr(&c, 12345), 0.1, 1e-7);
    c.sched = NN_SCHED_STEP;
    c.step_size = 10;
    c.gamma = 0.5f;
    CHECK_NEAR(nn_sched_lr(&c, 9), 0.1, 1e-7);
    CHECK_NEAR(nn_sched_lr(&c, 10), 0.05, 1e-7);
    CHECK_NEAR(nn_sched_lr(&c, 25), 0.025, 1e-7);
    c.sched = NN_SCHED_COSINE;
    c.total_steps = 100;
    c.lr_min = 0.001f;
    CHECK_NEAR(nn_sched_lr(&c, 0), 0.1, 1e-7);
    CHECK_NEAR(nn_sched_lr(&c, 50), 0.0505, 1e-6);
    CHECK_NEAR(nn_sched_lr(&c, 100), 0.001, 1e-7);
    CHECK_NEAR(nn_sched_lr(&c, 1000), 0.001, 1e-7);
    nn_sched_kind k;
    CHECK(nn_sched_kind_parse("cosine", &k, NULL) == DLS_OK && k == NN_SCHED_COSINE);
}

static void test_object(void) {
    dls_error e = { 0 };
    nn_layer_spec s[] = { { .kind = NN_LAYER_LINEAR, .out = 2 } };
    nn_model *m = nn_model_new(s, 1, 3, 1, 1, NULL, 1, &e);
    nn_optim_config bad = nn_optim_config_default(NN_OPTIM_ADAM);
    bad.lr = -1;
    CHECK(nn_optim_new(m, &bad, &e) == NULL && e.code == DLS_ERR_INVALID);
    CHECK(strstr(e.msg, "learning rate") != NULL);
    bad = nn_optim_config_default(NN_OPTIM_ADAM);
    bad.beta2 = 1.0f;
    CHECK(nn_optim_new(m, &bad, &e) == NULL);
    nn_optim_config c = nn_optim_config_default(NN_OPTIM_SGD);
    c.lr = 0.02f;
    c.sched = NN_SCHED_STEP;
    c.step_size = 1;
    c.gamma = 0.1f;
    nn_optim *o = nn_optim_new(m, &c, &e);
    CHECK(o != NULL);
    float x[3] = { 1, 2, 3 }, t[2] = { 0, 0 }, l0, l1;
    CHECK(nn_optim_lr(o) == 0.02f);
    CHECK(nn_model_train_step(m, o, x, NULL, t, 1, NN_LOSS_MSE, &l0, &e) == DLS_OK);
    CHECK(nn_optim_steps(o) == 1);
    CHECK_NEAR(nn_optim_lr(o), 0.002, 1e-8);
    CHECK(nn_model_train_step(m, o, x, NULL, t, 1, NN_LOSS_MSE, &l1, &e) == DLS_OK);
    CHECK(l1 < l0);
    CHECK(nn_optim_get_config(o)->kind == NN_OPTIM_SGD);
    nn_optim_free(o);
    nn_model_free(m);
}

int main(void) {
    test_updates();
    test_schedules();
    test_object();
    return test_done("test_optim");
}
