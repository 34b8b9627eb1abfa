/* fuzz_frontmatter: the note reader (frontmatter with libyaml, encoding checks) must
 * never crash, and a note it accepts must carry sane fields. */
#include "fuzz/fuzz.h"
#include "study/note.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    note     *n = NULL;
    dls_error e = {0};
    if (note_parse((const char *)data, size, "fuzz.md", &n, &e) == DLS_OK) {
        if (!n->title || n->mastery < -1 || n->mastery > 5 || n->difficulty < 0 || n->difficulty > 5) abort();
        for (size_t i = 0; i < n->n_review_dates; i++)
            if (!note_date_valid(n->review_dates[i])) abort();
        free(note_warnings_text(n));
        note_free(n);
    } else if (!e.msg[0]) {
        abort(); /* every refusal says why */
    }
    return 0;
}
