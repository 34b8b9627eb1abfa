#!/bin/sh
# faults.sh: proof that crashes, concurrent use, a full or read-only disk and damaged
# files lose nothing (issue 8, item 5). Each case runs the real ./dlstudy with a fresh
# HOME, a temporary copy of the bundled notes (notes/ai-ml/basics) and a database in a
# temporary folder, then checks what is on disk with sqlite3, sha256sum and
# `dlstudy note show`:
#   kill -9 in a review session (answers fed through a FIFO) and in a lab run; --resume;
#   concurrent syncs on a new database, and a review and a sync while a lab trains;
#   write-back onto a full tmpfs and a read-only one (skipped where mount is refused);
#   a corrupt and a truncated database, a truncated checkpoint, a truncated MNIST file.
# It does not test the parser or the scheduler themselves (tests/study/ does).
# Prints "faults: N passed, N failed, N skipped".
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
DLS=$ROOT/dlstudy
MNIST=$ROOT/../shared/datasets/mnist
pass=0 fail=0 skip=0 mounts="" bg=""

ok()   { pass=$((pass + 1)); }
ko()   { echo "FAIL faults: $CASE: $*"; fail=$((fail + 1)); }
sk()   { echo "SKIP faults: $CASE: $*"; skip=$((skip + 1)); }
# check DESCRIPTION COMMAND...: one assertion.
check() { d=$1; shift; if "$@"; then ok; else ko "$d"; fi; }

W=$(mktemp -d /tmp/dls-faults.XXXXXX) || exit 1
# Background dlstudy processes are started directly (not through a shell function), so
# that $! is dlstudy itself and kill -9 hits it; cleanup ends any still running.
cleanup() {
    for p in $bg; do   # only ours still running (a pid may have been reused since)
        grep -q "$W" "/proc/$p/cmdline" 2>/dev/null && kill -9 "$p" 2>/dev/null
    done
    for m in $mounts; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
    rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

if [ ! -x "$DLS" ]; then echo "faults: ./dlstudy is not built"; echo "faults: 0 passed, 1 failed, 0 skipped"; exit 1; fi
if ! command -v sqlite3 >/dev/null; then
    echo "SKIP faults: sqlite3 (the command) is not installed"; echo "faults: 0 passed, 0 failed, 1 skipped"; exit 0
fi

# newcase NAME: a fresh HOME, notes copy and database folder under $W/NAME.
newcase() {
    CASE=$1 D=$W/$1
    mkdir -p "$D/home" "$D/db" "$D/notes"
    HOME=$D/home; export HOME
    unset DLSTUDY_NOTES DLSTUDY_DB DLSTUDY_DATA XDG_DATA_HOME XDG_CONFIG_HOME
    cp -R notes/ai-ml/basics/. "$D/notes/"
    DB=$D/db/dlstudy.db
}
dls()  { "$DLS" --notes "$D/notes" --db "$DB" "$@"; }
q()    { sqlite3 -batch -cmd '.timeout 5000' "${2:-$DB}" "$1" 2>&1; }
integrity_ok() { [ "$(q 'PRAGMA integrity_check' "${1:-$DB}")" = ok ]; }
# num TEXT: TEXT if it is a number, else -1 (an sqlite3 error must fail a check, not
# end the script in an arithmetic expansion).
num() { case $1 in ''|*[!0-9]*) echo -1 ;; *) echo "$1" ;; esac; }
reviews() { num "$(q "SELECT count(*) FROM review_log WHERE kind = 'review'")"; }
sums()  { (cd "$1" && find . -type f ! -name '.fill' | LC_ALL=C sort | xargs -d '\n' sha256sum); }
# wait_lines FILE PATTERN N: waits (up to 20 s) until FILE has N lines matching PATTERN.
wait_lines() {
    i=0
    while :; do
        c=$(grep -c "$2" "$1" 2>/dev/null); [ "${c:-0}" -ge "$3" ] && return 0
        i=$((i + 1)); [ $i -gt 200 ] && return 1; sleep 0.1
    done
}
# every note still parses (`dlstudy note show` exits 0 for each).
notes_parse() {
    for f in "$D"/notes/*.md; do
        dls note show "$f" >/dev/null 2>&1 || { echo "  does not parse: $f"; return 1; }
    done
}
no_temp_files() { [ -z "$(find "$D/notes" -name '*.dlstudy-*')" ]; }
has() { grep -q -- "$2" "$1"; }
# every reviewed note differs from the bundled original (the write-back of each completed
# review reached its note: review_dates gained today at least).
reviewed_notes_mirrored() {
    for p in $(q "SELECT DISTINCT n.path FROM review_log r JOIN cards c ON c.id = r.card_id
                  JOIN notes n ON n.id = c.note_id WHERE r.kind = 'review'"); do
        ! cmp -s "$D/notes/$p" "notes/ai-ml/basics/$p" || { echo "  not written back: $p"; return 1; }
    done
}

# --- kill -9 in a review session ----------------------------------------------------
# review_kill N RACE [DELAY]: answers N cards (each answer acknowledged with "saved:"),
# then with RACE=1 sends one more answer and kills DELAY seconds later (0: at once; a
# few milliseconds land in the middle of saving it), else kills after the Nth.
review_kill() {
    n=$1 race=$2 delay=${3:-0}
    newcase "review-kill-$n-$race-$delay"
    dls sync >/dev/null 2>&1
    mkfifo "$D/in"
    "$DLS" --notes "$D/notes" --db "$DB" review --plain <"$D/in" >"$D/out" 2>"$D/err" &
    pid=$! bg="$bg $!"
    exec 3>"$D/in"
    k=0 acked=1
    while [ $k -lt "$n" ]; do
        k=$((k + 1))
        printf '\n3\n' >&3
        wait_lines "$D/out" 'saved:' $k || { acked=0; break; }
    done
    if [ "$race" = 1 ]; then
        printf '\n3\n' >&3
        [ "$delay" = 0 ] || sleep "$delay"
    fi
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
    exec 3>&-
    check "the session acknowledged $n answers (out: $(tail -c 300 "$D/out" | tr '\n' ' ') err: $(head -c 300 "$D/err"))" [ $acked = 1 ]
    got=$(reviews)
    if [ "$race" = 1 ]; then
        check "reviews after kill: $got, expected $n or $((n + 1))" [ "$got" = $n -o "$got" = $((n + 1)) ]
    else
        check "reviews after kill: $got, expected $n" [ "$got" = "$n" ]
    fi
    check "integrity_check after kill" integrity_ok
    check "every note still parses after kill" notes_parse
    check "the reviewed notes carry their review" reviewed_notes_mirrored
    if [ "$race" = 1 ]; then
        # a kill between the temp file and the rename may leave one; the next run must not
        # mind it (dot files are not notes) and must not count it.
        dls sync >"$D/sync" 2>&1; rc=$?
        check "sync after a killed write-back works: $(cat "$D/sync")" [ $rc -eq 0 ]
        check "a leftover temp file is not taken for a note" [ -z "$(grep -- '.dlstudy-' "$D/sync")" ]
    else
        check "no temp file beside the notes" no_temp_files
    fi
    # the database is still usable: the session goes on where it stopped.
    printf '\n3\nq\n' | dls review --plain >"$D/out2" 2>&1
    check "a new session after the kill saves answers" has "$D/out2" 'saved:'
    check "the new answer is counted" [ "$(reviews)" -ge $((n + 1)) ]
}
review_kill 2 0
review_kill 3 1
review_kill 1 1 0.005
review_kill 2 1 0.02

# --- kill -9 in a lab run, then --resume ---------------------------------------------
# lab_kill: starts a long run of one variant and kills it after its 2nd epoch line.
lab_kill() {
    "$DLS" --notes "$D/notes" --db "$DB" lab activations --variants relu --epochs 2000 --json \
        >"$D/lab" 2>"$D/laberr" &
    pid=$! bg="$bg $!"
    wait_lines "$D/lab" '"type":"epoch"' 2; r=$?
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
    return $r
}
newcase lab-kill
check "the lab printed 2 epochs before the kill" lab_kill
printed=$(grep -c '"type":"epoch"' "$D/lab")
stored=$(q "SELECT count(*) FROM lab_metrics m JOIN lab_runs r ON r.id = m.run_id WHERE r.lab = 'activations'")
check "every printed epoch ($printed) is in lab_metrics ($stored)" [ "$stored" -ge "$printed" ]
maxe=$(num "$(q "SELECT max(epoch) FROM lab_metrics")")
check "lab_metrics epochs are 1..$maxe without a gap" [ "$(q "SELECT count(DISTINCT epoch) FROM lab_metrics")" = "$maxe" ]
check "the killed run is recorded as unfinished" [ "$(q "SELECT status FROM lab_runs ORDER BY id DESC LIMIT 1")" = running ]
check "integrity_check after the lab kill" integrity_ok
resume_at=$((maxe + 2))
dls lab activations --resume --epochs $resume_at --json >"$D/resume" 2>"$D/resumeerr"
rc=$?
if grep -qi 'unknown option\|usage' "$D/resumeerr"; then
    sk "--resume is not supported: $(head -c 200 "$D/resumeerr")"
else
    check "--resume exits 0 ($(head -c 300 "$D/resumeerr"))" [ $rc -eq 0 ]
    check "--resume says where it resumes" has "$D/resume" "resuming at epoch $((maxe + 1))"
    check "--resume trains the epochs left, from $((maxe + 1))" [ "$(grep -c '"type":"epoch"' "$D/resume")" = 2 ]
    check "after --resume the run is done with epochs 1..$resume_at" \
        [ "$(q "SELECT status || ' ' || epochs_done || ' ' || (SELECT count(*) FROM lab_metrics) FROM lab_runs")" = "done $resume_at $resume_at" ]
    check "integrity_check after --resume" integrity_ok
fi

# --- a truncated checkpoint ----------------------------------------------------------
newcase ckpt-truncated
check "the lab printed 2 epochs before the kill" lab_kill
ck=$(q "SELECT checkpoint FROM lab_runs ORDER BY id DESC LIMIT 1")
if [ -z "$ck" ] || [ ! -f "$ck" ]; then
    sk "the killed run left no checkpoint file (lab_runs.checkpoint = '$ck')"
else
    sz=$(stat -c %s "$ck")
    truncate -s $((sz / 2)) "$ck"
    before=$(sha256sum <"$ck")
    dls lab activations --resume --epochs 4 --json >"$D/resume" 2>"$D/resumeerr"
    rc=$?
    cat "$D/resume" "$D/resumeerr" >"$D/all"
    check "the message names the checkpoint: $(grep -v '"epoch"' "$D/all" | head -c 300)" has "$D/all" "$ck"
    check "the message says it is truncated" grep -qi 'truncated' "$D/all"
    # It refuses: non-zero, the checkpoint untouched, the completed epochs kept.
    check "a resume from a truncated checkpoint is refused (exit $rc)" [ $rc -ne 0 ]
    check "a refused resume leaves the checkpoint as it was" [ "$(sha256sum <"$ck")" = "$before" ]
    # (the killed variant is relu; the lab's other variants may go on)
    check "a refused resume trains nothing of the damaged variant" \
        sh -c "! grep -q '\"type\":\"epoch\",\"lab\":\"activations\",\"variant\":\"relu\"' '$D/resume'"
    check "integrity_check after the failed resume" integrity_ok
fi

# --- two processes on one database ---------------------------------------------------
# busy_or_ok RC ERRFILE: it worked, or it said the database (by name) is busy.
busy_or_ok() { [ "$1" -eq 0 ] || { grep -q -- "$DB" "$2" && grep -qi 'busy\|locked' "$2"; }; }
newcase concurrent-sync
for i in 1 2 3; do
    "$DLS" --notes "$D/notes" --db "$DB" sync >"$D/sync$i" 2>"$D/syncerr$i" &
    eval "p$i=\$!"; bg="$bg $!"
done
wait $p1; r1=$?; wait $p2; r2=$?; wait $p3; r3=$?
for i in 1 2 3; do
    eval "r=\$r$i"
    check "sync $i of 3 on a new database: exit $r, $(head -c 300 "$D/syncerr$i")" busy_or_ok "$r" "$D/syncerr$i"
done
check "at least one of the concurrent syncs worked" [ $r1 -eq 0 -o $r2 -eq 0 -o $r3 -eq 0 ]
check "integrity_check after concurrent syncs" integrity_ok
dls sync >/dev/null 2>&1
check "every note is in the database once" [ "$(q 'SELECT count(*) FROM notes')" = "$(ls "$D"/notes/*.md | wc -l)" ]

newcase review-during-lab
dls sync >/dev/null 2>&1
"$DLS" --notes "$D/notes" --db "$DB" lab activations --epochs 2000 --json >"$D/lab" 2>"$D/laberr" &
lpid=$! bg="$bg $!"
wait_lines "$D/lab" '"type":"epoch"' 1
printf '\n3\n\n2\n\n4\nq\n' | dls review --plain >"$D/out" 2>"$D/err"
rr=$?
dls sync >"$D/sync" 2>"$D/syncerr"
sr=$?
kill -INT $lpid 2>/dev/null
wait $lpid
lr=$?
check "review while a lab trains: exit $rr, $(head -c 300 "$D/err")" busy_or_ok $rr "$D/err"
[ $rr -eq 0 ] && check "review while a lab trains saved 3 answers" [ "$(reviews)" = 3 ]
check "sync while a lab trains: exit $sr, $(head -c 300 "$D/syncerr")" busy_or_ok $sr "$D/syncerr"
check "the lab, stopped with Ctrl-C, exits by itself ($lr, $(head -c 200 "$D/laberr"))" [ $lr -lt 128 -o $lr -eq 130 ]
check "the stopped run is recorded as stopped with its epochs" \
    [ "$(q "SELECT status FROM lab_runs WHERE id = (SELECT min(id) FROM lab_runs)")" = stopped ]
check "integrity_check after the concurrent review and lab" integrity_ok

# --- a full disk and a read-only notes folder while writing back ---------------------
# the review's note (from the database), for the messages.
last_note() {
    q "SELECT n.path FROM review_log r JOIN cards c ON c.id = r.card_id JOIN notes n ON n.id = c.note_id
       WHERE r.kind = 'review' ORDER BY r.id DESC LIMIT 1"
}
# grade_one WHY: grades one card and checks that the review is kept, every note is
# byte-identical and the message names the note and WHY.
grade_one() {
    why=$1
    before=$(sums "$D/notes")
    n0=$(reviews)
    printf '\n3\nq\n' | dls review --plain >"$D/out" 2>"$D/err"
    check "the review is kept in the database ($why)" [ "$(reviews)" = $((n0 + 1)) ]
    check "every note is byte-identical ($why)" [ "$(sums "$D/notes")" = "$before" ]
    p=$(last_note)
    cat "$D/out" "$D/err" >"$D/all"
    check "the message names the note $p: $(grep -i "$why" "$D/all" | head -c 300)" \
        grep -q -- "$(basename "$p").*$why\|$why.*$(basename "$p")" "$D/all"
    check "no temp file beside the notes ($why)" no_temp_files
    check "integrity_check ($why)" integrity_ok
}
newcase full-disk
rm -rf "$D/notes"; mkdir -p "$D/notes"
if ! mount -t tmpfs -o size=1m tmpfs "$D/notes" 2>/dev/null; then
    sk "mount is not permitted here (needs root): full disk and read-only folder not tested"
    sk "read-only notes folder"
else
    mounts="$D/notes $mounts"
    cp -R notes/ai-ml/basics/. "$D/notes/"
    dls sync >/dev/null 2>&1
    dd if=/dev/zero of="$D/notes/.fill" bs=4096 2>/dev/null
    grade_one 'No space left'
    rm -f "$D/notes/.fill"
    if mount -o remount,ro "$D/notes" 2>/dev/null; then
        CASE=read-only
        grade_one 'Read-only'
    else
        sk "remount read-only is not permitted"
    fi
    umount "$D/notes" && mounts=""
fi

# --- a corrupt and a truncated database ----------------------------------------------
# damaged_db FILE WHAT: every command refuses FILE with a message naming it; FILE unchanged.
damaged_db() {
    before=$(sha256sum <"$1")
    for c in due sync mastery review; do
        echo q | "$DLS" --notes "$D/notes" --db "$1" $c --plain >/dev/null 2>"$D/err"
        rc=$?
        check "$c on $2 exits non-zero ($rc)" [ $rc -ne 0 ]
        check "$c on $2 names the file: $(head -c 300 "$D/err")" has "$D/err" "$1"
    done
    "$DLS" --notes "$D/notes" --db "$1" doctor >"$D/doctor" 2>&1
    rc=$?
    check "doctor on $2 exits non-zero ($rc)" [ $rc -ne 0 ]
    check "doctor names $2 and its integrity: $(grep -a -m1 "$1" "$D/doctor" | head -c 200)" \
        grep -q "$1.*integrity" "$D/doctor"
    check "$2 is left as it was" [ "$(sha256sum <"$1")" = "$before" ]
}
newcase corrupt-db
head -c 65536 /dev/urandom >"$D/db/random.db"
damaged_db "$D/db/random.db" "a database of random bytes"
dls sync >/dev/null 2>&1
printf '\n3\n\n3\nq\n' | dls review --plain >/dev/null 2>&1
cp "$DB" "$D/db/truncated.db"
sz=$(stat -c %s "$D/db/truncated.db")
truncate -s $((sz / 2)) "$D/db/truncated.db"
damaged_db "$D/db/truncated.db" "a truncated database"

# --- a truncated MNIST file ----------------------------------------------------------
newcase mnist-truncated
if [ ! -f "$MNIST/train-images-idx3-ubyte.gz" ]; then
    sk "no MNIST at ../shared/datasets/mnist"
else
    mkdir -p "$D/data/mnist"
    cp "$MNIST"/*.gz "$D/data/mnist/" && chmod u+w "$D/data/mnist"/*
    f=$D/data/mnist/train-images-idx3-ubyte.gz
    truncate -s 1000000 "$f"
    before=$(sums "$D/data")
    dls --data "$D/data" lab mlp-mnist --epochs 1 --plain >"$D/out" 2>"$D/err"
    rc=$?
    check "mlp-mnist on a truncated data set exits non-zero ($rc)" [ $rc -ne 0 ]
    check "the message names the truncated file: $(head -c 300 "$D/err")" has "$D/err" "train-images-idx3-ubyte.gz"
    check "the data set is left as it was" [ "$(sums "$D/data")" = "$before" ]
    check "integrity_check after the failed lab" integrity_ok
fi

echo "faults: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
