#!/bin/sh
# fuzz_replay.sh: builds each fuzz target with the ordinary compiler and fuzz/replay.c
# (no libFuzzer) and replays its seeds (tools/fuzz_seeds.sh: corpus, regression inputs
# from fuzz/regress/, test fixtures), so every input that once crashed stays a test.
# Prints "fuzz_replay: N passed, N failed, N skipped".
cd "$(dirname "$0")/.."
pass=0 fail=0 skip=0
CFLAGS="-std=c11 -D_GNU_SOURCE -g -O1 -I. -Ibuild $(pkg-config --cflags libcmark yaml-0.1 sqlite3 openblas zlib) ${SAN:+-fsanitize=$SAN}"
LIBS="build/libstudy.a build/libnn.a $(pkg-config --libs libcmark yaml-0.1 sqlite3 openblas zlib) -lm -lpthread"
mkdir -p build/fuzz-replay
for src in fuzz/fuzz_*.c; do
    t=$(basename "$src" .c); t=${t#fuzz_}
    bin=build/fuzz-replay/$t
    if ! cc $CFLAGS "$src" fuzz/replay.c $LIBS -o "$bin" 2>build/fuzz-replay/$t.log; then
        echo "FAIL fuzz_replay: $t does not build"; cat build/fuzz-replay/$t.log; fail=$((fail + 1)); continue
    fi
    files=$(find $(sh tools/fuzz_seeds.sh $t) -type f 2>/dev/null)
    if [ -z "$(echo $files)" ]; then echo "SKIP fuzz_replay: $t has no corpus"; skip=$((skip + 1)); continue; fi
    if "$bin" $files >/dev/null; then pass=$((pass + 1)); else echo "FAIL fuzz_replay: $t crashed on its corpus"; fail=$((fail + 1)); fi
done
echo "fuzz_replay: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
