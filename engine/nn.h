/* nn.h: the one public header of dlstudy's neural-network engine: tensors and arenas,
 * backends (chosen at run time), layers built from declarative specs, models, losses,
 * optimizers with learning-rate schedules, checkpoints, threads and BLAS information.
 * It is not the backend kernel table (engine/backend.h, for backend authors) and knows
 * nothing of notes, labs or screens. Library code never prints: text goes to a dls_buf,
 * failures to a caller-owned dls_error.
 *
 * Shape letters used throughout: N = batch, C = channels, H/W = height/width,
 * OC = output channels, K = kernel size, F = features, OUT = output units.
 *
 * A training loop (error handling shortened):
 *     nn_layer_spec net[] = { { .kind = NN_LAYER_FLATTEN },
 *                             { .kind = NN_LAYER_LINEAR, .out = 128 }, { .kind = NN_LAYER_RELU },
 *                             { .kind = NN_LAYER_LINEAR, .out = 10 } };
 *     nn_model *m = nn_model_new(net, 4, 1, 28, 28, nn_backend_get("cpu", &e), 42, &e);
 *     nn_optim_config cfg = nn_optim_config_default(NN_OPTIM_ADAM);
 *     nn_optim *opt = nn_optim_new(m, &cfg, &e);
 *     for (each batch x (64, 1, 28, 28), y (64))
 *         nn_model_train_step(m, opt, x, y, NULL, 64, NN_LOSS_CROSS_ENTROPY, &loss, &e);
 *     nn_model_evaluate(m, &test_set, 1000, NN_LOSS_CROSS_ENTROPY, &result, &e);
 *     nn_checkpoint_save("run.ckpt", m, opt, "lab=mlp\nepoch=1\n", &e);
 *     nn_optim_free(opt); nn_model_free(m); */
#ifndef NN_H
#define NN_H

#include <stddef.h>
#include <stdint.h>

#include "util/dls.h"
#include "engine/nn_data.h"

/* ---------------------------------------------------------------- backends */

typedef enum nn_device { NN_DEV_CPU = 0, NN_DEV_CUDA = 1 } nn_device;

/* The kernel table (struct nn_backend_ops) is defined in engine/backend.h; study/ and
 * tui/ only pass the pointer around. */
typedef struct nn_backend_ops nn_backend;

/* The CPU backend (OpenBLAS plus the engine's own loops); always present. */
extern const nn_backend nn_backend_cpu;

/* Finds a backend by name: "cpu" or "cuda". Returns NULL with DLS_ERR_UNSUPPORTED
 * ("this build has no CUDA; rebuild with make CUDA=1") in a build without CUDA, with
 * DLS_ERR_NODEVICE when CUDA is built in but no GPU is usable, and DLS_ERR_INVALID for
 * an unknown name. The returned table is static: never free it. */
const nn_backend *nn_backend_get(const char *name, dls_error *e);
const char *nn_backend_name(const nn_backend *be);   /* "cpu", "cuda" */
nn_device   nn_backend_device(const nn_backend *be);

/* ---------------------------------------------------------------- tensors and arenas */

#define NN_MAX_DIMS 4

/* A float32 tensor: a view, never the owner of its memory. Images are NCHW, feature
 * batches (N, F). data lives where be says (host memory for the CPU backend, device
 * memory for CUDA): code outside the backend never dereferences it unless
 * nn_backend_device(be) == NN_DEV_CPU; it copies with nn_tensor_to_host/to_device. */
typedef struct nn_tensor {
    float            *data;
    int               ndim;                /* 1..4 */
    int               shape[NN_MAX_DIMS];  /* unused trailing dims are 1 */
    int               stride[NN_MAX_DIMS]; /* in elements; contiguous row-major by default */
    const nn_backend *be;
} nn_tensor;

/* A contiguous view of data with the given shape (ndim values in shape). */
nn_tensor nn_tensor_view(const nn_backend *be, float *data, int ndim, const int *shape);
size_t    nn_tensor_numel(const nn_tensor *t);
/* "(64, 32, 28, 28)" into buf (at least 64 bytes); returns buf. */
const char *nn_tensor_shape_str(const nn_tensor *t, char *buf, size_t size);
/* Whole-tensor copies between host memory and the tensor's device (memcpy on CPU). */
void nn_tensor_to_host(const nn_tensor *t, float *host);
void nn_tensor_to_device(nn_tensor *t, const float *host);

/* A bump allocator over one backend allocation: parameters, gradients and optimizer
 * state are carved out of arenas and never freed one by one (all at deinit). */
typedef struct nn_arena {
    const nn_backend *be;
    char             *base;  /* device memory */
    size_t            size, used;
} nn_arena;

/* Allocates bytes on be. DLS_ERR_NOMEM (device memory) fills e. */
int    nn_arena_init(nn_arena *a, const nn_backend *be, size_t bytes, dls_error *e);
void   nn_arena_deinit(nn_arena *a);
/* n floats, 64-byte aligned, not zeroed; asserts that the arena has room (callers size
 * arenas exactly with a first pass). */
float *nn_arena_floats(nn_arena *a, size_t n);
/* Bytes that n floats take, aligned as nn_arena_floats takes them. */
size_t nn_arena_bytes(size_t n);

/* ---------------------------------------------------------------- RNG */

/* Counter-based RNG: a pure function of (seed, stream, counter), so results do not
 * depend on call order or thread count. The formula (splitmix64 finalizer) is written
 * out in engine/backend.h so that device kernels compute the same numbers. */
uint64_t nn_rng_u64(uint64_t seed, uint64_t stream, uint64_t counter);
float    nn_rng_uniform(uint64_t seed, uint64_t stream, uint64_t counter); /* [0, 1) */
float    nn_rng_normal(uint64_t seed, uint64_t stream, uint64_t counter);  /* N(0, 1) */

/* ---------------------------------------------------------------- layer specs */

/* Layer kinds. Text names (nn_layer_kind_name/parse) are shared by lab specs (YAML)
 * and checkpoints: "linear", "conv2d", "maxpool2d", "avgpool2d", "global_avgpool",
 * "flatten", "relu", "leaky_relu", "sigmoid", "tanh", "softmax", "log_softmax",
 * "dropout", "batchnorm", "residual". */
typedef enum nn_layer_kind {
    NN_LAYER_LINEAR = 0,      /* out: units; input is flattened per example */
    NN_LAYER_CONV2D,          /* out: channels; kernel, stride, padding */
    NN_LAYER_MAXPOOL2D,       /* kernel, stride (0 = kernel), padding */
    NN_LAYER_AVGPOOL2D,       /* kernel, stride (0 = kernel), padding (counted as zeros) */
    NN_LAYER_GLOBAL_AVGPOOL,  /* (N, C, H, W) -> (N, C, 1, 1) */
    NN_LAYER_FLATTEN,         /* (N, C, H, W) -> (N, C*H*W) */
    NN_LAYER_RELU,
    NN_LAYER_LEAKY_RELU,      /* slope */
    NN_LAYER_SIGMOID,
    NN_LAYER_TANH,
    NN_LAYER_SOFTMAX,         /* over the features of each example */
    NN_LAYER_LOG_SOFTMAX,
    NN_LAYER_DROPOUT,         /* p = probability of dropping; identity in eval mode */
    NN_LAYER_BATCHNORM,       /* per channel (4-D input) or per feature (2-D input) */
    NN_LAYER_RESIDUAL,        /* out channels, stride: conv3x3-BN-ReLU-conv3x3-BN plus the
                                 input (1x1 conv + BN when shape changes), then ReLU */
    NN_LAYER_KIND_COUNT
} nn_layer_kind;

/* Weight initialisation. NN_INIT_DEFAULT is PyTorch's default for the layer (uniform
 * +-1/sqrt(fan_in) for weights and biases), so that recipes compare like for like.
 * The others set biases to zero. Kaiming uses gain sqrt(2) (ReLU); Xavier gain 1. */
typedef enum nn_init_kind {
    NN_INIT_DEFAULT = 0,
    NN_INIT_KAIMING_UNIFORM,
    NN_INIT_KAIMING_NORMAL,
    NN_INIT_XAVIER_UNIFORM,
    NN_INIT_XAVIER_NORMAL,
    NN_INIT_KIND_COUNT
} nn_init_kind;

/* One layer of a model, as a lab spec or a checkpoint declares it. Fields a kind does
 * not use are ignored (leave them 0). nn_layer_spec_default() gives sensible values. */
typedef struct nn_layer_spec {
    nn_layer_kind kind;
    int           out;      /* linear: units; conv2d/residual: output channels */
    int           kernel;   /* conv2d, pools: square kernel size */
    int           stride;   /* conv2d, pools, residual: 0 means conv 1, pool = kernel */
    int           padding;  /* conv2d, pools */
    float         p;        /* dropout probability */
    float         slope;    /* leaky_relu negative slope (0 means 0.01) */
    nn_init_kind  init;     /* linear, conv2d, residual */
} nn_layer_spec;

nn_layer_spec nn_layer_spec_default(nn_layer_kind kind);
/* The two reference models every speed and accuracy figure is quoted for (the MNIST
 * benchmark, its tests, the GPU check): the MLP 784-128-128-10 with ReLU, and the CNN
 * conv3x3 32 pad 1 - ReLU - maxpool 2 - conv3x3 64 pad 1 - ReLU - maxpool 2 - FC 128 -
 * ReLU - dropout 0.5 - FC 10. Fills out (room for NN_REFERENCE_MAX_LAYERS) and returns
 * the layer count, for a 1x28x28 input. */
typedef enum { NN_REFERENCE_MLP, NN_REFERENCE_CNN } nn_reference_model;
enum { NN_REFERENCE_MAX_LAYERS = 11 };
int nn_reference_specs(nn_reference_model model, nn_layer_spec *out);
/* Text names; _name never returns NULL ("?" for out-of-range). _parse returns DLS_OK
 * or DLS_ERR_INVALID with a message listing the valid names. */
const char *nn_layer_kind_name(nn_layer_kind k);
int         nn_layer_kind_parse(const char *name, nn_layer_kind *out, dls_error *e);
const char *nn_init_kind_name(nn_init_kind k);  /* "default", "kaiming_uniform", ... */
int         nn_init_kind_parse(const char *name, nn_init_kind *out, dls_error *e);
/* One line, e.g. "conv2d out=32 kernel=3 stride=1 padding=1" (" init=NAME" is added
 * when the initialiser is not the default). */
void        nn_layer_spec_format(const nn_layer_spec *s, dls_buf *out);

/* ---------------------------------------------------------------- losses */

/* Text names: "cross_entropy", "mse", "bce".
 * - CROSS_ENTROPY: from logits (log-sum-exp, stable), with integer labels; mean over N.
 * - MSE: mean over all elements; with labels instead of targets the labels are one-hot
 *   encoded, so a classifier can be trained with MSE (the losses lab).
 * - BCE: binary cross-entropy with logits (stable), mean over all elements; targets in
 *   [0,1], or labels (one output: label 0/1; several outputs: one-hot). */
typedef enum nn_loss_kind {
    NN_LOSS_CROSS_ENTROPY = 0,
    NN_LOSS_MSE,
    NN_LOSS_BCE,
    NN_LOSS_KIND_COUNT
} nn_loss_kind;
const char *nn_loss_kind_name(nn_loss_kind k);
int         nn_loss_kind_parse(const char *name, nn_loss_kind *out, dls_error *e);

/* ---------------------------------------------------------------- optimizers */

/* Text names: "sgd", "adam", "adamw", "rmsprop". */
typedef enum nn_optim_kind {
    NN_OPTIM_SGD = 0,    /* momentum, nesterov, weight_decay (L2 added to the gradient) */
    NN_OPTIM_ADAM,       /* beta1, beta2, eps, weight_decay as L2 (PyTorch Adam) */
    NN_OPTIM_ADAMW,      /* decoupled weight decay (PyTorch AdamW) */
    NN_OPTIM_RMSPROP,    /* alpha (smoothing), eps, momentum, weight_decay (PyTorch RMSprop) */
    NN_OPTIM_KIND_COUNT
} nn_optim_kind;

/* Text names: "constant", "step", "cosine". */
typedef enum nn_sched_kind {
    NN_SCHED_CONSTANT = 0,
    NN_SCHED_STEP,       /* lr * gamma^(floor(step / step_size)) */
    NN_SCHED_COSINE,     /* lr_min + (lr - lr_min) * (1 + cos(pi * step / total_steps)) / 2 */
    NN_SCHED_KIND_COUNT
} nn_sched_kind;

/* Every hyper-parameter, PyTorch's meanings and defaults (nn_optim_config_default). */
typedef struct nn_optim_config {
    nn_optim_kind kind;
    float         lr;
    float         momentum;      /* SGD, RMSprop */
    int           nesterov;      /* SGD */
    float         weight_decay;
    float         beta1, beta2;  /* Adam(W) */
    float         eps;           /* Adam(W), RMSprop */
    float         alpha;         /* RMSprop smoothing constant */
    nn_sched_kind sched;
    long          step_size;     /* STEP: optimizer steps between decays */
    float         gamma;         /* STEP: decay factor */
    long          total_steps;   /* COSINE: steps over which lr falls to lr_min */
    float         lr_min;        /* COSINE */
} nn_optim_config;

/* Defaults: sgd lr 0.01; adam/adamw lr 1e-3, betas 0.9/0.999, eps 1e-8 (adamw
 * weight_decay 0.01); rmsprop lr 0.01, alpha 0.99, eps 1e-8; schedule constant. */
nn_optim_config nn_optim_config_default(nn_optim_kind kind);
const char *nn_optim_kind_name(nn_optim_kind k);
int         nn_optim_kind_parse(const char *name, nn_optim_kind *out, dls_error *e);
const char *nn_sched_kind_name(nn_sched_kind k);
int         nn_sched_kind_parse(const char *name, nn_sched_kind *out, dls_error *e);
/* The scheduled learning rate at optimizer step `step` (0-based). */
float       nn_sched_lr(const nn_optim_config *c, long step);

/* ---------------------------------------------------------------- models */

typedef struct nn_model nn_model;
typedef struct nn_optim nn_optim;

/* Builds a model for inputs of shape (in_c, in_h, in_w) per example (a flat input of F
 * features is (F, 1, 1)) on backend be (NULL = CPU), with parameters initialised from
 * seed. specs is copied. Shape errors return NULL with DLS_ERR_INVALID and a message
 * naming the layer ("layer 3 (maxpool2d): kernel 2 larger than input 1x1"); device
 * memory exhaustion DLS_ERR_NOMEM. Free with nn_model_free. */
nn_model *nn_model_new(const nn_layer_spec *specs, int n_specs, int in_c, int in_h, int in_w,
                       const nn_backend *be, uint64_t seed, dls_error *e);
void      nn_model_free(nn_model *m);

/* Training mode (dropout active, batch norm uses batch statistics) or eval mode. A new
 * model is in training mode. */
void   nn_model_set_training(nn_model *m, int training);
int    nn_model_training(const nn_model *m);
size_t nn_model_param_count(const nn_model *m);
int    nn_model_n_layers(const nn_model *m);
const nn_layer_spec *nn_model_layer_spec(const nn_model *m, int layer);
/* Per-example output shape of a layer (layer = -1: the model's input). */
void   nn_model_layer_shape(const nn_model *m, int layer, int *c, int *h, int *w);
int    nn_model_out_features(const nn_model *m);  /* c*h*w of the last layer */
size_t nn_model_layer_param_count(const nn_model *m, int layer);
/* Copies a layer's parameters to or from host memory: nn_model_layer_param_count values,
 * weights first (linear (OUT, IN), conv2d (OC, C, K, K), batchnorm gamma (C)), then
 * biases (batchnorm beta); a residual block's sub-layers follow in order. */
void   nn_model_get_params(const nn_model *m, int layer, float *host);
void   nn_model_set_params(nn_model *m, int layer, const float *host);
const nn_backend *nn_model_backend(const nn_model *m);
uint64_t nn_model_seed(const nn_model *m);
/* A table of layers, output shapes and parameter counts, one layer a line, ending with
 * "total parameters: N". */
void   nn_model_summary(const nn_model *m, dls_buf *out);

/* Forward pass over a batch of n examples; x is host memory (n, in_c, in_h, in_w).
 * Activations live in a workspace reused between calls (grown only when n grows), so a
 * training loop allocates nothing per step. *out (may be NULL) borrows the output
 * tensor (n, out_features) until the next forward or nn_model_free. */
int  nn_model_forward(nn_model *m, const float *x, int n, const nn_tensor **out, dls_error *e);
/* Copies the last forward's output (n, out_features) into host memory. */
void nn_model_output(const nn_model *m, float *host);

/* Loss of the last forward against labels (int, n) or targets (float, n x out_features)
 * (give one, the other NULL), and its gradient with respect to the output, which
 * nn_model_backward then propagates. Returns DLS_ERR_INVALID for a label out of range or
 * a loss that does not fit the output (cross-entropy needs labels). */
int  nn_model_loss(nn_model *m, const int *labels, const float *targets, nn_loss_kind loss,
                   float *loss_out, dls_error *e);
/* Backward pass: fills every parameter gradient (overwriting, not accumulating). */
void nn_model_backward(nn_model *m);

/* One training step: forward, loss, backward, optimizer update, schedule advance.
 * Writes the batch's mean loss. DLS_ERR_DIVERGED when the loss is NaN or infinite (the
 * update is then skipped). opt must have been made for m. */
int  nn_model_train_step(nn_model *m, nn_optim *opt, const float *x, const int *labels,
                         const float *targets, int n, nn_loss_kind loss, float *loss_out,
                         dls_error *e);

/* Mean loss and accuracy over a data set, in eval mode, in batches of `batch` (the
 * previous mode is restored). Accuracy is the fraction with argmax == label (one output
 * unit: (logit > 0) == label); 0 when d has no labels. */
typedef struct nn_eval_result {
    double loss;
    double accuracy;
    int    n;
} nn_eval_result;
int  nn_model_evaluate(nn_model *m, const nn_dataset *d, int batch, nn_loss_kind loss,
                       nn_eval_result *out, dls_error *e);

/* L2 norm of a layer's parameter gradients after the last backward (0 for layers
 * without parameters). */
double nn_model_grad_norm(const nn_model *m, int layer);

/* Gradient check: compares backward's gradients with central differences
 * (f(w+eps) - f(w-eps)) / 2eps on up to max_per_layer parameters of each layer (chosen
 * with the model seed), and on inputs. Dropout masks are held fixed. The model's
 * parameters are restored afterwards. rel_err = |a - n| / max(|a| + |n|, 1e-2). */
typedef struct nn_gradcheck_result {
    int    checked;
    double max_rel_err;
    int    worst_layer;     /* layer of the worst parameter, -1 = input */
    double worst_analytic, worst_numeric;
} nn_gradcheck_result;
int nn_model_gradcheck(nn_model *m, const float *x, const int *labels, const float *targets,
                       int n, nn_loss_kind loss, float eps, int max_per_layer,
                       nn_gradcheck_result *out, dls_error *e);

/* ---------------------------------------------------------------- optimizer objects */

/* An optimizer bound to model m: its state (momentum, Adam moments) lives in m's device
 * arena. DLS_ERR_INVALID for a bad config (lr <= 0, beta outside [0,1), ...). */
nn_optim *nn_optim_new(nn_model *m, const nn_optim_config *cfg, dls_error *e);
void      nn_optim_free(nn_optim *o);
/* Applies one update from the gradients of the last backward and advances the step. */
void      nn_optim_step(nn_optim *o);
long      nn_optim_steps(const nn_optim *o);       /* updates done so far */
float     nn_optim_lr(const nn_optim *o);          /* lr for the next update */
const nn_optim_config *nn_optim_get_config(const nn_optim *o);

/* ---------------------------------------------------------------- checkpoints */

/* Saves the architecture, parameters, batch-norm statistics, the optimizer (when opt is
 * not NULL: config, step count, state) and meta (NULL or "key=value\n" lines, e.g.
 * "lab=cnn-mnist\nepoch=3\n") to path atomically (temp file + fsync + rename), with a
 * CRC-32 of the whole content. DLS_ERR_IO names the path. */
int nn_checkpoint_save(const char *path, const nn_model *m, const nn_optim *opt,
                       const char *meta, dls_error *e);

/* Loads into an existing model (and opt, when not NULL and the file holds optimizer
 * state: its step count and state arrays; opt keeps its own hyper-parameters, so a
 * resumed run may change them; an optimizer of another kind is DLS_ERR_MISMATCH). Rejects, naming the file:
 * DLS_ERR_IO unreadable, DLS_ERR_PARSE not a checkpoint (bad magic), DLS_ERR_UNSUPPORTED
 * another version, DLS_ERR_CORRUPT truncated or checksum mismatch, DLS_ERR_MISMATCH
 * another architecture or input shape. On failure m and opt are unchanged. *meta (may be
 * NULL) receives the metadata text, freed by the caller. */
int nn_checkpoint_load(const char *path, nn_model *m, nn_optim *opt, char **meta,
                       dls_error *e);

/* Reads only the architecture and metadata, to build a model that fits the file:
 * *specs (free()), *n_specs, input shape, *meta (may be NULL; free()). */
int nn_checkpoint_read_arch(const char *path, nn_layer_spec **specs, int *n_specs,
                            int *in_c, int *in_h, int *in_w, char **meta, dls_error *e);

/* ---------------------------------------------------------------- threads and BLAS */

/* Threads for the engine's own loops (n <= 0: the number of CPUs); OpenBLAS runs
 * single-threaded inside them. Results are bit-for-bit repeatable for a given seed and
 * thread count. Call it between training steps, never between a forward and its
 * backward. */
void nn_set_threads(int n);
int  nn_get_threads(void);

typedef struct nn_blas_info {
    char core[64];      /* openblas_get_corename(), e.g. "SkylakeX", "Prescott" */
    char config[256];   /* openblas_get_config() */
    int  threads;       /* OpenBLAS threads */
    int  slow;          /* 1 when the core is a slow fallback on a CPU with AVX-512/AVX2 */
    char fast_core[32]; /* the OPENBLAS_CORETYPE that would be fast here, or "" */
} nn_blas_info;
void nn_blas_get_info(nn_blas_info *out);
/* 1 when OpenBLAS runs kernels far below what this CPU can do (Debian's 0.3.21 picks
 * "Prescott" on CPUs it does not know). The program's main may then re-exec itself
 * with OPENBLAS_CORETYPE=nn_blas_fast_core() (read only when the library loads). */
int  nn_blas_slow_core(void);
const char *nn_blas_fast_core(void);   /* "SkylakeX", "Haswell", or NULL */
/* One line: "OpenBLAS 0.3.21 core SkylakeX, 2 threads; engine threads 2". */
void nn_blas_describe(dls_buf *out);

#endif
