/* memory.cu: the CUDA context (device, stream, cuBLAS handle), status checks, device
 * allocation with OOM as an error, and host<->device copies through pinned buffers. Not
 * the parameter arena's layout (the engine's tensor code carves it; this only allocates
 * it), not the kernels, and not the graph capture (backend.cu). */
#include "engine/cuda/cuda_common.cuh"

#include <stdio.h>
#include <string.h>

cu_ctx cu_g;

/* Pinned staging for to_device: two buffers used in turn, each guarded by an event, so
 * the host fills one batch while the previous copy is still in flight. Copies larger
 * than PIN_MAX go straight from pageable memory (rare: a whole test set at once). */
enum { PIN_MAX = 64u << 20 };
static float      *pin_buf[2];
static size_t      pin_cap[2];
static cudaEvent_t pin_done[2];
static int         pin_next;

static const char *base_name(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

int cu_check_(cudaError_t st, const char *call, const char *file, int line) {
    if (st == cudaSuccess) return DLS_OK;
    int code = st == cudaErrorMemoryAllocation ? DLS_ERR_NOMEM
             : (st == cudaErrorNoDevice || st == cudaErrorInsufficientDriver) ? DLS_ERR_NODEVICE
             : DLS_ERR_IO;
    if (!cu_g.err.code)
        dls_fail(&cu_g.err, code, "CUDA: %s failed: %s (%s) at %s:%d", call,
                 cudaGetErrorString(st), cudaGetErrorName(st), base_name(file), line);
    return code;
}

static const char *cublas_str(cublasStatus_t st) {
    switch (st) {
    case CUBLAS_STATUS_NOT_INITIALIZED:  return "not initialized";
    case CUBLAS_STATUS_ALLOC_FAILED:     return "allocation failed";
    case CUBLAS_STATUS_INVALID_VALUE:    return "invalid value";
    case CUBLAS_STATUS_ARCH_MISMATCH:    return "architecture mismatch";
    case CUBLAS_STATUS_MAPPING_ERROR:    return "mapping error";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "execution failed";
    case CUBLAS_STATUS_INTERNAL_ERROR:   return "internal error";
    case CUBLAS_STATUS_NOT_SUPPORTED:    return "not supported";
    case CUBLAS_STATUS_LICENSE_ERROR:    return "license error";
    default:                             return "unknown status";
    }
}

int cublas_check_(cublasStatus_t st, const char *call, const char *file, int line) {
    if (st == CUBLAS_STATUS_SUCCESS) return DLS_OK;
    int code = st == CUBLAS_STATUS_ALLOC_FAILED ? DLS_ERR_NOMEM : DLS_ERR_IO;
    if (!cu_g.err.code)
        dls_fail(&cu_g.err, code, "cuBLAS: %s failed: %s (status %d) at %s:%d", call,
                 cublas_str(st), (int)st, base_name(file), line);
    return code;
}

int nn_cuda_init(dls_error *e) {
    if (cu_g.ready) return DLS_OK;
    int n = 0;
    cudaError_t st = cudaGetDeviceCount(&n);
    if (st != cudaSuccess || n == 0) {
        const char *why = st != cudaSuccess ? cudaGetErrorString(st) : "the driver reports 0 devices";
        cudaGetLastError(); /* clear it, so later checks do not report it again */
        return dls_fail(e, DLS_ERR_NODEVICE,
                        "no CUDA device found (nvidia-smi -L lists none): %s", why);
    }
    memset(&cu_g, 0, sizeof cu_g);
    cudaDeviceProp prop;
    int rc = DLS_OK;
    if ((rc = CU_CHECK(cudaSetDevice(0)))) goto fail;
    if ((rc = CU_CHECK(cudaGetDeviceProperties(&prop, 0)))) goto fail;
    cu_g.sm_count = prop.multiProcessorCount;
    if ((rc = CU_CHECK(cudaStreamCreateWithFlags(&cu_g.stream, cudaStreamNonBlocking)))) goto fail;
    if ((rc = CUBLAS_CHECK(cublasCreate(&cu_g.blas)))) goto fail;
    if ((rc = CUBLAS_CHECK(cublasSetStream(cu_g.blas, cu_g.stream)))) goto fail;
    /* Plain FP32 (no TF32 tensor cores): the parity tests hold the GPU to 1e-4 of the
     * CPU, and TF32's 10-bit mantissa would not. */
    if ((rc = CUBLAS_CHECK(cublasSetMathMode(cu_g.blas, CUBLAS_DEFAULT_MATH)))) goto fail;
    /* A fixed workspace (cuBLAS's recommended 32 MiB on Hopper), so that cuBLAS never
     * allocates inside a captured graph. */
    cu_g.blas_ws_bytes = 32u << 20;
    if ((rc = CU_CHECK(cudaMalloc(&cu_g.blas_ws, cu_g.blas_ws_bytes)))) goto fail;
    if ((rc = CUBLAS_CHECK(cublasSetWorkspace(cu_g.blas, cu_g.blas_ws, cu_g.blas_ws_bytes)))) goto fail;
    for (int i = 0; i < 2; i++)
        if ((rc = CU_CHECK(cudaEventCreateWithFlags(&pin_done[i], cudaEventDisableTiming)))) goto fail;
    cu_g.device = 0;
    cu_g.ready  = 1;
    return DLS_OK;
fail:
    nn_cuda_shutdown();
    nn_cuda_sync(e); /* the first failure: init's own, not one of the teardown's */
    return rc;
}

/* The teardown's failures are recorded too (the first one since the last sync wins),
 * and the record outlives the context so that nn_cuda_sync can still hand it over. */
void nn_cuda_shutdown(void) {
    if (cu_g.stream) CU_CHECK(cudaStreamSynchronize(cu_g.stream));
    for (int i = 0; i < 2; i++) {
        if (pin_buf[i]) CU_CHECK(cudaFreeHost(pin_buf[i]));
        if (pin_done[i]) CU_CHECK(cudaEventDestroy(pin_done[i]));
        pin_buf[i] = NULL, pin_cap[i] = 0, pin_done[i] = NULL;
    }
    if (cu_g.blas) CUBLAS_CHECK(cublasDestroy(cu_g.blas));
    if (cu_g.blas_ws) CU_CHECK(cudaFree(cu_g.blas_ws));
    if (cu_g.stream) CU_CHECK(cudaStreamDestroy(cu_g.stream));
    dls_error err = cu_g.err;
    memset(&cu_g, 0, sizeof cu_g);
    cu_g.err = err;
}

/* Out of memory is returned, not recorded as the sticky error: the caller reports it
 * ("cannot allocate N MiB on cuda") and may go on with a smaller batch. Any other
 * failure (a device fault seen at this call) is recorded like every other call's. */
int nn_cuda_alloc(void **p, size_t bytes) {
    *p = NULL;
    cudaError_t st = cudaMalloc(p, bytes ? bytes : 1);
    if (st == cudaSuccess) return DLS_OK;
    *p = NULL;
    if (st != cudaErrorMemoryAllocation) return cu_check_(st, "cudaMalloc", __FILE__, __LINE__);
    cudaGetLastError(); /* an OOM is not sticky: clear it */
    return DLS_ERR_NOMEM;
}

void nn_cuda_free(void *p) {
    if (p) CU_CHECK(cudaFree(p));
}

void nn_cuda_to_device(void *dst, const void *src, size_t bytes) {
    if (!bytes) return;
    if (bytes > PIN_MAX) {
        CU_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, cu_g.stream));
        return;
    }
    int i = pin_next;
    pin_next ^= 1;
    /* The buffer's previous copy must have left it before the host overwrites it. */
    CU_CHECK(cudaEventSynchronize(pin_done[i]));
    if (pin_cap[i] < bytes) {
        if (pin_buf[i]) CU_CHECK(cudaFreeHost(pin_buf[i]));
        pin_buf[i] = NULL;
        size_t cap = bytes < (1u << 20) ? (1u << 20) : bytes;
        if (cudaHostAlloc((void **)&pin_buf[i], cap, cudaHostAllocDefault) != cudaSuccess) {
            /* no pinned memory: not an error, the pageable copy below still works */
            cudaGetLastError();
            pin_buf[i] = NULL, pin_cap[i] = 0;
            CU_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, cu_g.stream));
            return;
        }
        pin_cap[i] = cap;
    }
    memcpy(pin_buf[i], src, bytes);
    CU_CHECK(cudaMemcpyAsync(dst, pin_buf[i], bytes, cudaMemcpyHostToDevice, cu_g.stream));
    CU_CHECK(cudaEventRecord(pin_done[i], cu_g.stream));
}

void nn_cuda_to_host(void *dst, const void *src, size_t bytes) {
    if (!bytes) return;
    CU_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, cu_g.stream));
    CU_CHECK(cudaStreamSynchronize(cu_g.stream));
}

void nn_cuda_copy(void *dst, const void *src, size_t bytes) {
    if (bytes) CU_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, cu_g.stream));
}

int nn_cuda_sync(dls_error *e) {
    if (cu_g.stream) CU_CHECK(cudaStreamSynchronize(cu_g.stream));
    int code = cu_g.err.code;
    if (code) {
        if (e) *e = cu_g.err;
        memset(&cu_g.err, 0, sizeof cu_g.err);
    }
    return code;
}

/* A description, not an operation: a failure goes into the text (with its reason) and
 * is cleared, never recorded. */
void nn_cuda_describe(char *buf, size_t n) {
    cudaDeviceProp prop;
    int drv = 0, rt = 0;
    if (!n) return;
    cudaError_t st = cudaGetDeviceProperties(&prop, cu_g.device);
    if (st == cudaSuccess) st = cudaDriverGetVersion(&drv);
    if (st == cudaSuccess) st = cudaRuntimeGetVersion(&rt);
    if (st != cudaSuccess) {
        cudaGetLastError();
        snprintf(buf, n, "CUDA device unavailable: %s", cudaGetErrorString(st));
        return;
    }
    snprintf(buf, n, "%s (sm_%d%d, %d SMs, %zu MiB), driver %d.%d, runtime %d.%d", prop.name,
             prop.major, prop.minor, prop.multiProcessorCount, prop.totalGlobalMem >> 20,
             drv / 1000, drv % 1000 / 10, rt / 1000, rt % 1000 / 10);
}
