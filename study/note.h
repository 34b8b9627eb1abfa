/* note.h: one knowledge note read from disk: its YAML frontmatter (libyaml, with the
 * byte span of every top-level key and value), its concepts and explicit cards (cmark),
 * encoding checks and repair (BOM, CRLF, double-encoded UTF-8), and the write-back of
 * the four keys dlstudy owns (mastery, status, updated, review_dates) by splicing new
 * values into the original bytes. Not here: the database, scheduling, walking folders.
 *
 * Stable ids (what progress is keyed by; all are 16 lowercase hex digits):
 *   note->key        = H("note", title, created): the frontmatter travels with the file,
 *                      so renaming or moving a note keeps its key. Changing the title or
 *                      `created` makes a new key; `body_sha` lets the caller match it.
 *                      Without a frontmatter title, the title falls back to the first `#`
 *                      heading, then the file name (which then changes on a rename).
 *                      A double_encoded note's key uses its repaired title (lost
 *                      characters as U+FFFD), which is what note_repair_file writes, so
 *                      repairing the file keeps the key and the concept ids.
 *   concept id       = H(note->key, normalised heading path, occurrence): editing the
 *                      section text keeps the id; renaming a heading (or moving it under
 *                      another `##`) makes a new card, which sync may match by content.
 *                      Normalised: whitespace collapsed, ASCII lowercased, emoji and
 *                      variation selectors dropped ("📋 基本信息" == "基本信息").
 *   card id          = H(note->key, normalised question): editing the answer keeps it.
 *   note->body_sha   = a 256-bit fingerprint (64 hex digits; fast, not cryptographic) of
 *                      the body with LF line endings, without BOM, leading blank lines
 *                      and trailing blank space: the write-back never changes it, so it
 *                      identifies a moved or renamed note whose frontmatter also changed.
 *   H = FNV-1a 64 over the parts joined by NUL bytes.
 *
 * Explicit cards, two forms:
 *   `Question :: Answer` on one line (in any paragraph, list item or quote; not in code
 *   or a heading; both sides non-empty; `::` with a blank on each side and outside
 *   backticks, so `std::move` is not a card);
 *   a `?` line: a paragraph of exactly one line ending in `?` or `？`, directly followed
 *   by another paragraph, which is the answer (its source, trimmed). Task-list items
 *   ("- [ ] open question？") and questions in their own list item have no answer
 *   paragraph, so they stay plain text; the answer paragraph is never a question.
 *
 * Concepts: the `##` and `###` headings (ATX or setext level 2) that are direct children
 * of the document; headings inside lists or block quotes, and those inside code, are not
 * concepts. A `##` section runs to the next `##` (or `#`), so it includes its `###`
 * subsections; own_end marks where its own text stops. */
#ifndef STUDY_NOTE_H
#define STUDY_NOTE_H

#include <stddef.h>
#include <stdint.h>
#include "util/dls.h"

#define NOTE_MAX_BYTES ((size_t)4 << 20) /* larger files are refused (DLS_ERR_INVALID) */

typedef struct note_span {
    size_t off, len; /* byte range [off, off+len) */
} note_span;

/* What identifies a file's content on disk; sync keeps it to skip unchanged files. */
typedef struct note_file_id {
    int64_t size;
    int64_t mtime_ns;   /* st_mtim in nanoseconds; 0 for note_parse */
    char    sha256[65]; /* hex of the raw bytes; "" from note_stat */
} note_file_id;

typedef enum note_status {
    NOTE_STATUS_NONE = 0, /* key absent or empty */
    NOTE_STATUS_NEW,
    NOTE_STATUS_LEARNING,
    NOTE_STATUS_REVIEWING,
    NOTE_STATUS_MASTERED
} note_status;

typedef enum note_style { /* how a frontmatter value is written */
    NOTE_STYLE_EMPTY = 0, /* `key:` with nothing (YAML null) */
    NOTE_STYLE_PLAIN,
    NOTE_STYLE_SINGLE,    /* 'x' */
    NOTE_STYLE_DOUBLE,    /* "x" */
    NOTE_STYLE_LITERAL,   /* | */
    NOTE_STYLE_FOLDED,    /* > */
    NOTE_STYLE_BLOCK_SEQ, /* "\n  - a\n  - b" */
    NOTE_STYLE_FLOW_SEQ,  /* [a, b] */
    NOTE_STYLE_BLOCK_MAP,
    NOTE_STYLE_FLOW_MAP,
    NOTE_STYLE_ALIAS      /* *name */
} note_style;

typedef enum note_eol { NOTE_EOL_NONE = 0, NOTE_EOL_LF, NOTE_EOL_CRLF, NOTE_EOL_MIXED } note_eol;
typedef enum note_title_src { NOTE_TITLE_FRONTMATTER, NOTE_TITLE_HEADING, NOTE_TITLE_FILENAME } note_title_src;

/* One top-level frontmatter key, known or not, in file order. Spans are offsets into
 * note->raw. For a block sequence, value runs from the first `-` to the end of the last
 * item; for an empty value it has len 0 and sits right after the colon. */
typedef struct note_key {
    char      *name;
    note_span  key, value;
    int        line, column; /* 1-based, of the key */
    note_style style;
    int        known;        /* 1 for the keys dlstudy reads (title ... labs) */
    char     **items;        /* sequence values: each item's text (NULL otherwise) */
    note_span *item_spans;   /* each item's bytes in raw */
    size_t     n_items;
} note_key;

typedef struct note_warning {
    int   line, column; /* 1-based in the file; 0 when it concerns the whole file */
    char *message;      /* without the path prefix */
} note_warning;

typedef struct note_concept {
    char      id[17];
    int       level;    /* 2 or 3 */
    char     *heading;  /* the heading's text, inline markup removed */
    char     *path;     /* breadcrumb: "核心概念 › 定义" (parents joined by " › ") */
    int       line;     /* 1-based line of the heading in the file */
    note_span section;  /* in note->body: the heading line through the end of the section */
    size_t    own_end;  /* in note->body: end of its own text (first subheading or section end) */
    int       card;     /* 1 when it makes a review card; 0 for a section about the note rather
                           than a concept (note_concept_is_meta) and for a `##` that only
                           groups `###` subsections (no text of its own) */
} note_concept;

typedef struct note_card {
    char      id[17];
    char     *question, *answer; /* trimmed markdown source of each side */
    int       line;              /* 1-based line in the file */
    note_span span;              /* in note->body: the card's line (`?` form: question through answer) */
} note_card;

typedef struct note {
    char        *path;     /* relative to the notes root, '/'-separated */
    char        *file;     /* the path it was read from (for write-back; NULL from note_parse) */
    char        *raw;      /* the bytes exactly as on disk (NUL-terminated; raw_len excludes it) */
    size_t       raw_len;
    note_file_id id;

    /* Encoding facts. */
    int          has_bom;        /* 0, or the BOM's length: 3, or 6 for "ï»¿" (a double-encoded BOM) */
    note_eol     eol;
    int          double_encoded; /* UTF-8 read as Windows-1252 and saved again */
    size_t       unrecoverable;  /* for double_encoded: sequences the repair could not restore */

    /* Layout in raw. With no frontmatter, body_off is has_bom. */
    int          has_frontmatter;
    note_span    yaml;     /* the YAML between the `---` lines */
    size_t       fm_end;   /* offset just after the closing `---` line (its line break included) */
    size_t       body_off; /* where the body starts in raw (== fm_end, or after the BOM) */
    int          body_line;/* 1-based file line of body_off */

    /* The body as shown: raw bytes, or the repaired text when double_encoded. */
    const char  *body;     /* borrowed from raw or owned by the note; NUL-terminated */
    size_t       body_len;

    /* Frontmatter fields (strings repaired for display when double_encoded). */
    char        *title;    /* never NULL */
    note_title_src title_src;
    char        *category;             /* NULL when absent */
    char       **tags;      size_t n_tags;
    char         created[11], updated[11]; /* "YYYY-MM-DD" or "" */
    int          mastery;              /* 0-5, -1 when absent */
    int          difficulty;           /* 1-5, 0 when absent */
    char       (*review_dates)[11]; size_t n_review_dates;
    note_status  status;
    char       **related;   size_t n_related; /* normalised, relative to the notes root;
                                                  paths leaving the root are dropped with a warning */
    char       **labs;      size_t n_labs;
    note_key    *keys;      size_t n_keys;   /* every top-level key, in order */

    note_warning *warnings;  size_t n_warnings;
    note_concept *concepts;  size_t n_concepts;
    note_card    *cards;     size_t n_cards;

    char         key[17];      /* stable note key (see top) */
    char         body_sha[65]; /* content fingerprint for matching moved notes (see top) */
} note;

/* Reads and parses one note. file is opened as given; root_dir is the notes folder
 * (NULL: path = file as given). Refuses (DLS_ERR_INVALID) a file whose real path
 * leaves root_dir (a symlink out), a file over NOTE_MAX_BYTES, binary data (NUL bytes,
 * invalid UTF-8, UTF-16). Parse problems return DLS_ERR_PARSE or DLS_ERR_INVALID with
 * e->msg = "PATH:LINE:COLUMN: message" (PATH relative to the root): invalid YAML,
 * duplicate keys, a bad date, mastery/difficulty out of range, an unknown status, a bad
 * review date. Keys that are only shown (title, category, tags, labs, related) with a
 * value of the wrong shape are warnings instead, and ignored. *out is written only
 * on DLS_OK; free it with note_free. A note with an error is never returned, so it can
 * never be written back. */
int  note_load(const char *file, const char *root_dir, note **out, dls_error *e);
/* The same from bytes in memory (copied). path names it in messages and note->path;
 * note->file stays NULL (note_write_owned refuses it; note_render_owned works). */
int  note_parse(const char *bytes, size_t len, const char *path, note **out, dls_error *e);
void note_free(note *n);

/* 1 when a heading names a section about the note rather than a concept of it, so it
 * makes no card: the user's format has 基本信息 (the note's metadata), 相关概念 (links),
 * 深入学习资源 (reading list) and 个人笔记 (own remarks), plus English equivalents.
 * Emoji and case are ignored ("📋 基本信息" is meta). */
int  note_concept_is_meta(const char *heading);

/* A stat's st_mtim in nanoseconds: the one definition of note_file_id.mtime_ns, which
 * sync records and the write-back compares, so both must compute it alike. */
struct stat;
int64_t note_mtime_ns(const struct stat *st);
/* Size and mtime of a file (sha256 left ""), for the warm-sync check. */
int  note_stat(const char *file, note_file_id *id, dls_error *e);
/* 1 when the file's size and mtime are exactly those recorded, 0 otherwise (or on error). */
int  note_file_unchanged(const char *file, int64_t size, int64_t mtime_ns);

const char *note_status_str(note_status s); /* "new" ... "mastered"; "" for NONE */
int  note_status_from_str(const char *s);   /* NOTE_STATUS_* or -1 */
/* 1 when s is exactly YYYY-MM-DD and a real calendar date. */
int  note_date_valid(const char *s);
/* The warnings as "PATH:LINE:COLUMN: message" lines; caller frees. */
char *note_warnings_text(const note *n);

/* --- Encoding (note_encoding.c) ---------------------------------------------------- */

/* 1 when valid UTF-8 text looks double-encoded: many sequences like "Ã¦", "å", "ç"
 * that map back through Windows-1252 to valid multi-byte UTF-8. */
int  note_looks_double_encoded(const char *s, size_t len);
/* Reverses one round of UTF-8 -> Windows-1252 -> UTF-8. Every character that maps back
 * to a valid UTF-8 sequence is restored; a sequence that lost bytes (0x81 0x8D 0x8F
 * 0x90 0x9D and the soft hyphen 0xAD vanish in that round trip) becomes U+FFFD and is
 * counted in *unrecoverable; text that is not mojibake is kept as it is. *out is
 * NUL-terminated, caller frees. Never fails. */
void note_repair_double_encoding(const char *s, size_t len, char **out, size_t *out_len,
                                 size_t *unrecoverable);
/* The first byte offset where s is not valid UTF-8, or len when it all is. */
size_t note_utf8_invalid_at(const char *s, size_t len);

/* --- Write-back (note_write.c) ------------------------------------------------------ */

/* The new values of the keys dlstudy owns; a field left at its "keep" value leaves the
 * key exactly as it is. */
typedef struct note_owned {
    int          mastery;      /* 0-5, or -1: keep */
    note_status  status;       /* NOTE_STATUS_NONE: keep */
    const char  *updated;      /* "YYYY-MM-DD", or NULL: keep */
    const char *const *review_dates; /* each "YYYY-MM-DD"; NULL: keep (n 0 + non-NULL: empty list) */
    size_t       n_review_dates;
} note_owned;
#define NOTE_OWNED_KEEP { -1, NOTE_STATUS_NONE, NULL, NULL, 0 }

/* The note's bytes with the owned keys replaced: each value is spliced in place, keeping
 * key order, quoting style, comments, list style and indentation, line endings, the BOM
 * and the body. An absent key is appended at the end of the frontmatter; a note without
 * frontmatter gets one at the top. Unchanged values give byte-identical output.
 * *out is NUL-terminated, caller frees. DLS_ERR_INVALID for a bad value or a key whose
 * value dlstudy cannot rewrite (an alias, a mapping). */
int  note_render_owned(const note *n, const note_owned *o, char **out, size_t *out_len,
                       dls_error *e);
/* Writes note_render_owned's bytes to n->file atomically: temp file in the same
 * folder, fsync, rename over the note, fsync the folder; the file mode is kept. Refuses
 * with DLS_ERR_CHANGED when the file's size, mtime or SHA-256 differ from n->id (it was
 * edited since it was read). On any failure the original is untouched, the temp file
 * is removed, and e->msg names the file. new_id (may be NULL) receives the identity of
 * the written file, so the caller need not re-read it. Writing identical bytes is a
 * no-op (DLS_OK, file untouched). */
int  note_write_owned(const note *n, const note_owned *o, note_file_id *new_id, dls_error *e);

/* Rewrites a double_encoded note with note_repair_double_encoding's bytes, with the same
 * atomic write and DLS_ERR_CHANGED check as note_write_owned (for `dlstudy note repair`).
 * *unrecoverable (may be NULL) gets the count of sequences now U+FFFD. DLS_ERR_INVALID
 * when the note does not look double-encoded. */
int  note_repair_file(const note *n, size_t *unrecoverable, note_file_id *new_id, dls_error *e);

/* The atomic replacement under note_write_owned, for callers that already have the bytes
 * (undo restoring a note exactly): replaces file (through a symlink to its target) with
 * bytes, via a temp file beside it (mode kept), fsync, rename and fsync of the folder.
 * Refuses with DLS_ERR_CHANGED unless the file is still exactly expect (size, mtime when
 * not 0, SHA-256) both before writing and right before the rename. name names the note
 * in messages. On failure the file is untouched and no temp file remains. */
int  note_replace_file(const char *file, const char *name, const note_file_id *expect, const char *bytes,
                       size_t len, note_file_id *new_id, dls_error *e);

/* Test hook (tests only): make the next note_write_owned fail with errno err at stage
 * (1 = writing the temp file, 2 = fsync, 3 = rename), as a full disk would. 0 clears it. */
void note_write_fail_next(int stage, int err);

#endif
