/* rng.c: the engine's counter-based random numbers (the formula is in backend.h so that
 * device kernels share it). Every random number is a pure function of (seed, stream,
 * counter): initialisation, dropout and shuffling repeat exactly for a given seed. */
#include <math.h>

#include "engine/backend.h"

uint64_t nn_rng_u64(uint64_t seed, uint64_t stream, uint64_t counter) {
    return nn_rng_u64_inline(seed, stream, counter);
}

float nn_rng_uniform(uint64_t seed, uint64_t stream, uint64_t counter) {
    return nn_rng_uniform_inline(seed, stream, counter);
}

/* Box-Muller on two uniforms drawn from counters 2i and 2i+1 (u1 kept away from 0). */
float nn_rng_normal(uint64_t seed, uint64_t stream, uint64_t counter) {
    double u1 = ((nn_rng_u64_inline(seed, stream, 2 * counter) >> 11) + 1.0) / 9007199254740993.0;
    double u2 = (nn_rng_u64_inline(seed, stream, 2 * counter + 1) >> 11) / 9007199254740992.0;
    return (float)(sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2));
}
