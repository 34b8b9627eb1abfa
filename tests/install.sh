#!/bin/sh
# install.sh: `make install PREFIX=...` gives a program that works away from the source
# tree (bundled notes copied on first run, labs found, man page and completion in
# place), and `make uninstall` removes what it installed.
cd "$(dirname "$0")/.."
pass=0 fail=0
check() { what=$1; shift; if "$@" >/dev/null 2>&1; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL install: $what"; return 1; fi; }
# without a folder of its own, PREFIX would be /prefix and HOME /home
T=$(mktemp -d) || { echo "install: 0 passed, 1 failed, 0 skipped"; exit 1; }
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM   # dash runs the EXIT trap only on a plain exit
P=$T/prefix
make -s install PREFIX="$P" >"$T/log" 2>&1
check "make install succeeds" [ $? -eq 0 ] || cat "$T/log"
check "the program is installed" [ -x "$P/bin/dlstudy" ]
check "the man page is installed" [ -f "$P/share/man/man1/dlstudy.1" ]
check "bash completion is installed" [ -f "$P/share/bash-completion/completions/dlstudy" ]
check "the labs are installed" [ -f "$P/share/dlstudy/labs/cnn-mnist.yaml" ]
(cd "$T" && HOME="$T/home" "$P/bin/dlstudy" --plain >"$T/out" 2>"$T/err")
check "the first run works away from the source tree" [ $? -eq 0 ]
check "the first run says the bundled notes were copied" grep -q "bundled deep-learning notes" "$T/err"
check "the notes are in the XDG data folder" [ -f "$T/home/.local/share/dlstudy/notes/ai-ml/basics/neuron.md" ]
check "the dashboard counts the bundled notes" grep -q "14 notes" "$T/out"
(cd "$T" && HOME="$T/home" "$P/bin/dlstudy" lab list >"$T/labs" 2>&1)
check "lab list finds the installed labs" grep -q "cnn-mnist" "$T/labs"
(cd "$T" && HOME="$T/home" "$P/bin/dlstudy" --plain >"$T/out2" 2>"$T/err2")
check "the second run works" [ $? -eq 0 ]
check "the second run copies nothing" [ ! -s "$T/err2" ]
make -s uninstall PREFIX="$P" >"$T/log" 2>&1
check "make uninstall succeeds" [ $? -eq 0 ] || cat "$T/log"
check "make uninstall removes the program, data, man page and completion" \
    sh -c "[ ! -e '$P/bin/dlstudy' ] && [ ! -e '$P/share/dlstudy' ] && [ ! -e '$P/share/man/man1/dlstudy.1' ] && [ ! -e '$P/share/bash-completion/completions/dlstudy' ]"
check "uninstall leaves the user's notes" [ -f "$T/home/.local/share/dlstudy/notes/ai-ml/basics/neuron.md" ]
echo "install: $pass passed, $fail failed, 0 skipped"
[ $fail -eq 0 ]
