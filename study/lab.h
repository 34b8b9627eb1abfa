/* lab.h: labs, the runnable experiments behind the notes' concepts. A lab is a YAML spec
 * (labs/NAME.yaml: data set, model as a list of layers, loss, optimizer, variants that
 * change one thing); the runner trains it on the engine a few batches at a time
 * (lab_run_step), so a screen can poll keys between steps; results live in SQLite and
 * export as CSV or SVG. Not here: terminal output (tui/cmd_lab.c, tui/screens) and the
 * engine itself (engine/nn.h). */
#ifndef STUDY_LAB_H
#define STUDY_LAB_H

#include <stdint.h>

#include "engine/nn.h"
#include "study/store.h"
#include "util/dls.h"

/* ---- Specs -------------------------------------------------------------------------- */

enum lab_data_kind { LAB_DATA_MNIST, LAB_DATA_FASHION, LAB_DATA_XOR, LAB_DATA_SPIRALS,
                     LAB_DATA_MOONS, LAB_DATA_SINE };

/* A layer as the spec writes it: an engine layer (kind < NN_LAYER_KIND_COUNT) or a
 * `repeat` block, which is what a variant's `depth` changes. Expanded to the engine's
 * nn_layer_spec list when the model is built. */
#define LAB_REPEAT NN_LAYER_KIND_COUNT
typedef struct lab_layer {
    nn_layer_spec spec;          /* kind, out, kernel, stride, padding, p, slope */
    int    repeat;               /* kind == LAB_REPEAT: times the body is repeated */
    struct lab_layer *body;      /* repeat: the inner layers */
    int    n_body;
    int    line, col;            /* where the layer is written in the spec (1-based) */
} lab_layer;

/* Everything a variant may change. Copies own their layers (lab_config_copy/deinit). */
typedef struct lab_config {
    enum lab_data_kind data;
    int    subset;        /* training examples used (stratified); 0 = all */
    int    test_subset;   /* test examples used; 0 = all */
    float  noise;         /* synthetic sets: input noise */
    float  label_noise;   /* fraction of training labels replaced by random other ones */
    int    n_samples;     /* synthetic sets: training examples generated (test: half) */
    enum nn_norm norm;    /* image sets: NN_NORM_MNIST (mean/std, default) or NN_NORM_UNIT */
    lab_layer *layers;
    int    n_layers;
    nn_loss_kind    loss;
    nn_optim_config opt;  /* step_size counts epochs here; the runner converts to steps */
    nn_init_kind    init;
    int    epochs, batch;
    uint64_t seed;
    int    patience;      /* early stopping on test loss; 0 = off */
    int    eval_train_mode; /* 1: evaluate with dropout still on (the classic mistake) */
} lab_config;

enum { LAB_METRIC_LOSS = 1, LAB_METRIC_ACCURACY = 2, LAB_METRIC_GRAD_NORMS = 4,
       LAB_METRIC_GRAD_CHECK = 8 };

typedef struct lab_variant {
    char      *name;
    char      *description;  /* what this variant changes, in words; may be NULL */
    lab_config cfg;
} lab_variant;

typedef struct lab_spec {
    char  *path;
    char  *name;        /* = the file name without .yaml */
    char  *title;
    char  *summary;
    char **concepts;    /* keys and terms the lab teaches ("ReLU", "反向传播") */
    int    n_concepts;
    unsigned metrics;   /* LAB_METRIC_* */
    lab_config base;
    lab_variant *variants; /* always at least one: a spec without variants gets "default" */
    int    n_variants;
} lab_spec;

/* Reads and validates labs/NAME.yaml: unknown keys, wrong types, unknown data sets,
 * layer shapes (the model is shape-checked for its data set, then built on the engine).
 * Errors are DLS_ERR_IO / DLS_ERR_PARSE / DLS_ERR_INVALID with "FILE:LINE:COL: what"
 * in e->msg. *out is written only on DLS_OK; free with lab_spec_free. */
int  lab_spec_load(const char *path, lab_spec **out, dls_error *e);
void lab_spec_free(lab_spec *s);
/* Loads labs_dir/NAME.yaml; DLS_ERR_NOTFOUND names the labs folder when absent. */
int  lab_spec_find(const char *labs_dir, const char *name, lab_spec **out, dls_error *e);
/* Every *.yaml in labs_dir, sorted by name. Specs that fail to load are skipped and
 * their errors appended to errors (one per line; may be NULL). Free with lab_spec_list_free. */
int  lab_spec_list(const char *labs_dir, lab_spec ***out, int *n, dls_buf *errors, dls_error *e);
void lab_spec_list_free(lab_spec **specs, int n);

void lab_config_copy(lab_config *dst, const lab_config *src);
void lab_config_deinit(lab_config *c);
const char *lab_data_name(enum lab_data_kind k);   /* "mnist", "spirals", ... */
/* One line describing the model ("conv2d 32 k3 - relu - ... - linear 10"); caller frees. */
char *lab_model_describe(const lab_config *c);
/* Input shape and number of outputs the data set asks for (classes, 1 for bce/sine). */
void lab_data_shape(const lab_config *c, int *ch, int *h, int *w, int *outputs);
/* The engine layer list of a config, repeats expanded; lines and cols (may be NULL) get
 * where each layer is written. Caller frees the arrays. */
int  lab_config_layers(const lab_config *c, nn_layer_spec **specs, int **lines, int **cols);

/* ---- Concept links ------------------------------------------------------------------ */

/* Does a lab teach this concept? Case-insensitive, ignoring spaces, '-' and '_', and a
 * concept matches a heading that contains it ("ReLU" matches "ReLU 激活函数"). */
int lab_concept_matches(const char *concept, const char *heading);
/* The labs for a review card: the note's own `labs:` first (note_labs, may be NULL),
 * then every lab whose concepts match the card's heading or one of the note's tags.
 * Returns the number of names written into out (borrowed from specs, at most max). */
int lab_links_for_card(lab_spec *const *specs, int n_specs, const char *const *note_labs,
                       int n_note_labs, const char *heading, const char *const *tags,
                       int n_tags, const char **out, int max);

/* ---- Data sets ---------------------------------------------------------------------- */

typedef struct lab_data_status {
    const char *name;      /* "mnist", "fashion-mnist", "spirals" */
    int   synthetic;
    int   found;           /* 1 when the four files are there and verified */
    int   damaged;         /* files there but not the original content (detail says which) */
    char  dir[1024];       /* where it was found, or the first place looked */
    char  detail[512];     /* what is wrong, and exactly how to get it */
} lab_data_status;

/* Looks for an IDX set ("mnist", "fashion-mnist") in: opt_dir (--data; the folder
 * itself or opt_dir/NAME), $DLSTUDY_DATA (same), data_dir/NAME (XDG), and for
 * fashion-mnist /usr/share/datasets/fashion-mnist. verify=1 checks the SHA-256 of the
 * uncompressed content (slow: reads 55 MB). DLS_OK with dir filled, else
 * DLS_ERR_NOTFOUND / DLS_ERR_CORRUPT with the how-to in e->msg. */
int lab_data_locate(const char *set, const char *opt_dir, const char *data_dir, int verify,
                    char *dir, size_t dir_size, dls_error *e);
/* Exactly how to get a set, naming the folder to copy files to; caller frees. */
char *lab_data_howto(const char *set, const char *data_dir);
/* Status of every known set (for `dlstudy data list`); out has room for 6. Returns count. */
int lab_data_list(const char *opt_dir, const char *data_dir, int verify, lab_data_status *out);
/* Downloads MNIST into dest_dir with curl or wget and verifies it. Fails clearly
 * (DLS_ERR_IO) without a network or a downloader. log receives one line per file. */
int lab_data_fetch(const char *set, const char *dest_dir, void (*log)(const char *line, void *u),
                   void *u, dls_error *e);

/* ---- Running ------------------------------------------------------------------------ */

typedef struct lab_run_opts {
    int         epochs, batch;   /* 0 = the spec's */
    double      lr;              /* 0 = the spec's */
    int64_t     seed;            /* -1 = the spec's */
    int         threads;         /* 0 = the engine's default */
    const char *device;          /* "cpu" (default) or "cuda" */
    const char *data_opt;        /* --data, may be NULL */
    const char *data_dir;        /* XDG data folder (ctx->paths.data_dir), may be NULL */
    const char *variants;        /* "a,b": only these; NULL = all */
    const char *ckpt_dir;        /* where checkpoints go; NULL = DB_FOLDER/runs for a database
                                    file, none without one (":memory:") */
    store      *db;              /* where runs and metrics go; NULL = not recorded. Used
                                    from the thread that steps the run (store.h) */
    int         resume;          /* continue the last unfinished run of this lab */
} lab_run_opts;

typedef struct lab_epoch {
    int    epoch;                /* 1-based */
    double train_loss, train_acc, test_loss, test_acc;  /* acc in 0-1; NAN when n/a */
    double seconds, images_per_s;
} lab_epoch;

enum lab_state { LAB_PENDING, LAB_RUNNING, LAB_DONE, LAB_STOPPED, LAB_FAILED, LAB_EARLY_STOPPED };

#define LAB_MAX_GRAD_LAYERS 32

typedef struct lab_variant_snap {
    char          name[64];
    enum lab_state state;
    int64_t       run_id;        /* lab_runs.id, 0 when not recorded */
    int           epochs_planned;
    int           n_epochs;      /* rows in curve */
    lab_epoch    *curve;         /* owned by the snapshot */
    int           n_grad;        /* per-layer gradient norms of the last epoch (grad_norms) */
    double        grad_norm[LAB_MAX_GRAD_LAYERS];
    char          grad_layer[LAB_MAX_GRAD_LAYERS][24];
    char          message[512];  /* why it failed or stopped early; "" otherwise */
} lab_variant_snap;

/* A copy of the run's state for a screen: owns everything, never engine pointers. */
typedef struct lab_snapshot {
    int    current;              /* index of the variant training now (n_variants when done) */
    int    n_variants;
    lab_variant_snap *variants;
    int    epoch, epochs;        /* current epoch (1-based) of the current variant */
    int    batch, batches;       /* batches done in this epoch, of */
    double running_loss;         /* mean training loss of this epoch so far */
    double images_per_s;         /* this epoch so far */
    double eta_s;                /* time left for the whole run, estimated */
    double elapsed_s;
} lab_snapshot;

/* What lab_run_step reports (a bit set). */
enum { LAB_EV_EPOCH = 1,        /* an epoch ended: lab_run_last_epoch has it */
       LAB_EV_VARIANT_END = 2,  /* a variant ended (done, stopped early, failed) */
       LAB_EV_FINISHED = 4,     /* nothing is left to run */
       LAB_EV_INFO = 8 };       /* a message (gradient check, norms) waits in lab_run_info */

typedef struct lab_run lab_run;

/* Prepares a run: loads the data set, builds the first variant's model, opens its row
 * in lab_runs. Fails with DLS_ERR_NOTFOUND/CORRUPT for missing data (e->msg says how to
 * get it), DLS_ERR_NODEVICE for cuda without CUDA, DLS_ERR_NOTFOUND when --resume finds
 * nothing to resume. The spec must outlive the run. */
int  lab_run_new(const lab_spec *spec, const lab_run_opts *o, lab_run **out, dls_error *e);
/* Trains for about budget_s seconds (at least one batch) but returns early at the end
 * of an epoch; *events says what happened. DLS_OK while all is well; a diverged
 * variant is not an error of the run (its state is LAB_FAILED, its message explains).
 * A variant that cannot start (data, device memory) is marked LAB_FAILED and its error
 * returned; calling again goes on with the next variant. Other errors (I/O, database
 * while training) are returned as they happen. */
int  lab_run_step(lab_run *r, double budget_s, unsigned *events, dls_error *e);
/* Asks the run to stop after the current batch (safe to call any time, not from a
 * signal handler); the next step marks it stopped, keeping the last epoch's checkpoint. */
void lab_run_stop(lab_run *r);
/* The epoch that just ended and the variant it belongs to (valid after LAB_EV_EPOCH). */
const lab_epoch *lab_run_last_epoch(const lab_run *r, const char **variant);
/* Text waiting after LAB_EV_INFO (gradient check table, per-layer gradient norms);
 * borrowed until the next step. "" when none. */
const char *lab_run_info(const lab_run *r);
void lab_run_snapshot(const lab_run *r, lab_snapshot *out);
void lab_snapshot_deinit(lab_snapshot *s);
int64_t lab_run_group(const lab_run *r); /* the id shared by this run's rows */
void lab_run_free(lab_run *r);

/* ---- Results ------------------------------------------------------------------------ */

typedef struct lab_result_run {
    int64_t id;
    char    variant[64];
    char    status[16];
    int64_t started_at;        /* unix seconds */
    int64_t group;             /* runs started together share it */
    char    device[16];
    int     epochs_done, epochs_planned, batch;
    double  lr;
    int64_t seed;
    int     n_epochs;
    lab_epoch *curve;
    char    error[256];
} lab_result_run;

/* The runs of a lab, newest first (all of them, or only the last group when last_only).
 * Free with lab_results_free. */
int  lab_results_load(store *db, const char *lab, int last_only, lab_result_run **out, int *n,
                      dls_error *e);
void lab_results_free(lab_result_run *runs, int n);
/* Curves as CSV (lab,run_id,variant,epoch,train_loss,train_acc,test_loss,test_acc,seconds,images_per_s). */
int  lab_export_csv(const char *path, const char *lab, const lab_result_run *runs, int n, dls_error *e);
/* Curves as an SVG plot: a loss panel and an accuracy panel, axes, ticks with labels,
 * a legend, one polyline per run (train dashed, test solid). */
int  lab_export_svg(const char *path, const char *title, const lab_result_run *runs, int n,
                    dls_error *e);
char *lab_svg_render(const char *title, const lab_result_run *runs, int n); /* caller frees */

/* Database rows (lab_results.c), used by the runner, through the store's cached
 * statements (store_prepare) and its transactions. config is JSON with at least
 * {"group": N}: the rows of one `dlstudy lab` invocation share it. Errors are the
 * store's (store_check: DLS_ERR_BUSY, DLS_ERR_IO, DLS_ERR_DB ...). */
int  lab_db_run_begin(store *db, const char *lab, const char *variant, int64_t seed,
                      const char *device, int epochs, int batch, double lr, const char *config,
                      int64_t *id, dls_error *e);
/* Records one epoch and the run's epochs_done in one transaction (committed at once). */
int  lab_db_epoch(store *db, int64_t id, const lab_epoch *ep, const char *checkpoint, dls_error *e);
int  lab_db_run_end(store *db, int64_t id, const char *status, const char *error, dls_error *e);
int  lab_db_run_status(store *db, int64_t id, const char *status, dls_error *e);
/* The newest group of lab with a running or stopped row: its group id and config text
 * (caller frees). DLS_ERR_NOTFOUND when every run of the lab has ended. */
int  lab_db_find_unfinished(store *db, const char *lab, int64_t *group, char **config, dls_error *e);
/* The metrics of one run, by epoch; *curve is freed by the caller. */
int  lab_db_load_curve(store *db, int64_t id, lab_epoch **curve, int *n, dls_error *e);
/* Forgets a run's epochs after the first keep (one transaction): keep 0 also forgets its
 * checkpoint (resuming without one starts it over); keep > 0 rewinds it to the epoch its
 * checkpoint holds. */
int  lab_db_run_reset(store *db, int64_t id, int keep, dls_error *e);
/* Upserts the labs table (name, title, spec path, concepts) from loaded specs. */
int  lab_db_sync_specs(store *db, lab_spec *const *specs, int n, dls_error *e);
/* A fresh group id (max over the lab_runs rows + 1). A failed read is an error, never
 * a guess: a reused id would merge this run into an older one's results. */
int  lab_db_new_group(store *db, int64_t *group, dls_error *e);

#endif
