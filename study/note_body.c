/* note_body.c: the body pass over a note's markdown with cmark: concepts (the `##`/`###`
 * headings at the top of the document, with their sections as byte ranges), explicit
 * `Question :: Answer` cards, the first `#` heading (title fallback), the ids of both
 * and the content fingerprint. Not here: rendering (the TUI renders sections itself).
 *
 * Positions come from cmark's source lines: a table of line starts of the body turns
 * (line, column) into byte offsets, so every section is a slice of the body, not a
 * re-rendering of it. Lines end at \n, \r\n or a lone \r, as cmark counts them. */
#include "study/note_impl.h"

#include <cmark.h>
#include <stdlib.h>
#include <string.h>

typedef struct lines {
    size_t *start; /* start[i] = offset of line i+1; start[n] = body_len */
    size_t  n;
} lines;

static void lines_init(lines *L, const char *s, size_t len) {
    size_t cap = 64;
    L->start   = xmalloc(cap * sizeof *L->start);
    L->n       = 0;
    L->start[L->n++] = 0;
    for (size_t i = 0; i < len; i++) {
        int brk = s[i] == '\n' || (s[i] == '\r' && (i + 1 == len || s[i + 1] != '\n'));
        if (!brk) continue;
        if (L->n + 1 >= cap) {
            cap *= 2;
            L->start = xrealloc(L->start, cap * sizeof *L->start);
        }
        L->start[L->n++] = i + 1;
    }
    if (L->start[L->n - 1] != len) L->start[L->n] = len;
    else L->n--; /* the file ends with a line break: no empty last line */
    L->start[L->n] = len;
}

/* Offset of 1-based line ln (clamped), and of its end (before the line break). */
static size_t line_off(const lines *L, int ln) {
    if (ln < 1) return 0;
    if ((size_t)ln > L->n) return L->start[L->n];
    return L->start[ln - 1];
}

static size_t line_end(const lines *L, const char *s, int ln) {
    size_t e = line_off(L, ln + 1), b = line_off(L, ln);
    while (e > b && (s[e - 1] == '\n' || s[e - 1] == '\r')) e--;
    return e;
}

/* The plain text of an inline tree (markup dropped, breaks as spaces). */
static void inline_text(cmark_node *node, dls_buf *b) {
    for (cmark_node *c = cmark_node_first_child(node); c; c = cmark_node_next(c)) {
        switch (cmark_node_get_type(c)) {
        case CMARK_NODE_TEXT:
        case CMARK_NODE_CODE:
            dls_buf_puts(b, cmark_node_get_literal(c));
            break;
        case CMARK_NODE_SOFTBREAK:
        case CMARK_NODE_LINEBREAK:
            dls_buf_puts(b, " ");
            break;
        case CMARK_NODE_HTML_INLINE:
            break;
        default:
            inline_text(c, b);
        }
    }
}

static char *trim_dup(const char *s, size_t len) {
    while (len && (*s == ' ' || *s == '\t')) s++, len--;
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r' || s[len - 1] == '\n')) len--;
    return xstrndup(s, len);
}

/* Looks for "Q :: A" in one line of source; both sides non-empty, `::` outside code
 * spans, with a blank on each side (so `std::move` is not a card). */
static void card_line(note *n, const char *s, size_t a, size_t b, int ln) {
    int ticks = 0;
    for (size_t i = a; i + 1 < b; i++) {
        if (s[i] == '`') ticks++;
        if (s[i] != ':' || s[i + 1] != ':' || (ticks & 1)) continue;
        if (i == a || (s[i - 1] != ' ' && s[i - 1] != '\t')) continue;
        if (i + 2 >= b || (s[i + 2] != ' ' && s[i + 2] != '\t')) continue;
        char *q = trim_dup(s + a, i - a), *ans = trim_dup(s + i + 2, b - i - 2);
        if (!*q || !*ans) {
            free(q);
            free(ans);
            return;
        }
        n->cards = note_grow(n->cards, n->n_cards, sizeof *n->cards);
        note_card *c = &n->cards[n->n_cards++];
        memset(c, 0, sizeof *c);
        c->question = q;
        c->answer   = ans;
        c->line     = n->body_line + ln - 1;
        c->span     = (note_span){a, b - a};
        return;
    }
}

static int in_block_quote(cmark_node *node) {
    for (cmark_node *p = cmark_node_parent(node); p; p = cmark_node_parent(p))
        if (cmark_node_get_type(p) == CMARK_NODE_BLOCK_QUOTE) return 1;
    return 0;
}

/* The source of a paragraph's line ln without its container prefix ("- ", "> ",
 * indentation): [*a, *b) in the body. */
static void para_line(const note *n, const lines *L, cmark_node *para, int quoted, int ln, size_t *a, size_t *b) {
    const char *s = n->body;
    *a = line_off(L, ln);
    *b = line_end(L, s, ln);
    if (ln == cmark_node_get_start_line(para)) {
        size_t col = (size_t)cmark_node_get_start_column(para);
        if (col > 0 && *a + col - 1 <= *b) *a += col - 1;
    } else {
        while (*a < *b && (s[*a] == ' ' || s[*a] == '\t' || (quoted && s[*a] == '>'))) (*a)++;
    }
}

/* `::` cards from one paragraph (at any depth: list items count); returns how many. */
static size_t cards_in(note *n, const lines *L, cmark_node *para) {
    size_t before = n->n_cards;
    int    l0 = cmark_node_get_start_line(para), l1 = cmark_node_get_end_line(para);
    int    quoted = in_block_quote(para);
    for (int ln = l0; ln <= l1; ln++) {
        size_t a, b;
        para_line(n, L, para, quoted, ln, &a, &b);
        if (memchr(n->body + a, ':', b - a)) card_line(n, n->body, a, b, ln);
    }
    return n->n_cards - before;
}

/* The `?` form: para is one line ending in `?` or `？` (not a task-list item), and the
 * next block is a paragraph: that paragraph is the answer. Returns 1 when it made one. */
static int question_card(note *n, const lines *L, cmark_node *para) {
    cmark_node *ans = cmark_node_next(para);
    int         ln  = cmark_node_get_start_line(para);
    if (!ans || cmark_node_get_type(ans) != CMARK_NODE_PARAGRAPH || cmark_node_get_end_line(para) != ln) return 0;
    int    quoted = in_block_quote(para);
    size_t a, b;
    para_line(n, L, para, quoted, ln, &a, &b);
    const char *s = n->body;
    while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t')) b--;
    int q = (b > a && s[b - 1] == '?') || (b >= a + 3 && !memcmp(s + b - 3, "\xEF\xBC\x9F", 3));
    if (!q || (b - a >= 3 && s[a] == '[' && s[a + 2] == ']')) return 0;
    dls_buf t;
    dls_buf_init(&t);
    int al0 = cmark_node_get_start_line(ans), al1 = cmark_node_get_end_line(ans);
    for (int l = al0; l <= al1; l++) {
        size_t x, y;
        para_line(n, L, ans, quoted, l, &x, &y);
        if (l > al0) dls_buf_puts(&t, "\n");
        dls_buf_append(&t, s + x, y - x);
    }
    char *answer = trim_dup(t.data ? t.data : "", t.len);
    dls_buf_deinit(&t);
    if (!*answer) {
        free(answer);
        return 0;
    }
    n->cards = note_grow(n->cards, n->n_cards, sizeof *n->cards);
    note_card *c = &n->cards[n->n_cards++];
    memset(c, 0, sizeof *c);
    c->question = trim_dup(s + a, b - a);
    c->answer   = answer;
    c->line     = n->body_line + ln - 1;
    c->span     = (note_span){a, line_end(L, s, al1) - a};
    return 1;
}

/* Visits the block containers only (documents, quotes, lists, items), not inlines. */
static void cards_walk(note *n, const lines *L, cmark_node *node) {
    int answer_next = 0; /* the paragraph after a `?` question is its answer, not a question */
    for (cmark_node *c = cmark_node_first_child(node); c; c = cmark_node_next(c)) {
        int was_answer = answer_next;
        answer_next    = 0;
        switch (cmark_node_get_type(c)) {
        case CMARK_NODE_PARAGRAPH:
            if (!cards_in(n, L, c) && !was_answer) answer_next = question_card(n, L, c);
            break;
        case CMARK_NODE_BLOCK_QUOTE:
        case CMARK_NODE_LIST:
        case CMARK_NODE_ITEM:
        case CMARK_NODE_CUSTOM_BLOCK:
            cards_walk(n, L, c);
            break;
        default:
            break;
        }
    }
}
/* A `##` whose own text (between its heading line and its first subheading) is blank
 * and that has subsections: a heading that only groups its `###` concepts. */
static int groups_only(const note *n, const note_concept *k) {
    if (k->level != 2 || k->own_end >= k->section.off + k->section.len) return 0;
    const char *p = n->body + k->section.off, *end = n->body + k->own_end;
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    for (p = nl ? nl + 1 : end; p < end; p++)
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') return 0;
    return 1;
}


typedef struct head { int level, line; size_t off; } head;

char *note_body_parse(note *n) {
    if (!n->body_len) return NULL;
    lines L;
    lines_init(&L, n->body, n->body_len);
    cmark_node *doc = cmark_parse_document(n->body, n->body_len, CMARK_OPT_DEFAULT);
    char       *h1  = NULL;
    head       *hs  = NULL;
    size_t      nh  = 0;
    char       *h2  = NULL; /* text of the current `##`, for breadcrumbs */

    /* Top-level headings: concepts and the title fallback. */
    for (cmark_node *c = cmark_node_first_child(doc); c; c = cmark_node_next(c)) {
        if (cmark_node_get_type(c) != CMARK_NODE_HEADING) continue;
        int    level = cmark_node_get_heading_level(c), ln = cmark_node_get_start_line(c);
        dls_buf t;
        dls_buf_init(&t);
        inline_text(c, &t);
        char *text = trim_dup(t.data ? t.data : "", t.len);
        dls_buf_deinit(&t);
        hs = note_grow(hs, nh, sizeof *hs);
        hs[nh++] = (head){level, ln, line_off(&L, ln)};
        if (level == 1 && !h1) h1 = xstrdup(text);
        if (level <= 2) {
            free(h2);
            h2 = NULL;
        }
        if (level == 2 || level == 3) {
            n->concepts = note_grow(n->concepts, n->n_concepts, sizeof *n->concepts);
            note_concept *k = &n->concepts[n->n_concepts++];
            memset(k, 0, sizeof *k);
            k->level   = level;
            k->heading = xstrdup(text);
            k->path    = level == 3 && h2 ? xasprintf("%s \xE2\x80\xBA %s", h2, text) : xstrdup(text);
            k->line    = n->body_line + ln - 1;
            k->section.off = line_off(&L, ln);
        }
        if (level == 2) h2 = xstrdup(text);
        free(text);
    }
    /* Section ends: walking backwards, nxt[l] is the next heading of exactly level l. */
    size_t nxt[7];
    for (int l = 0; l < 7; l++) nxt[l] = n->body_len;
    size_t ci = n->n_concepts;
    for (size_t i = nh; i-- > 0;) {
        int lv = hs[i].level;
        if (lv == 2 || lv == 3) {
            note_concept *k = &n->concepts[--ci];
            size_t end = n->body_len, own = n->body_len;
            for (int l = 1; l <= 6; l++) {
                if (l <= lv && nxt[l] < end) end = nxt[l];
                if (nxt[l] < own) own = nxt[l];
            }
            k->section.len = end - k->section.off;
            k->own_end     = own < end ? own : end;
            k->card        = !note_concept_is_meta(k->heading) && !groups_only(n, k);
        }
        nxt[lv] = hs[i].off;
    }

    /* Explicit cards: every paragraph, in document order. */
    cards_walk(n, &L, doc);

    free(h2);
    free(hs);
    free(L.start);
    cmark_node_free(doc);
    return h1;
}

static char *norm_id_text(const char *s);

int note_concept_is_meta(const char *heading) {
    static const char *const meta[] = {"基本信息", "相关概念", "相关笔记", "深入学习资源", "学习资源",
                                       "参考资料", "参考资源", "个人笔记", "basic info", "metadata",
                                       "related", "related notes", "see also", "resources",
                                       "further reading", "references", "personal notes"};
    char *t  = norm_id_text(heading);
    int   is = 0;
    for (size_t i = 0; i < sizeof meta / sizeof meta[0] && !is; i++) is = !strcmp(t, meta[i]);
    free(t);
    return is;
}

/* Normalised text for ids: blanks collapsed, ASCII lowercased, emoji, variation
 * selectors and joiners dropped, trimmed. */
static char *norm_id_text(const char *s) {
    size_t len = strlen(s), o = 0;
    char  *out = xmalloc(len + 1);
    int    space = 0;
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        unsigned c = u[i];
        size_t   k = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        if (i + k > len) k = len - i;
        uint32_t cp = c;
        if (k == 2) cp = ((c & 0x1Fu) << 6) | (u[i + 1] & 0x3Fu);
        if (k == 3) cp = ((c & 0x0Fu) << 12) | ((u[i + 1] & 0x3Fu) << 6) | (u[i + 2] & 0x3Fu);
        if (k == 4) cp = ((c & 0x07u) << 18) | ((u[i + 1] & 0x3Fu) << 12) | ((u[i + 2] & 0x3Fu) << 6) | (u[i + 3] & 0x3Fu);
        int drop = (cp >= 0x1F000 && cp <= 0x1FAFF) || (cp >= 0x2600 && cp <= 0x27BF) ||
                   (cp >= 0x2B00 && cp <= 0x2BFF) || (cp >= 0xFE00 && cp <= 0xFE0F) || cp == 0x200D ||
                   cp == 0x20E3 || (cp >= 0xE0000 && cp <= 0xE007F);
        if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == 0xA0 || cp == 0x3000) {
            space = o > 0;
        } else if (!drop) {
            if (space) out[o++] = ' ';
            space = 0;
            if (k == 1) out[o++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
            else memcpy(out + o, s + i, k), o += k;
        }
        i += k;
    }
    out[o] = 0;
    return out;
}

void note_body_ids(note *n) {
    note_hmap seen = {0};
    for (size_t i = 0; i < n->n_concepts; i++) {
        char  *p   = norm_id_text(n->concepts[i].path);
        /* the same heading path twice in one note: number the later ones */
        size_t occ = note_hmap_add(&seen, dls_fnv1a64(p, strlen(p)), i, NULL);
        char   occs[24];
        snprintf(occs, sizeof occs, "%zu", occ);
        const char *parts[4] = {n->key, "concept", p, occ ? occs : NULL};
        note_hash_id(n->concepts[i].id, parts, occ ? 4 : 3);
        free(p);
    }
    note_hmap_free(&seen);
    for (size_t i = 0; i < n->n_cards; i++) {
        char       *q = norm_id_text(n->cards[i].question);
        const char *parts[3] = {n->key, "card", q};
        note_hash_id(n->cards[i].id, parts, 3);
        free(q);
    }
}

/* A fast 256-bit fingerprint: four independent 64-bit multiply-xorshift lanes over
 * 8-byte words, so it runs several times faster than SHA-256 (sync computes it for
 * every note). It matches moved notes; nothing adversarial depends on it. */
static uint64_t load64(const unsigned char *p) {
    uint64_t w;
    memcpy(&w, p, 8);
    return w;
}

static uint64_t mix64(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static void fingerprint(const unsigned char *p, size_t len, char hex[65]) {
    static const uint64_t P = 0x9E3779B97F4A7C15ULL;
    uint64_t h[4] = {0x243F6A8885A308D3ULL, 0x13198A2E03707344ULL, 0xA4093822299F31D0ULL, 0x082EFA98EC4E6C89ULL};
    size_t   i = 0;
    for (; i + 32 <= len; i += 32)
        for (int j = 0; j < 4; j++) {
            h[j] = (h[j] ^ load64(p + i + 8 * (size_t)j)) * P;
            h[j] ^= h[j] >> 29;
        }
    unsigned char tail[32] = {0};
    memcpy(tail, p + i, len - i);
    for (int j = 0; j < 4; j++) h[j] = (h[j] ^ load64(tail + 8 * j)) * P;
    uint64_t all = mix64(h[0] ^ mix64(h[1] ^ mix64(h[2] ^ mix64(h[3] ^ len))));
    for (int j = 0; j < 4; j++) snprintf(hex + 16 * j, 17, "%016llx", (unsigned long long)mix64(h[j] ^ all ^ (uint64_t)j));
}

void note_body_fingerprint(note *n) {
    const char *s = n->body;
    size_t      a = 0, b = n->body_len;
    if (b >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3)) a = 3;
    while (a < b && (s[a] == '\n' || s[a] == '\r')) a++;
    while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t' || s[b - 1] == '\n' || s[b - 1] == '\r')) b--;
    if (!memchr(s + a, '\r', b - a)) {
        fingerprint((const unsigned char *)s + a, b - a, n->body_sha);
        return;
    }
    char  *lf = xmalloc(b - a + 1); /* CRLF -> LF first */
    size_t o  = 0;
    for (size_t i = a; i < b; i++)
        if (!(s[i] == '\r' && i + 1 < b && s[i + 1] == '\n')) lf[o++] = s[i];
    fingerprint((const unsigned char *)lf, o, n->body_sha);
    free(lf);
}
