/* fuzz_idx: the IDX reader (gzip or plain) on arbitrary files: it must refuse what it
 * cannot read with a message, and what it accepts must be consistent. */
#include "fuzz/fuzz.h"
#include "engine/nn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_scratch_file(data, size, ".idx");
    static const uint32_t magics[] = {0x00000803, 0x00000801};
    for (int i = 0; i < 2; i++) {
        nn_idx    x;
        dls_error e = {0};
        if (nn_idx_read(path, magics[i], &x, &e) == DLS_OK) nn_idx_deinit(&x);
        else if (!e.msg[0]) abort();
    }
    unlink(path);
    return 0;
}
