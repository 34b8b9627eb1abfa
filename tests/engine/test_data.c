/* test_data.c: the data layer: the IDX reader and MNIST loader on the real files
 * (counts, label histograms, first labels, checksums) and on broken copies written to
 * a temp folder (truncated, wrong magic, wrong size, bad labels, flipped bytes,
 * recompressed); synthetic sets; subsets; the shuffling loader. MNIST parts are
 * skipped when ../shared/datasets/mnist is absent. */
#include "engine/nn_data.h"
#include "tests/test.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define MNIST_DIR "../shared/datasets/mnist"

static char tmpdir[64];

/* The uncompressed bytes of a (possibly gzipped) file; *n gets the length. */
static unsigned char *slurp(const char *path, size_t *n) {
    gzFile f = gzopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 20, len = 0;
    unsigned char *buf = xmalloc(cap);
    int r;
    while ((r = gzread(f, buf + len, (unsigned)(cap - len))) > 0) {
        len += (size_t)r;
        if (len == cap) buf = xrealloc(buf, cap *= 2);
    }
    gzclose(f);
    *n = len;
    return buf;
}

/* Writes bytes to tmpdir/sub/name, gzipped at level (0 = plain file). */
static void put_file(const char *sub, const char *name, const void *p, size_t n, int level) {
    char *d = xasprintf("%s/%s", tmpdir, sub);
    mkdir(d, 0700);
    char *path = xasprintf("%s/%s", d, name);
    if (level > 0) {
        char mode[4] = { 'w', 'b', (char)('0' + level), 0 };
        gzFile f = gzopen(path, mode);
        DLS_ASSERT(f && gzwrite(f, p, (unsigned)n) == (int)n);
        gzclose(f);
    } else {
        FILE *f = fopen(path, "wb");
        DLS_ASSERT(f && fwrite(p, 1, n, f) == n);
        fclose(f);
    }
    free(path);
    free(d);
}

static int has(const char *hay, const char *needle) { return strstr(hay, needle) != NULL; }

static void test_mnist_good(void) {
    nn_dataset tr = {0}, te = {0};
    dls_error e = {0};
    CHECK(nn_mnist_load(MNIST_DIR, NN_SPLIT_TRAIN, &tr, &e) == DLS_OK);
    CHECK(nn_mnist_load(MNIST_DIR, NN_SPLIT_TEST, &te, &e) == DLS_OK);
    if (e.code) fprintf(stderr, "  %s\n", e.msg);
    CHECK(tr.n == 60000 && te.n == 10000);
    CHECK(tr.c == 1 && tr.h == 28 && tr.w == 28 && tr.classes == 10);
    CHECK_STR(tr.name, "mnist-train");
    CHECK_STR(te.name, "mnist-test");
    /* label histograms from ../shared/datasets/mnist/README.md */
    static const int want_tr[10] = { 5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949 };
    static const int want_te[10] = { 980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009 };
    int h[10];
    if (tr.y) {
        nn_dataset_histogram(&tr, h);
        CHECK(!memcmp(h, want_tr, sizeof h));
        static const int first_tr[10] = { 5, 0, 4, 1, 9, 2, 1, 3, 1, 4 };
        CHECK(!memcmp(tr.y, first_tr, sizeof first_tr));
    }
    if (te.y) {
        nn_dataset_histogram(&te, h);
        CHECK(!memcmp(h, want_te, sizeof h));
        static const int first_te[10] = { 7, 2, 1, 0, 4, 1, 4, 9, 5, 9 };
        CHECK(!memcmp(te.y, first_te, sizeof first_te));
    }
    if (tr.x) {
        /* unit pixels; MNIST's own mean and std come out of the data */
        double s = 0, s2 = 0, lo = 1, hi = 0;
        size_t cnt = (size_t)tr.n * 784;
        for (size_t i = 0; i < cnt; i++) {
            double v = tr.x[i];
            s += v, s2 += v * v;
            if (v < lo) lo = v;
            if (v > hi) hi = v;
        }
        double mean = s / cnt, sd = sqrt(s2 / cnt - mean * mean);
        CHECK(lo == 0.0 && hi == 1.0);
        CHECK_NEAR(mean, NN_MNIST_MEAN, 1e-3);
        CHECK_NEAR(sd, NN_MNIST_STD, 1e-3);
        /* the 1st training image (a 5): its 153rd pixel is the first ink, 3/255 */
        CHECK_NEAR(tr.x[152], 3.0 / 255.0, 1e-7);
        nn_dataset_standardize(&tr, NN_MNIST_MEAN, NN_MNIST_STD);
        s = s2 = 0;
        for (size_t i = 0; i < cnt; i++) s += tr.x[i], s2 += (double)tr.x[i] * tr.x[i];
        mean = s / cnt;
        CHECK_NEAR(mean, 0.0, 1e-3);
        CHECK_NEAR(sqrt(s2 / cnt - mean * mean), 1.0, 1e-3);
    }

    /* NN_NORM_MNIST at load time equals standardising afterwards; limit keeps the first */
    nn_dataset te2 = {0};
    nn_load_opts o = { NN_NORM_MNIST, 1, 100 };
    CHECK(nn_idxset_load(NN_SET_MNIST, MNIST_DIR, NN_SPLIT_TEST, &o, &te2, &e) == DLS_OK);
    CHECK(te2.n == 100);
    if (te2.x && te.x) {
        nn_dataset_standardize(&te, NN_MNIST_MEAN, NN_MNIST_STD);
        double worst = 0;
        for (int i = 0; i < 100 * 784; i++) worst = fmax(worst, fabs(te2.x[i] - te.x[i]));
        CHECK(worst < 1e-5);
        CHECK(!memcmp(te2.y, te.y, 100 * sizeof(int)));
    }

    /* subsets: first N and stratified (class proportions kept within one) */
    nn_dataset sub = {0};
    nn_dataset_subset(&te, 50, NN_SUBSET_FIRST, &sub);
    CHECK(sub.n == 50 && !memcmp(sub.y, te.y, 50 * sizeof(int)) && !memcmp(sub.x, te.x, 50 * 784 * sizeof(float)));
    nn_dataset_free(&sub);
    nn_dataset_subset(&tr, 1000, NN_SUBSET_STRATIFIED, &sub);
    CHECK(sub.n == 1000);
    nn_dataset_histogram(&sub, h);
    int sum = 0, close = 1;
    for (int c = 0; c < 10; c++) {
        sum += h[c];
        double want = 1000.0 * want_tr[c] / 60000.0;
        if (fabs(h[c] - want) > 1.0) close = 0;
    }
    CHECK(sum == 1000 && close);
    /* each class's first examples in file order: the first label 5 of the subset is
     * the first 5 of the training set, example 0 */
    int first5 = -1;
    for (int i = 0; i < sub.n && first5 < 0; i++) if (sub.y[i] == 5) first5 = i;
    CHECK(first5 == 0 && !memcmp(sub.x, tr.x, 784 * sizeof(float)));
    nn_dataset_free(&sub);

    CHECK(nn_idxset_verify(NN_SET_MNIST, MNIST_DIR, &e) == DLS_OK);
    nn_dataset_free(&tr);
    nn_dataset_free(&te);
    nn_dataset_free(&te2);
    nn_dataset_free(&te2); /* freeing twice is a no-op */
}

static void test_mnist_broken(void) {
    size_t nimg, nlab;
    unsigned char *img = slurp(MNIST_DIR "/t10k-images-idx3-ubyte.gz", &nimg);
    unsigned char *lab = slurp(MNIST_DIR "/t10k-labels-idx1-ubyte.gz", &nlab);
    CHECK(img && lab && nimg == 7840016 && nlab == 10008);
    if (!img || !lab) return;
    dls_error e = {0};
    nn_dataset d = {0};
    nn_load_opts noverify = { NN_NORM_UNIT, 0, 0 };

    /* recompressed (level 1) and uncompressed copies: accepted, by content checksum */
    put_file("recompressed", "t10k-images-idx3-ubyte.gz", img, nimg, 1);
    put_file("recompressed", "t10k-labels-idx1-ubyte.gz", lab, nlab, 9);
    char *dir = xasprintf("%s/recompressed", tmpdir);
    CHECK(nn_mnist_load(dir, NN_SPLIT_TEST, &d, &e) == DLS_OK);
    CHECK(d.n == 10000 && d.y && d.y[0] == 7);
    nn_dataset_free(&d);
    free(dir);
    put_file("plain", "t10k-images-idx3-ubyte", img, nimg, 0);
    put_file("plain", "t10k-labels.idx1-ubyte", lab, nlab, 0); /* the other spelling */
    dir = xasprintf("%s/plain", tmpdir);
    CHECK(nn_mnist_load(dir, NN_SPLIT_TEST, &d, &e) == DLS_OK);
    CHECK(d.n == 10000);
    nn_dataset_free(&d);
    /* the train split is not there: not found, naming the file */
    CHECK(nn_mnist_load(dir, NN_SPLIT_TRAIN, &d, &e) == DLS_ERR_NOTFOUND);
    CHECK(has(e.msg, "train-images-idx3-ubyte") && has(e.msg, "dlstudy data fetch mnist"));
    CHECK(nn_idxset_verify(NN_SET_MNIST, dir, &e) == DLS_ERR_NOTFOUND);
    free(dir);

    /* one flipped pixel in a plain copy: only the checksum can tell */
    img[1000] ^= 0x40;
    put_file("flipped", "t10k-images-idx3-ubyte", img, nimg, 0);
    put_file("flipped", "t10k-labels-idx1-ubyte", lab, nlab, 0);
    dir = xasprintf("%s/flipped", tmpdir);
    CHECK(nn_mnist_load(dir, NN_SPLIT_TEST, &d, &e) == DLS_ERR_MISMATCH);
    CHECK(has(e.msg, "flipped/t10k-images-idx3-ubyte") && has(e.msg, "SHA-256"));
    CHECK(nn_idxset_load(NN_SET_MNIST, dir, NN_SPLIT_TEST, &noverify, &d, &e) == DLS_OK);
    nn_dataset_free(&d);
    free(dir);
    img[1000] ^= 0x40;

    /* a flipped byte inside the deflate stream of a .gz: zlib's CRC or inflate fails */
    {
        size_t gzn;
        char *gz = NULL;
        dls_read_file(MNIST_DIR "/t10k-labels-idx1-ubyte.gz", 0, &gz, &gzn, NULL);
        CHECK(gz != NULL);
        if (gz) {
            gz[gzn / 2] ^= 0x10;
            put_file("gzflip", "t10k-labels-idx1-ubyte.gz", gz, gzn, 0);
            char *p = xasprintf("%s/gzflip/t10k-labels-idx1-ubyte.gz", tmpdir);
            nn_idx x;
            CHECK(nn_idx_read(p, NN_IDX_LABELS, &x, &e) == DLS_ERR_CORRUPT);
            CHECK(has(e.msg, p));
            /* and a .gz cut in the middle */
            put_file("gzcut", "t10k-labels-idx1-ubyte.gz", gz, gzn / 2, 0);
            free(p);
            p = xasprintf("%s/gzcut/t10k-labels-idx1-ubyte.gz", tmpdir);
            CHECK(nn_idx_read(p, NN_IDX_LABELS, &x, &e) == DLS_ERR_CORRUPT);
            CHECK(has(e.msg, "truncated") || has(e.msg, "gzip"));
            free(p);
            free(gz);
        }
    }

    /* truncated plain files: in the data, and in the header */
    put_file("trunc", "t10k-images-idx3-ubyte", img, nimg - 784 * 3, 0);
    put_file("trunc", "t10k-labels-idx1-ubyte", lab, 6, 0);
    char *p = xasprintf("%s/trunc/t10k-images-idx3-ubyte", tmpdir);
    nn_idx x;
    CHECK(nn_idx_read(p, NN_IDX_IMAGES, &x, &e) == DLS_ERR_CORRUPT);
    CHECK(has(e.msg, p) && has(e.msg, "truncated"));
    free(p);
    p = xasprintf("%s/trunc/t10k-labels-idx1-ubyte", tmpdir);
    CHECK(nn_idx_read(p, NN_IDX_LABELS, &x, &e) == DLS_ERR_CORRUPT);
    CHECK(has(e.msg, "truncated"));
    free(p);

    /* wrong magic: a labels file under an images name */
    put_file("magic", "t10k-images-idx3-ubyte.gz", lab, nlab, 6);
    put_file("magic", "t10k-labels-idx1-ubyte.gz", lab, nlab, 6);
    dir = xasprintf("%s/magic", tmpdir);
    CHECK(nn_mnist_load(dir, NN_SPLIT_TEST, &d, &e) == DLS_ERR_PARSE);
    CHECK(has(e.msg, "t10k-images-idx3-ubyte.gz") && has(e.msg, "magic 0x00000801"));
    free(dir);

    /* wrong size: trailing bytes after the announced data */
    unsigned char *longer = xmalloc(nlab + 5);
    memcpy(longer, lab, nlab);
    memset(longer + nlab, 7, 5);
    put_file("long", "t10k-labels-idx1-ubyte.gz", longer, nlab + 5, 6);
    p = xasprintf("%s/long/t10k-labels-idx1-ubyte.gz", tmpdir);
    CHECK(nn_idx_read(p, NN_IDX_LABELS, &x, &e) == DLS_ERR_CORRUPT);
    CHECK(has(e.msg, "wrong size"));
    free(p);

    /* label out of range (checksums off, so the range check itself is what fails) */
    memcpy(longer, lab, nlab);
    longer[8 + 1234] = 10;
    put_file("label", "t10k-images-idx3-ubyte.gz", img, nimg, 1);
    put_file("label", "t10k-labels-idx1-ubyte.gz", longer, nlab, 1);
    dir = xasprintf("%s/label", tmpdir);
    CHECK(nn_idxset_load(NN_SET_MNIST, dir, NN_SPLIT_TEST, &noverify, &d, &e) == DLS_ERR_CORRUPT);
    CHECK(has(e.msg, "t10k-labels-idx1-ubyte.gz") && has(e.msg, "label 10 of example 1234"));
    CHECK(nn_mnist_load(dir, NN_SPLIT_TEST, &d, &e) == DLS_ERR_MISMATCH); /* verified: checksum first */
    free(dir);

    /* counts that disagree: 9,999 labels for 10,000 images */
    memcpy(longer, lab, nlab);
    longer[6] = 0x27, longer[7] = 0x0f; /* count 0x270f = 9999 */
    put_file("count", "t10k-images-idx3-ubyte.gz", img, nimg, 1);
    put_file("count", "t10k-labels-idx1-ubyte.gz", longer, nlab - 1, 1);
    dir = xasprintf("%s/count", tmpdir);
    CHECK(nn_idxset_load(NN_SET_MNIST, dir, NN_SPLIT_TEST, &noverify, &d, &e) == DLS_ERR_MISMATCH);
    CHECK(has(e.msg, "10000 images") && has(e.msg, "9999 labels"));
    free(dir);

    /* images of the wrong size: a valid IDX of 2 images of 14x14 */
    unsigned char small[16 + 2 * 196] = { 0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 14, 0, 0, 0, 14 };
    unsigned char small_lab[10] = { 0, 0, 8, 1, 0, 0, 0, 2, 3, 4 };
    put_file("small", "t10k-images-idx3-ubyte", small, sizeof small, 0);
    put_file("small", "t10k-labels-idx1-ubyte", small_lab, sizeof small_lab, 0);
    dir = xasprintf("%s/small", tmpdir);
    CHECK(nn_idxset_load(NN_SET_MNIST, dir, NN_SPLIT_TEST, &noverify, &d, &e) == DLS_ERR_PARSE);
    CHECK(has(e.msg, "14x14"));
    p = xasprintf("%s/t10k-images-idx3-ubyte", dir);
    CHECK(nn_idx_read(p, NN_IDX_IMAGES, &x, &e) == DLS_OK);
    CHECK(x.ndim == 3 && x.dims[0] == 2 && x.dims[1] == 14 && x.dims[2] == 14);
    nn_idx_deinit(&x);
    free(p);
    free(dir);

    CHECK(nn_idx_read("/nonexistent/file.gz", NN_IDX_LABELS, &x, &e) == DLS_ERR_IO);
    CHECK(has(e.msg, "/nonexistent/file.gz"));
    free(longer);
    free(img);
    free(lab);
}

static void test_fashion(void) {
    const char *dir = getenv("DLS_TEST_FASHION");
    if (!dir) dir = NN_FASHION_DEBIAN_DIR;
    char *p = xasprintf("%s/t10k-labels-idx1-ubyte.gz", dir);
    int present = access(p, R_OK) == 0;
    free(p);
    if (!present) {
        test_skip("fashion-mnist", "not installed (Debian: apt-get install dataset-fashion-mnist)");
        return;
    }
    nn_dataset d = {0};
    dls_error e = {0};
    CHECK(nn_idxset_load(NN_SET_FASHION, dir, NN_SPLIT_TEST, NULL, &d, &e) == DLS_OK);
    if (e.code) fprintf(stderr, "  %s\n", e.msg);
    CHECK(d.n == 10000);
    CHECK_STR(d.name, "fashion-mnist-test");
    int h[10];
    if (d.y) {
        nn_dataset_histogram(&d, h);
        int ok = 1;
        for (int c = 0; c < 10; c++) ok &= h[c] == 1000;
        CHECK(ok);
        CHECK(d.y[0] == 9 && d.y[1] == 2); /* ankle boot, pullover */
    }
    nn_dataset_free(&d);
    /* MNIST's checksums are not Fashion's */
    CHECK(nn_idxset_verify(NN_SET_MNIST, dir, &e) == DLS_ERR_MISMATCH);
}

static int same_set(const nn_dataset *a, const nn_dataset *b) {
    size_t dim = (size_t)nn_dataset_dim(a);
    if (a->n != b->n || dim != (size_t)nn_dataset_dim(b)) return 0;
    if (memcmp(a->x, b->x, (size_t)a->n * dim * sizeof(float))) return 0;
    if (a->y && memcmp(a->y, b->y, (size_t)a->n * sizeof(int))) return 0;
    if (a->t && memcmp(a->t, b->t, (size_t)a->n * (size_t)a->t_dim * sizeof(float))) return 0;
    return 1;
}

static void test_synth(void) {
    typedef void (*gen_fn)(int, float, uint64_t, nn_dataset *);
    static const struct { gen_fn fn; const char *name; int classes, has_t; } gens[] = {
        { nn_synth_xor, "xor", 2, 1 },
        { nn_synth_spirals, "spirals", 2, 0 },
        { nn_synth_moons, "moons", 2, 1 },
        { nn_synth_sine, "sine", 0, 1 },
    };
    for (size_t g = 0; g < sizeof gens / sizeof *gens; g++) {
        nn_dataset a, b, c;
        gens[g].fn(301, 0.1f, 42, &a);
        gens[g].fn(301, 0.1f, 42, &b);
        gens[g].fn(301, 0.1f, 43, &c);
        CHECK_STR(a.name, gens[g].name);
        CHECK(a.n == 301 && a.h == 1 && a.w == 1);
        CHECK(a.c == (gens[g].classes ? 2 : 1));
        CHECK(a.classes == gens[g].classes);
        CHECK((a.y != NULL) == (gens[g].classes > 0));
        CHECK((a.t != NULL) == gens[g].has_t && (!a.t || a.t_dim == 1));
        CHECK(same_set(&a, &b));  /* same seed, same bytes */
        CHECK(!same_set(&a, &c)); /* another seed, other noise */
        if (a.y) {
            int h[2];
            nn_dataset_histogram(&a, h);
            CHECK(h[0] + h[1] == 301 && abs(h[0] - h[1]) <= 1 + (g == 0) * 2);
        }
        int finite = 1;
        for (int i = 0; i < a.n * nn_dataset_dim(&a); i++) finite &= isfinite(a.x[i]) && fabsf(a.x[i]) < 5;
        CHECK(finite);
        nn_dataset_free(&a);
        nn_dataset_free(&b);
        nn_dataset_free(&c);
    }
    /* the same numbers whatever the compiler: the first points of seed 42 as gcc builds
     * have always made them (a clang build drew a point's two noises the other way round) */
    nn_dataset d;
    nn_synth_spirals(4, 0.1f, 42, &d);
    CHECK_NEAR(d.x[0], -0.320158511, 1e-6);
    CHECK_NEAR(d.x[1], 0.137142837, 1e-6);
    nn_dataset_free(&d);
    nn_synth_moons(4, 0.1f, 42, &d);
    CHECK_NEAR(d.x[0], 0.910811365, 1e-6);
    CHECK_NEAR(d.x[1], 0.0414719768, 1e-6);
    nn_dataset_free(&d);

    /* noise-free sets satisfy their definitions exactly */
    nn_synth_xor(400, 0, 1, &d);
    int ok = 1;
    for (int i = 0; i < d.n; i++) ok &= d.y[i] == ((d.x[2 * i] > 0) != (d.x[2 * i + 1] > 0)) && d.t[i] == d.y[i];
    CHECK(ok);
    nn_dataset_free(&d);
    nn_synth_sine(200, 0, 7, &d);
    ok = 1;
    for (int i = 0; i < d.n; i++) ok &= fabs(d.t[i] - sin(d.x[i])) < 1e-6 && fabs(d.x[i]) <= 3.1416;
    CHECK(ok);
    nn_dataset_free(&d);
    nn_synth_spirals(200, 0, 7, &d);
    ok = 1;
    for (int i = 0; i < d.n; i++) ok &= hypot(d.x[2 * i], d.x[2 * i + 1]) <= 1.0 + 1e-6 && d.y[i] == i % 2;
    CHECK(ok);
    nn_dataset_free(&d);
    nn_synth_moons(200, 0, 7, &d);
    ok = 1;
    for (int i = 0; i < d.n; i++) {
        double cx = d.y[i] ? 1.0 : 0.0, cy = d.y[i] ? 0.5 : 0.0; /* each moon is on a unit circle */
        ok &= fabs(hypot(d.x[2 * i] - cx, d.x[2 * i + 1] - cy) - 1.0) < 1e-5;
    }
    CHECK(ok);
    nn_dataset_free(&d);
    /* stratified subset of a synthetic set: balanced */
    nn_synth_spirals(1000, 0.1f, 3, &d);
    nn_dataset s;
    nn_dataset_subset(&d, 101, NN_SUBSET_STRATIFIED, &s);
    int h[2];
    nn_dataset_histogram(&s, h);
    CHECK(s.n == 101 && h[0] + h[1] == 101 && abs(h[0] - h[1]) == 1);
    nn_dataset_free(&s);
    nn_dataset_subset(&d, 5000, NN_SUBSET_FIRST, &s); /* clamped */
    CHECK(s.n == 1000 && same_set(&s, &d));
    nn_dataset_free(&s);
    nn_dataset_free(&d);
}

/* Runs one epoch, recording the order of example ids (x[0] of example i is i). */
static int run_epoch(nn_loader *l, int *order, int *sizes) {
    float xb[2 * 32];
    int yb[32], got = 0, nb = 0, b;
    while ((b = nn_loader_next(l, xb, yb, NULL)) > 0) {
        for (int i = 0; i < b; i++) {
            order[got + i] = (int)xb[2 * i];
            DLS_ASSERT(yb[i] == l->ds->y[order[got + i]]);
        }
        sizes[nb++] = b;
        got += b;
    }
    return got;
}

static void test_loader(void) {
    nn_dataset d;
    nn_synth_xor(100, 0.1f, 5, &d);
    for (int i = 0; i < d.n; i++) d.x[2 * i] = (float)i; /* tag each example with its id */
    int o1[100], o2[100], o3[100], sizes[8], seen[100];
    nn_loader l;
    nn_loader_init(&l, &d, 32, 1234, NN_LOADER_SHUFFLE);
    CHECK(nn_loader_batches(&l) == 4);
    CHECK(run_epoch(&l, o1, sizes) == 100);
    CHECK(sizes[0] == 32 && sizes[3] == 4);
    memset(seen, 0, sizeof seen);
    for (int i = 0; i < 100; i++) seen[o1[i]]++;
    int once = 1, shuffled = 0;
    for (int i = 0; i < 100; i++) once &= seen[i] == 1, shuffled |= o1[i] != i;
    CHECK(once && shuffled);
    CHECK(l.epoch == 1);
    CHECK(run_epoch(&l, o2, sizes) == 100);
    memset(seen, 0, sizeof seen);
    for (int i = 0; i < 100; i++) seen[o2[i]]++;
    once = 1;
    for (int i = 0; i < 100; i++) once &= seen[i] == 1;
    CHECK(once && memcmp(o1, o2, sizeof o1)); /* every epoch a new order */
    nn_loader_deinit(&l);

    /* the same seed repeats, epoch by epoch; seek resumes an epoch exactly */
    nn_loader_init(&l, &d, 32, 1234, NN_LOADER_SHUFFLE);
    run_epoch(&l, o3, sizes);
    CHECK(!memcmp(o1, o3, sizeof o1));
    nn_loader_seek(&l, 1);
    run_epoch(&l, o3, sizes);
    CHECK(!memcmp(o2, o3, sizeof o2));
    nn_loader_deinit(&l);
    nn_loader_init(&l, &d, 32, 1235, NN_LOADER_SHUFFLE);
    run_epoch(&l, o3, sizes);
    CHECK(memcmp(o1, o3, sizeof o1) != 0);
    nn_loader_deinit(&l);

    /* no shuffle: file order; drop_last: 3 full batches */
    nn_loader_init(&l, &d, 32, 1, NN_LOADER_DROP_LAST);
    CHECK(nn_loader_batches(&l) == 3);
    CHECK(run_epoch(&l, o3, sizes) == 96);
    int inorder = 1;
    for (int i = 0; i < 96; i++) inorder &= o3[i] == i;
    CHECK(inorder && sizes[2] == 32);
    nn_loader_deinit(&l);

    /* the targets travel with their examples */
    nn_loader_init(&l, &d, 7, 9, NN_LOADER_SHUFFLE);
    float xb[14], tb[7];
    int yb[7];
    int b = nn_loader_next(&l, xb, yb, tb), ok = b == 7;
    for (int i = 0; i < b; i++) ok &= tb[i] == d.t[(int)xb[2 * i]] && yb[i] == d.y[(int)xb[2 * i]];
    CHECK(ok);
    nn_loader_deinit(&l);
    nn_loader_deinit(&l); /* twice is harmless */
    nn_dataset_free(&d);
}

int main(void) {
    strcpy(tmpdir, "/tmp/dls-test-data-XXXXXX");
    DLS_ASSERT(mkdtemp(tmpdir));
    struct stat st;
    if (stat(MNIST_DIR "/t10k-labels-idx1-ubyte.gz", &st) == 0) {
        test_mnist_good();
        test_mnist_broken();
    } else {
        test_skip("mnist", MNIST_DIR " is absent");
    }
    test_fashion();
    test_synth();
    test_loader();
    char *cmd = xasprintf("rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    free(cmd);
    return test_done("test_data");
}
