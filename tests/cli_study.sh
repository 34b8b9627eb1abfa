#!/bin/sh
# cli_study.sh: drives ./dlstudy's study commands on a temp copy of
# tests/fixtures/study/notes (sync, due, review --plain with piped answers, mastery,
# note show --json, new, edit, sched simulate against expected lines, exit codes, a
# corrupt database, a missing notes folder). Prints "cli_study: N passed, N failed, N skipped".
# Run from the repository root (make test does).
pass=0 fail=0 skip=0
ok()   { pass=$((pass + 1)); }
bad()  { fail=$((fail + 1)); echo "FAIL cli_study: $*" >&2; }
check() { # check DESCRIPTION COMMAND...: passes when the command succeeds
    d=$1; shift
    if "$@"; then ok; else bad "$d"; fi
}
has() { # has DESCRIPTION FILE PATTERN (fixed string)
    if grep -qF -- "$3" "$2"; then ok; else bad "$1: '$3' not in output:"; sed 's/^/    /' "$2" >&2; fi
}

BIN=${DLSTUDY_BIN:-$(pwd)/dlstudy} # DLSTUDY_BIN: e.g. a sanitizer build
if [ ! -x "$BIN" ]; then
    echo "cli_study: 0 passed, 1 failed, 0 skipped (no ./dlstudy: run make)"
    exit 1
fi
T=$(mktemp -d /tmp/dls_cli_XXXXXX)
trap 'rm -rf "$T"' EXIT
cp -R tests/fixtures/study/notes "$T/notes"
export HOME="$T/home" XDG_DATA_HOME="$T/data" XDG_CONFIG_HOME="$T/config" TZ=UTC LC_ALL=C.UTF-8
export DLSTUDY_NOW=1769947200 # 2026-02-01 12:00 UTC
unset DLSTUDY_NOTES DLSTUDY_DB VISUAL
D="$BIN --notes $T/notes --db $T/db/study.db"
O=$T/out

# sync: cold, then warm; the broken note skipped with file:line:col
$D sync > $O 2>&1; check "sync exit 0" [ $? -eq 0 ]
has "sync added" $O "added    alpha.md"
has "sync added sub" $O "added    sub/beta.md"
has "sync skipped with position" $O "skipped  broken.md:4:1: invalid YAML"
has "sync summary" $O "2 notes: 2 added, 0 changed, 0 moved, 0 removed, 1 skipped, 0 unchanged (cards +4 -0)"
check "template not imported" sh -c "! grep -q template $O"
check "database created with its folder" [ -f "$T/db/study.db" ]
$D sync > $O 2>&1
has "warm sync" $O "0 added, 0 changed, 0 moved, 0 removed, 1 skipped, 2 unchanged"

# due: beta's next review date (2026-02-10) is 9 days away
$D due --days 10 > $O 2>&1; check "due exit 0" [ $? -eq 0 ]
has "due today" $O "Due today (2026-02-01 Sun): 0 cards (0 overdue); 3 new cards not yet studied, 3 of them today"
has "due forecast" $O "2026-02-10 Tue  1"

# undo in the same session puts the note back byte for byte: a hand-written mastery 2 that
# the database would derive otherwise, an empty review_dates:, the file's line endings
mkdir -p "$T/undo"
sed 's/^mastery: 0$/mastery: 2/; s/$/\r/' tests/fixtures/study/notes/alpha.md > "$T/undo/alpha.md"
cp "$T/undo/alpha.md" "$T/alpha.before"
U="$BIN --notes $T/undo --db $T/undo.db"
printf '\n3\nu\nq\n' | $U review --plain > $O 2>&1; check "review with undo exit 0" [ $? -eq 0 ]
has "review undo" $O "undone"
has "review undo: the card again" $O "Reviewed 0 cards"
check "undo restores the note byte for byte" cmp -s "$T/alpha.before" "$T/undo/alpha.md"
printf '\n3\nq\n' | $U review --plain > $O 2>&1
check "a grade without undo changes the note" sh -c "! cmp -s '$T/alpha.before' '$T/undo/alpha.md'"

# review --plain with piped answers: Enter, good, Enter, easy, quit
printf '\n3\n\n4\nq\n' | $D review --plain > $O 2>&1; check "review exit 0" [ $? -eq 0 ]
has "review queue" $O "3 cards to review (3 new, 0 learning, 0 review)"
has "review front" $O "Q: One"
has "review back" $O "First section text."
has "review preview" $O "1 again 1m | 2 hard 6m | 3 good 10m | 4 easy 8d"
has "review saved good" $O "saved: good, next in 10m"
has "review saved easy" $O "saved: easy, next in 8d"
has "review end" $O "Reviewed 2 cards"
has "write-back status" "$T/notes/alpha.md" "status: learning"
has "write-back dates" "$T/notes/alpha.md" "  - 2026-02-01"
has "write-back keeps unknown keys" "$T/notes/alpha.md" "custom_key: kept as is"
has "write-back keeps body" "$T/notes/alpha.md" "- What is alpha :: the first letter"
if command -v sqlite3 > /dev/null; then
    n=$(sqlite3 "$T/db/study.db" "SELECT count(*) FROM review_log WHERE kind = 'review'")
    check "two reviews logged" [ "$n" = 2 ]
else
    skip=$((skip + 1))
fi
# undo of the last answer in a new session, then quit: the log keeps both plus a marker
printf 'q\n' | $D review --plain > $O 2>&1
has "learning card comes back" $O "Q: One"

# one note only
printf 'q\n' | $D review --plain --note sub/beta.md > $O 2>&1; check "review --note exit 0" [ $? -eq 0 ]
has "review --note: nothing due there" $O "Nothing to review now."
printf 'q\n' | $D review --plain --note Alpha > $O 2>&1
has "review --note by title" $O "Q: One"
printf 'q\n' | $D review --plain --note nosuch > $O 2>&1; check "review --note unknown exit 1" [ $? -eq 1 ]

# mastery
$D mastery > $O 2>&1; check "mastery exit 0" [ $? -eq 0 ]
has "mastery header" $O "MASTERY"
has "mastery note row" $O "alpha.md"
has "mastery category" $O "ai-ml/basics (1 note)"
has "mastery history header" $O "-4w..now"
# alpha's two cards reviewed today: new (0) for the four weeks before, a level now
if grep -F "alpha.md" $O | grep -qE ' 0 0 0 0 [0-5]   Alpha'; then ok; else bad "mastery history of alpha:"; cat $O >&2; fi
$D mastery --weeks 1 --categories > $O 2>&1; check "mastery --weeks exit 0" [ $? -eq 0 ]
has "mastery --weeks header" $O "-1w..now"
$D mastery --weeks 99 > $O 2>&1; check "mastery --weeks 99 is a usage error" [ $? -eq 2 ]

# note show --json
$D note show alpha.md --json > $O 2>&1; check "note show exit 0" [ $? -eq 0 ]
has "json title" $O '"title": "Alpha"'
has "json card" $O '"question": "What is alpha"'
has "json unknown key" $O '"name": "custom_key", "line": 12, "known": false'
if command -v python3 > /dev/null; then
    check "json parses" python3 -c "import json,sys; json.load(open('$O'))"
else
    skip=$((skip + 1))
fi
$D note show broken.md > $O 2>&1; check "broken note exit 1" [ $? -eq 1 ]
has "broken note message" $O "broken.md:4:1:"

# new: from the template, under the category, never overwriting
$D new "Hello, World: 2" --category topics/misc > $O 2>&1; check "new exit 0" [ $? -eq 0 ]
check "new file" [ -f "$T/notes/topics/misc/hello-world-2.md" ]
has "new quoted title" "$T/notes/topics/misc/hello-world-2.md" 'title: "Hello, World: 2"'
$D new "Hello, World: 2" --category topics/misc > $O 2>&1; check "new refuses overwrite" [ $? -eq 1 ]
has "new refusal says so" $O "already exists"
$D new > $O 2>&1; check "new without title is usage" [ $? -eq 2 ]

# edit: the editor runs on the file, the note is re-read
EDITOR="sed -i s/^difficulty:.2/difficulty:\ 5/" $D edit Alpha > $O 2>&1; check "edit exit 0" [ $? -eq 0 ]
has "edit re-synced" $O "changed  alpha.md"
has "edit edited" "$T/notes/alpha.md" "difficulty: 5"

# sched simulate: expected lines from the FSRS-6 formulas (see tests/study/test_sched.c)
printf '%s\n' "2026-01-01T10:00:00Z 3" "2026-01-01T10:01:00Z 3" "# a comment" "" \
    "2026-01-03T09:00:00Z 3" "2026-01-10T12:00:00Z 1" "2026-01-10T12:10:00Z 3" > "$T/sim.in"
$D sched simulate < "$T/sim.in" > $O 2>&1; check "simulate exit 0" [ $? -eq 0 ]
TAB=$(printf '\t')
cat > "$T/sim.want" <<EOF
2026-01-01T10:00:00Z${TAB}3${TAB}2.3065${TAB}2.1181${TAB}-${TAB}2026-01-01T10:10:00Z${TAB}0
2026-01-01T10:01:00Z${TAB}3${TAB}2.3065${TAB}2.1112${TAB}1.0000${TAB}2026-01-03T10:01:00Z${TAB}2
2026-01-03T09:00:00Z${TAB}3${TAB}7.3192${TAB}2.1043${TAB}0.9468${TAB}2026-01-10T09:00:00Z${TAB}7
2026-01-10T12:00:00Z${TAB}1${TAB}1.2395${TAB}7.3900${TAB}0.9030${TAB}2026-01-10T12:10:00Z${TAB}0
2026-01-10T12:10:00Z${TAB}3${TAB}1.2841${TAB}7.3778${TAB}1.0000${TAB}2026-01-11T12:10:00Z${TAB}1
EOF
if cmp -s "$T/sim.want" $O; then ok; else bad "simulate lines differ:"; diff "$T/sim.want" $O >&2; fi
printf '2026-01-01T00:00:00Z 1\n2026-01-02T00:00:00Z 3\n' |
    $D sched simulate --learning-steps '' --relearning-steps '' > $O 2>&1
has "simulate without steps" $O "2026-01-01T00:00:00Z${TAB}1${TAB}0.2120${TAB}6.4133${TAB}-${TAB}2026-01-02T00:00:00Z${TAB}1"
printf 'yesterday 3\n' | $D sched simulate > $O 2>&1; check "simulate bad line exit 1" [ $? -eq 1 ]
has "simulate bad line position" $O "stdin:1:1:"
$D sched simulate --retention 0.5 < /dev/null > $O 2>&1; check "retention out of range is usage" [ $? -eq 2 ]

# scheduler settings: listed, changed, a bad value refused and the old one kept
$D sched settings > $O 2>&1; check "settings exit 0" [ $? -eq 0 ]
has "settings retention" $O "desired_retention  0.9"
$D sched set desired_retention 0.85 > $O 2>&1; check "set exit 0" [ $? -eq 0 ]
has "set shows the new value" $O "desired_retention  0.85"
$D sched set desired_retention 0.99 > $O 2>&1; check "set out of range exit 2" [ $? -eq 2 ]
has "set out of range says why" $O "outside 0.70-0.97"
$D sched settings > $O 2>&1
has "old value kept" $O "desired_retention  0.85"

# usage errors and --help
$D due --bogus > $O 2>&1; check "unknown option exit 2" [ $? -eq 2 ]
for c in sync due mastery "note" new edit "sched" "review --plain"; do
    $D $c --help > $O 2>&1; check "$c --help exit 0" [ $? -eq 0 ]
    has "$c --help usage" $O "usage: dlstudy"
done

# the dashboard as text (stdout is not a terminal)
$D > $O 2>&1; check "dashboard exit 0" [ $? -eq 0 ]
has "dashboard today" $O "Today:"
has "dashboard mastery" $O "Mastery by category:"
has "dashboard streak" $O "Streak:   1 day"
# categories with their cards and how many were reviewed (the same figures as the full screen)
has "dashboard category" $O "ai-ml/basics                    3 cards, 2 reviewed"

# no notes folder (outside the source tree, so the XDG default applies): says where it looks
(cd "$T" && $BIN --db "$T/db2.db" > $O 2>&1); check "no notes folder exit 0" [ $? -eq 0 ]
has "no notes folder says where" $O "$T/data/dlstudy/notes"
(cd "$T" && $BIN --db "$T/db2.db" sync > $O 2>&1); check "sync without folder exit 1" [ $? -eq 1 ]
has "sync without folder says where" $O "notes folder $T/data/dlstudy/notes not found"

# a corrupt database: named, refused, untouched
head -c 4096 /dev/urandom > "$T/junk.db" 2>/dev/null || printf 'not a database at all%4000s' x > "$T/junk.db"
cp "$T/junk.db" "$T/junk.copy"
$BIN --notes "$T/notes" --db "$T/junk.db" sync > $O 2>&1; check "corrupt db exit 1" [ $? -eq 1 ]
has "corrupt db named" $O "$T/junk.db"
check "corrupt db untouched" cmp -s "$T/junk.db" "$T/junk.copy"

# note repair: the user's real double-encoded note, repaired in place, the original kept
SEED=../shared/seeds/000_3eeb17384b6e329b.txt
if [ -f "$SEED" ]; then
    mkdir -p "$T/rep" && cp "$SEED" "$T/rep/seed.md"
    $BIN --notes "$T/rep" note show "$T/rep/seed.md" > $O 2>&1
    has "seed note: double encoding reported with the file" $O "seed.md: looks double-encoded"
    $BIN --notes "$T/rep" note repair "$T/rep/seed.md" > $O 2>&1; check "note repair exit 0" [ $? -eq 0 ]
    check "note repair keeps the original beside it" cmp -s "$SEED" "$T/rep/seed.md.double-encoded"
    check "the repaired note reads as UTF-8 Chinese" grep -q "^category: ai-ml/basics" "$T/rep/seed.md"
    check "the repaired title is Chinese again" grep -q "^title: 深度" "$T/rep/seed.md"
    $BIN --notes "$T/rep" note show "$T/rep/seed.md" > $O 2>&1
    check "the repaired note is no longer double-encoded" sh -c "! grep -q 'looks double-encoded' $O"
    cp "$T/rep/seed.md" "$T/rep/after"
    $BIN --notes "$T/rep" note repair "$T/rep/seed.md" > $O 2>&1
    check "a second repair changes nothing" cmp -s "$T/rep/seed.md" "$T/rep/after"
else
    skip=$((skip + 1)); echo "SKIP cli_study: note repair: $SEED is absent" >&2
fi

# a count that cannot be read is an error, not a 0: due on a copy of the database whose
# review_history view is gone must fail and say why
if command -v sqlite3 > /dev/null; then
    cp "$T/db/study.db" "$T/broken.db" && sqlite3 "$T/broken.db" "DROP VIEW review_history"
    $BIN --notes "$T/notes" --db "$T/broken.db" due --no-sync > $O 2>&1; r=$?
    check "due on a broken database exits 1 ($r)" [ $r -eq 1 ]
    has "due names the failure" $O "no such table: review_history"
    check "due prints no made-up counts" sh -c "! grep -q 'Due today' $O"
else
    skip=$((skip + 1)); echo "SKIP cli_study: due on a broken database: no sqlite3" >&2
fi

echo "cli_study: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
