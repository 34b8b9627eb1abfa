/* test_checkpoint.c: checkpoint round trip (training resumes bit for bit), metadata,
 * and rejection of truncated, corrupt, wrong-version, foreign and mismatched files. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/nn.h"
#include "tests/test.h"

#define N_EX 16

static nn_layer_spec S(nn_layer_kind k, int out) {
    nn_layer_spec s = nn_layer_spec_default(k);
    s.out = out;
    return s;
}

static const nn_layer_spec net[] = {
    { .kind = NN_LAYER_CONV2D, .out = 4, .kernel = 3, .stride = 1, .padding = 1 },
    { .kind = NN_LAYER_BATCHNORM },
    { .kind = NN_LAYER_RELU },
    { .kind = NN_LAYER_MAXPOOL2D, .kernel = 2, .stride = 2 },
    { .kind = NN_LAYER_FLATTEN },
    { .kind = NN_LAYER_LINEAR, .out = 16 },
    { .kind = NN_LAYER_RELU },
    { .kind = NN_LAYER_DROPOUT, .p = 0.25f },
    { .kind = NN_LAYER_LINEAR, .out = 3 },
};
#define N_NET ((int)(sizeof net / sizeof *net))

static float x[N_EX * 36];
static int   y[N_EX];

static void make_data(void) {
    for (int i = 0; i < N_EX * 36; i++) x[i] = nn_rng_uniform(5, 0, (uint64_t)i);
    for (int i = 0; i < N_EX; i++) y[i] = i % 3;
}

static void train(nn_model *m, nn_optim *o, int steps, float *losses) {
    for (int s = 0; s < steps; s++) {
        float l;
        CHECK(nn_model_train_step(m, o, x, y, NULL, N_EX, NN_LOSS_CROSS_ENTROPY, &l, NULL) == DLS_OK);
        if (losses) losses[s] = l;
    }
}

static char *tmp_path(const char *name) {
    return xasprintf("/tmp/dls_test_ckpt_%ld_%s", (long)getpid(), name);
}

static void write_bytes(const char *path, const char *data, size_t n) {
    FILE *f = fopen(path, "wb");
    fwrite(data, 1, n, f);
    fclose(f);
}

static void test_round_trip(void) {
    dls_error e = { 0 };
    char *path = tmp_path("a.ckpt");
    nn_optim_config cfg = nn_optim_config_default(NN_OPTIM_ADAM);
    nn_model *a = nn_model_new(net, N_NET, 1, 6, 6, NULL, 11, &e);
    nn_optim *oa = nn_optim_new(a, &cfg, &e);
    train(a, oa, 5, NULL);
    CHECK(nn_checkpoint_save(path, a, oa, "lab=test\nepoch=5\n", &e) == DLS_OK);
    float la[5], lb[5];
    train(a, oa, 5, la);

    /* a model from another seed, restored from the file, continues identically */
    nn_model *b = nn_model_new(net, N_NET, 1, 6, 6, NULL, 999, &e);
    nn_optim *ob = nn_optim_new(b, &cfg, &e);
    char *meta = NULL;
    CHECK(nn_checkpoint_load(path, b, ob, &meta, &e) == DLS_OK);
    CHECK_STR(meta, "lab=test\nepoch=5\n");
    CHECK(nn_optim_steps(ob) == 5);
    train(b, ob, 5, lb);
    int same = 1;
    for (int i = 0; i < 5; i++) same &= la[i] == lb[i];
    CHECK(same);
    free(meta);

    /* eval mode uses the batch-norm running statistics: they came back too */
    float ya[N_EX * 3], yb[N_EX * 3];
    nn_model_set_training(a, 0);
    nn_model_set_training(b, 0);
    CHECK(nn_model_forward(a, x, N_EX, NULL, &e) == DLS_OK);
    nn_model_output(a, ya);
    CHECK(nn_model_forward(b, x, N_EX, NULL, &e) == DLS_OK);
    nn_model_output(b, yb);
    CHECK(memcmp(ya, yb, sizeof ya) == 0);

    nn_layer_spec *specs = NULL;
    int n, c, h, w;
    CHECK(nn_checkpoint_read_arch(path, &specs, &n, &c, &h, &w, NULL, &e) == DLS_OK);
    CHECK(n == N_NET && c == 1 && h == 6 && w == 6);
    CHECK(specs && specs[0].kind == NN_LAYER_CONV2D && specs[0].out == 4 && specs[7].p == 0.25f);
    free(specs);

    /* an optimizer of another kind is refused, and leaves the model alone */
    nn_optim_config sgd = nn_optim_config_default(NN_OPTIM_SGD);
    nn_optim *os = nn_optim_new(b, &sgd, &e);
    CHECK(nn_checkpoint_load(path, b, os, NULL, &e) == DLS_ERR_MISMATCH);
    CHECK(strstr(e.msg, "adam") != NULL);
    nn_optim_free(os);

    nn_optim_free(oa);
    nn_optim_free(ob);
    nn_model_free(a);
    nn_model_free(b);
    unlink(path);
    free(path);
}

static void test_rejections(void) {
    dls_error e = { 0 };
    char *path = tmp_path("b.ckpt"), *bad = tmp_path("bad.ckpt");
    nn_model *m = nn_model_new(net, N_NET, 1, 6, 6, NULL, 3, &e);
    CHECK(nn_checkpoint_save(path, m, NULL, NULL, &e) == DLS_OK);
    char  *data;
    size_t len;
    CHECK(dls_read_file(path, 0, &data, &len, &e) == DLS_OK);

    write_bytes(bad, data, len / 2);                       /* truncated */
    CHECK(nn_checkpoint_load(bad, m, NULL, NULL, &e) == DLS_ERR_CORRUPT);
    CHECK(strstr(e.msg, bad) != NULL && strstr(e.msg, "truncated") != NULL);

    data[len / 2] ^= 0x40;                                 /* one flipped bit */
    write_bytes(bad, data, len);
    CHECK(nn_checkpoint_load(bad, m, NULL, NULL, &e) == DLS_ERR_CORRUPT);
    CHECK(strstr(e.msg, "checksum") != NULL);
    data[len / 2] ^= 0x40;

    data[8] = 9;                                           /* another version */
    write_bytes(bad, data, len);
    CHECK(nn_checkpoint_load(bad, m, NULL, NULL, &e) == DLS_ERR_UNSUPPORTED);
    CHECK(strstr(e.msg, "version 9") != NULL);
    data[8] = 1;

    write_bytes(bad, "hello, world\n", 13);                /* not a checkpoint */
    CHECK(nn_checkpoint_load(bad, m, NULL, NULL, &e) == DLS_ERR_PARSE);
    CHECK(nn_checkpoint_load("/nonexistent/dir/x.ckpt", m, NULL, NULL, &e) == DLS_ERR_IO);

    /* another architecture: a different hidden width in layer 6 */
    nn_layer_spec other[N_NET];
    memcpy(other, net, sizeof other);
    other[5] = S(NN_LAYER_LINEAR, 32);
    nn_model *m2 = nn_model_new(other, N_NET, 1, 6, 6, NULL, 3, &e);
    CHECK(nn_checkpoint_load(path, m2, NULL, NULL, &e) == DLS_ERR_MISMATCH);
    CHECK(strstr(e.msg, "layer 6") != NULL);
    nn_model *m3 = nn_model_new(net, N_NET, 1, 8, 8, NULL, 3, &e);   /* another input */
    CHECK(nn_checkpoint_load(path, m3, NULL, NULL, &e) == DLS_ERR_MISMATCH);
    CHECK(strstr(e.msg, "6x6") != NULL || strstr(e.msg, "1x6x6") != NULL);

    /* the save is atomic: a failed save leaves no file and no temp file behind */
    CHECK(nn_checkpoint_save("/nonexistent/dir/x.ckpt", m, NULL, NULL, &e) == DLS_ERR_IO);
    /* a save that fails at the last step (rename over a folder) removes its temp file */
    char *dir = tmp_path("dir.ckpt"), *tmp = xasprintf("%s.tmp.%ld", dir, (long)getpid());
    CHECK(mkdir(dir, 0700) == 0);
    CHECK(nn_checkpoint_save(dir, m, NULL, NULL, &e) == DLS_ERR_IO);
    CHECK(strstr(e.msg, "rename") != NULL);
    CHECK(access(tmp, F_OK) != 0);
    CHECK(rmdir(dir) == 0);
    free(tmp);
    free(dir);

    free(data);
    nn_model_free(m);
    nn_model_free(m2);
    nn_model_free(m3);
    unlink(path);
    unlink(bad);
    free(path);
    free(bad);
}

int main(void) {
    nn_set_threads(2);
    make_data();
    test_round_trip();
    test_rejections();
    return test_done("test_checkpoint");
}
