/* gemm.cu: the engine's row-major GEMM (single and strided-batched) on cuBLAS, which is
 * column-major, and the linear layer built on it. The swap between the two conventions
 * is written here once (gemm_rm); every other file (conv2d's im2col GEMMs too) passes
 * row-major shapes. */
#include "engine/cuda/cuda_common.cuh"

/* Row-major C (m, n) = op(A) (m, k) op(B) (k, n), batch times with element strides
 * sa, sb, sc between the matrices of a batch.
 * A row-major matrix with leading dimension ld is the column-major matrix of its
 * transpose with the same ld. So cuBLAS computes C^T (n, m) = op(B)^T op(A)^T: swap the
 * operands and m with n, keep each operand's transpose flag and leading dimension.
 * This is the one place that knows cuBLAS is column-major. */
static void gemm_rm(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                    long long sa, const float *b, int ldb, long long sb, float beta, float *c,
                    int ldc, long long sc, int batch) {
    if (m <= 0 || n <= 0 || batch <= 0) return;
    cublasOperation_t opa = ta ? CUBLAS_OP_T : CUBLAS_OP_N, opb = tb ? CUBLAS_OP_T : CUBLAS_OP_N;
    if (batch == 1)
        CUBLAS_CHECK(cublasSgemm(cu_g.blas, opb, opa, n, m, k, &alpha, b, ldb, a, lda, &beta, c, ldc));
    else
        CUBLAS_CHECK(cublasSgemmStridedBatched(cu_g.blas, opb, opa, n, m, k, &alpha, b, ldb, sb, a,
                                               lda, sa, &beta, c, ldc, sc, batch));
}

void nn_cuda_gemm(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                  const float *b, int ldb, float beta, float *c, int ldc) {
    gemm_rm(ta, tb, m, n, k, alpha, a, lda, 0, b, ldb, 0, beta, c, ldc, 0, 1);
}

void nn_cuda_gemm_batched(int ta, int tb, int m, int n, int k, float alpha, const float *a,
                          int lda, long long sa, const float *b, int ldb, long long sb,
                          float beta, float *c, int ldc, long long sc, int batch) {
    gemm_rm(ta, tb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc, sc, batch);
}

/* N batch, IN inputs, OUT outputs: y (N, OUT) = x (N, IN) w^T (IN, OUT) + b, then act. */
void nn_cuda_linear_fwd(const nn_linear_desc *d, const float *x, const float *w,
                        const float *b, float *y) {
    nn_cuda_gemm(0, 1, d->N, d->OUT, d->IN, 1.f, x, d->IN, w, d->IN, 0.f, y, d->OUT);
    nn_cuda_bias_act(y, b, d->N, d->OUT, 1, d->act, 0.f);
}

void nn_cuda_linear_bwd(const nn_linear_desc *d, const float *x, const float *w,
                        const float *dy, float *dx, float *dw, float *db) {
    /* dx (N, IN) = dy (N, OUT) w (OUT, IN) */
    if (dx) nn_cuda_gemm(0, 0, d->N, d->IN, d->OUT, 1.f, dy, d->OUT, w, d->IN, 0.f, dx, d->IN);
    /* dw (OUT, IN) = dy^T (OUT, N) x (N, IN) */
    nn_cuda_gemm(1, 0, d->OUT, d->IN, d->N, 1.f, dy, d->OUT, x, d->IN, 0.f, dw, d->IN);
    nn_cuda_bias_grad(db, dy, d->N, d->OUT, 1);
}
