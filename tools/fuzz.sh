#!/bin/sh
# fuzz.sh [SECONDS] [TARGET...]: builds the libFuzzer targets in fuzz/ with clang
# (AddressSanitizer + UndefinedBehaviorSanitizer) and runs each for SECONDS (default 20)
# over its seeds (tools/fuzz_seeds.sh): fuzz/corpus/TARGET/, fuzz/regress/TARGET/ (inputs
# that once crashed, kept as regression tests) and the test fixtures of its format.
# New inputs go to build/fuzz/ (not committed). A crash fails the script and leaves the
# input in build/fuzz/crashes/: fix the bug, then move the input to fuzz/regress/TARGET/.
set -eu
cd "$(dirname "$0")/.."
secs=${1:-20}
[ $# -gt 0 ] && shift
targets=${*:-"frontmatter concepts writeback idx checkpoint labspec"}
command -v clang >/dev/null || { echo "fuzz: clang is not installed (apt-get install clang)"; exit 1; }

B=build/fuzz
# Every object is rebuilt below anyway; emptying obj/ first keeps one left from a source
# since removed or renamed out of the link (duplicate or stale symbols).
rm -rf $B/obj
mkdir -p $B/obj $B/crashes
make -s build/gen/schema.c build/gen/template.c
PKGS="libcmark yaml-0.1 sqlite3 openblas zlib"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"
CFLAGS="-g -O1 -std=c11 -D_GNU_SOURCE -I. -Ibuild $(pkg-config --cflags $PKGS) $SAN"
export CFLAGS B

# The libraries' code, built once with the fuzzer's coverage instrumentation.
ls util/*.c engine/*.c engine/*/*.c study/*.c build/gen/schema.c build/gen/template.c 2>/dev/null |
    xargs -P 2 -I{} sh -c 'o=$B/obj/$(echo {} | tr / _).o; clang $CFLAGS -fsanitize=fuzzer-no-link -c {} -o $o'
objs=$(ls $B/obj/*.o)

for t in $targets; do
    [ -f fuzz/fuzz_$t.c ] || { echo "fuzz: no target fuzz/fuzz_$t.c"; exit 1; }
    clang $CFLAGS -fsanitize=fuzzer fuzz/fuzz_$t.c $objs $(pkg-config --libs $PKGS) -lm -lpthread -o $B/fuzz_$t
    mkdir -p $B/corpus-$t fuzz/corpus/$t
    seeds=$(sh tools/fuzz_seeds.sh $t)
    echo "fuzz: $t for ${secs}s"
    ASAN_OPTIONS=detect_leaks=1 $B/fuzz_$t -max_total_time="$secs" -max_len=65536 -print_final_stats=0 \
        -artifact_prefix=$B/crashes/$t- $B/corpus-$t $seeds 2>$B/$t.log ||
        { tail -n 40 $B/$t.log; echo "fuzz: $t crashed; the input is in $B/crashes/"; exit 1; }
    grep -E '^#[0-9]+.*DONE' $B/$t.log | tail -n 1 || true
done
echo "fuzz: all targets ran without a crash"
