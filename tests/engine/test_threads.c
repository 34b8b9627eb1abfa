/* test_threads.c: the engine's thread pool (nn_parallel_for): every task of a region runs
 * exactly once, with that region's function and context, when regions of different
 * sizes follow each other at once (the pattern of a training step: a short region, such
 * as the Winograd weight transform split over the threads, then the batch split into
 * more tasks). Not the kernels. */
#include <stdatomic.h>
#include <string.h>

#include "engine/backend.h"
#include "tests/test.h"

#define MAX_TASKS 16

typedef struct region {
    int        id;                  /* which region this context belongs to */
    atomic_int runs[MAX_TASKS];     /* times each task ran */
    atomic_int wrong;               /* tasks that saw another region's context */
} region;

static void task_a(void *ctx, int task, int thread) {
    (void)thread;
    region *r = ctx;
    if (r->id != 1) atomic_fetch_add(&r->wrong, 1);
    atomic_fetch_add(&r->runs[task], 1);
}

static void task_b(void *ctx, int task, int thread) {
    (void)thread;
    region *r = ctx;
    if (r->id != 2) atomic_fetch_add(&r->wrong, 1);
    atomic_fetch_add(&r->runs[task], 1);
}

static int exactly_once(region *r, int n) {
    int ok = atomic_load(&r->wrong) == 0;
    for (int t = 0; t < n; t++) ok &= atomic_load(&r->runs[t]) == 1;
    for (int t = n; t < MAX_TASKS; t++) ok &= atomic_load(&r->runs[t]) == 0;
    return ok;
}

/* Tiny tasks, so the caller often finishes a region alone while the worker is still
 * looking at it, and the next region begins at once. */
static void test_back_to_back(int threads) {
    nn_set_threads(threads);
    int bad = 0;
    for (int it = 0; it < 20000 && !bad; it++) {
        region a, b;
        memset(&a, 0, sizeof a);
        memset(&b, 0, sizeof b);
        a.id = 1;
        b.id = 2;
        nn_parallel_for(2, task_a, &a);
        nn_parallel_for(8, task_b, &b);
        bad = !exactly_once(&a, 2) || !exactly_once(&b, 8);
    }
    CHECK(!bad);
}

/* A region's tasks are all finished when nn_parallel_for returns. */
static void test_all_done_on_return(void) {
    nn_set_threads(2);
    region r;
    memset(&r, 0, sizeof r);
    r.id = 2;
    nn_parallel_for(MAX_TASKS, task_b, &r);
    CHECK(exactly_once(&r, MAX_TASKS));
}

int main(void) {
    test_back_to_back(2);
    test_back_to_back(3);   /* more threads than this machine's cores */
    test_all_done_on_return();
    nn_set_threads(1);
    test_back_to_back(1);
    return test_done("test_threads");
}
