#!/bin/sh
# bootstrap.sh deps|run|test: the set-up a fresh Debian machine needs, in one place.
#   deps  installs the missing Debian packages (apt-get, as root or through sudo)
#   run   deps, builds, and starts dlstudy on the bundled notes (database created on the fly)
#   test  deps, builds, and runs the whole test suite (make test)
set -eu
cd "$(dirname "$0")/.."

# The libraries and tools to build; tmux and sqlite3 for the screen and database tests;
# clang with its runtime (libFuzzer) for tools/fuzz.sh; python3 to check JSON, SVG and
# the notes' YAML strictly in the tests; procps (ps) for the signal tests.
PACKAGES="build-essential pkg-config libncurses-dev libcmark-dev libyaml-dev libsqlite3-dev
libopenblas-dev zlib1g-dev tmux sqlite3 clang libclang-rt-14-dev python3 python3-yaml procps"

deps() {
    missing=""
    for p in $PACKAGES; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    echo "bootstrap: installing$missing"
    if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else
        echo "bootstrap: need root or sudo to install:$missing" >&2; exit 1; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
}

jobs=$(nproc 2>/dev/null || echo 2)
case "${1:-}" in
    deps) deps ;;
    run)  deps; make -j"$jobs" dlstudy; exec ./dlstudy ;;
    test) deps; make -j"$jobs" dlstudy; exec make test ;;
    *)    echo "usage: sh tools/bootstrap.sh deps|run|test" >&2; exit 2 ;;
esac
