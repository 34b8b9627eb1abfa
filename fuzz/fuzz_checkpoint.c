/* fuzz_checkpoint: the checkpoint reader on arbitrary files. Loading into a small model
 * must either succeed or fail with a message, and never crash or leave the model broken. */
#include "fuzz/fuzz.h"
#include "engine/nn.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_scratch_file(data, size, ".ckpt");
    dls_error e = {0};
    nn_layer_spec *specs = NULL;
    int n = 0, c = 0, h = 0, w = 0;
    char *meta = NULL;
    if (nn_checkpoint_read_arch(path, &specs, &n, &c, &h, &w, &meta, &e) == DLS_OK) {
        /* Build the model the file describes (if it is small) and load everything into it. */
        nn_model *m = (long)c * h * w <= 4096 ? nn_model_new(specs, n, c, h, w, &nn_backend_cpu, 1, &e) : NULL;
        if (m) {
            char *meta2 = NULL;
            if (nn_checkpoint_load(path, m, NULL, &meta2, &e) != DLS_OK && !e.msg[0]) abort();
            free(meta2);
            nn_model_free(m);
        }
        free(specs);
        free(meta);
    } else if (!e.msg[0]) {
        abort();
    }
    unlink(path);
    return 0;
}
