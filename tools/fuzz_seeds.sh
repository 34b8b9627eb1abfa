#!/bin/sh
# fuzz_seeds.sh TARGET: the folders whose files seed fuzz target TARGET, one a line,
# for tools/fuzz.sh (libFuzzer) and tests/fuzz_replay.sh (plain replay) alike, so the
# two cannot drift apart: its corpus (fuzz/corpus/), the inputs that once crashed it
# (fuzz/regress/) and the test fixtures of the format it reads. Run from the root.
t=$1
for d in fuzz/corpus/$t fuzz/regress/$t; do
    [ -d "$d" ] && echo "$d"
done
case $t in
    frontmatter|concepts|writeback) echo tests/fixtures/notes; echo tests/fixtures/hostile-notes ;;
    labspec) echo labs; echo tests/fixtures/labs-bad ;;
esac
exit 0
