/* safe_out.c: the plain-text output filter. Commands print note text (titles, paths,
 * headings, card sides) that may hold escape sequences, control characters or bidi
 * overrides; instead of sanitising at every printf, stdout and stderr are wrapped once
 * (main.c) so nothing a note holds reaches the terminal raw, whichever command prints
 * it. Newline and tab pass; other controls become visible placeholders and bidi
 * controls are dropped, exactly as on the full-screen app (tui_safe_cp). Not used while
 * curses owns the terminal, nor for the lab progress bar, which draws with \r ESC[K. */
#include "tui/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tui/widgets/grid.h"

typedef struct safe_out {
    int    fd;
    char   carry[4]; /* an incomplete UTF-8 sequence held until the next write */
    size_t ncarry;
} safe_out;

static int write_all(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0) return -1;
        p += k, n -= (size_t)k;
    }
    return 0;
}

/* Length of a UTF-8 sequence that starts at s but is cut off by the end of the buffer
 * (1-3 bytes), or 0 when s[0..n) ends on a character boundary. */
static size_t cut_tail(const char *s, size_t n) {
    for (size_t back = 1; back <= 3 && back <= n; back++) {
        unsigned char c = (unsigned char)s[n - back];
        if ((c & 0xC0) == 0x80) continue;                   /* continuation byte */
        size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        return need > back ? back : 0;
    }
    return 0;
}

static void filter(safe_out *o, const char *s, size_t n, char *out, size_t *outn) {
    size_t k = 0;
    while (n) {
        uint32_t cp;
        size_t   used = tui_utf8_next(s, n, &cp);
        if (cp == '\n' || cp == '\t') {
            out[k++] = (char)cp;
        } else {
            uint32_t safe = tui_safe_cp(cp);
            if (safe == cp && cp != 0xFFFD) memcpy(out + k, s, used), k += used;
            else if (safe) k += (size_t)tui_utf8_put(safe, out + k);
        }
        s += used, n -= used;
    }
    (void)o;
    *outn = k;
}

static ssize_t safe_write(void *cookie, const char *buf, size_t size) {
    safe_out *o = cookie;
    /* Join the held bytes with this write, keep any new cut-off tail for the next. */
    size_t total = o->ncarry + size;
    char  *in    = xmalloc(total);
    memcpy(in, o->carry, o->ncarry);
    memcpy(in + o->ncarry, buf, size);
    size_t tail = cut_tail(in, total);
    memcpy(o->carry, in + total - tail, tail);
    o->ncarry = tail;
    char  *out = xmalloc((total - tail) * 3 + 1); /* a byte grows to at most 3 */
    size_t outn;
    filter(o, in, total - tail, out, &outn);
    int rc = write_all(o->fd, out, outn);
    free(in), free(out);
    return rc ? -1 : (ssize_t)size;
}

static int safe_close(void *cookie) {
    safe_out *o = cookie;
    if (o->ncarry) { /* a sequence never completed: show it as invalid */
        char rep[4];
        write_all(o->fd, rep, (size_t)tui_utf8_put(0xFFFD, rep));
    }
    return 0;
}

/* The two filters' state lives as long as the process (the streams are flushed, not
 * closed, at exit), so it is static rather than allocated. */
static safe_out outs[2];

static FILE *wrap(FILE *f, safe_out *o, const char *mode, int line_buffered) {
    fflush(f);
    o->fd = fileno(f);
    cookie_io_functions_t io = {.write = safe_write, .close = safe_close};
    FILE *w = fopencookie(o, mode, io);
    if (!w) return f;
    setvbuf(w, NULL, line_buffered ? _IOLBF : _IOFBF, BUFSIZ);
    return w;
}

void cli_safe_output(void) {
    stdout = wrap(stdout, &outs[0], "w", isatty(STDOUT_FILENO));
    stderr = wrap(stderr, &outs[1], "w", 1);
}
