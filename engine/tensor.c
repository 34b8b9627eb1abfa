/* tensor.c: tensor views, arenas over backend memory, and finding a backend by name.
 * Not the kernels (engine/cpu/, engine/cuda/) and not the model. */
#include <stdio.h>
#include <string.h>

#include "engine/backend.h"

const nn_backend *nn_backend_get(const char *name, dls_error *e) {
    if (!name || !strcmp(name, "cpu")) return &nn_backend_cpu;
    if (!strcmp(name, "cuda") || !strcmp(name, "gpu")) {
#ifdef DLS_CUDA
        return nn_backend_cuda_get(e);
#else
        dls_fail(e, DLS_ERR_UNSUPPORTED, "this build has no CUDA; rebuild with make CUDA=1");
        return NULL;
#endif
    }
    dls_fail(e, DLS_ERR_INVALID, "unknown device '%s' (expected cpu or cuda)", name);
    return NULL;
}

const char *nn_backend_name(const nn_backend *be) { return be ? be->name : "cpu"; }
nn_device   nn_backend_device(const nn_backend *be) { return be ? be->device : NN_DEV_CPU; }

nn_tensor nn_tensor_view(const nn_backend *be, float *data, int ndim, const int *shape) {
    DLS_ASSERT(ndim >= 1 && ndim <= NN_MAX_DIMS);
    nn_tensor t = { .data = data, .ndim = ndim, .be = be ? be : &nn_backend_cpu };
    for (int i = 0; i < NN_MAX_DIMS; i++) t.shape[i] = i < ndim ? shape[i] : 1;
    int s = 1;
    for (int i = NN_MAX_DIMS - 1; i >= 0; i--) { t.stride[i] = s; s *= t.shape[i]; }
    return t;
}

size_t nn_tensor_numel(const nn_tensor *t) {
    size_t n = 1;
    for (int i = 0; i < t->ndim; i++) n *= (size_t)t->shape[i];
    return n;
}

const char *nn_tensor_shape_str(const nn_tensor *t, char *buf, size_t size) {
    size_t used = 0;
    used += (size_t)snprintf(buf, size, "(");
    for (int i = 0; i < t->ndim && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, i ? ", %d" : "%d", t->shape[i]);
    if (used < size) snprintf(buf + used, size - used, ")");
    return buf;
}

void nn_tensor_to_host(const nn_tensor *t, float *host) {
    t->be->to_host(host, t->data, nn_tensor_numel(t) * sizeof(float));
}

void nn_tensor_to_device(nn_tensor *t, const float *host) {
    t->be->to_device(t->data, host, nn_tensor_numel(t) * sizeof(float));
}

size_t nn_arena_bytes(size_t n) { return (n * sizeof(float) + 63) / 64 * 64; }

int nn_arena_init(nn_arena *a, const nn_backend *be, size_t bytes, dls_error *e) {
    memset(a, 0, sizeof *a);
    a->be = be ? be : &nn_backend_cpu;
    void *p = NULL;
    int   rc = a->be->alloc(&p, bytes ? bytes : 64);
    if (rc != DLS_OK)
        return dls_fail(e, rc, "cannot allocate %.1f MiB on %s", bytes / 1048576.0, a->be->name);
    a->base = p;
    a->size = bytes;
    return DLS_OK;
}

void nn_arena_deinit(nn_arena *a) {
    if (a->base) a->be->free(a->base);
    a->base = NULL;
    a->size = a->used = 0;
}

float *nn_arena_floats(nn_arena *a, size_t n) {
    size_t bytes = nn_arena_bytes(n);
    DLS_ASSERT(a->used + bytes <= a->size);
    float *p = (float *)(a->base + a->used);
    a->used += bytes;
    return p;
}
