/* model_impl.h: the inside of nn_model, shared by model.c, optim/optim.c, checkpoint.c
 * and gradcheck.c. Engine-internal: study/ and tui/ see nn_model as opaque (nn.h). */
#ifndef NN_MODEL_IMPL_H
#define NN_MODEL_IMPL_H

#include "engine/backend.h"

/* One layer. Per-example shapes (c, h, w); a flat vector of F is (F, 1, 1). Parameters
 * of a layer (weights, then biases; then those of its sub-layers) are one contiguous
 * slice [p_off, p_off + n_params) of the model's flat parameter vector, so that one
 * optimizer call updates the whole model and a layer's gradient norm is one sumsq. */
typedef struct layer {
    nn_layer_spec spec;
    int           index;                  /* top-level layer number (sub-layers: their block's) */
    int           in_c, in_h, in_w, out_c, out_h, out_w;
    size_t        in_sz, out_sz;          /* c*h*w per example */
    size_t        p_off, n_params;        /* slice of params/grads, including sub-layers */
    size_t        n_w, n_b;               /* this layer's own weight and bias counts */
    float        *w, *b, *dw, *db;        /* device views; conv w (OC, C, K, K), linear (OUT, IN) */
    size_t        s_off, n_stats;         /* batch norm running statistics, in the stats vector */
    float        *run_mean, *run_var;     /* (C) */
    nn_act_kind   fuse;                   /* activation applied by this conv/linear's forward */
    int           fused;                  /* a relu whose forward the previous layer did */
    int           absorbed;               /* relu/maxpool run entirely by the conv before */
    struct layer *pool;                   /* conv: the max pool fused into it (with ReLU) */
    /* workspace views (device), valid for batches up to the model's capacity */
    float        *ybuf;                   /* (N, out_sz), NULL for layers that alias their input */
    int32_t      *idx;                    /* maxpool argmax (N, C, OH, OW) */
    float        *save_mean, *save_invstd;/* batch norm (C) */
    float        *ra, *rb, *rc;           /* residual: gradient scratch (N, max size) */
    const float  *out;                    /* the last forward's output (ybuf or the input) */
    /* residual block: main path sub[0..n_main), shortcut sub[n_main..n_sub) */
    struct layer *sub;
    int           n_sub, n_main;
} layer;

struct nn_model {
    const nn_backend *be;
    uint64_t          seed;
    int               in_c, in_h, in_w;
    size_t            in_sz;
    int               n_layers;
    layer            *layers;
    nn_layer_spec    *specs;              /* as given, for checkpoints */

    nn_arena          store;              /* params | grads | stats, allocated once */
    float            *params, *grads;     /* (n_params) each */
    float            *stats;              /* (n_stats) batch norm running statistics */
    size_t            n_params, n_stats;

    nn_arena          ws;                 /* activations and scratch for cap_n examples */
    int               cap_n, ws_threads;
    size_t            max_act;            /* largest per-example activation, input included */
    size_t            conv_ws_bytes;      /* per batch of cap_n, for ws_threads threads */
    void             *conv_ws;
    float            *xbuf;               /* device copy of the input (non-CPU backends) */
    int32_t          *labels;             /* (cap_n) */
    float            *targets;            /* (cap_n, out) */
    float            *g[2];               /* gradient ping-pong (cap_n, max_act) */
    float            *host_t;             /* host scratch for one-hot targets (cap_n, out) */

    nn_tensor         out_tensor;         /* view of the last forward's output */
    int               n;                  /* batch of the last forward */
    const float      *x;                  /* the last forward's input (device) */
    const float      *dx_input;           /* gradient w.r.t. the input, when need_input_grad */
    int               need_input_grad;
    int               loss_ready;         /* nn_model_loss ran since the last forward */
    int               training;
    long              step;               /* training steps done: the dropout stream */
};

/* Per-layer dropout stream: stays fixed within a step (forward, backward, gradient
 * check) and changes every step. */
uint64_t nn_model_dropout_stream(const nn_model *m, int i);

#endif
