#!/bin/sh
# run-tests.sh TEST...: runs each test binary or script (scripts with sh), shows its
# output, adds up the "N passed, N failed, N skipped" lines and ends with one total line.
# Exits non-zero when any test failed, a test program crashed, or a test printed no
# summary line (a test that stops early without counting must not read as passed).
# Each test gets DLS_TEST_TIMEOUT seconds (default 600, ten times the slowest under the
# sanitizers): a hung test fails with a message instead of hanging CI for its hour.
limit=${DLS_TEST_TIMEOUT:-600}
run() { if command -v timeout >/dev/null 2>&1; then timeout "$limit" "$@"; else "$@"; fi; }
pass=0 fail=0 skip=0 broken=0
for t in "$@"; do
    case $t in *.sh) out=$(run sh "$t" 2>&1); rc=$? ;; *) out=$(run "$t" 2>&1); rc=$? ;; esac
    printf '%s\n' "$out"
    line=$(printf '%s\n' "$out" | grep -E '[0-9]+ passed, [0-9]+ failed' | tail -n 1)
    p=$(printf '%s' "$line" | sed -n 's/.*[^0-9]\([0-9][0-9]*\) passed.*/\1/p;s/^\([0-9][0-9]*\) passed.*/\1/p' | head -n1)
    f=$(printf '%s' "$line" | sed -n 's/.* \([0-9][0-9]*\) failed.*/\1/p')
    s=$(printf '%s' "$line" | sed -n 's/.* \([0-9][0-9]*\) skipped.*/\1/p')
    pass=$((pass + ${p:-0})) fail=$((fail + ${f:-0})) skip=$((skip + ${s:-0}))
    if [ $rc -eq 124 ]; then
        echo "FAIL $t did not finish within $limit s (DLS_TEST_TIMEOUT)"
        broken=$((broken + 1))
    elif [ $rc -ne 0 ] && [ "${f:-0}" -eq 0 ]; then
        echo "FAIL $t exited with status $rc"
        broken=$((broken + 1))
    elif [ -z "$line" ]; then
        echo "FAIL $t printed no \"N passed, N failed\" line"
        broken=$((broken + 1))
    fi
done
fail=$((fail + broken))
echo "total: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
