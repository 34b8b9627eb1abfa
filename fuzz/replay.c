/* replay.c: runs a fuzz target's LLVMFuzzerTestOneInput over files named on the command
 * line, without libFuzzer, so `make test` replays the seed corpus and every input that
 * once crashed (fuzz/regress/) with the ordinary compiler. */
#include "fuzz/fuzz.h"
#include "util/dls.h"

int main(int argc, char **argv) {
    int n = 0;
    for (int i = 1; i < argc; i++) {
        char     *buf = NULL;
        size_t    len = 0;
        dls_error e   = {0};
        if (dls_read_file(argv[i], 0, &buf, &len, &e) != DLS_OK) {
            fprintf(stderr, "replay: %s\n", e.msg);
            return 1;
        }
        LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
        free(buf);
        n++;
    }
    printf("replayed %d inputs\n", n);
    return 0;
}
