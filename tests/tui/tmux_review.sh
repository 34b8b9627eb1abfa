#!/bin/sh
# tmux_review.sh: dlstudy in a real terminal. Runs ./dlstudy inside tmux at 80x24 and
# 120x40 on a temporary copy of tests/fixtures/tui-notes (temporary HOME, --notes and
# --db), sends keys and reads the screen with `tmux capture-pane`, checking what a
# person would: the due card shows, the answer reveals, grading moves on and is stored
# (review_log rows, the note's owned frontmatter keys), undo restores, a CJK search
# finds its note, a resize redraws cleanly, a first run in an empty HOME makes its
# database and shows the bundled notes, and q and Ctrl-C leave the terminal as it
# was. Waits by polling the screen (no fixed sleeps). Skips when tmux is absent.
# Prints "tmux_review: N passed, N failed, N skipped"; exits non-zero on failure.
cd "$(dirname "$0")/../.." || exit 1
pass=0 fail=0 skip=0
ok()   { pass=$((pass + 1)); }
bad()  { fail=$((fail + 1)); echo "FAIL tmux_review [$size]: $*" >&2; }
skip() { skip=$((skip + 1)); echo "SKIP tmux_review: $*" >&2; }
done_() { echo "tmux_review: $pass passed, $fail failed, $skip skipped"; [ $fail -eq 0 ]; exit $?; }

if ! command -v tmux >/dev/null 2>&1; then skip "tmux is not installed"; done_; fi
bin=${DLSTUDY_BIN:-./dlstudy} # e.g. a sanitizer build
case $bin in /*) ;; *) bin="$PWD/$bin" ;; esac
if [ ! -x "$bin" ]; then skip "$bin is not built (make)"; done_; fi
have_sqlite=1
command -v sqlite3 >/dev/null 2>&1 || have_sqlite=0

tmp=$(mktemp -d /tmp/dls-tmux.XXXXXX) || exit 1
sock="dls-test-$$-0" runs=0
T() { tmux -L "$sock" -f /dev/null "$@"; }
cleanup() { T kill-server 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM

screen() { T capture-pane -p -t dls 2>/dev/null; }
# wait_for TEXT [SECONDS]: polls the screen until TEXT shows (fixed string)
wait_for() {
    n=0 limit=$(( ${2:-5} * 20 ))
    while [ $n -lt $limit ]; do
        if screen | grep -qF -- "$1"; then return 0; fi
        T has-session -t dls 2>/dev/null || return 1 # no terminal left to wait for
        sleep 0.05
        n=$((n + 1))
    done
    return 1
}
wait_gone() {
    n=0
    while [ $n -lt 100 ]; do
        if ! screen | grep -qF -- "$1"; then return 0; fi
        sleep 0.05
        n=$((n + 1))
    done
    return 1
}
expect() { if wait_for "$1" "$3"; then ok; else bad "$2 (no \"$1\" on screen)"; screen >&2; fi; }
sql() { sqlite3 "$dir/db.sqlite" "$1" 2>/dev/null; }

start() { # start W H [VAR=VALUE]: a fresh notes copy and database in $dir, dlstudy on the dashboard
    w=$1 h=$2
    T kill-server 2>/dev/null
    runs=$((runs + 1)) sock="dls-test-$$-$runs" # a new server: the old one may still be exiting
    dir="$tmp/run$runs"
    mkdir -p "$dir/home"
    cp -R tests/fixtures/tui-notes "$dir/notes"
    T new-session -d -s dls -x "$w" -y "$h" \
        "ulimit -c 0; env -i PATH=\"$PATH\" HOME=\"$dir/home\" LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color TZ=UTC \
         EDITOR=true $3 \"$bin\" --notes \"$dir/notes\" --db \"$dir/db.sqlite\"; echo \"EXIT=\$?\"; sleep 60"
}

run_size() {
    size="${1}x${2}"
    start "$1" "$2"
    note="$dir/notes/ai-ml/basics/activation.md"
    cp "$note" "$dir/before.md"
    expect "Dashboard" "the dashboard opens" 10
    expect "2 due" "the dashboard counts the due cards"
    T send-keys -t dls r
    expect "ReLU" "the due card shows"
    expect "Space or Enter shows the answer" "the answer is hidden at first"
    if screen | grep -qF "max(0, x)"; then bad "the answer shows before Space"; else ok; fi
    T send-keys -t dls Space
    expect "max(0, x)" "Space reveals the answer"
    expect "3 Good" "the grade buttons show"
    if screen | grep -E "1 Again +[0-9]" >/dev/null; then ok; else bad "buttons show their intervals"; fi
    T send-keys -t dls 3
    expect "Sigmoid" "grading moves to the next card"
    expect "done 1" "progress counts the grade"
    if [ $have_sqlite = 1 ]; then
        if [ "$(sql "SELECT count(*) FROM review_log WHERE kind='review' AND rating=3")" = 1 ]; then ok; else bad "the grade is in review_log"; fi
    else skip "sqlite3 absent: review_log not checked"; fi
    if cmp -s "$note" "$dir/before.md"; then bad "the note's owned keys did not change"; else ok; fi
    # only the keys dlstudy owns changed (mastery, status, updated, review_dates and its items)
    others=$(diff "$dir/before.md" "$note" | grep '^[<>]' | grep -v -E '^[<>] (mastery|status|updated|review_dates):|^[<>]   - ')
    if [ -z "$others" ]; then ok; else bad "lines other than the owned keys changed: $others"; fi
    if ! grep -q "^updated: 2025-12-27" "$note"; then ok; else bad "updated: was not written back"; fi
    if [ "$(sed -n '/^# 激活函数/,$p' "$note" | cksum)" = "$(sed -n '/^# 激活函数/,$p' "$dir/before.md" | cksum)" ]; then ok; else bad "the note's body changed"; fi
    T send-keys -t dls u
    expect "done 0" "undo takes the grade back"
    expect "ReLU" "undo brings the card back"
    if [ $have_sqlite = 1 ]; then
        if [ "$(sql "SELECT count(*) FROM review_history WHERE kind='review'")" = 0 ] &&
           [ "$(sql "SELECT count(*) FROM review_log WHERE kind='undo'")" = 1 ]; then ok; else bad "undo is not in the log"; fi
    fi
    # (mastery is re-derived from the restored cards, so it need not equal a hand-written value)
    if [ "$(grep -E '^status:' "$note")" = "$(grep -E '^status:' "$dir/before.md")" ]; then ok
    else bad "undo did not restore the note's status"; fi
    # e runs $EDITOR (true here) and comes back to the same card
    T send-keys -t dls e
    expect "re-read" "the note is re-read after the editor"
    expect "ReLU" "the same card after editing"
    T send-keys -t dls q
    expect "Dashboard" "q leaves the review"
    T send-keys -t dls n
    expect "3 of 3" "the notes browser lists the notes"
    T send-keys -t dls /
    T send-keys -t dls -l "分词"
    expect "1 of 3" "the search narrows to one note"
    expect "Tokenizer basics" "a CJK word finds its note"
    if screen | grep -qF "梯度下降"; then bad "the search keeps notes that do not match"; else ok; fi
    # resize: everything redrawn for the new size, no leftovers
    if [ "$w" = 80 ]; then nw=120 nh=40; else nw=80 nh=24; fi
    T resize-window -t dls -x $nw -y $nh
    n=0
    while [ $n -lt 100 ] && [ "$(screen | wc -l)" -ne $nh ]; do sleep 0.05; n=$((n + 1)); done
    sleep 0.2
    s=$(screen)
    if [ "$(printf '%s\n' "$s" | wc -l)" -eq $nh ]; then ok; else bad "the screen is not $nh rows after the resize"; fi
    if printf '%s\n' "$s" | head -n 1 | grep -q "^ dlstudy › Notes"; then ok; else bad "the title bar is not on the first row after the resize"; fi
    if printf '%s\n' "$s" | tail -n 1 | grep -q "keys"; then ok; else bad "the help line is not on the last row after the resize"; fi
    # "1 of 3" sits at the right edge of the new width
    line=$(printf '%s\n' "$s" | sed -n 2p)
    # (the two CJK characters take two columns each: count them as four)
    cols=$(printf '%s' "$line" | sed 's/分词/XXXX/' | wc -m)
    if [ "$cols" -eq $((nw - 1)) ] && printf '%s' "$line" | grep -q "1 of 3$"; then ok
    else bad "the search line was not laid out for width $nw: [$line]"; fi
    if [ "$(printf '%s\n' "$s" | grep -c "Tokenizer basics")" -eq 1 ]; then ok; else bad "stale rows after the resize"; fi
    T send-keys -t dls Escape
    wait_for "3 of 3" 3 >/dev/null
    T send-keys -t dls q q
    expect "EXIT=0" "q quits with status 0"
    if [ "$(T display -p -t dls '#{alternate_on}')" = 0 ]; then ok; else bad "the terminal is left in the alternate screen"; fi
}

run_ctrl_c() {
    size="${1}x${2}-int"
    start "$1" "$2"
    expect "Dashboard" "dlstudy starts again" 10
    T send-keys -t dls r
    expect "Space or Enter" "the review opens"
    T send-keys -t dls C-c
    expect "EXIT=0" "Ctrl-C quits (the app's own quit key: status 0)"
    if [ "$(T display -p -t dls '#{alternate_on}')" = 0 ]; then ok; else bad "Ctrl-C leaves the alternate screen on"; fi
    if [ "$(T display -p -t dls '#{cursor_flag}')" = 1 ]; then ok; else bad "Ctrl-C leaves the cursor hidden"; fi
}

# a signal from outside (SIGTERM: saves, quits and dies of it, 143; SIGSEGV: a crash,
# 139) restores the terminal too
run_signal() {
    if ! command -v ps >/dev/null 2>&1; then skip "no ps: SIG$1 not sent"; return; fi
    size="80x24-$1"
    start 80 24
    expect "Dashboard" "dlstudy starts for SIG$1" 10
    pid=$(ps -o pid= --ppid "$(T display -p -t dls '#{pane_pid}')" | head -n 1 | tr -d ' ')
    if [ -z "$pid" ]; then bad "cannot find dlstudy's pid"; return; fi
    kill -s "$1" "$pid"
    expect "EXIT=$2" "SIG$1 ends dlstudy with status $2"
    if [ "$(T display -p -t dls '#{alternate_on}')" = 0 ]; then ok; else bad "SIG$1 leaves the alternate screen on"; fi
    if [ "$(T display -p -t dls '#{cursor_flag}')" = 1 ]; then ok; else bad "SIG$1 leaves the cursor hidden"; fi
}

# NO_COLOR: attributes only, no colour escape sequences; with colours, some
run_colors() {
    size="80x24-nocolor"
    start 80 24 NO_COLOR=1
    expect "Dashboard" "dlstudy starts with NO_COLOR" 10
    if T capture-pane -e -p -t dls | grep -q "$(printf '\033')\[[0-9;]*3[0-7]m"; then bad "colours with NO_COLOR set"; else ok; fi
    T send-keys -t dls q
    expect "EXIT=0" "q quits"
    size="80x24-color"
    start 80 24
    expect "Dashboard" "dlstudy starts with colours" 10
    if T capture-pane -e -p -t dls | grep -q "$(printf '\033')\[[0-9;]*3[0-7]m"; then ok; else bad "no colours on a colour terminal"; fi
    T send-keys -t dls q
}

# l on a card: its lab first; Enter runs it live; s stops it (the run is recorded)
run_lab() {
    size="80x24-lab"
    start 80 24
    expect "Dashboard" "dlstudy starts for the lab" 10
    T send-keys -t dls r
    expect "ReLU" "the card shows"
    T send-keys -t dls l
    expect "→ activations" "l lists the card's lab first"
    T send-keys -t dls Enter
    expect "epoch" "the lab trains live" 20
    T send-keys -t dls s
    expect "stopped" "s stops the lab"
    if [ $have_sqlite = 1 ]; then
        if [ "$(sql "SELECT count(*) FROM lab_runs WHERE lab='activations'")" -ge 1 ]; then ok; else bad "the run is not in lab_runs"; fi
    fi
    T send-keys -t dls q
    expect "Labs" "q goes back to the labs"
    T send-keys -t dls q
    expect "Space or Enter shows the answer" "and back to the same card"
    T send-keys -t dls q q
    expect "EXIT=0" "q quits"
}

# A first run: a HOME with nothing in it and no --db. The full-screen app itself must make
# the database's folder (~/.local/share/dlstudy, or under XDG_DATA_HOME), not only the
# plain commands, and show the bundled notes. Nothing is reviewed: the notes are the tree's.
run_first_start() {
    size="first run"
    for xdg in "" "XDG_DATA_HOME=$tmp/first/xdg/not/made/yet"; do
        T kill-server 2>/dev/null
        runs=$((runs + 1)) sock="dls-test-$$-$runs"
        rm -rf "$tmp/first" && mkdir -p "$tmp/first/home"
        T new-session -d -s dls -x 100 -y 30 \
            "env -i PATH=\"$PATH\" HOME=\"$tmp/first/home\" LANG=C.UTF-8 TERM=xterm-256color TZ=UTC $xdg \"$bin\"; echo \"EXIT=\$?\"; sleep 60"
        expect "Dashboard" "the dashboard opens on a first run ${xdg:-(default paths)}" 10
        expect " notes · " "the first run counts the bundled notes ${xdg:-(default paths)}" 10
        if screen | grep -qF "no database"; then bad "no database on a first run ${xdg:-(default paths)}"; screen >&2; else ok; fi
        db="$tmp/first/home/.local/share/dlstudy/dlstudy.db"
        [ -n "$xdg" ] && db="$tmp/first/xdg/not/made/yet/dlstudy/dlstudy.db"
        if [ -f "$db" ]; then ok; else bad "no database made at $db"; fi
        T send-keys -t dls q
        expect "EXIT=0" "q quits after a first run"
    done
}

run_size 80 24
run_size 120 40
run_lab
run_ctrl_c 80 24
run_signal TERM 143
run_signal HUP 129
run_signal SEGV 139
run_colors
run_first_start
done_
