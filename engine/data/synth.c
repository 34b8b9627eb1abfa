/* synth.c: small synthetic data sets generated in memory (XOR, two spirals, moons,
 * sine), so that labs run anywhere without downloads. Seeded with splitmix64 and our
 * own Box-Muller, never libc rand, so a seed gives the same bytes on every machine.
 * Not a place for file formats or loaders. */
#include "engine/nn_data.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define PI 3.14159265358979323846

/* Uniform in (0, 1): 53 random bits, offset by half a step so that log() never sees 0. */
static double uniform01(uint64_t *s) { return ((double)(nn_data_rand64(s) >> 11) + 0.5) * 0x1.0p-53; }

/* One standard normal draw (Box-Muller; the second value is thrown away for simplicity:
 * these sets are tiny). */
static double gauss(uint64_t *s) {
    double u1 = uniform01(s), u2 = uniform01(s);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * PI * u2);
}

/* A set of n 2-D points (n, 2, 1, 1); labelled sets get y, and t when binary. */
static void alloc_2d(nn_dataset *d, int n, int classes, int with_t, const char *name) {
    DLS_ASSERT(n > 0);
    memset(d, 0, sizeof *d);
    d->n = n;
    d->c = 2, d->h = 1, d->w = 1;
    d->classes = classes;
    d->x = xmalloc((size_t)n * 2 * sizeof(float));
    d->y = xmalloc((size_t)n * sizeof(int));
    if (with_t) {
        d->t = xmalloc((size_t)n * sizeof(float));
        d->t_dim = 1;
    }
    snprintf(d->name, sizeof d->name, "%s", name);
}

static void put(nn_dataset *d, int i, double a, double b, int label) {
    d->x[2 * i] = (float)a;
    d->x[2 * i + 1] = (float)b;
    d->y[i] = label;
    if (d->t) d->t[i] = (float)label;
}

/* put() with Gaussian noise added to both coordinates. The two draws are sequenced
 * here on purpose: as two arguments of one call their order was unspecified, and gcc
 * (b's noise first) and clang (a's first) built different sets from one seed. b first
 * keeps the sets that gcc builds have always made. */
static void put_noisy(nn_dataset *d, int i, double a, double b, double noise, uint64_t *s,
                      int label) {
    double nb = noise * gauss(s);
    double na = noise * gauss(s);
    put(d, i, a + na, b + nb, label);
}

void nn_synth_xor(int n, float noise, uint64_t seed, nn_dataset *out) {
    alloc_2d(out, n, 2, 1, "xor");
    uint64_t s = seed;
    for (int i = 0; i < n; i++) {
        /* cluster i % 4, so that any n gives balanced corners */
        int sa = (i & 1) ? 1 : -1, sb = (i & 2) ? 1 : -1;
        double a = sa + noise * gauss(&s), b = sb + noise * gauss(&s);
        put(out, i, a, b, sa != sb);
    }
}

void nn_synth_spirals(int n, float noise, uint64_t seed, nn_dataset *out) {
    alloc_2d(out, n, 2, 0, "spirals");
    uint64_t s = seed;
    int per = (n + 1) / 2;
    for (int i = 0; i < n; i++) {
        int k = i % 2, j = i / 2;
        double r = (j + 0.5) / per;                 /* radius in (0, 1) */
        double th = r * 1.75 * 2.0 * PI + k * PI;   /* second spiral turned by half a turn */
        put_noisy(out, i, r * cos(th), r * sin(th), noise, &s, k);
    }
}

void nn_synth_moons(int n, float noise, uint64_t seed, nn_dataset *out) {
    alloc_2d(out, n, 2, 1, "moons");
    uint64_t s = seed;
    int per = (n + 1) / 2;
    for (int i = 0; i < n; i++) {
        int k = i % 2, j = i / 2;
        double th = per > 1 ? PI * j / (per - 1) : 0.0;
        /* scikit-learn's make_moons: outer (cos, sin), inner (1 - cos, 0.5 - sin) */
        double a = k ? 1.0 - cos(th) : cos(th);
        double b = k ? 0.5 - sin(th) : sin(th);
        put_noisy(out, i, a, b, noise, &s, k);
    }
}

void nn_synth_sine(int n, float noise, uint64_t seed, nn_dataset *out) {
    DLS_ASSERT(n > 0);
    memset(out, 0, sizeof *out);
    out->n = n;
    out->c = out->h = out->w = 1;
    out->x = xmalloc((size_t)n * sizeof(float));
    out->t = xmalloc((size_t)n * sizeof(float));
    out->t_dim = 1;
    snprintf(out->name, sizeof out->name, "sine");
    uint64_t s = seed;
    for (int i = 0; i < n; i++) {
        double x = -PI + 2.0 * PI * uniform01(&s);
        out->x[i] = (float)x;
        out->t[i] = (float)(sin(x) + noise * gauss(&s));
    }
}
