/* nn_data.h: data sets for the engine: the in-memory set, the MNIST IDX reader,
 * synthetic sets and the seeded shuffling batch loader. Included by engine/nn.h;
 * knows nothing of files beyond the data sets themselves. (Owner: engine data.) */
#ifndef NN_DATA_H
#define NN_DATA_H

#include "util/dls.h"

/* A whole data set in host memory. x holds n examples of shape (c, h, w), float32;
 * y holds class labels (classification) or is NULL; t holds regression targets
 * (n, t_dim) or is NULL. Free with nn_dataset_free. */
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

void nn_dataset_free(nn_dataset *d);

#endif
