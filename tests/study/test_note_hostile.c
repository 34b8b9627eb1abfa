/* test_note_hostile.c: notes built to hurt, made in memory: 100,000 keys, 200,000 equal
 * headings, 50,000 review dates, deep nesting, one 3 MiB line, many cards, control
 * characters. The reader must stay linear (a quadratic step would make this test run
 * for hours, not fail an assertion), refuse cleanly or read correctly, and the write-back
 * must still splice only the owned keys. No timings are asserted. */
#include "study/note.h"
#include "tests/test.h"

#include <stdlib.h>

static note *parse_buf(dls_buf *b, int want, dls_error *e) {
    note *n = NULL;
    int   rc = note_parse(b->data, b->len, "hostile.md", &n, e);
    if (rc != want) fprintf(stderr, "  got %d (%s), expected %d\n", rc, e->msg, want);
    CHECK(rc == want);
    return n;
}

static void many_keys(void) {
    dls_buf b;
    dls_buf_init(&b);
    dls_buf_puts(&b, "---\ntitle: many keys\n");
    for (int i = 0; i < 100000; i++) dls_buf_printf(&b, "k%06d: %d\n", i, i);
    dls_buf_puts(&b, "mastery: 1\n---\nbody\n");
    dls_error e = {0};
    note     *n = parse_buf(&b, DLS_OK, &e);
    if (n) {
        CHECK(n->n_keys == 100002);
        CHECK(n->mastery == 1);
        note_owned o = NOTE_OWNED_KEEP;
        o.mastery = 2;
        char  *out;
        size_t len;
        CHECK(note_render_owned(n, &o, &out, &len, &e) == DLS_OK);
        CHECK(len == b.len && strstr(out, "\nmastery: 2\n---\n") != NULL);
        free(out);
        note_free(n);
    }
    /* A duplicate among them is still found, at its own line. */
    dls_buf_puts(&b, ""); /* keep b */
    char *dup = strstr(b.data, "k050000:");
    memcpy(dup, "k000007:", 8);
    note *m = parse_buf(&b, DLS_ERR_PARSE, &e);
    CHECK(m == NULL);
    CHECK_STR(e.msg, "hostile.md:50003:1: duplicate key 'k000007' (first on line 10)");
    dls_buf_deinit(&b);
}

static void many_headings(void) {
    dls_buf b;
    dls_buf_init(&b);
    dls_buf_puts(&b, "---\ntitle: many headings\n---\n");
    for (int i = 0; i < 200000; i++) dls_buf_puts(&b, "## Same\n");
    for (int i = 0; i < 50000; i++) dls_buf_printf(&b, "Question %d :: answer %d\n\n", i, i);
    dls_error e = {0};
    note     *n = parse_buf(&b, DLS_OK, &e);
    if (n) {
        CHECK(n->n_concepts == 200000);
        CHECK(n->n_cards == 50000);
        if (n->n_concepts == 200000) CHECK(strcmp(n->concepts[0].id, n->concepts[199999].id) != 0);
        note_free(n);
    }
    dls_buf_deinit(&b);
}

static void many_dates(void) {
    dls_buf b;
    dls_buf_init(&b);
    dls_buf_puts(&b, "---\ntitle: many dates\nreview_dates:\n");
    const char **dates = xmalloc(50001 * sizeof *dates);
    char (*store)[11] = xmalloc(50001 * sizeof *store);
    for (int i = 0; i < 50000; i++) {
        snprintf(store[i], 11, "%04d-01-01", 1000 + i % 8000);
        dates[i] = store[i];
        dls_buf_printf(&b, "  - %s\n", store[i]);
    }
    dls_buf_puts(&b, "---\n");
    dls_error e = {0};
    note     *n = parse_buf(&b, DLS_OK, &e);
    if (n) {
        CHECK(n->n_review_dates == 50000);
        dates[50000] = "2026-01-01";
        note_owned o = NOTE_OWNED_KEEP;
        o.review_dates   = dates;
        o.n_review_dates = 50001;
        char  *out;
        size_t len;
        CHECK(note_render_owned(n, &o, &out, &len, &e) == DLS_OK);
        CHECK(len == b.len + strlen("  - 2026-01-01\n"));
        free(out);
        o.n_review_dates = 1; /* and shrinking it to one */
        CHECK(note_render_owned(n, &o, &out, &len, &e) == DLS_OK);
        note *m = NULL;
        CHECK(note_parse(out, len, "m.md", &m, &e) == DLS_OK);
        CHECK(m && m->n_review_dates == 1);
        note_free(m);
        free(out);
        note_free(n);
    }
    free(dates);
    free(store);
    dls_buf_deinit(&b);
}

static void nesting_and_lines(void) {
    dls_buf b;
    dls_buf_init(&b);
    dls_error e = {0};
    /* 10,000 nested flow lists in an unknown key: refused, not a stack overflow. */
    dls_buf_puts(&b, "---\ntitle: deep\nx: ");
    for (int i = 0; i < 10000; i++) dls_buf_puts(&b, "[");
    for (int i = 0; i < 10000; i++) dls_buf_puts(&b, "]");
    dls_buf_puts(&b, "\n---\n");
    note *n = parse_buf(&b, DLS_ERR_PARSE, &e);
    CHECK(n == NULL && strstr(e.msg, "nested too deeply") != NULL);
    /* 10,000 nested block quotes and lists in the body: cmark copes, so do we. */
    b.len = 0;
    dls_buf_puts(&b, "---\ntitle: deep body\n---\n");
    for (int i = 0; i < 10000; i++) dls_buf_puts(&b, "> ");
    dls_buf_puts(&b, "Q :: A\n");
    for (int i = 0; i < 2000; i++) dls_buf_printf(&b, "%*s- item\n", 2 * i, "");
    n = parse_buf(&b, DLS_OK, &e);
    note_free(n);
    /* One 3 MiB line. */
    b.len = 0;
    dls_buf_puts(&b, "---\ntitle: long line\nmastery: 3\n---\n## H\n");
    while (b.len < ((size_t)3 << 20)) dls_buf_puts(&b, "word 深度 :: ");
    n = parse_buf(&b, DLS_OK, &e);
    if (n) {
        CHECK(n->n_concepts == 1 && n->n_cards == 1);
        note_free(n);
    }
    /* Over the limit by one byte. */
    b.len = 0;
    while (b.len < NOTE_MAX_BYTES + 1) dls_buf_puts(&b, "x");
    b.len = NOTE_MAX_BYTES + 1;
    n = parse_buf(&b, DLS_ERR_INVALID, &e);
    CHECK(strstr(e.msg, "limit") != NULL);
    /* Control characters libyaml refuses in the frontmatter: an error, with a place. */
    b.len = 0;
    dls_buf_puts(&b, "---\ntitle: bell\x07 here\n---\n");
    n = parse_buf(&b, DLS_ERR_PARSE, &e);
    CHECK(strstr(e.msg, "hostile.md:2:") == e.msg);
    /* A frontmatter that never closes, 1 MiB long. */
    b.len = 0;
    dls_buf_puts(&b, "---\n");
    while (b.len < ((size_t)1 << 20)) dls_buf_puts(&b, "a: b\n");
    n = parse_buf(&b, DLS_ERR_PARSE, &e);
    CHECK_STR(e.msg, "hostile.md:1:1: the frontmatter starting here has no closing `---` line");
    /* Aliases cannot blow up: the reader never expands them ("billion laughs"). */
    b.len = 0;
    dls_buf_puts(&b, "---\ntitle: laughs\na: &a [x, x, x, x, x, x, x, x, x]\n");
    for (int i = 1; i < 30; i++) {
        dls_buf_printf(&b, "l%d: &l%d [", i, i);
        for (int j = 0; j < 9; j++) dls_buf_printf(&b, "%s*%s%d", j ? ", " : "", i == 1 ? "a" : "l", i == 1 ? 0 : i - 1);
        dls_buf_puts(&b, "]\n");
    }
    dls_buf_puts(&b, "---\n");
    /* "*a0" does not exist as an anchor name: make the first level point at &a. */
    char *fix;
    while ((fix = strstr(b.data, "*a0"))) memcpy(fix, "*a ", 3);
    n = parse_buf(&b, DLS_OK, &e);
    if (n) {
        CHECK(n->n_keys == 31);
        note_free(n);
    }
    dls_buf_deinit(&b);
}

int main(void) {
    many_keys();
    many_headings();
    many_dates();
    nesting_and_lines();
    return test_done("test_note_hostile");
}
