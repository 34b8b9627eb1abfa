/* idx.c: the IDX reader (MNIST's file format, gzip through zlib or uncompressed) and
 * the MNIST / Fashion-MNIST loaders with their content checksums. Every error names
 * the file. Not the place for finding the data folder (the caller passes it) or for
 * downloading (dlstudy data fetch). */
#include "engine/nn_data.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

/* SHA-256 of the *uncompressed* files, so that a gunzipped or recompressed copy is
 * accepted as long as its content is the original.
 * MNIST: computed from ../shared/datasets/mnist (whose .gz files have the widely
 * published MD5s, see its README) with `gunzip -c FILE | sha256sum`.
 * Fashion-MNIST: computed the same way from Debian's dataset-fashion-mnist
 * 0.0~git20200523.55506a9-1 (/usr/share/datasets/fashion-mnist). Debian recompressed
 * the files (their .gz MD5s differ from Zalando's), which is why we hash content. */
static const struct known_file {
    enum nn_idxset set;
    const char    *base;
    const char    *sha256;
} known_files[] = {
    { NN_SET_MNIST, "train-images-idx3-ubyte", "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db" },
    { NN_SET_MNIST, "train-labels-idx1-ubyte", "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5" },
    { NN_SET_MNIST, "t10k-images-idx3-ubyte",  "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7" },
    { NN_SET_MNIST, "t10k-labels-idx1-ubyte",  "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2" },
    { NN_SET_FASHION, "train-images-idx3-ubyte", "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888" },
    { NN_SET_FASHION, "train-labels-idx1-ubyte", "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9" },
    { NN_SET_FASHION, "t10k-images-idx3-ubyte",  "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b" },
    { NN_SET_FASHION, "t10k-labels-idx1-ubyte",  "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34" },
};

/* Biggest file we accept: a header that announces more is broken, not big. */
#define IDX_MAX_BYTES ((size_t)1 << 31)

const char *nn_idxset_sha256(enum nn_idxset set, const char *base) {
    for (size_t i = 0; i < sizeof known_files / sizeof *known_files; i++)
        if (known_files[i].set == set && !strcmp(known_files[i].base, base)) return known_files[i].sha256;
    return NULL;
}

static const char *set_name(enum nn_idxset set) { return set == NN_SET_FASHION ? "fashion-mnist" : "mnist"; }

static const char *set_remedy(enum nn_idxset set) {
    return set == NN_SET_FASHION
        ? "reinstall it with `apt-get install --reinstall dataset-fashion-mnist` (Debian) or copy the four "
          "files from github.com/zalandoresearch/fashion-mnist (data/fashion)"
        : "run `dlstudy data fetch mnist`, or copy the four original .gz files (yann.lecun.com/exdb/mnist "
          "or a mirror such as torchvision's) into the folder";
}

/* Reads exactly n bytes (or fewer at end of file) and hashes them. Returns the count
 * read, or -1 on a zlib error. */
static long long read_hashed(gzFile f, void *buf, size_t n, dls_sha256 *sha) {
    size_t got = 0;
    while (got < n) {
        size_t want = n - got;
        if (want > (1u << 24)) want = 1u << 24; /* gzread takes an unsigned int */
        int r = gzread(f, (char *)buf + got, (unsigned)want);
        if (r < 0) return -1;
        if (r == 0) break;
        dls_sha256_update(sha, (char *)buf + got, (size_t)r);
        got += (size_t)r;
    }
    return (long long)got;
}

static int zfail(gzFile f, const char *path, dls_error *e) {
    int zerr = 0;
    const char *msg = gzerror(f, &zerr);
    return dls_fail(e, DLS_ERR_CORRUPT, "%s: broken gzip stream (%s)", path, msg ? msg : "zlib error");
}

int nn_idx_read(const char *path, uint32_t expect_magic, nn_idx *out, dls_error *e) {
    errno = 0;
    gzFile f = gzopen(path, "rb");
    if (!f) return dls_fail(e, DLS_ERR_IO, "%s: cannot open: %s", path, strerror(errno ? errno : ENOENT));
    gzbuffer(f, 1u << 18);

    nn_idx x = {0};
    dls_sha256 sha;
    dls_sha256_init(&sha);
    int rc = DLS_OK;
    uint8_t head[16];
    /* magic: two zero bytes, the type (0x08 = unsigned byte), the number of dims */
    long long got = read_hashed(f, head, 4, &sha);
    if (got < 0) { rc = zfail(f, path, e); goto fail; }
    if (got < 4) { rc = dls_fail(e, DLS_ERR_CORRUPT, "%s: truncated: %lld bytes, not even an IDX header", path, got); goto fail; }
    x.magic = (uint32_t)head[0] << 24 | (uint32_t)head[1] << 16 | (uint32_t)head[2] << 8 | head[3];
    if (x.magic != expect_magic) {
        rc = dls_fail(e, DLS_ERR_PARSE, "%s: not an IDX %s file (magic 0x%08x, expected 0x%08x)", path,
                      expect_magic == NN_IDX_IMAGES ? "images" : "labels", (unsigned)x.magic, (unsigned)expect_magic);
        goto fail;
    }
    x.ndim = head[3];
    if (x.ndim < 1 || x.ndim > 3) {
        rc = dls_fail(e, DLS_ERR_PARSE, "%s: IDX with %d dimensions is not supported", path, x.ndim);
        goto fail;
    }
    got = read_hashed(f, head, (size_t)x.ndim * 4, &sha);
    if (got < 0) { rc = zfail(f, path, e); goto fail; }
    if (got < x.ndim * 4) { rc = dls_fail(e, DLS_ERR_CORRUPT, "%s: truncated in the IDX header", path); goto fail; }
    size_t total = 1;
    for (int d = 0; d < x.ndim; d++) {
        uint32_t v = (uint32_t)head[4 * d] << 24 | (uint32_t)head[4 * d + 1] << 16 | (uint32_t)head[4 * d + 2] << 8 | head[4 * d + 3];
        if (v == 0 || v > (1u << 30) || (total *= v) > IDX_MAX_BYTES) {
            rc = dls_fail(e, DLS_ERR_PARSE, "%s: implausible IDX dimension %d = %u", path, d, (unsigned)v);
            goto fail;
        }
        x.dims[d] = (int)v;
    }
    x.data = xmalloc(total);
    got = read_hashed(f, x.data, total, &sha);
    if (got < 0) { rc = zfail(f, path, e); goto fail; }
    if ((size_t)got < total) {
        /* zlib reports a cut gzip stream as an error only when asked */
        int zerr = 0;
        gzerror(f, &zerr);
        rc = dls_fail(e, DLS_ERR_CORRUPT, "%s: truncated: %lld of %zu data bytes%s", path, got, total,
                      zerr != Z_OK ? " (gzip stream cut short)" : "");
        goto fail;
    }
    /* One more byte must be end of file. Reading it also makes zlib check the gzip
     * trailer (CRC-32 and length), which is what catches a flipped byte inside a .gz. */
    uint8_t extra;
    got = read_hashed(f, &extra, 1, &sha);
    if (got < 0) { rc = zfail(f, path, e); goto fail; }
    if (got > 0) {
        rc = dls_fail(e, DLS_ERR_CORRUPT, "%s: wrong size: more bytes than the header's %zu", path, total);
        goto fail;
    }
    {
        int zerr = 0;
        gzerror(f, &zerr);
        if (zerr != Z_OK) { rc = zfail(f, path, e); goto fail; }
    }
    uint8_t digest[32];
    dls_sha256_final(&sha, digest);
    dls_hex(digest, 32, x.sha256);
    gzclose(f);
    *out = x;
    return DLS_OK;
fail:
    gzclose(f);
    free(x.data);
    return rc;
}

void nn_idx_deinit(nn_idx *x) {
    if (!x) return;
    free(x->data);
    memset(x, 0, sizeof *x);
}

/* Finds dir/base.gz, else dir/base, else the same with ".idx" for "-idx"
 * ("train-images.idx3-ubyte", the name inside the original .gz and of some mirrors).
 * Returns a path to free, or NULL (error filled). */
static char *find_file(enum nn_idxset set, const char *dir, const char *base, dls_error *e) {
    char alt[64];
    snprintf(alt, sizeof alt, "%s", base);
    char *dash = strstr(alt, "-idx");
    if (dash) *dash = '.';
    const char *names[2] = { base, alt };
    struct stat st;
    for (int i = 0; i < 2; i++)
        for (int gz = 1; gz >= 0; gz--) {
            char *p = xasprintf("%s/%s%s", dir, names[i], gz ? ".gz" : "");
            if (stat(p, &st) == 0) return p;
            free(p);
        }
    dls_fail(e, DLS_ERR_NOTFOUND, "%s/%s: no such file (nor .gz): %s is not in %s; %s", dir, base, set_name(set),
             dir, set_remedy(set));
    return NULL;
}

/* Reads one file of a set, checking its checksum when verify is set. */
static int read_member(enum nn_idxset set, const char *dir, const char *base, uint32_t magic, int verify,
                       nn_idx *out, char **path_out, dls_error *e) {
    char *path = find_file(set, dir, base, e);
    if (!path) return e ? e->code : DLS_ERR_NOTFOUND;
    int rc = nn_idx_read(path, magic, out, e);
    if (rc == DLS_OK && verify) {
        const char *want = nn_idxset_sha256(set, base);
        if (want && strcmp(want, out->sha256) != 0) {
            rc = dls_fail(e, DLS_ERR_MISMATCH, "%s: content SHA-256 %.12s... is not %s's %.12s...: damaged or not "
                          "the original; %s", path, out->sha256, set_name(set), want, set_remedy(set));
            nn_idx_deinit(out);
        }
    }
    if (rc == DLS_OK && path_out) *path_out = path;
    else free(path);
    return rc;
}

int nn_idxset_verify(enum nn_idxset set, const char *dir, dls_error *e) {
    static const char *bases[] = { "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                   "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte" };
    for (int i = 0; i < 4; i++) {
        nn_idx x;
        int rc = read_member(set, dir, bases[i], i % 2 ? NN_IDX_LABELS : NN_IDX_IMAGES, 1, &x, NULL, e);
        if (rc != DLS_OK) return rc;
        nn_idx_deinit(&x);
    }
    return DLS_OK;
}

int nn_idxset_load(enum nn_idxset set, const char *dir, enum nn_split split, const nn_load_opts *opts,
                   nn_dataset *out, dls_error *e) {
    nn_load_opts o = opts ? *opts : (nn_load_opts){ NN_NORM_UNIT, 1, 0 };
    const char *pre = split == NN_SPLIT_TRAIN ? "train" : "t10k";
    char img_base[64], lab_base[64];
    snprintf(img_base, sizeof img_base, "%s-images-idx3-ubyte", pre);
    snprintf(lab_base, sizeof lab_base, "%s-labels-idx1-ubyte", pre);

    nn_idx img = {0}, lab = {0};
    char *img_path = NULL, *lab_path = NULL;
    int rc = read_member(set, dir, img_base, NN_IDX_IMAGES, o.verify, &img, &img_path, e);
    if (rc != DLS_OK) goto done;
    rc = read_member(set, dir, lab_base, NN_IDX_LABELS, o.verify, &lab, &lab_path, e);
    if (rc != DLS_OK) goto done;
    if (img.dims[1] != 28 || img.dims[2] != 28) {
        rc = dls_fail(e, DLS_ERR_PARSE, "%s: images are %dx%d, %s's are 28x28", img_path, img.dims[1], img.dims[2],
                      set_name(set));
        goto done;
    }
    if (img.dims[0] != lab.dims[0]) {
        rc = dls_fail(e, DLS_ERR_MISMATCH, "%s has %d images but %s has %d labels", img_path, img.dims[0], lab_path,
                      lab.dims[0]);
        goto done;
    }
    int n = img.dims[0];
    for (int i = 0; i < n; i++)
        if (lab.data[i] > 9) {
            rc = dls_fail(e, DLS_ERR_CORRUPT, "%s: label %d of example %d is outside 0..9", lab_path, lab.data[i], i);
            goto done;
        }
    if (o.limit > 0 && o.limit < n) n = o.limit;

    /* One table lookup per pixel: 256 possible values, whatever the normalisation. */
    float lut[256];
    for (int v = 0; v < 256; v++) {
        lut[v] = (float)v / 255.0f;
        if (o.norm == NN_NORM_MNIST) lut[v] = (lut[v] - NN_MNIST_MEAN) / NN_MNIST_STD;
    }
    nn_dataset d = {0};
    d.n = n;
    d.c = 1, d.h = 28, d.w = 28;
    d.classes = 10;
    size_t count = (size_t)n * 784;
    d.x = xmalloc(count * sizeof(float));
    for (size_t i = 0; i < count; i++) d.x[i] = lut[img.data[i]];
    d.y = xmalloc((size_t)n * sizeof(int));
    for (int i = 0; i < n; i++) d.y[i] = lab.data[i];
    snprintf(d.name, sizeof d.name, "%s-%s", set_name(set), split == NN_SPLIT_TRAIN ? "train" : "test");
    *out = d;
done:
    nn_idx_deinit(&img);
    nn_idx_deinit(&lab);
    free(img_path);
    free(lab_path);
    return rc;
}

int nn_mnist_load(const char *dir, enum nn_split split, nn_dataset *out, dls_error *e) {
    return nn_idxset_load(NN_SET_MNIST, dir, split, NULL, out, e);
}
