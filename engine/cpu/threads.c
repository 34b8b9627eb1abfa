/* threads.c: the engine's thread pool (nn_parallel_for), nn_set_threads, and what
 * OpenBLAS is running (core name, slow-core detection). Not the kernels.
 *
 * Why our own pool: the CPU kernels split work by batch (conv) or by rows (linear) and
 * call OpenBLAS single-threaded from each worker; on 2 cores this beats letting OpenBLAS
 * thread the many small GEMMs, and the split is fixed by the thread count, so results
 * are bit-for-bit repeatable for a given seed and thread count. Workers spin briefly
 * before sleeping, because a training step issues dozens of short parallel regions. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cblas.h>

#include "engine/backend.h"

#define MAX_THREADS 64
#define SPIN_ROUNDS 4000    /* some tens of us of spinning before a worker sleeps */
#define WAIT_SPINS  2000    /* the caller's spins before it starts yielding its core */

typedef struct pool {
    int             n;            /* threads including the caller */
    pthread_t       th[MAX_THREADS];
    pthread_mutex_t mu;
    pthread_cond_t  wake;
    atomic_uint     gen;          /* bumped once per parallel region */
    _Atomic uint64_t ticket;      /* region generation << 32 | next task to take */
    atomic_int      n_tasks;
    atomic_int      done;         /* tasks finished in this region */
    atomic_int      stop;
    void          (*fn)(void *ctx, int task, int thread);
    void           *ctx;
    unsigned        start_gen;    /* gen when the workers were created */
} pool;

static pool            g_pool = { .n = 0, .mu = PTHREAD_MUTEX_INITIALIZER,
                                  .wake = PTHREAD_COND_INITIALIZER };
static pthread_mutex_t g_pool_lock = PTHREAD_MUTEX_INITIALIZER;  /* serialises regions */

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#else
    sched_yield();
#endif
}

/* Takes tasks of region `gen` until none is left. A task is claimed with a CAS on the
 * (generation, index) ticket, so a worker that wakes late can never claim a task of a
 * region that has ended, nor one twice; fn and ctx are read only after a successful
 * claim, while the region is still open. */
static void run_tasks(pool *p, unsigned gen, int thread) {
    uint64_t v = atomic_load(&p->ticket);
    for (;;) {
        if ((unsigned)(v >> 32) != gen) return;
        int t = (int)(uint32_t)v;
        if (t >= atomic_load(&p->n_tasks)) return;
        if (!atomic_compare_exchange_weak(&p->ticket, &v, v + 1)) continue;
        p->fn(p->ctx, t, thread);
        atomic_fetch_add(&p->done, 1);
        v = atomic_load(&p->ticket);
    }
}

static void *worker(void *arg) {
    int      id   = (int)(intptr_t)arg;
    pool    *p    = &g_pool;
    unsigned seen = p->start_gen;   /* not gen: a region may begin before we run */
    for (;;) {
        int spins = 0;
        while (atomic_load(&p->gen) == seen && !atomic_load(&p->stop)) {
            if (++spins < SPIN_ROUNDS) { cpu_relax(); continue; }
            pthread_mutex_lock(&p->mu);
            while (atomic_load(&p->gen) == seen && !atomic_load(&p->stop))
                pthread_cond_wait(&p->wake, &p->mu);
            pthread_mutex_unlock(&p->mu);
        }
        if (atomic_load(&p->stop)) return NULL;
        seen = atomic_load(&p->gen);
        run_tasks(p, seen, id);
    }
}

static void pool_stop(pool *p) {
    if (p->n <= 1) { p->n = 1; return; }
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->stop, 1);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    for (int i = 1; i < p->n; i++) pthread_join(p->th[i], NULL);
    atomic_store(&p->stop, 0);
    p->n = 1;
}

static void pool_start(pool *p, int n) {
    p->n = n;
    p->start_gen = atomic_load(&p->gen);
    for (int i = 1; i < n; i++)
        DLS_ASSERT(pthread_create(&p->th[i], NULL, worker, (void *)(intptr_t)i) == 0);
}

static int default_threads(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : (int)n;
}

void nn_set_threads(int n) {
    if (n <= 0) n = default_threads();
    if (n > MAX_THREADS) n = MAX_THREADS;
    pthread_mutex_lock(&g_pool_lock);
    if (g_pool.n != n) {
        pool_stop(&g_pool);
        pool_start(&g_pool, n);
    }
    /* OpenBLAS runs single-threaded inside our workers (see the file comment). */
    openblas_set_num_threads(1);
    pthread_mutex_unlock(&g_pool_lock);
}

int nn_get_threads(void) {
    if (g_pool.n == 0) nn_set_threads(0);
    return g_pool.n;
}

void nn_parallel_for(int n_tasks, void (*fn)(void *ctx, int task, int thread), void *ctx) {
    if (n_tasks <= 0) return;
    if (g_pool.n == 0) nn_set_threads(0);
    if (g_pool.n == 1 || n_tasks == 1) {
        for (int t = 0; t < n_tasks; t++) fn(ctx, t, 0);
        return;
    }
    pool *p = &g_pool;
    pthread_mutex_lock(&g_pool_lock);
    /* The last region's tasks are all done and its ticket is spent: publish this one. */
    unsigned g = atomic_load(&p->gen) + 1;
    /* The ticket moves to the new generation first: a worker still in the last region's
     * run_tasks may read the new n_tasks below, and its claim of an old-generation
     * ticket must then fail. (With the ticket stored last, a worker that read the old
     * ticket (t = old n_tasks) and the new, larger n_tasks claimed task t of the new
     * region under the old generation, so one task ran twice, or with the last
     * region's ctx.) No worker enters run_tasks for g before gen is published below. */
    atomic_store(&p->ticket, (uint64_t)g << 32);
    p->fn = fn;
    p->ctx = ctx;
    atomic_store(&p->n_tasks, n_tasks);
    atomic_store(&p->done, 0);
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->gen, g);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    run_tasks(p, g, 0);
    /* Wait for tasks, not for workers: on a busy machine a worker that has not woken yet
     * costs nothing, the caller has done its share. */
    for (int spins = 0; atomic_load(&p->done) < n_tasks; spins++) {
        if (spins < WAIT_SPINS) cpu_relax();
        else sched_yield();
    }
    pthread_mutex_unlock(&g_pool_lock);
}

/* ---------------------------------------------------------------- BLAS information */

/* Cores OpenBLAS falls back to when it does not know a CPU: far slower than AVX2 or
 * AVX-512 kernels on machines that have them. */
static int core_is_fallback(const char *core) {
    static const char *slow[] = { "Prescott", "Core2", "Penryn", "Dunnington", "Nehalem",
                                  "Atom", "Katmai", "Coppermine", "Northwood", "Banias",
                                  "Barcelona", "Opteron", "Athlon", "Unknown" };
    for (size_t i = 0; i < sizeof slow / sizeof *slow; i++)
        if (!strcasecmp(core, slow[i])) return 1;
    return 0;
}

const char *nn_blas_fast_core(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return "SkylakeX";
    if (__builtin_cpu_supports("avx2")) return "Haswell";
#endif
    return NULL;
}

int nn_blas_slow_core(void) {
    const char *core = openblas_get_corename();
    return nn_blas_fast_core() != NULL && core && core_is_fallback(core);
}

void nn_blas_get_info(nn_blas_info *out) {
    memset(out, 0, sizeof *out);
    (void)nn_get_threads();   /* applies the engine's OpenBLAS setting if nothing has yet */
    const char *core = openblas_get_corename();
    const char *cfg  = openblas_get_config();
    snprintf(out->core, sizeof out->core, "%s", core ? core : "?");
    snprintf(out->config, sizeof out->config, "%s", cfg ? cfg : "?");
    out->threads = openblas_get_num_threads();
    out->slow = nn_blas_slow_core();
    const char *fast = nn_blas_fast_core();
    snprintf(out->fast_core, sizeof out->fast_core, "%s", out->slow && fast ? fast : "");
}

void nn_blas_describe(dls_buf *out) {
    nn_blas_info bi;
    nn_blas_get_info(&bi);
    dls_buf_printf(out, "OpenBLAS core %s (%s), %d BLAS thread(s) per engine thread; "
                   "engine threads %d", bi.core, bi.config, bi.threads, nn_get_threads());
    if (bi.slow)
        dls_buf_printf(out, "; SLOW fallback kernels: set OPENBLAS_CORETYPE=%s",
                       bi.fast_core);
}
