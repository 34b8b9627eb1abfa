/* fuzz_writeback: the round-trip property of the write-back splicer. For every note the
 * reader accepts: rendering with nothing changed gives the same bytes; rendering new
 * owned values gives a note that parses again, with those values, and the same body;
 * rendering the same values into that note changes nothing (a second review day that
 * writes what is there already leaves the file byte-identical). */
#include "fuzz/fuzz.h"
#include "study/note.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    note     *n = NULL;
    dls_error e = {0};
    if (note_parse((const char *)data, size, "fuzz.md", &n, &e) != DLS_OK) return 0;

    char  *out = NULL;
    size_t len = 0;
    note_owned keep = NOTE_OWNED_KEEP;
    if (note_render_owned(n, &keep, &out, &len, &e) == DLS_OK) {
        if (len != n->raw_len || memcmp(out, n->raw, len) != 0) abort();
        free(out);
    } else if (!e.msg[0]) {
        abort(); /* every refusal says why */
    }

    e = (dls_error){0};
    const char *dates[] = {"2026-01-02", "2026-02-03"};
    note_owned o = {3, NOTE_STATUS_REVIEWING, "2026-11-29", dates, 2};
    if (note_render_owned(n, &o, &out, &len, &e) == DLS_OK) {
        note *m = NULL;
        if (note_parse(out, len, "fuzz.md", &m, &e) != DLS_OK) abort();
        if (m->mastery != 3 || m->status != NOTE_STATUS_REVIEWING || strcmp(m->updated, "2026-11-29") != 0) abort();
        if (m->n_review_dates != 2 || strcmp(m->review_dates[1], "2026-02-03") != 0) abort();
        if (m->body_len != n->body_len || memcmp(m->body, n->body, n->body_len) != 0) abort();
        char  *again = NULL;
        size_t again_len = 0;
        if (note_render_owned(m, &o, &again, &again_len, &e) != DLS_OK) abort();
        if (again_len != len || memcmp(again, out, len) != 0) abort();
        free(again);
        note_free(m);
        free(out);
    } else if (!e.msg[0]) {
        abort();
    }
    note_free(n);
    return 0;
}
