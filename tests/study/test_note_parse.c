/* test_note_parse.c: reading notes: the fields of the corpus in tests/fixtures/notes,
 * concepts and cards with stable ids, encoding (BOM, CRLF, double-encoded, the user's
 * real seed note from ../shared), and the error corpus in tests/fixtures/hostile with
 * its expected "path:line:column: message" texts. */
#include "study/note.h"
#include "tests/test.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define NOTES "tests/fixtures/notes"
#define HOSTILE "tests/fixtures/hostile"
#define SEED "../shared/seeds/000_3eeb17384b6e329b.txt"

static note *load(const char *name) {
    char     *p = xasprintf("%s/%s", NOTES, name);
    note     *n = NULL;
    dls_error e = {0};
    if (note_load(p, NOTES, &n, &e) != DLS_OK) {
        fprintf(stderr, "FAIL loading %s: %s\n", p, e.msg);
        CHECK(!"note loads");
    }
    free(p);
    return n;
}

static const note_concept *concept(const note *n, const char *path) {
    for (size_t i = 0; i < n->n_concepts; i++)
        if (!strcmp(n->concepts[i].path, path)) return &n->concepts[i];
    return NULL;
}

static int has_warning(const note *n, const char *needle) {
    for (size_t i = 0; i < n->n_warnings; i++)
        if (strstr(n->warnings[i].message, needle)) return 1;
    return 0;
}

static void test_basic(void) {
    note *n = load("01_basic.md");
    if (!n) return;
    CHECK_STR(n->path, "01_basic.md");
    CHECK_STR(n->title, "深度学习基础");
    CHECK(n->title_src == NOTE_TITLE_FRONTMATTER);
    CHECK_STR(n->category, "ai-ml/basics");
    CHECK(n->n_tags == 3);
    if (n->n_tags == 3) CHECK_STR(n->tags[1], "深度学习");
    CHECK_STR(n->created, "2025-12-27");
    CHECK_STR(n->updated, "2025-12-27");
    CHECK(n->mastery == 2);
    CHECK(n->difficulty == 3);
    CHECK(n->n_review_dates == 2);
    CHECK(n->status == NOTE_STATUS_LEARNING);
    CHECK(n->n_related == 2);
    if (n->n_related == 2) CHECK_STR(n->related[0], "ai-ml/tts/indextts2.md");
    CHECK(n->n_keys == 10);
    CHECK(n->has_frontmatter && !n->has_bom && n->eol == NOTE_EOL_LF && !n->double_encoded);
    CHECK(n->n_warnings == 0);
    /* Concepts: 3 `##` and 3 `###`, breadcrumbs, sections as slices of the body. */
    CHECK(n->n_concepts == 6);
    const note_concept *c = concept(n, "🎯 核心概念 › 定义");
    CHECK(c != NULL);
    if (c) {
        CHECK(c->level == 3);
        CHECK_STR(c->heading, "定义");
        CHECK(!strncmp(n->body + c->section.off, "### 定义\n", strlen("### 定义\n")));
        CHECK(strstr(n->body + c->section.off, "是一个概念") != NULL);
        CHECK(c->line == 26);
        CHECK(strlen(c->id) == 16);
    }
    const note_concept *top = concept(n, "🎯 核心概念");
    CHECK(top && top->own_end < top->section.off + top->section.len); /* includes its ### */
    CHECK(n->body_off + n->body_len == n->raw_len);
    note_free(n);
}

/* Stable ids: the same note moved, with an edited body, keeps its key and concept ids;
 * renaming a heading changes only that concept's id. */
static void test_stable_ids(void) {
    const char *a = "---\ntitle: T\ncreated: 2025-01-01\n---\n## 📋 One\ntext\n\n### Sub\nx\n\nQ1 :: A1\n";
    const char *b = "---\ntitle: T\ncreated: 2025-01-01\nmastery: 3\n---\nIntro added.\n\n## One\nchanged text\n\n### Sub\ny\n\nQ1 :: other answer\n";
    const char *c = "---\ntitle: T\ncreated: 2025-01-01\n---\n## One renamed\ntext\n\n### Sub\nx\n";
    note *x = NULL, *y = NULL, *z = NULL;
    CHECK(note_parse(a, strlen(a), "dir/a.md", &x, NULL) == DLS_OK);
    CHECK(note_parse(b, strlen(b), "elsewhere/b.md", &y, NULL) == DLS_OK);
    CHECK(note_parse(c, strlen(c), "a.md", &z, NULL) == DLS_OK);
    if (x && y && z) {
        CHECK_STR(x->key, y->key);
        CHECK(x->n_concepts == 2 && y->n_concepts == 2 && z->n_concepts == 2);
        CHECK_STR(x->concepts[0].id, y->concepts[0].id); /* emoji dropped for the id */
        CHECK_STR(x->concepts[1].id, y->concepts[1].id);
        CHECK(strcmp(x->concepts[0].id, z->concepts[0].id) != 0);
        CHECK(strcmp(x->concepts[1].id, z->concepts[1].id) != 0); /* its path changed too */
        CHECK(x->n_cards == 1 && y->n_cards == 1);
        if (x->n_cards && y->n_cards) CHECK_STR(x->cards[0].id, y->cards[0].id);
        CHECK(strcmp(x->body_sha, y->body_sha) != 0);
    }
    note_free(x);
    note_free(y);
    note_free(z);
    /* The body fingerprint ignores the frontmatter and line endings. */
    const char *d = "---\r\ntitle: Other\r\n---\r\n## One\r\ntext\r\n\r\n### Sub\r\nx\r\n\r\nQ1 :: A1\r\n";
    note *p = NULL, *q = NULL;
    CHECK(note_parse(a, strlen(a), "a.md", &p, NULL) == DLS_OK);
    CHECK(note_parse(d, strlen(d), "d.md", &q, NULL) == DLS_OK);
    if (p && q) CHECK(strcmp(p->body_sha, q->body_sha) != 0); /* "📋 " differs */
    note_free(p);
    note_free(q);
    const char *f = "---\ntitle: Other\n---\n## 📋 One\ntext\n\n### Sub\nx\n\nQ1 :: A1\n";
    const char *g = "---\r\ntitle: Else\r\nmastery: 1\r\n---\r\n## 📋 One\r\ntext\r\n\r\n### Sub\r\nx\r\n\r\nQ1 :: A1\r\n\r\n";
    CHECK(note_parse(f, strlen(f), "f.md", &p, NULL) == DLS_OK);
    CHECK(note_parse(g, strlen(g), "g.md", &q, NULL) == DLS_OK);
    if (p && q) CHECK_STR(p->body_sha, q->body_sha);
    note_free(p);
    note_free(q);
}

static void test_encodings(void) {
    note *n = load("04_bom_crlf.md");
    if (n) {
        CHECK(n->has_bom && n->eol == NOTE_EOL_CRLF);
        CHECK_STR(n->title, "BOM and CRLF");
        CHECK(n->n_review_dates == 2);
        CHECK(n->n_concepts == 6);
        if (n->n_concepts) CHECK_STR(n->concepts[0].heading, "📋 基本信息"); /* no stray \r */
        note_free(n);
    }
    n = load("16_mixed_eol.md");
    if (n) {
        CHECK(n->eol == NOTE_EOL_MIXED);
        CHECK(has_warning(n, "mixed line endings"));
        CHECK(n->n_concepts == 2);
        note_free(n);
    }
    n = load("11_cjk_emoji_title.md");
    if (n) {
        CHECK_STR(n->title, "🧠 注意力机制 Attention 💡");
        CHECK(concept(n, "🎯 核心概念 › 🔑 Key／Query／Value") != NULL);
        note_free(n);
    }
    n = load("34_double_encoded.md");
    if (n) {
        CHECK(n->double_encoded);
        CHECK_STR(n->title, "深度学习入门");
        CHECK(n->n_tags == 2);
        if (n->n_tags == 2) CHECK_STR(n->tags[0], "深度学习");
        CHECK(has_warning(n, "double-encoded"));
        CHECK(concept(n, "🎯 核心概念 › 定义") != NULL);
        CHECK(n->unrecoverable == 2); /* 经 (e7 bb 8f) lost 0x8F, 息 (e6 81 af) lost 0x81 */
        CHECK(strstr(n->body, "深度学习是机器学习的一个分支。") != NULL);
        note_free(n);
    }
    n = load("40_double_encoded_bom.md"); /* the BOM went through it too: "ï»¿---" */
    if (n) {
        CHECK(n->double_encoded && n->has_bom == 6 && n->has_frontmatter);
        CHECK(n->mastery == 1 && n->n_review_dates == 1 && n->status == NOTE_STATUS_LEARNING);
        CHECK(concept(n, "定义") != NULL);
        char  *rep;
        size_t rl;
        note_repair_double_encoding(n->raw, n->raw_len, &rep, &rl, NULL);
        CHECK(rl > 6 && !memcmp(rep, "\xEF\xBB\xBF---\ntitle: 带 BOM", strlen("\xEF\xBB\xBF---\ntitle: 带 BOM")));
        free(rep);
        note_free(n);
    }
    /* Plain text with Latin-1 letters, and real CJK, are not taken for mojibake. */
    const char *fr = "Résumé: café, naïve, Größe, 深度学习, ½ × 3 — “quotes”";
    CHECK(!note_looks_double_encoded(fr, strlen(fr)));
    const char *moj = "Ã©tÃ© \xC3\x83\xC2\xA0 la plage, cafÃ©"; /* à = C3 A0: Ã + no-break space */
    CHECK(note_looks_double_encoded(moj, strlen(moj)));
    char  *out;
    size_t len, lost;
    note_repair_double_encoding(moj, strlen(moj), &out, &len, &lost);
    CHECK_STR(out, "été à la plage, café");
    CHECK(lost == 0);
    free(out);
    CHECK(note_utf8_invalid_at("ab\xC3", 3) == 2);
    CHECK(note_utf8_invalid_at("a\xED\xA0\x80", 4) == 1); /* a surrogate */
    CHECK(note_utf8_invalid_at("\xE6\xB7\xB1", 3) == 3);
}

/* The user's real note: double-encoded, with bytes lost; the frontmatter still reads. */
static void test_seed(void) {
    if (access(SEED, R_OK) != 0) {
        test_skip("seed note", SEED " not found");
        return;
    }
    note     *n = NULL;
    dls_error e = {0};
    CHECK(note_load(SEED, "../shared/seeds", &n, &e) == DLS_OK);
    if (!n) {
        fprintf(stderr, "%s\n", e.msg);
        return;
    }
    CHECK(n->double_encoded);
    char *w = note_warnings_text(n);
    CHECK(strstr(w, "000_3eeb17384b6e329b.txt: looks double-encoded") != NULL);
    free(w);
    CHECK(!strncmp(n->title, "深度", strlen("深度")));  /* 学 lost its 0xAD: U+FFFD */
    CHECK(strstr(n->title, "基础") != NULL);
    CHECK_STR(n->category, "ai-ml/basics");
    CHECK_STR(n->created, "2025-12-27");
    CHECK_STR(n->updated, "2025-12-27");
    CHECK(n->mastery == 2);
    CHECK(n->difficulty == 3);
    CHECK(n->n_review_dates == 6);
    if (n->n_review_dates == 6) {
        CHECK_STR(n->review_dates[0], "2025-12-28");
        CHECK_STR(n->review_dates[5], "2026-03-24");
    }
    CHECK(n->status == NOTE_STATUS_LEARNING);
    CHECK(n->n_related == 2);
    if (n->n_related == 2) {
        CHECK_STR(n->related[0], "ai-ml/tts/indextts2.md");
        CHECK_STR(n->related[1], "ai-ml/agent/ai-agent-basics.md");
    }
    CHECK(n->n_tags == 5);
    CHECK(n->unrecoverable > 0);
    CHECK(n->n_concepts > 20);
    CHECK(strstr(n->body, "核心概念") != NULL);  /* repaired for display */
    CHECK(strstr(n->body, "æ") == NULL);
    /* The repair function reports what it could not restore. */
    char  *out;
    size_t len, lost;
    note_repair_double_encoding(n->raw, n->raw_len, &out, &len, &lost);
    CHECK(lost == n->unrecoverable);
    CHECK(strstr(out, "mastery: 2\n") != NULL);
    CHECK(note_utf8_invalid_at(out, len) == len);
    free(out);
    note_free(n);
}

static void test_shapes(void) {
    note *n = load("12_no_frontmatter.md");
    if (n) {
        CHECK(!n->has_frontmatter && n->n_keys == 0);
        CHECK_STR(n->title, "Title from the heading");
        CHECK(n->title_src == NOTE_TITLE_HEADING);
        CHECK(n->mastery == -1 && n->difficulty == 0 && n->status == NOTE_STATUS_NONE);
        CHECK(n->n_concepts == 2);
        note_free(n);
    }
    n = load("13_empty.md");
    if (n) {
        CHECK_STR(n->title, "13_empty");
        CHECK(n->title_src == NOTE_TITLE_FILENAME);
        CHECK(n->n_concepts == 0 && n->raw_len == 0);
        note_free(n);
    }
    n = load("20_code_fences.md");
    if (n) {
        CHECK(n->n_concepts == 2);
        CHECK(n->n_cards == 0);
        CHECK(n->mastery == 2);
        note_free(n);
    }
    n = load("21_setext.md");
    if (n) {
        CHECK(n->n_concepts == 3);
        CHECK(concept(n, "Setext concept › ATX under setext") != NULL);
        note_free(n);
    }
    n = load("22_headings_in_lists.md");
    if (n) {
        CHECK(n->n_concepts == 1);
        CHECK(n->n_cards == 2);
        note_free(n);
    }
    n = load("23_cards.md");
    if (n) {
        CHECK(n->n_cards == 4);
        if (n->n_cards == 4) {
            CHECK_STR(n->cards[0].question, "What is a tensor?");
            CHECK_STR(n->cards[0].answer, "A multi-dimensional array.");
            CHECK_STR(n->cards[1].question, "激活函数的作用是什么");
            CHECK_STR(n->cards[2].question, "ReLU");
            CHECK_STR(n->cards[3].answer, "1 / (1 + e^-x)");
            CHECK(n->cards[0].line == 13);
        }
        CHECK(n->n_review_dates == 0);
        note_free(n);
    }
    n = load("42_odd_shapes.md"); /* shown-only keys of the wrong shape: warnings */
    if (n) {
        CHECK(n->n_warnings == 5);
        CHECK_STR(n->title, "Heading title");
        CHECK(n->title_src == NOTE_TITLE_HEADING);
        CHECK(!n->category && n->n_tags == 0 && n->n_labs == 0 && n->n_related == 0);
        CHECK(n->mastery == 2);
        char *w = note_warnings_text(n);
        CHECK(strstr(w, "42_odd_shapes.md:2:8: title: expected a single value, found a list or map; ignored\n") == w);
        free(w);
        note_free(n);
    }
    n = load("41_question_cards.md");
    if (n) {
        CHECK(n->n_cards == 4);
        if (n->n_cards == 4) {
            CHECK_STR(n->cards[0].question, "为什么需要激活函数？");
            CHECK_STR(n->cards[0].answer, "没有激活函数，多层网络等价于\n一个线性变换。");
            CHECK(n->cards[0].line == 9);
            CHECK_STR(n->cards[1].question, "Is this a question?");
            CHECK_STR(n->cards[1].answer, "Is this another question?");
            CHECK_STR(n->cards[2].question, "In a list item?");
            CHECK_STR(n->cards[2].answer, "Its answer inside the item.");
            CHECK_STR(n->cards[3].question, "Question");
            CHECK_STR(n->cards[3].answer, "with colon?");
        }
        note_free(n);
    }
    n = load("24_empty_values.md");
    if (n) {
        CHECK(n->mastery == -1 && n->status == NOTE_STATUS_NONE && n->n_review_dates == 0 && n->n_labs == 0);
        CHECK(n->difficulty == 3);
        note_free(n);
    }
    n = load("26_dots_close.md");
    if (n) {
        CHECK(n->mastery == 2 && n->n_review_dates == 1 && n->n_concepts == 1);
        note_free(n);
    }
    n = load("27_unknown_keys.md");
    if (n) {
        CHECK(n->n_keys == 12);
        int unknown = 0;
        for (size_t i = 0; i < n->n_keys; i++) unknown += !n->keys[i].known;
        CHECK(unknown == 5);
        CHECK_STR(n->keys[n->n_keys - 1].name, "zz_last");
        CHECK(n->keys[2].style == NOTE_STYLE_LITERAL);
        note_free(n);
    }
    n = load("30_datetime.md");
    if (n) {
        CHECK_STR(n->created, "2025-12-27");
        note_free(n);
    }
    n = load("31_single_date.md");
    if (n) {
        CHECK(n->n_review_dates == 1);
        note_free(n);
    }
    n = load("33_related_escape.md");
    if (n) {
        CHECK(n->n_related == 2);
        if (n->n_related == 2) CHECK_STR(n->related[0], "ai-ml/basics/cnn.md");
        CHECK(n->n_warnings == 2);
        note_free(n);
    }
    n = load("35_duplicate_headings.md");
    if (n) {
        CHECK(n->n_concepts == 3);
        if (n->n_concepts == 3) {
            CHECK(strcmp(n->concepts[0].id, n->concepts[1].id) != 0);
            CHECK(strcmp(n->concepts[1].id, n->concepts[2].id) != 0);
        }
        note_free(n);
    }
    n = load("06_flow_lists.md");
    if (n) {
        CHECK(n->n_labs == 2);
        if (n->n_labs == 2) CHECK_STR(n->labs[0], "cnn-mnist");
        note_free(n);
    }
}

/* tests/fixtures/hostile/expected.txt: "file<TAB>message" lines; each file must fail
 * with exactly that message (path relative to the hostile folder). */
static void test_errors(void) {
    FILE *f = fopen(HOSTILE "/expected.txt", "r");
    CHECK(f != NULL);
    if (!f) return;
    char line[1024];
    int  count = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        char *tab = strchr(line, '\t');
        if (!tab || line[0] == '#') continue;
        *tab = 0;
        char     *p = xasprintf("%s/%s", HOSTILE, line);
        note     *n = (note *)&count; /* must stay as it is on failure */
        dls_error e = {0};
        int       rc = note_load(p, HOSTILE, &n, &e);
        CHECK(rc != DLS_OK);
        CHECK(n == (note *)&count);
        if (strcmp(e.msg, tab + 1)) fprintf(stderr, "  %s\n  got:      %s\n  expected: %s\n", line, e.msg, tab + 1);
        CHECK_STR(e.msg, tab + 1);
        free(p);
        count++;
    }
    fclose(f);
    CHECK(count >= 15);
}

/* Errors that need a file made at run time: huge, a symlink out of the folder. */
static void test_file_errors(void) {
    char dir[] = "/tmp/dls-note-XXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(!"mkdtemp");
        return;
    }
    char *notes = xasprintf("%s/notes", dir), *big = xasprintf("%s/big.md", notes);
    char *outside = xasprintf("%s/outside.md", dir), *link = xasprintf("%s/link.md", notes);
    char *inlink = xasprintf("%s/inside-link.md", notes);
    mkdir(notes, 0755);
    FILE *f = fopen(big, "w");
    fputs("---\ntitle: big\n---\n", f);
    for (int i = 0; i < 70000; i++) fputs("0123456789012345678901234567890123456789012345678901234567890123\n", f);
    fclose(f);
    f = fopen(outside, "w");
    fputs("---\ntitle: outside\n---\n", f);
    fclose(f);
    CHECK(symlink(outside, link) == 0);
    CHECK(symlink("big.md", inlink) == 0);
    note     *n = NULL;
    dls_error e = {0};
    CHECK(note_load(big, notes, &n, &e) == DLS_ERR_INVALID);
    CHECK(strstr(e.msg, "big.md: ") == e.msg && strstr(e.msg, "limit") != NULL);
    CHECK(note_load(link, notes, &n, &e) == DLS_ERR_INVALID);
    CHECK(strstr(e.msg, "leaves the notes folder") != NULL);
    CHECK(n == NULL);
    CHECK(note_load(inlink, notes, &n, &e) == DLS_ERR_INVALID); /* inside, but still huge */
    CHECK(note_load(outside, NULL, &n, &e) == DLS_OK);           /* no root: no check */
    note_free(n);
    unlink(inlink);
    unlink(link);
    unlink(big);
    unlink(outside);
    rmdir(notes);
    rmdir(dir);
    free(notes);
    free(big);
    free(outside);
    free(link);
    free(inlink);
    /* note_parse checks the same limits on bytes. */
    CHECK(note_parse("a\0b", 3, "mem.md", &n, &e) == DLS_ERR_INVALID);
    CHECK_STR(e.msg, "mem.md:1:2: binary file (NUL byte), not a text note");
    /* A lone CR ends a line here as it does for libyaml and cmark (old Mac files). */
    CHECK(note_parse("a\rb\rc\xFF", 6, "mem.md", &n, &e) == DLS_ERR_INVALID);
    CHECK_STR(e.msg, "mem.md:3:2: not valid UTF-8 (byte 0xFF): a binary file or another encoding");
    CHECK(note_parse("a\r\nb\0", 5, "mem.md", &n, &e) == DLS_ERR_INVALID);
    CHECK_STR(e.msg, "mem.md:2:2: binary file (NUL byte), not a text note");
}

static void test_helpers(void) {
    CHECK(note_date_valid("2024-02-29"));
    CHECK(!note_date_valid("2025-02-29"));
    CHECK(!note_date_valid("2025-13-01"));
    CHECK(!note_date_valid("2025-1-01"));
    CHECK(note_status_from_str("mastered") == NOTE_STATUS_MASTERED);
    CHECK(note_status_from_str("done") == -1);
    note_file_id id;
    CHECK(note_stat(NOTES "/01_basic.md", &id, NULL) == DLS_OK);
    CHECK(note_file_unchanged(NOTES "/01_basic.md", id.size, id.mtime_ns));
    CHECK(!note_file_unchanged(NOTES "/01_basic.md", id.size + 1, id.mtime_ns));
    CHECK(!note_file_unchanged(NOTES "/nope.md", id.size, id.mtime_ns));
    note *n = load("01_basic.md");
    if (n) {
        CHECK(n->id.size == id.size && n->id.mtime_ns == id.mtime_ns && strlen(n->id.sha256) == 64);
        note_free(n);
    }
}

/* Which concepts make cards: not the note's metadata, links or own remarks, and not a
 * `##` that only groups its `###` concepts; a `##` with text of its own does. */
static void test_card_concepts(void) {
    static const char md[] =
        "---\ntitle: t\ncreated: 2026-01-01\n---\n# t\n\n"
        "## \xF0\x9F\x93\x8B 基本信息\n- **主题**: t\n\n"
        "## 核心概念\n\n### 定义\ntext\n\n### 公式\nmore\n\n"
        "## 常见误区\nsome text\n\n### 误区一\nx\n\n"
        "## Related\n- [a](a.md)\n\n## 个人笔记\nmine\n";
    note *n = NULL;
    dls_error e = {0};
    CHECK(note_parse(md, sizeof md - 1, "cards.md", &n, &e) == DLS_OK);
    if (!n) return;
    static const struct { const char *heading; int card; } want[] = {
        {"\xF0\x9F\x93\x8B 基本信息", 0}, {"核心概念", 0}, {"定义", 1}, {"公式", 1},
        {"常见误区", 1}, {"误区一", 1}, {"Related", 0}, {"个人笔记", 0}};
    CHECK(n->n_concepts == sizeof want / sizeof want[0]);
    for (size_t i = 0; i < n->n_concepts && i < sizeof want / sizeof want[0]; i++) {
        CHECK_STR(n->concepts[i].heading, want[i].heading);
        CHECK(n->concepts[i].card == want[i].card);
    }
    note_free(n);
}

int main(void) {
    test_basic();
    test_card_concepts();
    test_stable_ids();
    test_encodings();
    test_seed();
    test_shapes();
    test_errors();
    test_file_errors();
    test_helpers();
    return test_done("test_note_parse");
}
