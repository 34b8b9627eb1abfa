/* gemm.cu: the engine's row-major GEMM on cuBLAS, which is column-major, and the linear
 * layer built on it. The swap between the two conventions is written here once; every
 * other file (conv2d's im2col GEMMs too) calls nn_cuda_gemm with row-major shapes. */
#include "engine/cuda/cuda_common.cuh"

/* Row-major C (m, n) = op(A) (m, k) op(B) (k, n).
 * A row-major matrix with leading dimension ld is the column-major matrix of its
 * transpose with the same ld. So cuBLAS computes C^T (n, m) = op(B)^T op(A)^T: swap the
 * operands and m with n, keep each operand's transpose flag and leading dimension. */
void nn_cuda_gemm(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                  const float *b, int ldb, float beta, float *c, int ldc) {
    if (m <= 0 || n <= 0) return;
    CUBLAS_CHECK(cublasSgemm(cu_g.blas, tb ? CUBLAS_OP_T : CUBLAS_OP_N,
                             ta ? CUBLAS_OP_T : CUBLAS_OP_N, n, m, k, &alpha, b, ldb, a, lda,
                             &beta, c, ldc));
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
