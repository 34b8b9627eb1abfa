/* cpu_winograd.c: the Winograd F(2x2, 3x3) transforms for 3x3, stride-1, pad-1
 * ("same") convolutions: weights, input tiles, output tiles, and the two transforms the
 * weight gradient needs. Not the driver (cpu_conv.c calls these per image and runs the 16
 * GEMMs between them through OpenBLAS), and no other kernel size or stride.
 *
 * Why: a 3x3 convolution computes each 2x2 block of outputs with 16 products per input
 * and output channel pair instead of 36, so the GEMMs shrink 2.25x; the transforms are
 * additions over small tiles. For the CNN's conv2 (32 -> 64 channels, 14x14) the three
 * GEMMs of training (forward, data gradient, weight gradient) take less than half the
 * time of the im2col ones. Results differ from direct convolution by rounding only.
 *
 * The algebra (Lavin and Gray 2015): with a tile d (4x4 of the padded input) and a
 * kernel g (3x3), the 2x2 output is A^T [(G g G^T) . (B^T d B)] A, where
 *   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],  G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1],
 *   A^T = [1 1 1 0; 0 1 -1 -1].
 * Its adjoint gives the weight gradient: dg = G^T [sum over tiles (A dy A^T) . (B^T d B)] G.
 * The data gradient is the same forward convolution of dy with the kernels flipped and
 * input/output channels swapped.
 *
 * Layouts: tiles t = ty * TW + tx, TH = ceil(H / 2), TW = ceil(W / 2), T = TH * TW;
 * transformed tiles V[xi][c][t] and M[xi][oc][t] with xi = 4 i + j the 16 positions of
 * the 4x4 tile; transformed weights U[xi][oc][c]. */
#include <string.h>

#include "engine/cpu/cpu.h"

#pragma GCC optimize("O3")

/* u (4x4) = G g G^T for one 3x3 kernel g (row-major); `flip` uses g rotated by 180 deg. */
static void kernel_tf(const float *g0, int flip, float *u, size_t stride) {
    float g[9], t[4][3];
    for (int i = 0; i < 9; i++) g[i] = flip ? g0[8 - i] : g0[i];
    for (int c = 0; c < 3; c++) {      /* t = G g: rows of G over the columns of g */
        float a = g[c], b = g[3 + c], e = g[6 + c];
        t[0][c] = a;
        t[1][c] = 0.5f * (a + b + e);
        t[2][c] = 0.5f * (a - b + e);
        t[3][c] = e;
    }
    for (int r = 0; r < 4; r++) {      /* u = t G^T */
        float a = t[r][0], b = t[r][1], e = t[r][2];
        u[(4 * r + 0) * stride] = a;
        u[(4 * r + 1) * stride] = 0.5f * (a + b + e);
        u[(4 * r + 2) * stride] = 0.5f * (a - b + e);
        u[(4 * r + 3) * stride] = e;
    }
}

void cpu_wino_weights(const float *w, int OC, int C, int oc_lo, int oc_hi, float *U,
                      float *Uflip) {
    size_t s = (size_t)OC * C;
    for (int oc = oc_lo; oc < oc_hi; oc++)
        for (int c = 0; c < C; c++) {
            const float *g = w + ((size_t)oc * C + c) * 9;
            kernel_tf(g, 0, U + (size_t)oc * C + c, s);              /* U[xi][oc][c] */
            if (Uflip) kernel_tf(g, 1, Uflip + (size_t)c * OC + oc, s); /* [xi][c][oc] */
        }
}

/* dw (OC, C, 3, 3) = G^T dU G for each channel pair of output channels [oc_lo, oc_hi);
 * dU[xi][oc][c]. */
void cpu_wino_wgrad_finish(const float *dU, int OC, int C, int oc_lo, int oc_hi, float *dw) {
    size_t s = (size_t)OC * C;
    for (int oc = oc_lo; oc < oc_hi; oc++)
        for (int c = 0; c < C; c++) {
            const float *u = dU + (size_t)oc * C + c;
            float        t[3][4], *g = dw + ((size_t)oc * C + c) * 9;
            for (int j = 0; j < 4; j++) {   /* t = G^T u over the rows */
                float a = u[(0 + j) * s], b = u[(4 + j) * s], e = u[(8 + j) * s], f = u[(12 + j) * s];
                t[0][j] = a + 0.5f * (b + e);
                t[1][j] = 0.5f * (b - e);
                t[2][j] = 0.5f * (b + e) + f;
            }
            for (int r = 0; r < 3; r++) {   /* g = t G */
                float a = t[r][0], b = t[r][1], e = t[r][2], f = t[r][3];
                g[3 * r + 0] = a + 0.5f * (b + e);
                g[3 * r + 1] = 0.5f * (b - e);
                g[3 * r + 2] = 0.5f * (b + e) + f;
            }
        }
}

size_t cpu_wino_scratch_floats(int H, int W) {
    int TH = (H + 1) / 2, TW = (W + 1) / 2;
    return (size_t)(2 * TH + 2) * (2 * TW + 2);
}

/* V[xi][c][t] = B^T d B for every tile of the C planes of x (C, H, W), zero padding of 1
 * around and beyond odd sizes; pp is scratch of cpu_wino_scratch_floats(H, W). */
HOT static void input_scalar(const float *x, int C, int H, int W, float *V, float *pp) {
    int TH = (H + 1) / 2, TW = (W + 1) / 2, T = TH * TW, PW = 2 * TW + 2, PH = 2 * TH + 2;
    size_t xs = (size_t)C * T;           /* distance between xi planes */
    memset(pp, 0, (size_t)PH * PW * sizeof *pp);
    for (int c = 0; c < C; c++) {
        const float *xc = x + (size_t)c * H * W;
        for (int h = 0; h < H; h++) memcpy(pp + (size_t)(h + 1) * PW + 1, xc + (size_t)h * W, W * sizeof *pp);
        float *vc = V + (size_t)c * T;
        for (int ty = 0; ty < TH; ty++) {
            const float *p0 = pp + (size_t)2 * ty * PW, *p1 = p0 + PW, *p2 = p1 + PW, *p3 = p2 + PW;
            float rw[4][PW];             /* B^T applied down the columns */
            for (int s = 0; s < PW; s++) {
                rw[0][s] = p0[s] - p2[s];
                rw[1][s] = p1[s] + p2[s];
                rw[2][s] = p2[s] - p1[s];
                rw[3][s] = p1[s] - p3[s];
            }
            float *v = vc + (size_t)ty * TW;
            for (int i = 0; i < 4; i++) {
                const float *q = rw[i];
                float *v0 = v + (4 * i + 0) * xs, *v1 = v + (4 * i + 1) * xs;
                float *v2 = v + (4 * i + 2) * xs, *v3 = v + (4 * i + 3) * xs;
                for (int tx = 0; tx < TW; tx++) {
                    float a = q[2 * tx], b = q[2 * tx + 1], e = q[2 * tx + 2], f = q[2 * tx + 3];
                    v0[tx] = a - e;
                    v1[tx] = b + e;
                    v2[tx] = e - b;
                    v3[tx] = b - f;
                }
            }
        }
        /* the borders of pp stay zero; the interior is overwritten by the next plane */
    }
}

/* y (OC, H, W) = A^T m A for every tile of M[xi][oc][t]. */
HOT static void output_scalar(const float *M, int OC, int H, int W, float *y) {
    int TH = (H + 1) / 2, TW = (W + 1) / 2, T = TH * TW;
    size_t xs = (size_t)OC * T;
    for (int oc = 0; oc < OC; oc++) {
        const float *mc = M + (size_t)oc * T;
        float       *yc = y + (size_t)oc * H * W;
        for (int ty = 0; ty < TH; ty++) {
            float sp[2][4][TW];          /* A^T applied down the columns */
            const float *m = mc + (size_t)ty * TW;
            for (int j = 0; j < 4; j++) {   /* A^T down the columns */
                const float *m0 = m + j * xs, *m1 = m + (4 + j) * xs, *m2 = m + (8 + j) * xs,
                            *m3 = m + (12 + j) * xs;
                float *s0 = sp[0][j], *s1 = sp[1][j];
                for (int tx = 0; tx < TW; tx++) {
                    s0[tx] = m0[tx] + m1[tx] + m2[tx];
                    s1[tx] = m1[tx] - m2[tx] - m3[tx];
                }
            }
            for (int a = 0; a < 2; a++) {
                int h = 2 * ty + a;
                if (h >= H) break;
                float *yr = yc + (size_t)h * W;
                const float *q0 = sp[a][0], *q1 = sp[a][1], *q2 = sp[a][2], *q3 = sp[a][3];
                if (2 * TW == W) {
                    for (int tx = 0; tx < TW; tx++) {
                        yr[2 * tx]     = q0[tx] + q1[tx] + q2[tx];
                        yr[2 * tx + 1] = q1[tx] - q2[tx] - q3[tx];
                    }
                } else {
                    for (int tx = 0; tx < TW; tx++) {
                        yr[2 * tx] = q0[tx] + q1[tx] + q2[tx];
                        if (2 * tx + 1 < W) yr[2 * tx + 1] = q1[tx] - q2[tx] - q3[tx];
                    }
                }
            }
        }
    }
}

/* D[xi][oc][t] = A g A^T for every 2x2 tile g of dy (OC, H, W), zero beyond odd sizes:
 * the output-side transform of the weight gradient. */
HOT static void grad_scalar(const float *dy, int OC, int H, int W, float *D) {
    int TH = (H + 1) / 2, TW = (W + 1) / 2, T = TH * TW;
    size_t xs = (size_t)OC * T;
    for (int oc = 0; oc < OC; oc++) {
        const float *gc = dy + (size_t)oc * H * W;
        float       *dc = D + (size_t)oc * T;
        for (int ty = 0; ty < TH; ty++) {
            float a0[TW], a1[TW], c0[TW], c1[TW];
            const float *r0 = gc + (size_t)2 * ty * W, *r1 = r0 + W;
            int has1 = 2 * ty + 1 < H;
            for (int tx = 0; tx < TW; tx++) {   /* the tile's four values, zero outside */
                int in1 = 2 * tx + 1 < W;
                a0[tx] = r0[2 * tx];
                a1[tx] = in1 ? r0[2 * tx + 1] : 0.0f;
                c0[tx] = has1 ? r1[2 * tx] : 0.0f;
                c1[tx] = has1 && in1 ? r1[2 * tx + 1] : 0.0f;
            }
            /* rows of A g: (g0, g0 + g1, g0 - g1, -g1) with g0, g1 the tile's two rows;
             * then the same along each row */
            float *d = dc + (size_t)ty * TW;
            float p[4][TW], q[4][TW];
            for (int tx = 0; tx < TW; tx++) {
                p[0][tx] = a0[tx];          q[0][tx] = a1[tx];
                p[1][tx] = a0[tx] + c0[tx]; q[1][tx] = a1[tx] + c1[tx];
                p[2][tx] = a0[tx] - c0[tx]; q[2][tx] = a1[tx] - c1[tx];
                p[3][tx] = -c0[tx];         q[3][tx] = -c1[tx];
            }
            for (int i = 0; i < 4; i++) {
                float *d0 = d + (4 * i + 0) * xs, *d1 = d + (4 * i + 1) * xs;
                float *d2 = d + (4 * i + 2) * xs, *d3 = d + (4 * i + 3) * xs;
                for (int tx = 0; tx < TW; tx++) {
                    d0[tx] = p[i][tx];
                    d1[tx] = p[i][tx] + q[i][tx];
                    d2[tx] = p[i][tx] - q[i][tx];
                    d3[tx] = -q[i][tx];
                }
            }
        }
    }
}

/* ---------------------------------------------------------------- AVX-512 transforms */

/* Planes up to 30 columns wide (15 tiles), in two register layouts below; even and odd
 * columns are separated with two-register permutes. Rows are read straight from the
 * unpadded planes with masked loads (masked-off lanes never fault), so nothing is copied
 * or zero-filled. Same arithmetic, in the same order, as the scalar loops above. */
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

static int avx512_ok(int W) { return cpu_have_avx512() && W <= 30; }

/* Row r of the padded plane (column s = input column s - 1), as lanes 0-15 and 16-31. */
__attribute__((target("avx512f")))
static inline void padded_row(const float *xc, int H, int W, int r, __m512 *lo, __m512 *hi) {
    if (r < 1 || r > H) { *lo = *hi = _mm512_setzero_ps(); return; }
    const float *p = xc + (size_t)(r - 1) * W - 1;     /* lane s reads input column s - 1 */
    __mmask16 mlo = (__mmask16)(cpu_lanes(W + 1) & ~1u);   /* columns 0..W-1 at lanes 1..W */
    *lo = _mm512_maskz_loadu_ps(mlo, p);
    *hi = _mm512_maskz_loadu_ps(cpu_lanes(W + 1 - 16), p + 16);
}

/* The steps both register layouts below share (always inlined: GCC otherwise keeps
 * grad_store as a call per tile row), each the arithmetic of the scalar loops:
 * bt_rows applies B^T down the columns of four padded rows r[0..3]; bt_store applies B
 * along the rows, where ix[k] gathers column 2 t + k of the tile in lane t from the
 * register pair (ra[i], rb[i]), and stores the 16 planes at v (xi planes xs apart). */
__attribute__((target("avx512f"), always_inline))
static inline void bt_rows(const __m512 *r, __m512 *out) {
    out[0] = _mm512_sub_ps(r[0], r[2]);
    out[1] = _mm512_add_ps(r[1], r[2]);
    out[2] = _mm512_sub_ps(r[2], r[1]);
    out[3] = _mm512_sub_ps(r[1], r[3]);
}

__attribute__((target("avx512f"), always_inline))
static inline void bt_store(const __m512 *ra, const __m512 *rb, const __m512i *ix, float *v,
                            size_t xs, __mmask16 mt) {
    for (int i = 0; i < 4; i++) {
        __m512 a = _mm512_permutex2var_ps(ra[i], ix[0], rb[i]);
        __m512 b = _mm512_permutex2var_ps(ra[i], ix[1], rb[i]);
        __m512 e = _mm512_permutex2var_ps(ra[i], ix[2], rb[i]);
        __m512 f = _mm512_permutex2var_ps(ra[i], ix[3], rb[i]);
        _mm512_mask_storeu_ps(v + (4 * i + 0) * xs, mt, _mm512_sub_ps(a, e));
        _mm512_mask_storeu_ps(v + (4 * i + 1) * xs, mt, _mm512_add_ps(b, e));
        _mm512_mask_storeu_ps(v + (4 * i + 2) * xs, mt, _mm512_sub_ps(e, b));
        _mm512_mask_storeu_ps(v + (4 * i + 3) * xs, mt, _mm512_sub_ps(b, f));
    }
}

/* at_cols: A^T down the columns of the 16 planes of M at m (xs apart), s0 and s1 its two
 * rows; at_row: A along one of them, the even (ev) and odd (od) output columns. */
__attribute__((target("avx512f"), always_inline))
static inline void at_cols(const float *m, size_t xs, __mmask16 mt, __m512 *s0, __m512 *s1) {
    for (int j = 0; j < 4; j++) {
        __m512 m0 = _mm512_maskz_loadu_ps(mt, m + j * xs);
        __m512 m1 = _mm512_maskz_loadu_ps(mt, m + (4 + j) * xs);
        __m512 m2 = _mm512_maskz_loadu_ps(mt, m + (8 + j) * xs);
        __m512 m3 = _mm512_maskz_loadu_ps(mt, m + (12 + j) * xs);
        s0[j] = _mm512_add_ps(_mm512_add_ps(m0, m1), m2);
        s1[j] = _mm512_sub_ps(_mm512_sub_ps(m1, m2), m3);
    }
}

__attribute__((target("avx512f"), always_inline))
static inline void at_row(const __m512 *q, __m512 *ev, __m512 *od) {
    *ev = _mm512_add_ps(_mm512_add_ps(q[0], q[1]), q[2]);
    *od = _mm512_sub_ps(_mm512_sub_ps(q[1], q[2]), q[3]);
}

/* A g A^T of the 2x2 dy tiles in the lanes: ie/io gather the tiles' even/odd columns of
 * the top row from (ta, tb) and of the bottom row from (ba, bb); stores the 16 planes at
 * d (xs apart). */
__attribute__((target("avx512f"), always_inline))
static inline void grad_store(__m512 ta, __m512 tb, __m512 ba, __m512 bb, __m512i ie,
                              __m512i io, float *d, size_t xs, __mmask16 mt) {
    const __m512 zero = _mm512_setzero_ps();
    __m512 a0 = _mm512_permutex2var_ps(ta, ie, tb), a1 = _mm512_permutex2var_ps(ta, io, tb);
    __m512 c0 = _mm512_permutex2var_ps(ba, ie, bb), c1 = _mm512_permutex2var_ps(ba, io, bb);
    __m512 p[4] = { a0, _mm512_add_ps(a0, c0), _mm512_sub_ps(a0, c0), _mm512_sub_ps(zero, c0) };
    __m512 q[4] = { a1, _mm512_add_ps(a1, c1), _mm512_sub_ps(a1, c1), _mm512_sub_ps(zero, c1) };
    for (int i = 0; i < 4; i++) {
        _mm512_mask_storeu_ps(d + (4 * i + 0) * xs, mt, p[i]);
        _mm512_mask_storeu_ps(d + (4 * i + 1) * xs, mt, _mm512_add_ps(p[i], q[i]));
        _mm512_mask_storeu_ps(d + (4 * i + 2) * xs, mt, _mm512_sub_ps(p[i], q[i]));
        _mm512_mask_storeu_ps(d + (4 * i + 3) * xs, mt, _mm512_sub_ps(zero, q[i]));
    }
}

/* One tile row per register: a row of the padded input (W + 2 <= 32 values) is two
 * registers, and the tiles of one tile row are the lanes of one register. */
__attribute__((target("avx512f")))
static void input_avx512(const float *x, int C, int H, int W, float *V) {
    int TH = (H + 1) / 2, TW = (W + 1) / 2, T = TH * TW;
    size_t    xs = (size_t)C * T;
    __mmask16 mt = cpu_lanes(TW);
    const __m512i ev = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i ix[4] = { ev, _mm512_add_epi32(ev, _mm512_set1_epi32(1)),
                            _mm512_add_epi32(ev, _mm512_set1_epi32(2)),    /* lane 15 unused */
                            _mm512_add_epi32(ev, _mm512_set1_epi32(3)) };
    for (int c = 0; c < C; c++) {
        const float *xc = x + (size_t)c * H * W;
        float       *vc = V + (size_t)c * T;
        for (int ty = 0; ty < TH; ty++) {
            __m512 lo[4], hi[4], rl[4], rh[4];
            /* written out: as a loop, GCC addresses the 16 stores below through spilled
             * pointers instead of base + index */
            padded_row(xc, H, W, 2 * ty, &lo[0], &hi[0]);
            padded_row(xc, H, W, 2 * ty + 1, &lo[1], &hi[1]);
            padded_row(xc, H, W, 2 * ty + 2, &lo[2], &hi[2]);
            padded_row(xc, H, W, 2 * ty + 3, &lo[3], &hi[3]);
            bt_rows(lo, rl);
            bt_rows(hi, rh);
            bt_store(rl, rh, ix, vc + (size_t)ty * TW, xs, mt);
        }
    }
}

__attribute__((target("avx512f")))
static void output_avx512(const float *M, int OC, int H, int W, float *y) {
    int TH = (H + 1) / 2, TW = (W + 1) / 2, T = TH * TW;
    size_t    xs = (size_t)OC * T;
    __mmask16 mt = cpu_lanes(TW), mlo = cpu_lanes(W), mhi = cpu_lanes(W - 16);
    /* interleave even (a) and odd (b) outputs: lanes a0 b0 a1 b1 ... */
    const __m512i il = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    const __m512i ih = _mm512_add_epi32(il, _mm512_set1_epi32(8));
    for (int oc = 0; oc < OC; oc++) {
        const float *mc = M + (size_t)oc * T;
        float       *yc = y + (size_t)oc * H * W;
        for (int ty = 0; ty < TH; ty++) {
            __m512 s0[4], s1[4];
            at_cols(mc + (size_t)ty * TW, xs, mt, s0, s1);
            for (int a = 0; a < 2; a++) {
                int h = 2 * ty + a;
                if (h >= H) break;
                __m512 ev, od;
                at_row(a ? s1 : s0, &ev, &od);
                float *yr = yc + (size_t)h * W;
                _mm512_mask_storeu_ps(yr, mlo, _mm512_permutex2var_ps(ev, il, od));
                if (mhi) _mm512_mask_storeu_ps(yr + 16, mhi, _mm512_permutex2var_ps(ev, ih, od));
            }
        }
    }
}

__attribute__((target("avx512f")))
static void grad_avx512(const float *dy, int OC, int H, int W, float *D) {
    int TH = (H + 1) / 2, TW = (W + 1) / 2, T = TH * TW;
    size_t    xs = (size_t)OC * T;
    __mmask16 mt = cpu_lanes(TW), mlo = cpu_lanes(W), mhi = cpu_lanes(W - 16);
    const __m512i ev = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i od = _mm512_add_epi32(ev, _mm512_set1_epi32(1));
    const __m512  zero = _mm512_setzero_ps();
    for (int oc = 0; oc < OC; oc++) {
        const float *gc = dy + (size_t)oc * H * W;
        float       *dc = D + (size_t)oc * T;
        for (int ty = 0; ty < TH; ty++) {
            const float *r0 = gc + (size_t)2 * ty * W, *r1 = r0 + W;
            int    has1 = 2 * ty + 1 < H;
            __m512 l0 = _mm512_maskz_loadu_ps(mlo, r0), h0 = _mm512_maskz_loadu_ps(mhi, r0 + 16);
            __m512 l1 = has1 ? _mm512_maskz_loadu_ps(mlo, r1) : zero;
            __m512 h1 = has1 ? _mm512_maskz_loadu_ps(mhi, r1 + 16) : zero;
            grad_store(l0, h0, l1, h1, ev, od, dc + (size_t)ty * TW, xs, mt);
        }
    }
}

/* Planes up to 14 columns wide (7 tiles, the CNN's conv2): one padded row is one
 * register, and two tile rows share a register (tiles ty * TW .. ty * TW + 2 TW - 1 are
 * contiguous in the transformed layout), which halves the permutes, arithmetic and
 * stores of the one-row-per-register loops above. Same arithmetic per value. */
__attribute__((target("avx512f")))
static __m512i pair_index(int TW, int off) {   /* lanes < TW from a, the rest from b */
    int v[16];
    for (int l = 0; l < 16; l++) v[l] = l < TW ? 2 * l + off : 16 + 2 * (l - TW) + off;
    for (int l = 2 * TW; l < 16; l++) v[l] = 0;
    return _mm512_loadu_si512(v);
}

__attribute__((target("avx512f")))
static void input_pairs(const float *x, int C, int H, int W, float *V) {
    int TH = (H + 1) / 2, TW = (W + 1) / 2, T = TH * TW;
    size_t    xs = (size_t)C * T;
    __m512i   ix[4] = { pair_index(TW, 0), pair_index(TW, 1), pair_index(TW, 2), pair_index(TW, 3) };
    for (int c = 0; c < C; c++) {
        const float *xc = x + (size_t)c * H * W;
        float       *vc = V + (size_t)c * T;
        for (int ty = 0; ty < TH; ty += 2) {
            __mmask16 mt = cpu_lanes(ty + 1 < TH ? 2 * TW : TW);
            __m512 r[6], unused, ra[4], rb[4];
            for (int k = 0; k < 6; k++) padded_row(xc, H, W, 2 * ty + k, &r[k], &unused);
            bt_rows(r, ra);        /* tile row ty */
            bt_rows(r + 2, rb);    /* tile row ty + 1 */
            bt_store(ra, rb, ix, vc + (size_t)ty * TW, xs, mt);
        }
    }
}

__attribute__((target("avx512f")))
static void output_pairs(const float *M, int OC, int H, int W, float *y) {
    int TH = (H + 1) / 2, TW = (W + 1) / 2, T = TH * TW;
    size_t    xs = (size_t)OC * T;
    __mmask16 mw = cpu_lanes(W);
    int va[16], vb[16];   /* interleave even (first source) and odd outputs of one tile row */
    for (int l = 0; l < 16; l++) {
        va[l] = (l & 1 ? 16 : 0) + l / 2;
        vb[l] = (l & 1 ? 16 : 0) + TW + l / 2;
    }
    const __m512i ia = _mm512_loadu_si512(va), ib = _mm512_loadu_si512(vb);
    for (int oc = 0; oc < OC; oc++) {
        const float *mc = M + (size_t)oc * T;
        float       *yc = y + (size_t)oc * H * W;
        for (int ty = 0; ty < TH; ty += 2) {
            __mmask16 mt = cpu_lanes(ty + 1 < TH ? 2 * TW : TW);
            __m512    s0[4], s1[4];
            at_cols(mc + (size_t)ty * TW, xs, mt, s0, s1);
            for (int a = 0; a < 2; a++) {
                __m512 ev, od;
                at_row(a ? s1 : s0, &ev, &od);
                int h = 2 * ty + a;
                if (h < H) _mm512_mask_storeu_ps(yc + (size_t)h * W, mw, _mm512_permutex2var_ps(ev, ia, od));
                if (h + 2 < H) _mm512_mask_storeu_ps(yc + (size_t)(h + 2) * W, mw, _mm512_permutex2var_ps(ev, ib, od));
            }
        }
    }
}

__attribute__((target("avx512f")))
static void grad_pairs(const float *dy, int OC, int H, int W, float *D) {
    int TH = (H + 1) / 2, TW = (W + 1) / 2, T = TH * TW;
    size_t    xs = (size_t)OC * T;
    __mmask16 mw = cpu_lanes(W);
    const __m512i ie = pair_index(TW, 0), io = pair_index(TW, 1);
    const __m512  zero = _mm512_setzero_ps();
    for (int oc = 0; oc < OC; oc++) {
        const float *gc = dy + (size_t)oc * H * W;
        float       *dc = D + (size_t)oc * T;
        for (int ty = 0; ty < TH; ty += 2) {
            __mmask16 mt = cpu_lanes(ty + 1 < TH ? 2 * TW : TW);
            __m512 r[4];   /* dy rows 2 ty .. 2 ty + 3, zero below the plane */
            for (int k = 0; k < 4; k++)
                r[k] = 2 * ty + k < H ? _mm512_maskz_loadu_ps(mw, gc + (size_t)(2 * ty + k) * W) : zero;
            /* tile row ty's rows are r[0], r[1]; tile row ty + 1's r[2], r[3] */
            grad_store(r[0], r[2], r[1], r[3], ie, io, dc + (size_t)ty * TW, xs, mt);
        }
    }
}
#else
static int avx512_ok(int W) { (void)W; return 0; }
static void input_avx512(const float *x, int C, int H, int W, float *V) {
    (void)x; (void)C; (void)H; (void)W; (void)V;
}
static void output_avx512(const float *M, int OC, int H, int W, float *y) {
    (void)M; (void)OC; (void)H; (void)W; (void)y;
}
static void grad_avx512(const float *dy, int OC, int H, int W, float *D) {
    (void)dy; (void)OC; (void)H; (void)W; (void)D;
}
#define input_pairs input_avx512
#define output_pairs output_avx512
#define grad_pairs grad_avx512
#endif

void cpu_wino_input(const float *x, int C, int H, int W, float *V, float *pp) {
    if (avx512_ok(W) && W <= 14) input_pairs(x, C, H, W, V);
    else if (avx512_ok(W)) input_avx512(x, C, H, W, V);
    else input_scalar(x, C, H, W, V, pp);
}

void cpu_wino_output(const float *M, int OC, int H, int W, float *y) {
    if (avx512_ok(W) && W <= 14) output_pairs(M, OC, H, W, y);
    else if (avx512_ok(W)) output_avx512(M, OC, H, W, y);
    else output_scalar(M, OC, H, W, y);
}

void cpu_wino_grad(const float *dy, int OC, int H, int W, float *D) {
    if (avx512_ok(W) && W <= 14) grad_pairs(dy, OC, H, W, D);
    else if (avx512_ok(W)) grad_avx512(dy, OC, H, W, D);
    else grad_scalar(dy, OC, H, W, D);
}
