/* test_mnist_train.c: end to end on real data: the engine trains the reference MLP on
 * 2,000 MNIST training images (Adam 1e-3, batch 32, two epochs through the seeded loader): the loss
 * must fall and the accuracy on 1,000 test images must beat chance (10%) by far; the
 * same seed must repeat the run bit for bit; the CNN's loss must fall within 50 steps.
 * Skipped when ../shared/datasets/mnist is absent. Never timed. */
#include "engine/nn.h"
#include "tests/test.h"

#include <stdlib.h>
#include <unistd.h>

#define MNIST_DIR "../shared/datasets/mnist"
#define BATCH 32

/* The benchmark's reference models (nn.h), so the figures quoted for them and this test
 * speak of one network. */
static nn_model *reference_new(nn_reference_model model, uint64_t seed, dls_error *e) {
    nn_layer_spec s[NN_REFERENCE_MAX_LAYERS];
    int n = nn_reference_specs(model, s);
    return nn_model_new(s, n, 1, 28, 28, NULL, seed, e);
}

/* Trains model for `steps` batches from the loader (seed 7); losses[i] gets each step's
 * loss. Returns DLS_OK or the first error. */
static int train(nn_model *m, const nn_dataset *d, int steps, float *losses, dls_error *e) {
    nn_optim_config cfg = nn_optim_config_default(NN_OPTIM_ADAM);
    nn_optim *o = nn_optim_new(m, &cfg, e);
    if (!o) return e->code;
    nn_loader l;
    nn_loader_init(&l, d, BATCH, 7, NN_LOADER_SHUFFLE);
    float *x = xmalloc(sizeof(float) * BATCH * 784);
    int y[BATCH], rc = DLS_OK;
    for (int s = 0; s < steps && rc == DLS_OK;) {
        int b = nn_loader_next(&l, x, y, NULL);
        if (b == 0) continue; /* epoch over: the next call reshuffles */
        rc = nn_model_train_step(m, o, x, y, NULL, b, NN_LOSS_CROSS_ENTROPY, &losses[s++], e);
    }
    free(x);
    nn_loader_deinit(&l);
    nn_optim_free(o);
    return rc;
}

static double mean(const float *v, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) s += v[i];
    return s / n;
}

int main(void) {
    if (access(MNIST_DIR "/train-images-idx3-ubyte.gz", R_OK) != 0) {
        test_skip("mnist training", MNIST_DIR " is absent");
        return test_done("test_mnist_train");
    }
    nn_set_threads(1);
    dls_error e = {0};
    nn_dataset tr = {0}, te = {0}, sub = {0};
    nn_load_opts tr_opts = { NN_NORM_MNIST, 1, 6000 }, te_opts = { NN_NORM_MNIST, 1, 1000 };
    int rc = nn_idxset_load(NN_SET_MNIST, MNIST_DIR, NN_SPLIT_TRAIN, &tr_opts, &tr, &e);
    if (rc == DLS_OK) rc = nn_idxset_load(NN_SET_MNIST, MNIST_DIR, NN_SPLIT_TEST, &te_opts, &te, &e);
    CHECK(rc == DLS_OK);
    if (rc != DLS_OK) {
        fprintf(stderr, "  %s\n", e.msg);
        return test_done("test_mnist_train");
    }
    nn_dataset_subset(&tr, 2000, NN_SUBSET_STRATIFIED, &sub);
    CHECK(sub.n == 2000 && te.n == 1000);

    /* MLP: 125 steps = two epochs of 2,000 images */
    enum { STEPS = 125 };
    float l1[STEPS], l2[STEPS];
    nn_model *m = reference_new(NN_REFERENCE_MLP, 3, &e);
    CHECK(m != NULL);
    if (m) {
        CHECK(train(m, &sub, STEPS, l1, &e) == DLS_OK);
        double first = mean(l1, 10), last = mean(l1 + STEPS - 10, 10);
        fprintf(stderr, "mlp: loss %.3f -> %.3f\n", first, last);
        CHECK(first > 1.5);          /* about ln 10 = 2.30 at the start */
        CHECK(last < 0.5 * first);
        nn_eval_result r = {0};
        CHECK(nn_model_evaluate(m, &te, 250, NN_LOSS_CROSS_ENTROPY, &r, &e) == DLS_OK);
        fprintf(stderr, "mlp: test accuracy %.1f%% on %d images\n", 100 * r.accuracy, r.n);
        CHECK(r.n == 1000);
        CHECK(r.accuracy > 0.80);
        nn_model_free(m);
    }
    /* the same seed and thread count repeat the run bit for bit */
    m = reference_new(NN_REFERENCE_MLP, 3, &e);
    if (m) {
        CHECK(train(m, &sub, STEPS, l2, &e) == DLS_OK);
        CHECK(!memcmp(l1, l2, sizeof l1));
        nn_model_free(m);
    }

    /* CNN: the loss falls within 50 steps */
    float lc[50];
    m = reference_new(NN_REFERENCE_CNN, 5, &e);
    CHECK(m != NULL);
    if (m) {
        CHECK(train(m, &sub, 50, lc, &e) == DLS_OK);
        double first = mean(lc, 5), last = mean(lc + 45, 5);
        fprintf(stderr, "cnn: loss %.3f -> %.3f\n", first, last);
        CHECK(last < 0.6 * first);
        nn_model_free(m);
    }
    nn_dataset_free(&sub);
    nn_dataset_free(&tr);
    nn_dataset_free(&te);
    return test_done("test_mnist_train");
}
