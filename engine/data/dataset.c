/* dataset.c: the in-memory data set's small helpers: free, label histogram, subsets,
 * re-normalisation, and the splitmix64 generator every data file draws from.
 * Not the file readers (idx.c), the generators (synth.c) or the loader (loader.c). */
#include "engine/backend.h"   /* nn_rng_mix64 */
#include "engine/nn_data.h"

#include <stdlib.h>
#include <string.h>

uint64_t nn_data_rand64(uint64_t *state) {
    /* splitmix64 (Steele, Lea, Flood 2014): one add and the finalizer the engine's
     * counter RNG is built on; passes BigCrush, and any seed (0 included) is a good
     * one; that is all a data shuffle needs. */
    return nn_rng_mix64(*state += 0x9E3779B97F4A7C15ull);
}

void nn_dataset_free(nn_dataset *d) {
    if (!d) return;
    free(d->x);
    free(d->y);
    free(d->t);
    memset(d, 0, sizeof *d);
}

int nn_dataset_dim(const nn_dataset *d) { return d->c * d->h * d->w; }

void nn_dataset_histogram(const nn_dataset *d, int *hist) {
    memset(hist, 0, sizeof *hist * (size_t)d->classes);
    if (!d->y) return;
    for (int i = 0; i < d->n; i++) {
        DLS_ASSERT(d->y[i] >= 0 && d->y[i] < d->classes);
        hist[d->y[i]]++;
    }
}

void nn_dataset_standardize(nn_dataset *d, float mean, float std) {
    DLS_ASSERT(std > 0);
    size_t count = (size_t)d->n * (size_t)nn_dataset_dim(d);
    float inv = 1.0f / std;
    for (size_t i = 0; i < count; i++) d->x[i] = (d->x[i] - mean) * inv;
}

/* Copies example src_i of src into slot dst_i of dst (same shapes). */
static void copy_example(const nn_dataset *src, int src_i, nn_dataset *dst, int dst_i) {
    size_t dim = (size_t)nn_dataset_dim(src);
    memcpy(dst->x + (size_t)dst_i * dim, src->x + (size_t)src_i * dim, dim * sizeof(float));
    if (src->y) dst->y[dst_i] = src->y[src_i];
    if (src->t)
        memcpy(dst->t + (size_t)dst_i * (size_t)src->t_dim, src->t + (size_t)src_i * (size_t)src->t_dim,
               (size_t)src->t_dim * sizeof(float));
}

void nn_dataset_subset(const nn_dataset *src, int n, enum nn_subset how, nn_dataset *out) {
    DLS_ASSERT(n >= 0);
    if (n > src->n) n = src->n;
    nn_dataset d = *src;
    d.n = n;
    size_t dim = (size_t)nn_dataset_dim(src);
    d.x = xmalloc((size_t)(n ? n : 1) * dim * sizeof(float));
    d.y = src->y ? xmalloc((size_t)(n ? n : 1) * sizeof(int)) : NULL;
    d.t = src->t ? xmalloc((size_t)(n ? n : 1) * (size_t)src->t_dim * sizeof(float)) : NULL;

    if (how == NN_SUBSET_FIRST || !src->y || src->classes <= 0 || src->n == 0) {
        for (int i = 0; i < n; i++) copy_example(src, i, &d, i);
        *out = d;
        return;
    }
    /* Quotas by largest remainder: floor(n * count_c / N), then one more to the classes
     * with the largest fractional parts (lower class first on ties), so that the
     * quotas add up to exactly n. */
    int K = src->classes;
    int *count = xcalloc((size_t)K, sizeof(int)), *quota = xcalloc((size_t)K, sizeof(int));
    nn_dataset_histogram(src, count);
    int given = 0;
    for (int c = 0; c < K; c++) {
        quota[c] = (int)((int64_t)n * count[c] / src->n);
        given += quota[c];
    }
    char *bumped = xcalloc((size_t)K, 1);
    while (given < n) {
        int best = -1;
        int64_t best_rem = -1;
        for (int c = 0; c < K; c++) {
            int64_t rem = (int64_t)n * count[c] % src->n;
            if (!bumped[c] && quota[c] < count[c] && rem > best_rem) best = c, best_rem = rem;
        }
        DLS_ASSERT(best >= 0);
        bumped[best] = 1;
        quota[best]++;
        given++;
    }
    free(bumped);
    int j = 0;
    for (int i = 0; i < src->n && j < n; i++) {
        int c = src->y[i];
        if (quota[c] > 0) {
            quota[c]--;
            copy_example(src, i, &d, j++);
        }
    }
    DLS_ASSERT(j == n);
    free(count);
    free(quota);
    *out = d;
}
