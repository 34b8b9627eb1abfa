#!/bin/sh
# tui.sh: how fast the full-screen app shows its first frame with 1,000 notes
# (bench/gen_notes.sh), in a real terminal (tmux). dlstudy writes the time from
# tui_app_run's start to the first frame on screen, and then how long the sync after
# it took, into $DLSTUDY_TRACE_STARTUP; this script adds the time from launching the
# process. Cold: empty database (the frame is drawn before the notes are read); warm:
# database filled by the previous run. Target (issue 4): first frame < 100 ms.
# Not a test: prints figures, fails only when it cannot measure. Needs tmux.
set -u
cd "$(dirname "$0")/.." || exit 1
command -v tmux >/dev/null 2>&1 || { echo "tui bench: skipped (no tmux)"; exit 0; }
[ -x ./dlstudy ] || { echo "tui bench: ./dlstudy is not built"; exit 1; }
N=${DLS_BENCH_TUI_NOTES:-1000}
T=$(mktemp -d /tmp/dls_bench_tui_XXXXXX)
sock="dls-bench-$$-0" runs=0
trap 'tmux -L "$sock" kill-server 2>/dev/null; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM   # dash runs the EXIT trap only on a plain exit
sh bench/gen_notes.sh "$T/notes" "$N" || exit 1
mkdir -p "$T/home"

run() { # run LABEL [COMMAND]: one start, measured, then q (and q again: review opens on top)
    rm -f "$T/trace" "$T/start"
    runs=$((runs + 1)) sock="dls-bench-$$-$runs" # a fresh server: the last one may still be exiting
    tmux -L "$sock" -f /dev/null new-session -d -s b -x 120 -y 40 \
        "env HOME=$T/home LANG=C.UTF-8 TERM=xterm-256color DLSTUDY_TRACE_STARTUP=$T/trace sh -c 'date +%s%N > $T/start; exec ./dlstudy --notes $T/notes --db $T/db.sqlite ${2:-}'; sleep 30"
    n=0
    while [ $n -lt 1200 ] && ! grep -q sync_and_redraw_ms "$T/trace" 2>/dev/null; do sleep 0.05; n=$((n + 1)); done
    if ! grep -q sync_and_redraw_ms "$T/trace" 2>/dev/null; then echo "  $1: no trace (dlstudy did not start?)"; return 1; fi
    tmux -L "$sock" send-keys -t b q
    sleep 0.2
    tmux -L "$sock" kill-server 2>/dev/null
    start=$(cat "$T/start")
    awk -v label="$1" -v start="$start" '
        /^first_frame_ms/      { app = $2 }
        /^first_frame_unix_ns/ { proc = ($2 - start) / 1e6 }
        /^sync_and_redraw_ms/  { sync = $2 }
        /^store_open_ms/ { st = $2 } /^term_start_ms/ { te = $2 } /^screen_data_ms/ { sd = $2 } /^draw_ms/ { dr = $2 }
        END { printf "  %-6s first frame %6.1f ms from exec (%5.1f ms in the app: store %.1f, terminal %.1f, data %.1f, draw %.1f); sync + redraw after it %7.1f ms\n", label, proc, app, st, te, sd, dr, sync }' "$T/trace"
}
echo "tui bench: $N notes, 120x40 terminal (tmux)"
run cold || exit 1
run warm || exit 1
run warm || exit 1
run review review || exit 1
