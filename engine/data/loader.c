/* loader.c: the seeded shuffling batch loader. Each epoch's order is a Fisher-Yates
 * permutation drawn from (seed, epoch) alone, so runs repeat and resume exactly; a
 * batch is copied into caller buffers with no allocation. Not a place for
 * augmentation or background threads (MNIST fits in memory and copies are cheap). */
#include "engine/nn_data.h"

#include <stdlib.h>
#include <string.h>

/* Draws epoch's permutation into l->perm (identity when shuffle is off). */
static void shuffle_epoch(nn_loader *l) {
    int n = l->ds->n;
    for (int i = 0; i < n; i++) l->perm[i] = i;
    if (!l->shuffle) return;
    /* Mix seed and epoch through splitmix64 so that nearby seeds and epochs give
     * unrelated streams. */
    uint64_t s = l->seed ^ (0xD1B54A32D192ED03ull * (uint64_t)(l->epoch + 1));
    nn_data_rand64(&s);
    for (int i = n - 1; i > 0; i--) {
        /* j uniform in [0, i] by a multiply-shift (Lemire); the bias is below n / 2^32 */
        uint64_t r = nn_data_rand64(&s) >> 32;
        int j = (int)((r * (uint64_t)(i + 1)) >> 32);
        int tmp = l->perm[i];
        l->perm[i] = l->perm[j];
        l->perm[j] = tmp;
    }
}

void nn_loader_init(nn_loader *l, const nn_dataset *ds, int batch, uint64_t seed, int flags) {
    DLS_ASSERT(batch > 0 && ds->n > 0);
    memset(l, 0, sizeof *l);
    l->ds = ds;
    l->batch = batch;
    l->seed = seed;
    l->shuffle = (flags & NN_LOADER_SHUFFLE) != 0;
    l->drop_last = (flags & NN_LOADER_DROP_LAST) != 0;
    l->perm = xmalloc((size_t)ds->n * sizeof(int));
    shuffle_epoch(l);
}

void nn_loader_deinit(nn_loader *l) {
    if (!l) return;
    free(l->perm);
    memset(l, 0, sizeof *l);
}

void nn_loader_seek(nn_loader *l, int epoch) {
    DLS_ASSERT(epoch >= 0);
    l->epoch = epoch;
    l->pos = 0;
    shuffle_epoch(l);
}

int nn_loader_batches(const nn_loader *l) {
    int n = l->ds->n;
    return l->drop_last ? n / l->batch : (n + l->batch - 1) / l->batch;
}

int nn_loader_next_idx(nn_loader *l, const int **idx) {
    int left = l->ds->n - l->pos;
    int b = left < l->batch ? left : l->batch;
    if (b == 0 || (l->drop_last && b < l->batch)) {
        nn_loader_seek(l, l->epoch + 1);
        *idx = NULL;
        return 0;
    }
    *idx = l->perm + l->pos;
    l->pos += b;
    return b;
}

int nn_loader_next(nn_loader *l, float *x, int *y, float *t) {
    const int *idx;
    int b = nn_loader_next_idx(l, &idx);
    const nn_dataset *d = l->ds;
    size_t dim = (size_t)nn_dataset_dim(d), td = (size_t)d->t_dim;
    for (int i = 0; i < b; i++) {
        int k = idx[i];
        if (x) memcpy(x + (size_t)i * dim, d->x + (size_t)k * dim, dim * sizeof(float));
        if (y && d->y) y[i] = d->y[k];
        if (t && d->t) memcpy(t + (size_t)i * td, d->t + (size_t)k * td, td * sizeof(float));
    }
    return b;
}
