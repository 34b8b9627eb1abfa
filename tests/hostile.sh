#!/bin/sh
# hostile.sh: hostile notes cannot hurt the terminal, the files around them or the
# database (issue 8, item 6). Runs the real ./dlstudy over tests/fixtures/hostile-notes/
# (escape sequences, C0/C1 controls, bidi overrides, deep nesting, paths leaving the
# folder, shell metacharacters, SQL, YAML bombs, NUL bytes, invalid UTF-8) plus notes made
# here (a 1 MB line, symlinks leaving the folder, file names with shell metacharacters,
# escapes and U+202E), through sync, note show (text and --json), mastery, due,
# review --plain, lab list, edit, the plain dashboard and, when tmux is installed, the
# full-screen app. Checks: no raw ESC, other C0 (but tab and newline), C1 or bidi control
# in any output; paths outside the folder refused with a message and never read or
# written; nothing executed (canary files); the database intact with the SQL strings
# stored literally; notes' bodies unchanged and broken notes not rewritten.
# It does not test the parser's error messages themselves (tests/study/ does).
# Prints "hostile: N passed, N failed, N skipped".
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
DLS=$ROOT/dlstudy
FIX=$ROOT/tests/fixtures/hostile-notes
pass=0 fail=0 skip=0 tmuxsock=""

ok() { pass=$((pass + 1)); }
ko() { echo "FAIL hostile: $*"; fail=$((fail + 1)); }
sk() { echo "SKIP hostile: $*"; skip=$((skip + 1)); }
check() { d=$1; shift; if "$@"; then ok; else ko "$d"; fi; }

if [ ! -x "$DLS" ]; then echo "hostile: ./dlstudy is not built"; echo "hostile: 0 passed, 1 failed, 0 skipped"; exit 1; fi
for c in sqlite3 grep timeout; do
    command -v $c >/dev/null || { echo "SKIP hostile: $c is not installed"; echo "hostile: 0 passed, 0 failed, 1 skipped"; exit 0; }
done

W=$(mktemp -d /tmp/dls-hostile.XXXXXX) || exit 1
cleanup() {
    [ -n "$tmuxsock" ] && tmux -S "$tmuxsock" kill-server 2>/dev/null
    [ -n "${KEEP:-}" ] && echo "hostile: kept $W" || rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

N=$W/notes OUT=$W/outside O=$W/out CWD=$W/cwd DB=$W/db/dlstudy.db
mkdir -p "$N" "$OUT/dir" "$O" "$CWD" "$W/db" "$W/home"
HOME=$W/home; export HOME
unset DLSTUDY_NOTES DLSTUDY_DB DLSTUDY_DATA XDG_DATA_HOME XDG_CONFIG_HOME VISUAL
export NO_COLOR=1 LC_ALL=C.UTF-8
cp "$FIX"/*.md "$N/"

# --- notes made here -----------------------------------------------------------------
fm() {   # fm TITLE: a valid frontmatter
    printf -- '---\ntitle: "%s"\ncategory: hostile\ntags: [made]\ncreated: 2026-01-01\nupdated: 2026-01-01\nmastery: 0\ndifficulty: 1\nreview_dates:\nstatus: new\n---\n\n' "$1"
}
mb=$(head -c 1048576 /dev/zero | tr '\0' 'a')
{ fm "A 1 MB line"; printf '## Huge line\n\n%s\n\n## After\n\nshort\n\nhuge :: %s\n' "$mb" "$mb"; } >"$N/huge.md"
{ printf -- '---\ntitle: "%s"\ncategory: hostile\n---\n\n## Huge title\n\nx\n' "$mb"; } >"$N/huge_title.md"
unset mb
# a note outside the folder, with cards, reachable only through symlinks
{ fm "Victim outside the notes folder"; printf '## Outside\n\nThis file must never be read as a note or rewritten.\n'; } >"$OUT/victim.md"
cp "$OUT/victim.md" "$OUT/dir/victim.md"
ln -s "$OUT/victim.md" "$N/link-out.md"
ln -s /etc/passwd "$N/passwd.md"
ln -s "$OUT/dir" "$N/outdir"
# file names with shell metacharacters, escapes and U+202E
esc=$(printf '\033')
for name in '$(touch dlstudy-canary-fname).md' '`touch dlstudy-canary-fname2`.md' \
            'a; touch dlstudy-canary-fname3;.md' "esc${esc}[2Jname${esc}]0;PWNED-FNAME$(printf '\007').md" \
            "rlo$(printf '\342\200\256')dm.exe.md" 'sp ace & amp | pipe.md'; do
    i=$((${i:-0} + 1))
    { fm "Named file $i"; printf '## Named %d\n\nbody\n' $i; } >"$N/$name"
done
ls "$N" >"$W/names.before"

sums() { (cd "$1" && find . -type f | LC_ALL=C sort | xargs -d '\n' sha256sum 2>/dev/null); }
key()  { basename "$1" | od -An -tx1 | tr -d ' \n'; }   # a safe name for any file name
body() { awk 'f { print } /^---\r?$/ { c++; if (c == 2) f = 1 }' "$1"; }   # after the closing ---
sums "$OUT" >"$W/outside.before"
etc_before=$(sha256sum /etc/passwd)
# each note's body (after the closing ---), to compare after the review's write-backs
mkdir -p "$W/bodies" "$W/orig"
for f in "$N"/*.md; do
    [ -L "$f" ] && continue
    b=$(key "$f")
    cp "$f" "$W/orig/$b"
    body "$f" >"$W/bodies/$b"
done

# --- run every command over the corpus ----------------------------------------------
# run NAME [STDIN-FILE] ARGS...: runs dlstudy in $CWD with a time limit, output to $O/NAME.
run() {
    name=$1; shift
    (cd "$CWD" && timeout 30 "$DLS" --notes "$N" --db "$DB" "$@" </dev/null >"$O/$name" 2>&1)
    rc=$?
    check "$name: exits by itself, without a crash (status $rc)" [ $rc -lt 124 ]
    check "$name: no sanitizer report" [ -z "$(grep -a -l 'Sanitizer' "$O/$name")" ]
}
run sync sync
run sync2 sync
for f in "$N"/*.md "$N"/outdir/*.md; do
    b=$(basename "$f" .md | tr -c 'A-Za-z0-9_.-' '_' | cut -c1-40)
    run "show-$b" note show "$f"
    run "json-$b" note show "$f" --json
done
run mastery mastery
run due due
run dashboard --plain
run lablist lab list
yes "$(printf '\n3')" 2>/dev/null | head -n 80 >"$W/answers"
(cd "$CWD" && timeout 30 "$DLS" --notes "$N" --db "$DB" review --plain <"$W/answers" >"$O/review" 2>&1)
rc=$?
check "review --plain: exits by itself (status $rc)" [ $rc -lt 124 ]
check "review --plain graded cards of the hostile notes" grep -q 'saved:' "$O/review"
run mastery2 mastery
# edit: the file name goes to the editor as one argument, never through the shell's parser
printf '#!/bin/sh\nprintf "%%s\\n" "$@" >>"%s"\n' "$W/edited" >"$W/editor.sh"
chmod +x "$W/editor.sh"
for name in '$(touch dlstudy-canary-fname).md' '`touch dlstudy-canary-fname2`.md' 'a; touch dlstudy-canary-fname3;.md'; do
    (cd "$CWD" && EDITOR="$W/editor.sh" timeout 30 "$DLS" --notes "$N" --db "$DB" edit "$N/$name" </dev/null >"$O/edit" 2>&1)
    check "edit '$name' hands the editor the file itself ($(tail -n 1 "$W/edited" 2>/dev/null))" \
        [ "$(tail -n 1 "$W/edited" 2>/dev/null)" = "$N/$name" ]
done

# a lab named by a path is refused, never opened (a note's labs: link ends up here)
for lab in ../../etc/passwd /etc/passwd ../outside/victim; do
    (cd "$CWD" && timeout 30 "$DLS" --notes "$N" --db "$DB" lab "$lab" --plain </dev/null >"$O/lab-path" 2>&1)
    rc=$?
    check "lab '$lab' is refused (status $rc): $(head -c 200 "$O/lab-path")" [ $rc -ne 0 -a $rc -lt 124 ]
    check "lab '$lab' reads nothing from the path" [ -z "$(grep -a 'root:x:0:0\|Victim' "$O/lab-path")" ]
done

# --- the full-screen app in tmux ------------------------------------------------------
if ! command -v tmux >/dev/null; then
    sk "tmux is not installed: the full-screen app is not checked"
else
    tmuxsock=$W/tmux.sock
    T="tmux -S $tmuxsock"
    $T -f /dev/null new-session -d -x 100 -y 30 -s h \
        "cd '$CWD' && TERM=xterm-256color '$DLS' --notes '$N' --db '$DB' 2>'$W/app.err'; echo \$? >'$W/app.rc'; sleep 30" 2>/dev/null
    $T set-option -g set-clipboard on 2>/dev/null
    $T set-option -g allow-rename on 2>/dev/null
    title0=$($T display -p '#{pane_title}')
    shot() {   # shot NAME KEYS...: sends keys, waits, captures the pane plain and with -e
        n=$1; shift
        for k in "$@"; do $T send-keys -t h "$k"; sleep 0.2; done
        sleep 0.4
        $T capture-pane -t h -p >"$O/tmux-$n.txt"
        $T capture-pane -t h -p -e >"$W/tmux-$n.esc"
        # the app's own attributes (SGR: ESC [ ... m) are allowed; nothing else
        sed 's/\x1b\[[0-9;:]*m//g' "$W/tmux-$n.esc" >"$O/tmux-$n.sgrless"
    }
    sleep 1
    shot home
    shot notes n
    shot viewer Enter
    shot viewer-down j j j j j j Enter
    shot back Escape Escape
    shot review r Space
    shot review-graded 3 Space
    shot mastery Escape m
    shot labs Escape l
    check "the app drew its dashboard in tmux ($(head -c 200 "$O/tmux-home.txt" | tr '\n' ' '))" \
        grep -q 'dlstudy' "$O/tmux-home.txt"
    t=$($T display -p '#{pane_title}')
    check "no note set the terminal title (pane title '$t')" [ "$t" = "$title0" ]
    # title0 is read after the app started: were a title escape through by then, the
    # comparison above would hold, so look for the corpus's marker as well.
    check "no note's title escape reached the pane title ('$t')" [ -z "$(printf '%s' "$t" | grep PWNED)" ]
    check "no note wrote the clipboard (tmux buffers: $($T list-buffers 2>/dev/null | head -c 100))" \
        [ -z "$($T list-buffers 2>/dev/null)" ]
    for k in Escape q Escape q q q; do
        [ -f "$W/app.rc" ] && break
        $T send-keys -t h "$k" 2>/dev/null; sleep 0.3
    done
    i=0; while [ ! -f "$W/app.rc" ] && [ $i -lt 20 ]; do sleep 0.2; i=$((i + 1)); done
    check "the app ran through every screen and quit normally (status $(cat "$W/app.rc" 2>/dev/null || echo 'none: still running'); $(grep -a -m1 'error\|Sanitizer' "$W/app.err" | head -c 200))" \
        [ "$(cat "$W/app.rc" 2>/dev/null)" = 0 ]
    check "the app wrote no error report ($(head -c 300 "$W/app.err" 2>/dev/null))" \
        [ -z "$(grep -a -l 'runtime error\|Sanitizer\|Segmentation' "$W/app.err" "$O"/tmux-*.txt 2>/dev/null)" ]
    $T kill-server 2>/dev/null; tmuxsock=""

    # The plain commands on a terminal (stdout a tty): the same filter must apply there.
    # (a server of its own: the one just killed may still hold its socket)
    tmuxsock=$W/tmux-plain.sock
    T="tmux -S $tmuxsock"
    $T -f /dev/null new-session -d -x 120 -y 40 -s p \
        "cd '$CWD' && printf '\\n\\nq\\n' | TERM=xterm-256color '$DLS' --notes '$N' --db '$DB' review --plain --note escapes_body.md; '$DLS' --notes '$N' --db '$DB' note show '$N/escapes_body.md'; echo done >'$W/plain.rc'; sleep 30" 2>/dev/null
    i=0; while [ ! -f "$W/plain.rc" ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
    $T capture-pane -t p -p -S -200 >"$O/tmux-plain.txt"
    $T capture-pane -t p -p -e -S -200 | sed 's/\x1b\[[0-9;:]*m//g' >"$O/tmux-plain.sgrless"
    check "plain commands on a terminal show a note's escapes as placeholders ($(grep -a -m1 '␛' "$O/tmux-plain.txt" | head -c 100))" \
        grep -q '␛' "$O/tmux-plain.txt"
    $T kill-server 2>/dev/null; tmuxsock=""
fi

# --- what reached the terminal ------------------------------------------------------
# Forbidden: ESC and other C0 controls but tab and newline, DEL, C1 controls (as UTF-8
# and as raw bytes in place of UTF-8), bidi embeddings, overrides and isolates.
bad='[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]'
for f in "$O"/*; do
    n=$(basename "$f")
    case $n in tmux-*.txt) continue ;; esac   # tmux draws these itself; .sgrless is the check
    hits=$(LC_ALL=C grep -a -c -P "$bad" "$f")
    first=$(LC_ALL=C grep -a -m1 -n -P "$bad" "$f" | cut -c1-160 | cat -v)
    # no default for hits: a grep that fails (no -P) prints no count and must not pass
    check "$n: no raw control or bidi character in the output: $first" [ "$hits" = 0 ]
done
check "the output is valid UTF-8 (sync, mastery, due, review)" \
    sh -c 'for f in "$@"; do iconv -f UTF-8 -t UTF-8 "$f" >/dev/null 2>&1 || { echo "  not UTF-8: $f"; exit 1; }; done' - \
    "$O/sync" "$O/mastery" "$O/due" "$O/review" "$O/dashboard"

# --- paths leaving the folder ---------------------------------------------------------
cat "$O"/sync "$O"/show-* "$O"/json-* >"$W/all-messages"
check "related: ../../etc/passwd is refused with a message" \
    grep -q "related.*\.\./\.\./etc/passwd.*\(leave\|outside\)" "$O/sync"
check "related: /etc/passwd (absolute) is refused with a message" \
    grep -q "related.*'/etc/passwd'.*\(leave\|outside\)" "$O/sync"
check "labs: ../../etc/passwd is refused with a message (sync or note show)" \
    grep -qi "labs.*\.\./\.\./etc/passwd.*\(leave\|outside\|not a lab\|unknown\|invalid\|ignored\)" "$W/all-messages"
check "the symlink to a note outside is skipped with a message" grep -q 'link-out\.md.*\(symlink\|outside\|leave\)' "$O/sync"
check "the symlink to /etc/passwd is skipped with a message" grep -q 'passwd\.md.*\(symlink\|outside\|leave\)' "$O/sync"
check "no note was read from outside the folder" \
    [ "$(sqlite3 "$DB" "SELECT count(*) FROM notes WHERE path LIKE '%outdir%' OR path LIKE '%link-out%' OR path LIKE '%passwd%' OR title LIKE 'Victim%'")" = 0 ]
check "/etc/passwd's content is nowhere in the output" [ -z "$(grep -a -l 'root:x:0:0' "$O"/*)" ]
check "/etc/passwd's content is not in the database" [ -z "$(sqlite3 "$DB" .dump | grep -a 'root:x:0:0')" ]
check "the files outside the folder are untouched" cmp -s "$W/outside.before" "$(sums "$OUT" >"$W/outside.after"; echo "$W/outside.after")"
check "/etc/passwd is untouched" [ "$(sha256sum /etc/passwd)" = "$etc_before" ]
ls "$N" >"$W/names.after"
check "no file appeared or vanished in the notes folder ($(diff "$W/names.before" "$W/names.after" | tr '\n' ' '))" \
    cmp -s "$W/names.before" "$W/names.after"
check "no temp file left in the notes folder" [ -z "$(find "$N" -name '*.dlstudy-*')" ]

# --- nothing executed -------------------------------------------------------------------
canaries=$(find "$W" "$ROOT" /tmp -maxdepth 3 -name 'dlstudy-canary*' 2>/dev/null | head -n 5)
check "no canary file was created (nothing from a note ran): $canaries" [ -z "$canaries" ]

# --- the database ---------------------------------------------------------------------
check "integrity_check" [ "$(sqlite3 "$DB" 'PRAGMA integrity_check')" = ok ]
check "every table is still there" \
    [ "$(sqlite3 "$DB" "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('notes', 'cards', 'review_log', 'settings')")" = 4 ]
check "the SQL title is stored literally" \
    [ "$(sqlite3 "$DB" "SELECT count(*) FROM notes WHERE title = char(39) || ' OR 1=1; DROP TABLE notes; --'")" = 1 ]
check "the SQL tags are stored literally" \
    [ "$(sqlite3 "$DB" "SELECT count(*) FROM notes WHERE instr(tags, char(39) || '); DELETE FROM review_log; --') > 0")" = 1 ]
check "the SQL category is stored literally" \
    [ "$(sqlite3 "$DB" "SELECT count(*) FROM notes WHERE category = 'x' || char(39) || '); DROP TABLE cards; --'")" = 1 ]
check "the SQL heading is a card" \
    [ "$(sqlite3 "$DB" "SELECT count(*) FROM cards WHERE front LIKE 'Robert' || char(39) || '); DROP TABLE notes; --%' OR heading_path LIKE '%Robert' || char(39) || '); DROP TABLE notes%'")" -ge 1 ]
check "the shell title is stored literally" \
    [ "$(sqlite3 "$DB" "SELECT count(*) FROM notes WHERE title LIKE '\$(touch dlstudy-canary-title) %'")" = 1 ]
check "the review log has the answers given" [ "$(sqlite3 "$DB" "SELECT count(*) FROM review_log WHERE kind = 'review'")" -ge 1 ]

# --- the notes themselves -------------------------------------------------------------
for f in "$N"/*.md; do
    [ -L "$f" ] && continue
    b=$(key "$f")
    [ -f "$W/orig/$b" ] || continue
    if grep -q "^skipped *$(basename "$f" | sed 's/[][\.*^$]/\\&/g'):" "$O/sync" 2>/dev/null; then
        check "$(basename "$f" | cat -v): a skipped note is never rewritten" cmp -s "$f" "$W/orig/$b"
    else
        body "$f" >"$W/body.now"
        check "$(basename "$f" | cat -v): the body is unchanged by the write-back" cmp -s "$W/body.now" "$W/bodies/$b"
    fi
done

echo "hostile: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
