#!/bin/sh
# run.sh: what `make bench` runs, from the repository root: the engine's benchmark
# (`./dlstudy bench`, which also runs bench/torch_bench.py and prints our/PyTorch
# ratios), then every other bench/*.sh that other parts of dlstudy add (sync, tui, ...).
# Helpers that other scripts call (gen_*.sh, _*.sh) are not benchmarks and are skipped.
# Not a test: timings on a shared machine are noisy, nothing here passes or fails on speed.
# Extra arguments go to `dlstudy bench` (e.g. `sh bench/run.sh --epoch`).
cd "$(dirname "$0")/.." || exit 1
status=0
echo "== dlstudy bench $*"
./dlstudy bench "$@" || status=1
for s in bench/*.sh; do
    case $s in bench/run.sh | bench/gen_*.sh | bench/_*.sh) continue ;; esac
    [ -f "$s" ] || continue
    echo "== $s"
    sh "$s" || status=1
done
exit $status
