/* note_encoding.c: UTF-8 validation and the double-encoding check and repair for notes
 * (UTF-8 bytes once decoded as Windows-1252 and saved again as UTF-8, like the user's
 * seed note). Not here: BOM and line-ending handling (note_parse.c), any other charset.
 *
 * Why the repair is lossy: Windows-1252 has no characters for 0x81 0x8D 0x8F 0x90 0x9D,
 * and the soft hyphen (0xAD) is often dropped by editors, so those bytes of the original
 * UTF-8 are gone. A sequence that lost one is replaced by U+FFFD and counted. Some
 * tools decode with Windows-1254 (Turkish) instead; its six letters that differ from
 * Windows-1252 (ğ Ğ İ ı Ş ş) are mapped back too, since they cannot collide. */
#include "study/note.h"

#include <string.h>

/* Decodes one UTF-8 character at s[*i] (valid input assumed up to len); returns the
 * code point and advances *i. Invalid bytes return -1 and advance by one. */
static int32_t utf8_next(const unsigned char *s, size_t len, size_t *i) {
    unsigned char c = s[*i];
    int n = c < 0x80 ? 0 : c >= 0xC2 && c <= 0xDF ? 1 : c >= 0xE0 && c <= 0xEF ? 2 : c >= 0xF0 && c <= 0xF4 ? 3 : -1;
    if (n == 0) { (*i)++; return c; }
    if (n < 0 || *i + (size_t)n >= len) { (*i)++; return -1; }
    int32_t cp = n == 0 ? c : n == 1 ? (c & 0x1F) : n == 2 ? (c & 0x0F) : (c & 0x07);
    for (int k = 1; k <= n; k++) {
        unsigned char d = s[*i + (size_t)k];
        if ((d & 0xC0) != 0x80) { (*i)++; return -1; }
        cp = (cp << 6) | (d & 0x3F);
    }
    static const int32_t min[4] = {0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) { (*i)++; return -1; }
    *i += (size_t)n + 1;
    return cp;
}

size_t note_utf8_invalid_at(const char *s, size_t len) {
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        if (u[i] < 0x80) { /* ASCII runs a word at a time */
            uint64_t w;
            while (i + 8 <= len && (memcpy(&w, u + i, 8), !(w & 0x8080808080808080ULL))) i += 8;
            while (i < len && u[i] < 0x80) i++;
            continue;
        }
        size_t at = i;
        if (utf8_next(u, len, &i) < 0) return at;
    }
    return len;
}

/* The Windows-1252 byte a code point came from, or -1. 0x80-0x9F as C1 controls are
 * accepted too: permissive decoders (latin-1, WHATWG) produce them for the holes. */
static int cp1252_byte(int32_t cp) {
    static const uint16_t hi[32] = {
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
        0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178};
    if (cp < 0x100) return cp;
    if (cp > 0x2122) return -1; /* above the table's largest (™): CJK and most text */
    for (int k = 0; k < 32; k++)
        if (hi[k] == cp) return 0x80 + k;
    switch (cp) { /* Windows-1254 letters */
    case 0x011E: return 0xD0;
    case 0x011F: return 0xF0;
    case 0x0130: return 0xDD;
    case 0x0131: return 0xFD;
    case 0x015E: return 0xDE;
    case 0x015F: return 0xFE;
    }
    return -1;
}

static int lead_conts(int b) {
    return b >= 0xC2 && b <= 0xDF ? 1 : b >= 0xE0 && b <= 0xEF ? 2 : b >= 0xF0 && b <= 0xF4 ? 3 : 0;
}

/* One character of the text: where it is, its code point and its 1252 byte (or -1). */
typedef struct ch { size_t at, end; int32_t cp; int b; } ch;

static ch ch_at(const unsigned char *u, size_t len, size_t i) {
    ch c = {.at = i};
    size_t j = i;
    c.cp = utf8_next(u, len, &j);
    c.end = j;
    c.b = c.cp < 0 ? -1 : cp1252_byte(c.cp);
    return c;
}

/* Tries to read a mojibake sequence at c: a lead byte and its continuation bytes.
 * Returns the number of continuation characters found (0..need), sets *end past them,
 * and writes the reassembled bytes into orig (need+1 bytes). */
static int seq_at(const unsigned char *u, size_t len, ch c, int need, size_t *end, unsigned char *orig) {
    int got = 0;
    size_t j = c.end;
    orig[0] = (unsigned char)c.b;
    while (got < need && j < len) {
        ch d = ch_at(u, len, j);
        if (d.b < 0x80 || d.b > 0xBF) break;
        orig[++got] = (unsigned char)d.b;
        j = d.end;
    }
    *end = j;
    return got;
}

/* The mojibake sequence at c: 0 when c is no lead byte; else the length of the original
 * character (2-4), with orig, *got and *end as seq_at gives them and *whole set when all
 * its continuation bytes were found and they make valid UTF-8. */
static int mojibake_at(const unsigned char *u, size_t len, ch c, unsigned char orig[4], int *got, size_t *end,
                       int *whole) {
    int need = c.b >= 0 ? lead_conts(c.b) : 0;
    *got = 0, *end = c.end, *whole = 0;
    if (!need) return 0;
    *got   = seq_at(u, len, c, need, end, orig);
    *whole = *got == need && note_utf8_invalid_at((char *)orig, (size_t)need + 1) == (size_t)need + 1;
    return need + 1;
}

int note_looks_double_encoded(const char *s, size_t len) {
    /* Every mojibake lead byte (0xC2-0xF4 read as a Latin letter) is written as C3 xx,
     * or C4/C5 xx for the Windows-1254 letters, so only sequences starting at those
     * bytes are examined; the other non-ASCII characters are just counted. */
    const unsigned char *u = (const unsigned char *)s;
    size_t good = 0, in_seq = 0, chars = 0, i = 0;
    if (!memchr(s, 0xC3, len) && !memchr(s, 0xC4, len) && !memchr(s, 0xC5, len)) return 0;
    for (size_t k = 0; k < len; k++) chars += u[k] >= 0xC0; /* lead bytes = non-ASCII chars */
    while (i < len) {
        const unsigned char *q = memchr(u + i, 0xC3, len - i), *q4 = memchr(u + i, 0xC4, len - i),
                            *q5 = memchr(u + i, 0xC5, len - i);
        if (q4 && (!q || q4 < q)) q = q4;
        if (q5 && (!q || q5 < q)) q = q5;
        if (!q) break;
        i = (size_t)(q - u);
        unsigned char orig[4];
        size_t end;
        int got, whole, n = mojibake_at(u, len, ch_at(u, len, i), orig, &got, &end, &whole);
        if (n && whole) {
            good++;
            in_seq += (size_t)n;
            i = end;
        } else if (n > 2 && got > 0) { /* lost a byte: still mojibake-shaped */
            in_seq += (size_t)got + 1;
            i = end;
        } else {
            i = ch_at(u, len, i).end;
        }
    }
    /* Real text almost never has a Latin-1 letter followed by the right number of
     * 0x80-0xBF symbols; mojibake has little else. */
    size_t other = chars > in_seq ? chars - in_seq : 0;
    return good >= 3 && in_seq >= 2 * other;
}

void note_repair_double_encoding(const char *s, size_t len, char **out, size_t *out_len,
                                 size_t *unrecoverable) {
    static const char repl[] = "\xEF\xBF\xBD"; /* U+FFFD */
    const unsigned char *u = (const unsigned char *)s;
    dls_buf b;
    dls_buf_init(&b);
    size_t lost = 0, i = 0;
    while (i < len) {
        if (u[i] < 0x80) {
            size_t j = i;
            while (j < len && u[j] < 0x80) j++;
            dls_buf_append(&b, s + i, j - i);
            i = j;
            continue;
        }
        ch c = ch_at(u, len, i);
        if (c.cp < 0) { /* not UTF-8 at all: keep the byte */
            dls_buf_append(&b, s + i, c.end - i);
            i = c.end;
            continue;
        }
        unsigned char orig[4];
        size_t end;
        int got, whole, n = mojibake_at(u, len, c, orig, &got, &end, &whole);
        if (n) {
            if (whole) {
                dls_buf_append(&b, orig, (size_t)n);
            } else {
                /* A lead that lost continuation bytes: the original character cannot be
                 * known (several candidates fit), so say so rather than guess. */
                dls_buf_append(&b, repl, 3);
                lost++;
            }
            i = end;
            continue;
        }
        if (c.b >= 0x80 && c.b <= 0xBF) { /* a continuation with no lead */
            dls_buf_append(&b, repl, 3);
            lost++;
        } else { /* not mojibake (e.g. real CJK in a mixed file): keep it */
            dls_buf_append(&b, s + c.at, c.end - c.at);
        }
        i = c.end;
    }
    if (!b.data) dls_buf_append(&b, "", 0);
    *out_len = b.len;
    *out = dls_buf_take(&b);
    if (unrecoverable) *unrecoverable = lost;
}
