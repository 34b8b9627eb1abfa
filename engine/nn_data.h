/* nn_data.h: data sets for the engine: the in-memory set, the IDX reader (MNIST and
 * Fashion-MNIST, gzip or plain, checksummed), synthetic sets and the seeded shuffling
 * batch loader. Included by engine/nn.h; knows nothing of notes, screens or where the
 * user keeps data (the caller passes a folder). (Owner: engine data.) */
#ifndef NN_DATA_H
#define NN_DATA_H

#include <stdint.h>
#include "util/dls.h"

/* A whole data set in host memory. x holds n examples of shape (c, h, w), float32;
 * y holds class labels (classification) or is NULL; t holds regression targets
 * (n, t_dim) or is NULL. Binary sets (XOR, moons) fill both y and t (t = label as
 * 0.0/1.0, t_dim 1) so that cross-entropy and BCE labs can use the same set.
 * Free with nn_dataset_free; a zeroed struct is a valid empty set. */
typedef struct nn_dataset {
    int    n;
    int    c, h, w;
    float *x;       /* (n, c, h, w) */
    int   *y;       /* (n) labels in [0, classes), or NULL */
    float *t;       /* (n, t_dim) targets, or NULL */
    int    t_dim;
    int    classes; /* 0 for regression */
    char   name[64];
} nn_dataset;

/* Frees the arrays and zeroes *d; NULL and an already-freed set are no-ops. */
void nn_dataset_free(nn_dataset *d);
/* Features per example: c * h * w. */
int nn_dataset_dim(const nn_dataset *d);
/* Counts of each label into hist[0 .. classes-1]. */
void nn_dataset_histogram(const nn_dataset *d, int *hist);

/* ---- IDX files (the MNIST format) ----------------------------------------------- */

/* A raw IDX file: unsigned bytes with 1 to 3 big-endian dimensions. */
typedef struct nn_idx {
    uint32_t magic;    /* 0x00000801 (labels, 1 dim) or 0x00000803 (images, 3 dims) */
    int      ndim;
    int      dims[3];  /* count, then rows and cols for images */
    uint8_t *data;     /* dims[0] * dims[1] * ... bytes; owned, nn_idx_deinit frees */
    char     sha256[65]; /* of the uncompressed bytes, header included */
} nn_idx;

#define NN_IDX_LABELS 0x00000801u
#define NN_IDX_IMAGES 0x00000803u

/* Reads path (gzip through zlib, or an uncompressed file: both are accepted) and
 * checks it is an IDX file with magic expect_magic (NN_IDX_LABELS / NN_IDX_IMAGES),
 * a sane header and exactly the bytes its header announces. Errors name the path:
 * DLS_ERR_IO (cannot open), DLS_ERR_PARSE (wrong magic or dimensions, not IDX),
 * DLS_ERR_CORRUPT (truncated, trailing bytes, broken gzip stream).
 * *out is written only on DLS_OK; free it with nn_idx_deinit. */
int  nn_idx_read(const char *path, uint32_t expect_magic, nn_idx *out, dls_error *e);
void nn_idx_deinit(nn_idx *x);

/* ---- MNIST and Fashion-MNIST ------------------------------------------------------ */

enum nn_split { NN_SPLIT_TRAIN, NN_SPLIT_TEST };
/* The IDX image sets this engine knows; both use the same four file names. */
enum nn_idxset { NN_SET_MNIST, NN_SET_FASHION };
/* Pixel normalisation. UNIT: x/255 in [0, 1] (what PyTorch's ToTensor gives).
 * MNIST: (x/255 - 0.1307) / 0.3081, the standard MNIST mean and std. */
enum nn_norm { NN_NORM_UNIT, NN_NORM_MNIST };
#define NN_MNIST_MEAN 0.1307f
#define NN_MNIST_STD  0.3081f

typedef struct nn_load_opts {
    enum nn_norm norm;
    int          verify;  /* 1: reject files whose content SHA-256 is not the known one */
    int          limit;   /* > 0: keep only the first limit examples */
} nn_load_opts;

/* Loads one split of MNIST from dir, which holds train-images-idx3-ubyte.gz,
 * train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz
 * (or the same names without .gz, uncompressed, or with ".idx" for "-idx", as in
 * train-images.idx3-ubyte). Unit normalisation, checksums
 * verified. Result: n examples of shape (1, 28, 28), classes 10, name "mnist-train"
 * or "mnist-test". Errors name the file (see nn_idx_read), plus DLS_ERR_NOTFOUND
 * when neither name exists, DLS_ERR_MISMATCH when a checksum or the image/label
 * counts disagree, DLS_ERR_CORRUPT for a label outside 0..9. */
int nn_mnist_load(const char *dir, enum nn_split split, nn_dataset *out, dls_error *e);
/* The general form: either set, with options (opts NULL = unit, verified, all). */
int nn_idxset_load(enum nn_idxset set, const char *dir, enum nn_split split,
                   const nn_load_opts *opts, nn_dataset *out, dls_error *e);
/* Checks all four files of a set in dir against the known SHA-256 of their
 * uncompressed content (so a recompressed or gunzipped copy passes). On failure the
 * message names the file that failed and says how to get a good copy. */
int nn_idxset_verify(enum nn_idxset set, const char *dir, dls_error *e);
/* The known SHA-256 (hex) of the uncompressed file named base (e.g.
 * "train-images-idx3-ubyte"), or NULL when unknown. Borrowed, static storage. */
const char *nn_idxset_sha256(enum nn_idxset set, const char *base);
/* Where Debian's dataset-fashion-mnist package installs Fashion-MNIST. */
#define NN_FASHION_DEBIAN_DIR "/usr/share/datasets/fashion-mnist"

/* Re-normalises a set loaded with NN_NORM_UNIT: x = (x - mean) / std. */
void nn_dataset_standardize(nn_dataset *d, float mean, float std);

/* Subsets, copied into *out (free it with nn_dataset_free). FIRST keeps the first n
 * examples; STRATIFIED keeps n examples with each class in the proportion it has in
 * src (largest remainders), taking each class's first examples in file order, and
 * keeps them in file order. n larger than src->n is clamped. */
enum nn_subset { NN_SUBSET_FIRST, NN_SUBSET_STRATIFIED };
void nn_dataset_subset(const nn_dataset *src, int n, enum nn_subset how, nn_dataset *out);

/* ---- synthetic sets, generated in memory ------------------------------------------ */
/* All are seeded (same seed, same bytes on every machine: splitmix64 and our own
 * Box-Muller, no libc rand) and noise is the std of added Gaussian noise.
 * Shapes: x is (n, 2, 1, 1) for the 2-D sets (two features as channels, so a
 * flatten gives (n, 2)), (n, 1, 1, 1) for sine. */
/* XOR: four Gaussian clusters at (+-1, +-1); label 1 when the signs differ. classes
 * 2, y and t (t_dim 1). */
void nn_synth_xor(int n, float noise, uint64_t seed, nn_dataset *out);
/* Two interleaved spirals (example i belongs to spiral i % 2), radius up to 1, about
 * 1.75 turns. classes 2, y only. */
void nn_synth_spirals(int n, float noise, uint64_t seed, nn_dataset *out);
/* Two interleaving half circles (scikit-learn's make_moons layout). classes 2, y and t. */
void nn_synth_moons(int n, float noise, uint64_t seed, nn_dataset *out);
/* Regression: x uniform in [-pi, pi], t = sin(x) + noise. classes 0, t (t_dim 1), no y. */
void nn_synth_sine(int n, float noise, uint64_t seed, nn_dataset *out);

/* ---- the seeded shuffling batch loader -------------------------------------------- */
/* Walks a data set in batches. With shuffle on, each epoch is a Fisher-Yates
 * permutation that depends only on (seed, epoch), so a run resumed at an epoch sees
 * the same order. nn_loader_next copies one batch into caller buffers and allocates
 * nothing. */
typedef struct nn_loader {
    const nn_dataset *ds;    /* borrowed; must outlive the loader */
    int      batch;
    int      shuffle;        /* 0: file order every epoch */
    int      drop_last;      /* 1: skip a last batch smaller than batch */
    uint64_t seed;
    int      epoch;          /* current epoch, from 0 */
    int      pos;            /* next position in perm */
    int     *perm;           /* (n) */
} nn_loader;

enum { NN_LOADER_SHUFFLE = 1, NN_LOADER_DROP_LAST = 2 };
/* flags: NN_LOADER_SHUFFLE | NN_LOADER_DROP_LAST. Starts at epoch 0. */
void nn_loader_init(nn_loader *l, const nn_dataset *ds, int batch, uint64_t seed, int flags);
void nn_loader_deinit(nn_loader *l);
/* Fills x (batch * dim floats), y (batch ints) and t (batch * t_dim floats); each may be
 * NULL to skip it. Returns the number of examples written, 0 when the epoch is over:
 * the next call then starts the next epoch, freshly shuffled. */
int  nn_loader_next(nn_loader *l, float *x, int *y, float *t);
/* Jumps to the start of epoch (for resuming). */
void nn_loader_seek(nn_loader *l, int epoch);
/* Batches per epoch (ceil, or floor with DROP_LAST). */
int  nn_loader_batches(const nn_loader *l);
/* Like nn_loader_next but only returns the indices of the next batch (a borrowed
 * pointer into perm, valid until the next call); for callers that gather themselves. */
int  nn_loader_next_idx(nn_loader *l, const int **idx);

/* The splitmix64 generator the data sets use, exposed so tests and tools can draw the
 * same numbers: advances *state and returns 64 random bits. */
uint64_t nn_data_rand64(uint64_t *state);

#endif
