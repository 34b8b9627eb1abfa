#!/bin/sh
# lab_cli.sh: `dlstudy lab` and `dlstudy data` as a user runs them: lab list, a small lab
# with --json (every line parsed) and --plain, results and CSV/SVG export, Ctrl-C then
# --resume, kill -9 then --resume (no completed epoch lost), clear failures for a missing
# data set, --device cuda without CUDA, bad options, and `data fetch` without a network.
# Needs ./dlstudy built; prints "lab_cli: N passed, N failed, N skipped".
cd "$(dirname "$0")/.." || exit 1
pass=0 fail=0 skip=0
ok() { pass=$((pass + 1)); }
no() { fail=$((fail + 1)); echo "FAIL lab_cli: $*"; }
expect() { # expect DESCRIPTION COMMAND...: the command must succeed
    d=$1; shift
    if "$@"; then ok; else no "$d"; fi
}
T=$(mktemp -d /tmp/lab_cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
export XDG_DATA_HOME="$T/xdg" XDG_CONFIG_HOME="$T/config" HOME="$T/home" NO_COLOR=1
unset DLSTUDY_DATA DLSTUDY_DB DLSTUDY_LABS
DB="$T/db.sqlite"
dls() { ./dlstudy --db "$DB" "$@"; }

if [ ! -x ./dlstudy ]; then
    echo "lab_cli: 0 passed, 1 failed, 0 skipped (./dlstudy is not built)"
    exit 1
fi

# ---- lab list
dls lab list > "$T/list" 2>"$T/err"; rc=$?
expect "lab list exits 0" [ $rc -eq 0 ]
for l in cnn-mnist mlp-mnist activations optimizers overfitting losses backprop depth residual data-quality perceptron training-loop; do
    expect "lab list shows $l" grep -q "^$l " "$T/list"
done
expect "lab list shows concepts" grep -q "concepts: .*ReLU" "$T/list"
expect "lab list --json gives one object per lab" [ "$(dls lab list --json | grep -c '^{"name":')" -eq 12 ]

# ---- a small lab, --json
dls lab backprop --json --epochs 3 > "$T/json" 2>"$T/err"; rc=$?
expect "lab backprop --json exits 0" [ $rc -eq 0 ]
expect "--json: 1 info, 3 epochs, 1 result" [ "$(grep -c '"type":"epoch"' "$T/json")" -eq 3 -a "$(grep -c '"type":"result"' "$T/json")" -eq 1 ]
expect "--json: nothing but JSON objects on stdout" [ "$(grep -vc '^{.*}$' "$T/json")" -eq 0 ]
if command -v python3 >/dev/null 2>&1; then
    python3 - "$T/json" <<'EOF'
import json, sys
last = None
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o["type"] == "result":
        last = o
assert last is not None
for k in ("lab", "variant", "epochs", "train_loss", "test_loss", "test_accuracy", "seconds", "images_per_s"):
    assert k in last, k
assert last["lab"] == "backprop" and last["epochs"] == 3
assert 0 <= last["test_accuracy"] <= 1
assert last["test_accuracy"] > 0.9, last
EOF
    expect "--json parses and the result has the keys and a good accuracy" [ $? -eq 0 ]
else
    skip=$((skip + 1)); echo "SKIP lab_cli: python3 absent, JSON not parsed strictly"
fi
last=$(grep '"type":"result"' "$T/json")
for k in lab variant epochs train_loss test_loss test_accuracy seconds images_per_s; do
    case $last in *"\"$k\":"*) ok ;; *) no "result line lacks $k" ;; esac
done

# ---- --plain: one line per epoch and a summary
dls lab perceptron --plain --epochs 4 > "$T/plain" 2>"$T/err"; rc=$?
expect "lab perceptron --plain exits 0" [ $rc -eq 0 ]
expect "--plain prints one line per epoch per variant" [ "$(grep -c 'epoch [ 0-9]*/4  train loss .* test loss .* test acc .* s$' "$T/plain")" -eq 8 ]
expect "--plain ends with a summary line" sh -c "tail -n 1 '$T/plain' | grep -q '^summary: lab perceptron'"

# ---- results and export
dls lab results perceptron > "$T/res" 2>"$T/err"; rc=$?
expect "lab results exits 0" [ $rc -eq 0 ]
expect "results compare both variants" sh -c "grep -q 'one-neuron .* done .* 4/4' '$T/res' && grep -q 'hidden-layer .* done' '$T/res'"
dls lab results perceptron --export csv "$T/p.csv" >/dev/null 2>"$T/err"
expect "CSV has a header and 8 rows" [ "$(wc -l < "$T/p.csv")" -eq 9 ]
expect "CSV header" sh -c "head -n 1 '$T/p.csv' | grep -q '^lab,run_id,variant,epoch,train_loss,train_acc,test_loss,test_acc,seconds,images_per_s$'"
dls lab results perceptron --export svg "$T/p.svg" >/dev/null 2>"$T/err"
expect "SVG written" grep -q '</svg>' "$T/p.svg"
expect "SVG has 8 polylines" [ "$(grep -o '<polyline' "$T/p.svg" | wc -l)" -eq 8 ]
if command -v xmllint >/dev/null 2>&1; then
    expect "SVG is well-formed XML" xmllint --noout "$T/p.svg"
elif command -v python3 >/dev/null 2>&1; then
    expect "SVG is well-formed XML" python3 -c "import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])" "$T/p.svg"
else
    skip=$((skip + 1))
fi
expect "results --json gives one object per run" [ "$(dls lab results perceptron --json | grep -c '"variant":')" -eq 2 ]
expect "lab show prints the model of each variant" sh -c "./dlstudy --db '$DB' lab show perceptron | grep -q 'model flatten - linear 1$'"
dls lab results no-runs-yet > /dev/null 2>"$T/err"; rc=$?
expect "results of a lab never run fail clearly" [ $rc -eq 1 ]

# ---- failures that must be clear
dls lab backprop --device cuda > /dev/null 2>"$T/err"; rc=$?
if [ $rc -eq 0 ]; then
    skip=$((skip + 1)); echo "SKIP lab_cli: this build has CUDA and a GPU"
else
    expect "--device cuda without CUDA exits 1" [ $rc -eq 1 ]
    expect "--device cuda says why" grep -qi "cuda" "$T/err"
fi
dls lab mlp-mnist --data "$T/nowhere" --epochs 1 > /dev/null 2>"$T/err"; rc=$?
expect "missing MNIST exits 1" [ $rc -eq 1 ]
expect "missing MNIST says how to get it" grep -q "dlstudy data fetch mnist" "$T/err"
expect "missing MNIST names the folder to copy to" grep -q "$T/xdg/dlstudy/data/mnist" "$T/err"
dls lab no-such-lab > /dev/null 2>"$T/err"; rc=$?
expect "unknown lab exits 1" [ $rc -eq 1 ]
expect "unknown lab points at lab list" grep -q "dlstudy lab list" "$T/err"
dls lab backprop --epochs many > /dev/null 2>"$T/err"; rc=$?
expect "bad --epochs is a usage error" [ $rc -eq 2 ]
expect "bad --epochs says what it wants" grep -q -- "--epochs wants 1-100000, not 'many'" "$T/err"
dls lab backprop --variants nope > /dev/null 2>"$T/err"; rc=$?
expect "unknown variant exits 1 naming the variants" sh -c "[ $rc -eq 1 ] && grep -q \"no variant 'nope'\" '$T/err'"

# ---- Ctrl-C, then --resume; kill -9, then --resume
mkdir -p "$T/labs"
cat > "$T/labs/slow.yaml" <<'EOF'
title: A slower lab for stopping and resuming
concepts: [resume]
dataset: {name: spirals, samples: 12000, noise: 0.05}
model:
  - linear: 128
  - relu
  - linear: 128
  - relu
  - linear: 2
optimizer: {name: adam, lr: 0.003}
epochs: 6
batch: 32
seed: 1
EOF
wait_for() { # wait_for FILE PATTERN: up to 120 s
    i=0
    while [ $i -lt 1200 ]; do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.1; i=$((i + 1))
    done
    return 1
}
DLSTUDY_LABS="$T/labs" ./dlstudy --db "$DB" lab slow --plain > "$T/run1" 2>&1 &
pid=$!
if wait_for "$T/run1" "epoch 2/6"; then
    kill -INT $pid
    wait $pid; rc=$?
    expect "Ctrl-C exits 130" [ $rc -eq 130 ]
    expect "Ctrl-C says how to resume" grep -q -- "--resume" "$T/run1"
    expect "Ctrl-C keeps the completed epochs" sh -c "dls() { ./dlstudy --db '$DB' \"\$@\"; }; DLSTUDY_LABS='$T/labs' dls lab results slow | grep -q 'stopped'"
    expect "a checkpoint is kept beside the database" sh -c "ls '$T'/runs/*.ckpt >/dev/null 2>&1"
    DLSTUDY_LABS="$T/labs" ./dlstudy --db "$DB" lab slow --resume --plain > "$T/run2" 2>&1; rc=$?
    expect "--resume exits 0" [ $rc -eq 0 ]
    expect "--resume continues after the kept epochs" grep -q "resuming at epoch [3-6] of 6" "$T/run2"
    expect "--resume does not start over" sh -c "! grep -q 'epoch 1/6' '$T/run2'"
    expect "--resume reaches the last epoch" grep -q "epoch 6/6" "$T/run2"
    DLSTUDY_LABS="$T/labs" ./dlstudy --db "$DB" lab results slow > "$T/res2"
    expect "the resumed run is one row, done" sh -c "[ \$(grep -c ' default ' '$T/res2') -eq 1 ] && grep -q 'done .* 6/6' '$T/res2'"
else
    no "the slow lab never reached epoch 2"; kill $pid 2>/dev/null; wait $pid 2>/dev/null
fi
DLSTUDY_LABS="$T/labs" ./dlstudy --db "$DB" lab slow --plain > "$T/run3" 2>&1 &
pid=$!
if wait_for "$T/run3" "epoch 2/6"; then
    kill -KILL $pid; wait $pid 2>/dev/null
    DLSTUDY_LABS="$T/labs" ./dlstudy --db "$DB" lab results slow > "$T/res3"
    expect "kill -9 loses no completed epoch" grep -q "running  *[2-6]/6" "$T/res3"
    DLSTUDY_LABS="$T/labs" ./dlstudy --db "$DB" lab slow --resume --plain > "$T/run4" 2>&1; rc=$?
    expect "--resume after kill -9 finishes" sh -c "[ $rc -eq 0 ] && grep -q 'epoch 6/6' '$T/run4'"
else
    no "the slow lab never reached epoch 2 (second run)"; kill $pid 2>/dev/null; wait $pid 2>/dev/null
fi
DLSTUDY_LABS="$T/labs" ./dlstudy --db "$DB" lab slow --resume > /dev/null 2>"$T/err"; rc=$?
expect "--resume with nothing to resume fails clearly" sh -c "[ $rc -eq 1 ] && grep -q 'no unfinished run' '$T/err'"

# ---- data
dls data list --quick --data "$T/nowhere" > "$T/data" 2>&1
expect "data list names every set" sh -c "grep -q '^mnist ' '$T/data' && grep -q '^fashion-mnist ' '$T/data' && grep -q '^spirals .*ok' '$T/data'"
expect "data list says how to get MNIST" grep -q "dlstudy data fetch mnist" "$T/data"
if [ -f ../shared/datasets/mnist/t10k-labels-idx1-ubyte.gz ]; then
    dls data list --data ../shared/datasets/mnist > "$T/data2" 2>&1; rc=$?
    expect "data list verifies the shared MNIST" sh -c "[ $rc -eq 0 ] && grep -q '^mnist  *ok  *../shared/datasets/mnist' '$T/data2'"
else
    skip=$((skip + 1)); echo "SKIP lab_cli: ../shared/datasets/mnist is absent"
fi
# no network here (and a dead proxy makes sure of it where there is one)
http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 \
    dls data fetch mnist --dir "$T/fetch" > "$T/fetch.out" 2>&1; rc=$?
expect "data fetch without a network exits 1" [ $rc -eq 1 ]
expect "data fetch without a network says what failed and what to do" sh -c "grep -q 'could not download\|neither curl nor wget' '$T/fetch.out' && grep -q 'copy the four files' '$T/fetch.out'"
expect "data fetch leaves no partial file" sh -c "! ls '$T'/fetch/*.part >/dev/null 2>&1"

echo "lab_cli: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
