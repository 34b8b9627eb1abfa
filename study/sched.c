/* sched.c: FSRS-6 (formulas, state machine, fuzz, day arithmetic) as specified in
 * ../shared/reference/FSRS.md and executed by py-fsrs 6.3.x. Pure computation: no I/O,
 * no clock (callers pass `now`), no global state. */
#include "study/sched.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const double default_w[SCHED_NPARAMS] = {
    0.212,  1.2931, 2.3065, 8.2956, 6.4133, 0.8334, 3.0194, 0.001,  1.8722, 0.1666, 0.796,
    1.4835, 0.0614, 0.2629, 1.6483, 0.6014, 1.8729, 0.5425, 0.0912, 0.0658, 0.1542,
};

void sched_params_default(sched_params *p) {
    memset(p, 0, sizeof *p);
    memcpy(p->w, default_w, sizeof default_w);
    p->retention     = 0.9;
    p->learn[0]      = 60;
    p->learn[1]      = 600;
    p->n_learn       = 2;
    p->relearn[0]    = 600;
    p->n_relearn     = 1;
    p->max_interval  = 36500;
    p->fuzz          = 1;
    p->days          = SCHED_DAYS_FLOOR24;
    p->rollover_hour = 4;
}

int sched_steps_parse(const char *list, int *out, int *n, dls_error *e) {
    *n = 0;
    const char *s = list ? list : "";
    while (*s) {
        while (*s == ' ' || *s == ',') s++;
        if (!*s) break;
        char  *end;
        double v = strtod(s, &end);
        if (end == s || v <= 0 || !isfinite(v))
            return dls_fail(e, DLS_ERR_INVALID, "bad step '%s' (want e.g. 1m,10m)", s);
        double unit = 60;
        if (*end == 's') unit = 1, end++;
        else if (*end == 'm') unit = 60, end++;
        else if (*end == 'h') unit = 3600, end++;
        else if (*end == 'd') unit = 86400, end++;
        if (*end && *end != ',' && *end != ' ')
            return dls_fail(e, DLS_ERR_INVALID, "bad step '%s' (units: s, m, h, d)", s);
        if (*n >= SCHED_MAX_STEPS)
            return dls_fail(e, DLS_ERR_INVALID, "too many steps (at most %d)", SCHED_MAX_STEPS);
        double secs = v * unit;
        if (secs < 1 || secs > 365.0 * 86400)
            return dls_fail(e, DLS_ERR_INVALID, "step '%.*s' out of range (1s to 365d)",
                            (int)(end - s), s);
        out[(*n)++] = (int)secs;
        s = end;
    }
    return DLS_OK;
}

void sched_steps_format(const int *steps, int n, char *buf, size_t size) {
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && used < size; i++) {
        int v = steps[i];
        const char *sep = i ? "," : "";
        int w;
        if (v % 86400 == 0) w = snprintf(buf + used, size - used, "%s%dd", sep, v / 86400);
        else if (v % 3600 == 0) w = snprintf(buf + used, size - used, "%s%dh", sep, v / 3600);
        else if (v % 60 == 0) w = snprintf(buf + used, size - used, "%s%dm", sep, v / 60);
        else w = snprintf(buf + used, size - used, "%s%ds", sep, v);
        if (w < 0) break;
        used += (size_t)w;
    }
}

int sched_params_check(const sched_params *p, dls_error *e) {
    if (!(p->retention >= 0.70 - 1e-9 && p->retention <= 0.97 + 1e-9))
        return dls_fail(e, DLS_ERR_INVALID, "desired retention %g is outside 0.70-0.97", p->retention);
    if (p->max_interval < 1)
        return dls_fail(e, DLS_ERR_INVALID, "maximum interval %d must be at least 1 day", p->max_interval);
    if (p->rollover_hour < 0 || p->rollover_hour > 23)
        return dls_fail(e, DLS_ERR_INVALID, "rollover hour %d is outside 0-23", p->rollover_hour);
    return DLS_OK;
}

/* ---- formulas (FSRS.md 1.3) ---- */

static double decay(const sched_params *p) { return -p->w[20]; }
static double factor(const sched_params *p) { return pow(0.9, 1.0 / decay(p)) - 1.0; }
static double clamp_d(double d) { return d < 1 ? 1 : d > 10 ? 10 : d; }
static double clamp_s(double s) { return s < SCHED_S_MIN ? SCHED_S_MIN : s; }

double sched_retrievability(const sched_params *p, double t, double s) {
    return pow(1.0 + factor(p) * t / s, decay(p));
}

double sched_interval_raw(const sched_params *p, double s) {
    return s / factor(p) * (pow(p->retention, 1.0 / decay(p)) - 1.0);
}

int sched_interval_days(const sched_params *p, double s) {
    /* rint: half-to-even in the default rounding mode, like Python's round() */
    double i = rint(sched_interval_raw(p, s));
    if (i < 1) i = 1;
    if (i > p->max_interval) i = p->max_interval;
    return (int)i;
}

double sched_init_stability(const sched_params *p, int g) {
    return clamp_s(p->w[g - 1]);
}

double sched_init_difficulty(const sched_params *p, int g, int clamp) {
    double d = p->w[4] - exp(p->w[5] * (g - 1)) + 1.0;
    return clamp ? clamp_d(d) : d;
}

double sched_next_difficulty(const sched_params *p, double d, int g) {
    double delta  = -p->w[6] * (g - 3);
    double damped = d + delta * (10.0 - d) / 9.0;
    /* mean reversion toward the UNCLAMPED D0(Easy), which is negative with FSRS-6 defaults */
    double target = sched_init_difficulty(p, SCHED_EASY, 0);
    return clamp_d(p->w[7] * target + (1.0 - p->w[7]) * damped);
}

double sched_next_stability(const sched_params *p, double d, double s, double r, int g) {
    const double *w = p->w;
    double next;
    if (g == SCHED_AGAIN) {
        double long_term  = w[11] * pow(d, -w[12]) * (pow(s + 1.0, w[13]) - 1.0) * exp(w[14] * (1.0 - r));
        double short_term = s / exp(w[17] * w[18]);
        next = long_term < short_term ? long_term : short_term;
    } else {
        double hard = g == SCHED_HARD ? w[15] : 1.0;
        double easy = g == SCHED_EASY ? w[16] : 1.0;
        next = s * (1.0 + exp(w[8]) * (11.0 - d) * pow(s, -w[9]) * (exp(w[10] * (1.0 - r)) - 1.0) * hard * easy);
    }
    return clamp_s(next);
}

double sched_short_term_stability(const sched_params *p, double s, int g) {
    double inc = exp(p->w[17] * (g - 3 + p->w[18])) * pow(s, -p->w[19]);
    if (g >= SCHED_HARD && inc < 1.0) inc = 1.0; /* current rule: Hard is floored too */
    return clamp_s(s * inc);
}

/* ---- fuzz (FSRS.md 1.7, Anki fuzz.rs) ---- */

void sched_fuzz_range(double ivl, int max_interval, int *lo, int *hi) {
    if (ivl < 2.5) {
        *lo = *hi = (int)rint(ivl);
        return;
    }
    static const struct { double start, end, factor; } ranges[] = {
        {2.5, 7.0, 0.15}, {7.0, 20.0, 0.10}, {20.0, INFINITY, 0.05},
    };
    double delta = 1.0;
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
        double span = (ivl < ranges[i].end ? ivl : ranges[i].end) - ranges[i].start;
        if (span > 0) delta += ranges[i].factor * span;
    }
    /* Anki rounds the bounds with Rust's f32::round: half away from zero, i.e. C round() */
    int l = (int)round(ivl - delta), h = (int)round(ivl + delta);
    if (l < 1) l = 1;
    if (h < 1) h = 1;
    if (l > max_interval) l = max_interval;
    if (h > max_interval) h = max_interval;
    if (h == l && h > 2 && h < max_interval) h = l + 1;
    *lo = l, *hi = h;
}

/* splitmix64: a tiny, well-mixed generator; one draw per seed is all fuzz needs. */
static uint64_t splitmix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

int sched_fuzz(int ivl, int max_interval, uint64_t seed) {
    int lo, hi;
    sched_fuzz_range(ivl, max_interval, &lo, &hi);
    if (lo == hi) return lo;
    double f = (double)(splitmix64(seed) >> 11) * (1.0 / 9007199254740992.0); /* [0, 1) */
    int v = (int)floor(lo + f * (1 + hi - lo));
    return v > hi ? hi : v;
}

/* ---- days ---- */

/* Howard Hinnant's days_from_civil / civil_from_days: proleptic Gregorian, no tables. */
static int64_t days_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp  = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t sched_day_of(const sched_params *p, int64_t t) {
    if (p->days == SCHED_DAYS_FLOOR24) return floor_div(t, 86400);
    time_t    shifted = (time_t)(t - (int64_t)p->rollover_hour * 3600);
    struct tm tm;
    localtime_r(&shifted, &tm);
    return days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

int64_t sched_day_start(const sched_params *p, int64_t day) {
    if (p->days == SCHED_DAYS_FLOOR24) return day * 86400;
    int y, m, d;
    civil_from_days(day, &y, &m, &d);
    struct tm tm = {0};
    tm.tm_year  = y - 1900;
    tm.tm_mon   = m - 1;
    tm.tm_mday  = d;
    tm.tm_hour  = p->rollover_hour;
    tm.tm_isdst = -1;
    return (int64_t)mktime(&tm);
}

int sched_date_to_day(const char *date, int64_t *day) {
    int y, m, d, n = 0;
    if (strlen(date) != 10 || sscanf(date, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 ||
        date[4] != '-' || date[7] != '-' || m < 1 || m > 12 || d < 1)
        return DLS_ERR_INVALID;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[m - 1] + (m == 2 && leap)) return DLS_ERR_INVALID;
    *day = days_from_civil(y, m, d);
    return DLS_OK;
}

void sched_day_to_date(int64_t day, char buf[11]) {
    int y, m, d;
    civil_from_days(day, &y, &m, &d);
    unsigned uy = (unsigned)(y < 0 ? 0 : y % 10000);
    const unsigned v[3] = {uy, (unsigned)m, (unsigned)d}, w[3] = {4, 2, 2};
    char *o = buf;
    for (int k = 0; k < 3; k++) { /* by hand: snprintf cannot prove the width to gcc */
        for (unsigned i = w[k], x = v[k]; i > 0; i--, x /= 10) o[i - 1] = (char)('0' + x % 10);
        o += w[k];
        *o++ = k < 2 ? '-' : '\0';
    }
}

int sched_elapsed_days(const sched_params *p, int64_t from, int64_t to) {
    int64_t n = p->days == SCHED_DAYS_FLOOR24 ? floor_div(to - from, 86400)
                                              : sched_day_of(p, to) - sched_day_of(p, from);
    return n < 0 ? 0 : (int)n;
}

/* ---- the state machine (FSRS.md 1.6, py-fsrs Scheduler.review_card) ---- */

int sched_review(const sched_params *p, const sched_card *in, uint64_t seed, int g, int64_t now,
                 sched_card *out, sched_result *res, dls_error *e) {
    if (g < SCHED_AGAIN || g > SCHED_EASY)
        return dls_fail(e, DLS_ERR_INVALID, "rating %d is not 1-4 (again, hard, good, easy)", g);
    sched_card c = *in;
    sched_result r = {.elapsed_days = -1, .r = -1, .scheduled_days = 0};

    /* memory state: R from the previous S and integer elapsed days; S from the previous D;
     * only then D */
    int has_memory = c.state != SCHED_NEW && c.s > 0;
    if (!has_memory) {
        c.s = sched_init_stability(p, g);
        c.d = sched_init_difficulty(p, g, 1);
        if (c.state == SCHED_NEW) c.state = SCHED_LEARNING, c.step = 0;
    } else {
        r.elapsed_days = c.last_review ? sched_elapsed_days(p, c.last_review, now) : 0;
        r.r            = sched_retrievability(p, r.elapsed_days, c.s);
        double s_new   = r.elapsed_days < 1 ? sched_short_term_stability(p, c.s, g)
                                            : sched_next_stability(p, c.d, c.s, r.r, g);
        c.d = sched_next_difficulty(p, c.d, g);
        c.s = s_new;
    }

    int64_t step_secs = -1; /* >= 0: due in that many seconds (a (re)learning step) */
    int     review_ivl = 0; /* > 0: due in that many days (Review state) */
    if (c.state == SCHED_LEARNING || c.state == SCHED_RELEARNING) {
        const int *steps = c.state == SCHED_LEARNING ? p->learn : p->relearn;
        int        n     = c.state == SCHED_LEARNING ? p->n_learn : p->n_relearn;
        if (n == 0 || (c.step >= n && g >= SCHED_HARD)) {
            c.state = SCHED_REVIEW, c.step = 0;
            review_ivl = sched_interval_days(p, c.s);
        } else if (g == SCHED_AGAIN) {
            c.step    = 0;
            step_secs = steps[0];
        } else if (g == SCHED_HARD) {
            if (c.step == 0 && n == 1) step_secs = (int64_t)(steps[0] * 1.5);
            else if (c.step == 0) step_secs = (steps[0] + steps[1]) / 2;
            else step_secs = steps[c.step < n ? c.step : n - 1];
        } else if (g == SCHED_GOOD) {
            if (c.step + 1 >= n) {
                c.state = SCHED_REVIEW, c.step = 0;
                review_ivl = sched_interval_days(p, c.s);
            } else {
                c.step++;
                step_secs = steps[c.step];
            }
        } else {
            c.state = SCHED_REVIEW, c.step = 0;
            review_ivl = sched_interval_days(p, c.s);
        }
    } else { /* SCHED_REVIEW */
        if (g == SCHED_AGAIN && p->n_relearn > 0) {
            c.state = SCHED_RELEARNING, c.step = 0;
            step_secs = p->relearn[0];
        } else {
            review_ivl = sched_interval_days(p, c.s);
        }
    }
    if (g == SCHED_AGAIN && in->state == SCHED_REVIEW) c.lapses++;

    if (review_ivl > 0) {
        if (p->fuzz) review_ivl = sched_fuzz(review_ivl, p->max_interval, seed + (uint64_t)in->reps);
        r.scheduled_days = review_ivl;
        c.due = p->days == SCHED_DAYS_FLOOR24
                    ? now + (int64_t)review_ivl * 86400
                    : sched_day_start(p, sched_day_of(p, now) + review_ivl);
    } else {
        c.due = now + step_secs;
    }
    c.last_review = now;
    c.reps++;
    *out = c;
    if (res) *res = r;
    return DLS_OK;
}

double sched_card_retrievability(const sched_params *p, const sched_card *c, int64_t now) {
    if (c->state == SCHED_NEW || c->s <= 0 || !c->last_review) return 1.0;
    return sched_retrievability(p, sched_elapsed_days(p, c->last_review, now), c->s);
}

const char *sched_state_name(int state) {
    static const char *names[] = {"new", "learning", "review", "relearning"};
    return state >= 0 && state <= 3 ? names[state] : "?";
}

const char *sched_rating_name(int g) {
    static const char *names[] = {"again", "hard", "good", "easy"};
    return g >= 1 && g <= 4 ? names[g - 1] : "?";
}

int sched_rating_parse(const char *s) {
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strcspn(s, " \t\r\n");
    if (n == 1 && s[0] >= '1' && s[0] <= '4') return s[0] - '0';
    if (n == 0) return 0;
    for (int g = SCHED_AGAIN; g <= SCHED_EASY; g++) {
        const char *name = sched_rating_name(g);
        if (n <= strlen(name) && !strncasecmp(s, name, n)) return g;
    }
    return 0;
}
