#!/bin/sh
# run-tests.sh TEST...: runs each test binary or script (scripts with sh), shows its
# output, adds up the "N passed, N failed, N skipped" lines and ends with one total line.
# Exits non-zero when any test failed, a test program crashed, or a test printed no
# summary line (a test that stops early without counting must not read as passed).
pass=0 fail=0 skip=0 broken=0
for t in "$@"; do
    case $t in *.sh) out=$(sh "$t" 2>&1); rc=$? ;; *) out=$("$t" 2>&1); rc=$? ;; esac
    printf '%s\n' "$out"
    line=$(printf '%s\n' "$out" | grep -E '[0-9]+ passed, [0-9]+ failed' | tail -n 1)
    p=$(printf '%s' "$line" | sed -n 's/.*[^0-9]\([0-9][0-9]*\) passed.*/\1/p;s/^\([0-9][0-9]*\) passed.*/\1/p' | head -n1)
    f=$(printf '%s' "$line" | sed -n 's/.* \([0-9][0-9]*\) failed.*/\1/p')
    s=$(printf '%s' "$line" | sed -n 's/.* \([0-9][0-9]*\) skipped.*/\1/p')
    pass=$((pass + ${p:-0})) fail=$((fail + ${f:-0})) skip=$((skip + ${s:-0}))
    if [ $rc -ne 0 ] && [ "${f:-0}" -eq 0 ]; then
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
