/* fuzz.h: shared bits of the libFuzzer targets: writing an input to a scratch file for
 * readers that take a path. Each target defines LLVMFuzzerTestOneInput; the same files
 * also build with fuzz/replay.c (no libFuzzer) to replay the corpus in `make test`. */
#ifndef FUZZ_H
#define FUZZ_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A per-process scratch file holding data; the path stays valid until the next call. */
static inline const char *fuzz_scratch_file(const uint8_t *data, size_t size, const char *suffix) {
    static char path[256];
    const char *dir = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/dlstudy-fuzz-%d%s", dir && *dir ? dir : "/tmp", (int)getpid(), suffix);
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    if (size && fwrite(data, 1, size, f) != size) abort();
    if (fclose(f) != 0) abort(); /* a short file would fuzz an input other than data */
    return path;
}
#endif
