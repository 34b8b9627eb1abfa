#!/bin/sh
# sync.sh: `dlstudy sync` on 10,000 generated notes (bench/gen_notes.sh): cold (empty
# database), warm (nothing changed: no file is read), and warm with one note changed;
# wall time and peak memory of each. Targets (issue 3): cold < 3 s, warm < 0.3 s,
# peak < 100 MB. Run by `make bench` from the repository root; not a test.
set -u
cd "$(dirname "$0")/.." || exit 1
N=${DLS_BENCH_NOTES:-10000}
T=$(mktemp -d /tmp/dls_bench_sync_XXXXXX)
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM   # dash runs the EXIT trap only on a plain exit: 10,000 notes stay
sh bench/gen_notes.sh "$T/notes" "$N" || exit 1
echo "sync benchmark: $N notes, $(du -sh "$T/notes" | cut -f1) on disk"
# failed: before the figures are read (on failure /usr/bin/time puts a line of its own first)
failed() { echo "  sync failed:"; cat "$T/out"; exit 1; }
run() { # run LABEL: one timed sync
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -f "%e %U %S %M" -o "$T/time" ./dlstudy --notes "$T/notes" --db "$T/bench.db" sync --quiet > "$T/out" 2>&1 ||
            failed
        read -r secs usr sys kb < "$T/time"
        printf '  %-22s %6.2f s wall %6.2f s cpu %6.1f MB peak  (%s)\n' "$1" "$secs" \
            "$(echo "$usr $sys" | awk '{print $1 + $2}')" "$(echo "$kb" | awk '{print $1 / 1024}')" \
            "$(tail -n 1 "$T/out" | sed 's/.*notes: //; s/ in [0-9.]* s$//')"
    else
        start=$(date +%s.%N)
        ./dlstudy --notes "$T/notes" --db "$T/bench.db" sync --quiet > "$T/out" 2>&1 || failed
        printf '  %-22s %6.2f s  (no /usr/bin/time: peak memory not measured)\n' "$1" \
            "$(echo "$start $(date +%s.%N)" | awk '{print $2 - $1}')"
    fi
}
run "cold"
run "warm, nothing changed"
f=$(find "$T/notes" -name 'note-00042.md')
printf '\n## 新概念\n\nadded by the benchmark\n' >> "$f"
run "warm, one changed"
echo "  targets: cold < 3 s, warm < 0.3 s, peak < 100 MB (cpu = user + sys: wall time on a"
echo "  shared machine includes waiting for other processes; load now: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null))"
