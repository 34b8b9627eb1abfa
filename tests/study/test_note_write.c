/* test_note_write.c: the write-back of the owned keys. Every note of the corpus in
 * tests/fixtures/notes round-trips byte-identical when nothing changes, and after a
 * simulated review differs only in mastery/status/updated/review_dates (checked by
 * re-parsing both and comparing every other key, every comment and the body). Exact
 * outputs for each list and quoting style, and the failure cases of the atomic write:
 * changed on disk, failures while writing (temp file gone, original intact), mode kept,
 * symlinks kept. */
#include "study/note.h"
#include "tests/test.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NOTES "tests/fixtures/notes"

static int is_owned(const char *k) {
    return !strcmp(k, "mastery") || !strcmp(k, "status") || !strcmp(k, "updated") || !strcmp(k, "review_dates");
}

/* The frontmatter with the owned keys' names and values (items, for block lists) cut
 * out, and the lines left holding only blanks, dashes and colons dropped: what must
 * be identical before and after a write-back. */
static char *skeleton(const note *n) {
    char  *cut = xcalloc(n->raw_len + 1, 1);
    for (size_t i = 0; i < n->n_keys; i++) {
        const note_key *k = &n->keys[i];
        if (!is_owned(k->name)) continue;
        memset(cut + k->key.off, 1, k->key.len);
        if (k->style == NOTE_STYLE_BLOCK_SEQ)
            for (size_t j = 0; j < k->n_items; j++) memset(cut + k->item_spans[j].off, 1, k->item_spans[j].len);
        else
            memset(cut + k->value.off, 1, k->value.len);
    }
    dls_buf b, line;
    dls_buf_init(&b);
    dls_buf_init(&line);
    size_t end = n->has_frontmatter ? n->yaml.off + n->yaml.len : 0;
    for (size_t i = n->yaml.off; i <= end && n->has_frontmatter; i++) {
        if (i == end || n->raw[i] == '\n') {
            int keep = 0;
            for (size_t j = 0; j < line.len; j++) keep |= !strchr(" \t\r-:", line.data[j]);
            if (keep) {
                dls_buf_append(&b, line.data, line.len);
                dls_buf_puts(&b, "\n");
            }
            line.len = 0;
            continue;
        }
        if (!cut[i]) dls_buf_append(&line, n->raw + i, 1);
    }
    dls_buf_deinit(&line);
    free(cut);
    return dls_buf_take(&b);
}

static const note_key *key_of(const note *n, const char *name) {
    for (size_t i = 0; i < n->n_keys; i++)
        if (!strcmp(n->keys[i].name, name)) return &n->keys[i];
    return NULL;
}

static void check_only_owned_changed(const char *name, const note *a, const note *b) {
    /* Body bytes, BOM and the opening and closing lines are identical. */
    CHECK(a->raw_len - a->body_off == b->raw_len - b->body_off);
    CHECK(!memcmp(a->raw + a->body_off, b->raw + b->body_off, a->raw_len - a->body_off));
    CHECK(a->has_bom == b->has_bom);
    if (a->has_frontmatter) {
        CHECK(a->yaml.off == b->yaml.off && !memcmp(a->raw, b->raw, a->yaml.off));
        CHECK(a->fm_end - (a->yaml.off + a->yaml.len) == b->fm_end - (b->yaml.off + b->yaml.len));
        CHECK(!memcmp(a->raw + a->yaml.off + a->yaml.len, b->raw + b->yaml.off + b->yaml.len,
                      a->fm_end - (a->yaml.off + a->yaml.len)));
    }
    /* Every other key: same value bytes, same order. */
    size_t j = 0;
    for (size_t i = 0; i < a->n_keys; i++) {
        if (is_owned(a->keys[i].name)) continue;
        while (j < b->n_keys && is_owned(b->keys[j].name)) j++;
        CHECK(j < b->n_keys);
        if (j >= b->n_keys) break;
        const note_key *x = &a->keys[i], *y = &b->keys[j++];
        CHECK_STR(x->name, y->name);
        CHECK(x->value.len == y->value.len && !memcmp(a->raw + x->value.off, b->raw + y->value.off, x->value.len));
    }
    char *sa = skeleton(a), *sb = skeleton(b);
    if (strcmp(sa, sb)) fprintf(stderr, "  %s skeleton differs:\n---\n%s---\n%s---\n", name, sa, sb);
    CHECK_STR(sa, sb);
    free(sa);
    free(sb);
    /* What the reader sees is the same apart from the owned fields. */
    CHECK_STR(a->title, b->title);
    CHECK_STR(a->created, b->created);
    CHECK_STR(a->key, b->key);
    CHECK_STR(a->body_sha, b->body_sha);
    CHECK(a->difficulty == b->difficulty && a->n_tags == b->n_tags && a->n_related == b->n_related);
    CHECK(a->n_concepts == b->n_concepts && a->n_cards == b->n_cards);
    for (size_t i = 0; i < a->n_concepts && i < b->n_concepts; i++) CHECK_STR(a->concepts[i].id, b->concepts[i].id);
}

/* Every note of the corpus: identity, same values, then a review. */
static void test_corpus(void) {
    DIR *d = opendir(NOTES);
    CHECK(d != NULL);
    if (!d) return;
    struct dirent *de;
    int            count = 0;
    while ((de = readdir(d))) {
        size_t k = strlen(de->d_name);
        if (k < 4 || strcmp(de->d_name + k - 3, ".md")) continue;
        char     *p = xasprintf("%s/%s", NOTES, de->d_name);
        note     *n = NULL;
        dls_error e = {0};
        if (note_load(p, NOTES, &n, &e) != DLS_OK) {
            fprintf(stderr, "FAIL %s: %s\n", p, e.msg);
            CHECK(!"corpus note loads");
            free(p);
            continue;
        }
        count++;
        char  *out;
        size_t len;
        /* Nothing asked: byte-identical. */
        note_owned keep = NOTE_OWNED_KEEP;
        CHECK(note_render_owned(n, &keep, &out, &len, &e) == DLS_OK);
        CHECK(len == n->raw_len && !memcmp(out, n->raw, len));
        free(out);
        /* The same values it has: byte-identical too (for the keys that exist). */
        const char *same_dates[16];
        for (size_t i = 0; i < n->n_review_dates && i < 16; i++) same_dates[i] = n->review_dates[i];
        note_owned same = {
            .mastery = key_of(n, "mastery") ? n->mastery : -1,
            .status  = key_of(n, "status") ? n->status : NOTE_STATUS_NONE,
            .updated = key_of(n, "updated") && n->updated[0] ? n->updated : NULL,
            .review_dates = key_of(n, "review_dates") && n->n_review_dates <= 16 ? same_dates : NULL,
            .n_review_dates = n->n_review_dates,
        };
        CHECK(note_render_owned(n, &same, &out, &len, &e) == DLS_OK);
        if (!(len == n->raw_len && !memcmp(out, n->raw, len))) fprintf(stderr, "  %s: same values changed bytes\n", p);
        CHECK(len == n->raw_len && !memcmp(out, n->raw, len));
        free(out);
        /* A review: one more date, new mastery, status, updated. */
        const char *dates[20];
        size_t      nd = 0;
        for (size_t i = 0; i < n->n_review_dates && nd < 18; i++) dates[nd++] = n->review_dates[i];
        dates[nd++] = "2026-02-01";
        note_owned rev = {.mastery = n->mastery == 4 ? 5 : 4, .status = NOTE_STATUS_REVIEWING,
                          .updated = "2026-01-15", .review_dates = dates, .n_review_dates = nd};
        CHECK(note_render_owned(n, &rev, &out, &len, &e) == DLS_OK);
        note *m = NULL;
        if (note_parse(out, len, n->path, &m, &e) != DLS_OK) {
            fprintf(stderr, "FAIL %s after review: %s\n----\n%s----\n", p, e.msg, out);
            CHECK(!"reviewed note parses");
        } else {
            CHECK(m->mastery == rev.mastery);
            CHECK(m->status == NOTE_STATUS_REVIEWING);
            CHECK_STR(m->updated, "2026-01-15");
            CHECK(m->n_review_dates == nd);
            if (m->n_review_dates == nd) CHECK_STR(m->review_dates[nd - 1], "2026-02-01");
            check_only_owned_changed(p, n, m);
            /* A second review rewrites in place: the key count stays. */
            note_owned again = rev;
            again.mastery = 1;
            again.review_dates = dates;
            again.n_review_dates = nd > 1 ? nd - 1 : nd; /* shrinking lists too */
            char  *out2;
            size_t len2;
            CHECK(note_render_owned(m, &again, &out2, &len2, &e) == DLS_OK);
            note *m2 = NULL;
            CHECK(note_parse(out2, len2, n->path, &m2, &e) == DLS_OK);
            if (m2) {
                CHECK(m2->n_keys == m->n_keys);
                CHECK(m2->mastery == 1 && m2->n_review_dates == again.n_review_dates);
                check_only_owned_changed(p, m, m2);
            }
            note_free(m2);
            free(out2);
        }
        note_free(m);
        free(out);
        note_free(n);
        free(p);
    }
    closedir(d);
    CHECK(count >= 20);
}

/* in parsed as t.md; NULL, with a failed check, when it does not parse. */
static note *parsed(const char *in) {
    note     *n = NULL;
    dls_error e = {0};
    if (note_parse(in, strlen(in), "t.md", &n, &e) != DLS_OK) {
        fprintf(stderr, "FAIL parse: %s\n", e.msg);
        CHECK(!"parses");
        return NULL;
    }
    return n;
}

/* Exact outputs for the styles. */
static void render_is(const char *in, const note_owned *o, const char *want) {
    note     *n = parsed(in);
    dls_error e = {0};
    if (!n) return;
    char  *out = NULL;
    size_t len;
    CHECK(note_render_owned(n, o, &out, &len, &e) == DLS_OK);
    if (out && strcmp(out, want)) fprintf(stderr, "  got:\n%s\n  want:\n%s\n", out, want);
    CHECK(out && !strcmp(out, want));
    free(out);
    note_free(n);
}

/* A refused rendering: DLS_ERR_INVALID, with a message that starts with want. */
static void render_refused(const char *in, const note_owned *o, const char *want) {
    note     *n = parsed(in);
    dls_error e = {0};
    if (!n) return;
    char  *out = NULL;
    size_t len;
    CHECK(note_render_owned(n, o, &out, &len, &e) == DLS_ERR_INVALID);
    if (strncmp(e.msg, want, strlen(want))) fprintf(stderr, "  got:  %s\n  want: %s...\n", e.msg, want);
    CHECK(!strncmp(e.msg, want, strlen(want)));
    free(out); /* NULL unless it was wrongly rendered */
    note_free(n);
}

static void test_styles(void) {
    const char *d3[] = {"2025-01-01", "2025-01-03", "2025-01-09"};
    note_owned  o = {.mastery = 3, .status = NOTE_STATUS_REVIEWING, .updated = "2025-01-09",
                     .review_dates = d3, .n_review_dates = 3};
    /* Block list: one line added in the last item's prefix; trailing comments kept. */
    render_is("---\nupdated: 2025-01-01 # c\nmastery: 2  # of 5\nreview_dates:\n    -  2025-01-01\n    -  2025-01-03 # last\nstatus: learning\n---\nbody\n",
              &o,
              "---\nupdated: 2025-01-09 # c\nmastery: 3  # of 5\nreview_dates:\n    -  2025-01-01\n    -  2025-01-03 # last\n    -  2025-01-09\nstatus: reviewing\n---\nbody\n");
    /* Flow list with quotes and no spaces; quoted scalars keep their quotes. */
    render_is("---\nupdated: '2025-01-01'\nmastery: \"2\"\nreview_dates: [\"2025-01-01\",\"2025-01-03\"]\nstatus: 'new'\n---\n",
              &o,
              "---\nupdated: '2025-01-09'\nmastery: \"3\"\nreview_dates: [\"2025-01-01\",\"2025-01-03\",\"2025-01-09\"]\nstatus: 'reviewing'\n---\n");
    /* CRLF: new lines get CRLF. */
    render_is("---\r\ntitle: x\r\nreview_dates:\r\n  - 2025-01-01\r\n---\r\nbody\r\n", &o,
              "---\r\ntitle: x\r\nreview_dates:\r\n  - 2025-01-01\r\n  - 2025-01-03\r\n  - 2025-01-09\r\n"
              "updated: 2025-01-09\r\nmastery: 3\r\nstatus: reviewing\r\n---\r\nbody\r\n");
    /* Empty values (the template): filled in place, the list in the note's block style. */
    render_is("---\ntitle: x\nmastery:\nreview_dates:  # dates\nstatus:\nrelated:\n   - a.md\n---\n", &o,
              "---\ntitle: x\nmastery: 3\nreview_dates:  # dates\n   - 2025-01-01\n   - 2025-01-03\n   - 2025-01-09\nstatus: reviewing\n"
              "related:\n   - a.md\nupdated: 2025-01-09\n---\n");
    /* Absent: a block list, one date a line (the user's format), even in a flow-only note. */
    render_is("---\ntags: [a]\n---\n", &o,
              "---\ntags: [a]\nupdated: 2025-01-09\nmastery: 3\nreview_dates:\n  - 2025-01-01\n  - 2025-01-03\n  - 2025-01-09\nstatus: reviewing\n---\n");
    /* No frontmatter: one is added at the top (after a BOM). */
    render_is("\xEF\xBB\xBF# Title\r\n\r\ntext\r\n", &o,
              "\xEF\xBB\xBF---\r\nupdated: 2025-01-09\r\nmastery: 3\r\nreview_dates:\r\n  - 2025-01-01\r\n  - 2025-01-03\r\n  - 2025-01-09\r\n"
              "status: reviewing\r\n---\r\n# Title\r\n\r\ntext\r\n");
    /* A scalar date becomes a flow list; a shrinking block list loses lines. */
    const char *d1[] = {"2025-02-02"};
    note_owned  one = {.mastery = -1, .review_dates = d1, .n_review_dates = 1};
    render_is("---\nreview_dates: 2025-01-01\n---\n", &o, "---\nreview_dates: [2025-01-01, 2025-01-03, 2025-01-09]\nupdated: 2025-01-09\nmastery: 3\nstatus: reviewing\n---\n");
    render_is("---\nreview_dates:\n  - 2025-01-01 # a\n  # mid\n  - 2025-01-03\nx: 1\n---\n", &one,
              "---\nreview_dates:\n  - 2025-02-02 # a\nx: 1\n---\n");
    note_owned none = {.mastery = -1, .review_dates = d1, .n_review_dates = 0};
    render_is("---\nreview_dates:\n  - 2025-01-01\nx: 1\n---\n", &none, "---\nreview_dates: []\nx: 1\n---\n");
    /* Only what was asked changes. */
    note_owned m5 = {.mastery = 5, .status = NOTE_STATUS_NONE};
    render_is("---\nmastery: 0\nstatus: new\n---\n", &m5, "---\nmastery: 5\nstatus: new\n---\n");
    /* A frontmatter written as one flow map: values are replaced in place, but keys
     * cannot be appended to it, so that is refused. */
    render_is("---\n{title: x, mastery: 2}\n---\n", &m5, "---\n{title: x, mastery: 5}\n---\n");
    render_refused("---\n# c\n{title: x, mastery: 2}\n---\n", &o, "t.md: the frontmatter is one {flow map}");
    /* Refusals: an alias target, a bad value. */
    const char *anch = "---\nmastery: &m 2\nother: *m\n---\n";
    render_refused(anch, &m5, "t.md:2:1: mastery:");
    note_owned bad = {.mastery = 9};
    render_refused(anch, &bad, "t.md: mastery 9 is out of range 0-5");
    const char *bd[] = {"2025-02-30"};
    note_owned  badd = {.mastery = -1, .review_dates = bd, .n_review_dates = 1};
    render_refused(anch, &badd, "t.md: review date '2025-02-30' is not a date");
    note     *n = NULL;
    dls_error e = {0};
    CHECK(note_parse(anch, strlen(anch), "a.md", &n, &e) == DLS_OK);
    if (n) CHECK(note_write_owned(n, &o, NULL, &e) == DLS_ERR_INVALID); /* from memory: no file */
    CHECK(strstr(e.msg, "a.md: not read from a file") == e.msg);
    note_free(n);
}

/* ---- writing files ---------------------------------------------------------------- */

static char *slurp(const char *p, size_t *len) {
    char *s = NULL;
    if (dls_read_file(p, 0, &s, len, NULL) != DLS_OK) return NULL;
    return s;
}

static void spit(const char *p, const char *s) {
    FILE *f = fopen(p, "wb");
    fputs(s, f);
    fclose(f);
}

static int temp_files_in(const char *dir) {
    DIR *d = opendir(dir);
    int  k = 0;
    struct dirent *de;
    while (d && (de = readdir(d))) k += strstr(de->d_name, ".dlstudy-") != NULL;
    if (d) closedir(d);
    return k;
}

static void test_files(void) {
    char dir[] = "/tmp/dls-write-XXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(!"mkdtemp");
        return;
    }
    char       *p = xasprintf("%s/n.md", dir);
    const char *orig = "---\ntitle: T # keep\nmastery: 1\nreview_dates:\n  - 2025-01-01\nstatus: learning\n---\n## C\ntext\n";
    const char *d2[] = {"2025-01-01", "2025-01-05"};
    note_owned  o = {.mastery = 2, .status = NOTE_STATUS_REVIEWING, .updated = "2025-01-05",
                     .review_dates = d2, .n_review_dates = 2};
    note       *n = NULL;
    dls_error   e = {0};
    size_t      len;
    char       *s;

    /* A normal write: mode kept, identity returned, no temp file left. */
    spit(p, orig);
    chmod(p, 0640);
    CHECK(note_load(p, dir, &n, &e) == DLS_OK);
    note_file_id id;
    CHECK(note_write_owned(n, &o, &id, &e) == DLS_OK);
    struct stat st;
    CHECK(stat(p, &st) == 0 && (st.st_mode & 07777) == 0640);
    CHECK(id.size == (int64_t)st.st_size && note_file_unchanged(p, id.size, id.mtime_ns));
    s = slurp(p, &len);
    CHECK(s && strstr(s, "mastery: 2\n") && strstr(s, "  - 2025-01-05\n") && strstr(s, "title: T # keep\n"));
    char hex[65];
    if (s) dls_sha256_hex(s, len, hex);
    CHECK_STR(id.sha256, hex);
    free(s);
    CHECK(temp_files_in(dir) == 0);
    /* Writing again from the stale note: refused, the file stays as written. */
    CHECK(note_write_owned(n, &o, NULL, &e) == DLS_ERR_CHANGED);
    CHECK(strstr(e.msg, "n.md: changed on disk") == e.msg);
    note_free(n);

    /* Changed on disk with the same size and mtime: caught by the hash. */
    spit(p, orig);
    CHECK(note_load(p, dir, &n, &e) == DLS_OK);
    char *edited = xstrdup(orig);
    edited[strlen(edited) - 2] = 'X'; /* same length */
    spit(p, edited);
    struct timespec ts[2] = {{0, UTIME_OMIT}, {n->id.mtime_ns / 1000000000LL, n->id.mtime_ns % 1000000000LL}};
    utimensat(AT_FDCWD, p, ts, 0);
    CHECK(note_write_owned(n, &o, NULL, &e) == DLS_ERR_CHANGED);
    s = slurp(p, &len);
    CHECK(s && !strcmp(s, edited));
    free(s);
    free(edited);
    note_free(n);

    /* Failures while writing (as a full disk or a read-only folder would cause): the
     * note is untouched and no temp file remains, at each stage. */
    for (int stage = 1; stage <= 3; stage++) {
        spit(p, orig);
        CHECK(note_load(p, dir, &n, &e) == DLS_OK);
        note_write_fail_next(stage, ENOSPC);
        CHECK(note_write_owned(n, &o, NULL, &e) == DLS_ERR_IO);
        CHECK(strstr(e.msg, "n.md: ") == e.msg);
        CHECK(stage == 3 || strstr(e.msg, "No space left on device") != NULL);
        s = slurp(p, &len);
        CHECK(s && !strcmp(s, orig));
        free(s);
        CHECK(temp_files_in(dir) == 0);
        note_free(n);
    }
    /* A folder where no file can be created (without root, a read-only folder). */
    spit(p, orig);
    CHECK(note_load(p, dir, &n, &e) == DLS_OK);
    if (geteuid() != 0) {
        chmod(dir, 0555);
        CHECK(note_write_owned(n, &o, NULL, &e) == DLS_ERR_IO);
        CHECK(strstr(e.msg, "n.md: cannot create a temporary file") == e.msg);
        chmod(dir, 0755);
        s = slurp(p, &len);
        CHECK(s && !strcmp(s, orig));
        free(s);
    } else {
        test_skip("read-only folder", "running as root, which ignores permission bits (the injected failures cover it)");
    }
    note_free(n);

    /* Nothing to change: the file is not touched at all. */
    spit(p, orig);
    CHECK(note_load(p, dir, &n, &e) == DLS_OK);
    note_owned keep = NOTE_OWNED_KEEP;
    keep.mastery = 1;
    struct stat before, after;
    stat(p, &before);
    CHECK(note_write_owned(n, &keep, NULL, &e) == DLS_OK);
    stat(p, &after);
    CHECK(before.st_ino == after.st_ino);
    note_free(n);

    /* Through a symlink inside the folder: the link stays a link. */
    char *link = xasprintf("%s/link.md", dir);
    CHECK(symlink("n.md", link) == 0);
    CHECK(note_load(link, dir, &n, &e) == DLS_OK);
    if (n) {
        CHECK_STR(n->path, "link.md");
        CHECK(note_write_owned(n, &o, NULL, &e) == DLS_OK);
        CHECK(lstat(link, &st) == 0 && S_ISLNK(st.st_mode));
        s = slurp(p, &len);
        CHECK(s && strstr(s, "mastery: 2\n"));
        free(s);
        note_free(n);
    }
    /* Deleted since read. */
    spit(p, orig);
    CHECK(note_load(p, dir, &n, &e) == DLS_OK);
    unlink(p);
    CHECK(note_write_owned(n, &o, NULL, &e) == DLS_ERR_IO);
    CHECK(strstr(e.msg, "n.md: ") == e.msg);
    note_free(n);
    CHECK(temp_files_in(dir) == 0);

    /* Repairing a double-encoded note: the file becomes plain UTF-8, lost bytes U+FFFD. */
    s = slurp(NOTES "/34_double_encoded.md", &len);
    CHECK(s != NULL);
    if (s) spit(p, s);
    free(s);
    CHECK(note_load(p, dir, &n, &e) == DLS_OK);
    if (n) {
        size_t lost = 99;
        CHECK(note_repair_file(n, &lost, NULL, &e) == DLS_OK);
        CHECK(lost == 2);
        note *r = NULL;
        CHECK(note_load(p, dir, &r, &e) == DLS_OK);
        if (r) {
            CHECK(!r->double_encoded && r->n_warnings == 0);
            CHECK_STR(r->title, n->title);
            CHECK_STR(r->key, n->key);
            CHECK(r->body_len == n->body_len && !memcmp(r->body, n->body, n->body_len));
            CHECK(note_repair_file(r, NULL, NULL, &e) == DLS_ERR_INVALID); /* nothing to repair */
            note_free(r);
        }
        CHECK(note_repair_file(n, NULL, NULL, &e) == DLS_ERR_CHANGED); /* stale note */
        note_free(n);
    }
    CHECK(temp_files_in(dir) == 0);

    unlink(link);
    unlink(p);
    rmdir(dir);
    free(link);
    free(p);
}

/* A real full disk: a 64 KiB tmpfs filled up (only where the test may mount, as root
 * in a container; skipped elsewhere). */
static void test_enospc(void) {
    char dir[] = "/tmp/dls-full-XXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(!"mkdtemp");
        return;
    }
    if (geteuid() != 0 || mount("tmpfs", dir, "tmpfs", 0, "size=64k") != 0) {
        test_skip("full disk (ENOSPC)", "cannot mount a small tmpfs here (needs root)");
        rmdir(dir);
        return;
    }
    char *p = xasprintf("%s/n.md", dir), *fill = xasprintf("%s/fill", dir);
    dls_buf b;
    dls_buf_init(&b);
    dls_buf_puts(&b, "---\ntitle: full\nmastery: 1\nreview_dates:\n  - 2025-01-01\n---\n");
    while (b.len < 20000) dls_buf_puts(&b, "Some body text that takes space on the small disk.\n");
    spit(p, b.data);
    FILE *f = fopen(fill, "wb");
    char  chunk[1024];
    memset(chunk, 'x', sizeof chunk);
    while (f && fwrite(chunk, 1, sizeof chunk, f) == sizeof chunk && fflush(f) == 0) {}
    if (f) fclose(f);
    note     *n = NULL;
    dls_error e = {0};
    CHECK(note_load(p, dir, &n, &e) == DLS_OK);
    if (n) {
        const char *d[] = {"2025-01-01", "2025-01-04"};
        note_owned  o = {.mastery = 2, .status = NOTE_STATUS_LEARNING, .updated = "2025-01-04",
                         .review_dates = d, .n_review_dates = 2};
        CHECK(note_write_owned(n, &o, NULL, &e) == DLS_ERR_IO);
        CHECK(strstr(e.msg, "n.md: ") == e.msg && strstr(e.msg, "No space left on device") != NULL);
        size_t len;
        char  *s = slurp(p, &len);
        CHECK(s && len == b.len && !memcmp(s, b.data, len));
        free(s);
        CHECK(temp_files_in(dir) == 0);
        note_free(n);
    }
    dls_buf_deinit(&b);
    CHECK(umount2(dir, MNT_DETACH) == 0);
    rmdir(dir);
    free(p);
    free(fill);
}

int main(void) {
    test_corpus();
    test_styles();
    test_files();
    test_enospc();
    return test_done("test_note_write");
}
