/* test.h: the whole test harness. CHECK* record a failure with file:line and go on;
 * test_skip() marks a test skipped (never passed); test_done() prints the summary
 * line "N passed, N failed, N skipped" and returns the exit status. */
#ifndef TEST_H
#define TEST_H
#undef NDEBUG
#include <math.h>
#include <stdio.h>
#include <string.h>

static int test_pass_, test_fail_, test_skip_;

#define CHECK(c) \
    ((c) ? (void)test_pass_++ : (test_fail_++, (void)fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #c)))
#define CHECK_STR(a, b) \
    do { const char *a_ = (a), *b_ = (b); \
         if (a_ && b_ && !strcmp(a_, b_)) test_pass_++; \
         else { test_fail_++; fprintf(stderr, "FAIL %s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); } } while (0)
#define CHECK_NEAR(a, b, tol) \
    do { double a_ = (a), b_ = (b); \
         if (fabs(a_ - b_) <= (tol)) test_pass_++; \
         else { test_fail_++; fprintf(stderr, "FAIL %s:%d: %s = %.9g, expected %.9g (tol %g)\n", __FILE__, __LINE__, #a, a_, b_, (double)(tol)); } } while (0)

static inline void test_skip(const char *what, const char *why) {
    test_skip_++;
    fprintf(stderr, "SKIP %s: %s\n", what, why);
}

static inline int test_done(const char *name) {
    printf("%s: %d passed, %d failed, %d skipped\n", name, test_pass_, test_fail_, test_skip_);
    return test_fail_ ? 1 : 0;
}
#endif
