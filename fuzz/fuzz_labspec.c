/* fuzz_labspec: the lab spec reader (libyaml + validation) on arbitrary YAML: it must
 * accept or refuse with a "file:line:column" message, never crash. */
#include "fuzz/fuzz.h"
#include "study/lab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_scratch_file(data, size, "-lab.yaml");
    lab_spec  *s = NULL;
    dls_error  e = {0};
    if (lab_spec_load(path, &s, &e) == DLS_OK) lab_spec_free(s);
    else if (!e.msg[0]) abort();
    unlink(path);
    return 0;
}
