/* optim_impl.h: the inside of nn_optim, shared by optim.c and checkpoint.c.
 * Engine-internal. */
#ifndef NN_OPTIM_IMPL_H
#define NN_OPTIM_IMPL_H

#include "engine/model_impl.h"

struct nn_optim {
    nn_model       *m;
    nn_optim_config cfg;
    long            t;          /* updates done */
    nn_arena        state;      /* s1 | s2, on the model's device */
    float          *s1, *s2;    /* (n_params) each; meaning per kind in backend.h */
};

#endif
