/* test_note_golden.c: what the reader makes of every note of the corpus, as text, against
 * tests/golden/notes/NAME.txt: fields, keys with their spans and styles, concepts with
 * their ids, breadcrumbs and sections, cards, warnings, the note key and fingerprint.
 * The ids are what review progress hangs on, so a change to hashing or normalisation
 * shows up here. UPDATE=1 in the environment rewrites the golden files. */
#include "study/note.h"
#include "tests/test.h"

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define NOTES  "tests/fixtures/notes"
#define GOLDEN "tests/golden/notes"
#define SEED   "../shared/seeds/000_3eeb17384b6e329b.txt"

/* A string with control characters escaped, so every dump is one line per item. */
static void put_str(dls_buf *b, const char *s, size_t n) {
    dls_buf_puts(b, "\"");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n') dls_buf_puts(b, "\\n");
        else if (c == '\r') dls_buf_puts(b, "\\r");
        else if (c == '\t') dls_buf_puts(b, "\\t");
        else if (c == '"' || c == '\\') dls_buf_printf(b, "\\%c", c);
        else if (c < 0x20) dls_buf_printf(b, "\\x%02x", c);
        else dls_buf_append(b, s + i, 1);
    }
    dls_buf_puts(b, "\"");
}

static void put(dls_buf *b, const char *s) {
    if (s) put_str(b, s, strlen(s));
    else dls_buf_puts(b, "-");
}

static char *dump(const note *n) {
    static const char *const styles[] = {"empty", "plain", "single", "double", "literal", "folded",
                                         "block-seq", "flow-seq", "block-map", "flow-map", "alias"};
    static const char *const eols[] = {"none", "lf", "crlf", "mixed"};
    dls_buf b;
    dls_buf_init(&b);
    dls_buf_printf(&b, "path %s\nkey %s\nbody_sha %s\nsize %lld\n", n->path, n->key, n->body_sha, (long long)n->id.size);
    dls_buf_printf(&b, "bom %d eol %s double_encoded %d unrecoverable %zu frontmatter %d body_off %zu body_line %d\n",
                   n->has_bom, eols[n->eol], n->double_encoded, n->unrecoverable, n->has_frontmatter, n->body_off,
                   n->body_line);
    dls_buf_puts(&b, "title ");
    put(&b, n->title);
    dls_buf_printf(&b, " (from %s)\ncategory ", n->title_src == NOTE_TITLE_FRONTMATTER ? "frontmatter"
                                                : n->title_src == NOTE_TITLE_HEADING ? "heading" : "file name");
    put(&b, n->category);
    dls_buf_printf(&b, "\ncreated %s\nupdated %s\nmastery %d\ndifficulty %d\nstatus %s\n", n->created, n->updated,
                   n->mastery, n->difficulty, note_status_str(n->status));
    for (size_t i = 0; i < n->n_tags; i++) dls_buf_puts(&b, "tag "), put(&b, n->tags[i]), dls_buf_puts(&b, "\n");
    for (size_t i = 0; i < n->n_review_dates; i++) dls_buf_printf(&b, "review_date %s\n", n->review_dates[i]);
    for (size_t i = 0; i < n->n_related; i++) dls_buf_puts(&b, "related "), put(&b, n->related[i]), dls_buf_puts(&b, "\n");
    for (size_t i = 0; i < n->n_labs; i++) dls_buf_puts(&b, "lab "), put(&b, n->labs[i]), dls_buf_puts(&b, "\n");
    for (size_t i = 0; i < n->n_keys; i++) {
        const note_key *k = &n->keys[i];
        dls_buf_printf(&b, "yaml %d:%d %s%s key@%zu+%zu value@%zu+%zu items %zu ", k->line, k->column,
                       k->known ? "" : "unknown ", styles[k->style], k->key.off, k->key.len, k->value.off,
                       k->value.len, k->n_items);
        put(&b, k->name);
        dls_buf_puts(&b, " = ");
        put_str(&b, n->raw + k->value.off, k->value.len);
        dls_buf_puts(&b, "\n");
    }
    /* Long notes list their first concepts and cards only, to keep the files small. */
    size_t show_c = n->n_concepts < 48 ? n->n_concepts : 48, show_k = n->n_cards < 24 ? n->n_cards : 24;
    dls_buf_printf(&b, "concepts %zu cards %zu\n", n->n_concepts, n->n_cards);
    for (size_t i = 0; i < show_c; i++) {
        const note_concept *c = &n->concepts[i];
        const char *first = n->body + c->section.off, *nl = memchr(first, '\n', c->section.len);
        dls_buf_printf(&b, "concept %s h%d line %d section@%zu+%zu own_end %zu ", c->id, c->level, c->line,
                       c->section.off, c->section.len, c->own_end);
        put(&b, c->path);
        dls_buf_puts(&b, " starts ");
        put_str(&b, first, nl ? (size_t)(nl - first) : c->section.len);
        dls_buf_puts(&b, "\n");
    }
    for (size_t i = 0; i < show_k; i++) {
        const note_card *c = &n->cards[i];
        dls_buf_printf(&b, "card %s line %d span@%zu+%zu ", c->id, c->line, c->span.off, c->span.len);
        put(&b, c->question);
        dls_buf_puts(&b, " :: ");
        put(&b, c->answer);
        dls_buf_puts(&b, "\n");
    }
    for (size_t i = 0; i < n->n_warnings; i++) {
        dls_buf_printf(&b, "warning %d:%d ", n->warnings[i].line, n->warnings[i].column);
        put(&b, n->warnings[i].message);
        dls_buf_puts(&b, "\n");
    }
    return dls_buf_take(&b);
}

static void golden(const char *name, const char *text) {
    char *path = xasprintf("%s/%s.txt", GOLDEN, name);
    const char *up = getenv("UPDATE");
    if (up && *up && strcmp(up, "0")) {
        mkdir("tests/golden", 0755);
        mkdir(GOLDEN, 0755);
        FILE *f = fopen(path, "wb");
        CHECK(f != NULL);
        if (f) {
            fputs(text, f);
            fclose(f);
        }
        free(path);
        return;
    }
    char  *want = NULL;
    size_t len;
    if (dls_read_file(path, 0, &want, &len, NULL) != DLS_OK) {
        fprintf(stderr, "FAIL golden %s missing (UPDATE=1 creates it)\n", path);
        CHECK(!"golden file exists");
    } else if (strcmp(want, text)) {
        fprintf(stderr, "FAIL golden %s differs; got:\n%s(UPDATE=1 rewrites it)\n", path, text);
        CHECK(!"matches its golden dump");
    } else {
        CHECK(1);
    }
    free(want);
    free(path);
}

static int by_name(const struct dirent **a, const struct dirent **b) { return strcmp((*a)->d_name, (*b)->d_name); }

int main(void) {
    struct dirent **list;
    int             k = scandir(NOTES, &list, NULL, by_name), count = 0;
    CHECK(k > 0);
    for (int i = 0; i < k; i++) {
        const char *d = list[i]->d_name;
        size_t      len = strlen(d);
        if (len > 3 && !strcmp(d + len - 3, ".md")) {
            char     *p = xasprintf("%s/%s", NOTES, d);
            note     *n = NULL;
            dls_error e = {0};
            if (note_load(p, NOTES, &n, &e) == DLS_OK) {
                char *text = dump(n);
                golden(d, text);
                free(text);
                note_free(n);
                count++;
            } else {
                fprintf(stderr, "FAIL %s: %s\n", p, e.msg);
                CHECK(!"corpus note loads");
            }
            free(p);
        }
        free(list[i]);
    }
    free(list);
    CHECK(count >= 20);
    /* The user's real note (double-encoded): its ids must not drift either. */
    if (access(SEED, R_OK) == 0) {
        note     *n = NULL;
        dls_error e = {0};
        CHECK(note_load(SEED, "../shared/seeds", &n, &e) == DLS_OK);
        if (n) {
            char *text = dump(n);
            golden("seed-000_3eeb17384b6e329b", text);
            free(text);
            note_free(n);
        }
    } else {
        test_skip("seed golden", SEED " not found");
    }
    return test_done("test_note_golden");
}
