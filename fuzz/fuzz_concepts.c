/* fuzz_concepts: the markdown concept and card extractor (cmark) on arbitrary bodies:
 * spans must lie inside the body (a concept's own text inside its section) and cards
 * must have both sides. */
#include "fuzz/fuzz.h"
#include "study/note.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* Prefix a valid frontmatter so the fuzzer spends its time in the body. */
    static const char fm[] = "---\ntitle: fuzz\ncreated: 2026-01-01\n---\n";
    char *buf = xmalloc(sizeof fm - 1 + size + 1);
    memcpy(buf, fm, sizeof fm - 1);
    memcpy(buf + sizeof fm - 1, data, size);
    note     *n = NULL;
    dls_error e = {0};
    if (note_parse(buf, sizeof fm - 1 + size, "fuzz.md", &n, &e) == DLS_OK) {
        for (size_t i = 0; i < n->n_concepts; i++) {
            const note_concept *c = &n->concepts[i];
            if (c->section.off > n->body_len || c->section.len > n->body_len - c->section.off) abort();
            if (c->own_end < c->section.off || c->own_end > c->section.off + c->section.len) abort();
            if (!c->path || c->line < n->body_line) abort();
        }
        for (size_t i = 0; i < n->n_cards; i++) {
            const note_card *k = &n->cards[i];
            if (!k->question[0] || !k->answer[0]) abort();
            if (k->span.off > n->body_len || k->span.len > n->body_len - k->span.off) abort();
        }
        note_free(n);
    }
    free(buf);
    return 0;
}
