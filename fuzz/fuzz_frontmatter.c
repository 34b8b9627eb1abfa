/* fuzz_frontmatter: the note reader (frontmatter with libyaml, encoding checks) must
 * never crash, a note it accepts must carry sane fields, and a note it refuses must say
 * where: "fuzz.md:LINE:COL: why", with LINE a line of the input. */
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
    } else if (size <= NOTE_MAX_BYTES) { /* ... and where (only the size limit concerns the whole file) */
        int line = 0, col = 0, lines = 1;
        for (size_t i = 0; i < size; i++) /* \n, \r\n and a lone \r end a line */
            lines += data[i] == '\n' || (data[i] == '\r' && (i + 1 == size || data[i + 1] != '\n'));
        if (sscanf(e.msg, "fuzz.md:%d:%d: ", &line, &col) != 2 || line < 1 || line > lines || col < 1) abort();
    }
    return 0;
}
