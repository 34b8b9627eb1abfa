#!/bin/sh
# gpu.sh: the device check of the CUDA backend (issue 6), one command of a few minutes
# on a GPU machine: builds with CUDA=1, runs the CPU/CUDA parity test, times one MNIST
# epoch of mlp-mnist and cnn-mnist at batch 64 and 512 (and batch 64 with CUDA graphs
# off), runs PyTorch eager on the same models and batches (bench/torch_gpu_bench.py)
# and prints images/s side by side with the ratios. A benchmark, not a test: only the
# parity test's result sets the exit status.
#
#   sh bench/gpu.sh [DATA_DIR]        on the GPU machine (DATA_DIR: MNIST's four IDX
#                                     files; default bench/out/mnist)
#   sh bench/gpu.sh --prepare [SRC]   here, before: copies MNIST from SRC (default
#                                     ../shared/datasets/mnist) into bench/out/mnist and
#                                     builds portable CUDA binaries into bench/out/gpubin
#
# Why --prepare: the device tool copies only the repository, not ../shared, so MNIST must
# travel inside it, in bench/out/ (ignored by git) named in `carry`; and that machine's
# image may lack the C libraries dlstudy links (ncursesw, cmark, yaml, sqlite3, OpenBLAS),
# in which case gpu.sh falls back to the binaries --prepare built here, with those
# libraries linked in statically (only libcublas and the driver come from there).
# The whole check, from this machine's session that has a GPU machine:
#
#   sh bench/gpu.sh --prepare
#   device run: command "sh bench/gpu.sh", carry ["bench/out"], timeout_s 540
#
# Results go to $OUT when set (the device tool brings that folder back), else to
# bench/out/gpu-results: build.log, parity.log, bench.jsonl (steady-state throughput),
# table.txt and table.jsonl (the comparison).
cd "$(dirname "$0")/.." || exit 1
CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
PKGS="ncursesw libcmark yaml-0.1 sqlite3 openblas zlib"

if [ "${1:-}" = "--prepare" ]; then
    src=${2:-../shared/datasets/mnist}
    set -e
    mkdir -p bench/out/mnist bench/out/gpubin
    for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
        if [ -f "$src/$f.gz" ]; then cp "$src/$f.gz" bench/out/mnist/; else cp "$src/$f" bench/out/mnist/; fi
    done
    # Build in a copy, so that this tree's (CPU) build/ is left alone.
    tmp=${TMPDIR:-/tmp}/dls-gpu-build
    rm -rf "$tmp" && mkdir -p "$tmp"
    tar --exclude=./.git --exclude=./build --exclude=./dlstudy --exclude=./bench/out -cf - . | tar -C "$tmp" -xf -
    (cd "$tmp" && make CUDA=1 -j2 dlstudy build/tests/engine/test_cuda_parity >/dev/null)
    # Relink with the Debian libraries static; libstdc++ and glibc stay shared (the GPU
    # machine's are newer, which is what shared libraries allow).
    blas=$(pkg-config --libs-only-L openblas)
    static="-Wl,-Bstatic -lncursesw -ltinfo -lcmark -lyaml -lsqlite3 -lopenblas -lgfortran -lquadmath -lz -Wl,-Bdynamic"
    cuda="-L$CUDA_HOME/lib64 -lcudart_static -lcublas -Wl,-rpath,$CUDA_HOME/lib64 -lstdc++ -lm -lpthread -ldl -lrt"
    (cd "$tmp" && cc -o bin-dlstudy build/tui/main.o build/libtui.a build/libstudy.a build/libnn.a $blas $static $cuda &&
        cc -std=c11 -D_GNU_SOURCE -DDLS_CUDA -I. -Ibuild $(pkg-config --cflags openblas) -O2 \
           -o bin-parity tests/engine/test_cuda_parity.c build/libnn.a $blas $static $cuda &&
        strip bin-dlstudy bin-parity)
    # xz: static OpenBLAS carries kernels for every CPU (50+ MB), and all that travels to
    # the GPU machine must fit in 64 MiB; compressed it is a few MB.
    rm -f bench/out/gpubin/*
    xz -9 -c "$tmp/bin-dlstudy" >bench/out/gpubin/dlstudy.xz
    xz -9 -c "$tmp/bin-parity" >bench/out/gpubin/test_cuda_parity.xz
    rm -rf "$tmp"
    du -sh bench/out/mnist bench/out/gpubin
    echo "prepared: now run \`sh bench/gpu.sh\` on the GPU machine with bench/out carried"
    exit 0
fi

# `make bench` runs every bench/*.sh: on a machine without a GPU there is nothing to do.
if ! nvidia-smi -L >/dev/null 2>&1; then
    echo "gpu.sh: no GPU here (nvidia-smi -L lists none): nothing to measure; see the header for how to run it"
    exit 0
fi

DATA=${1:-bench/out/mnist}
RES=${OUT:-bench/out/gpu-results}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/dls-gpu.XXXXXX") || exit 1
mkdir -p "$RES"
status=0
say() { printf '\n== %s\n' "$*"; }

say "machine"
nvidia-smi -L
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader 2>/dev/null
"$CUDA_HOME/bin/nvcc" --version 2>/dev/null | tail -n 1
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)' 2>/dev/null

# cuBLAS for the prebuilt binaries: the toolkit's, else the copy in PyTorch's wheels.
cublas_py=$(python3 -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib"))' 2>/dev/null)
export LD_LIBRARY_PATH="$CUDA_HOME/lib64${cublas_py:+:$cublas_py}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

say "build (make CUDA=1)"
DLS=./dlstudy PARITY=build/tests/engine/test_cuda_parity
if pkg-config --exists $PKGS 2>/dev/null &&
   make CUDA=1 -j"$(nproc)" NVCCFLAGS="-O3 -gencode arch=compute_90,code=sm_90" \
        dlstudy "$PARITY" >"$RES/build.log" 2>&1; then
    echo "built here with CUDA=1 (log: build.log)"
elif [ -f bench/out/gpubin/dlstudy.xz ] && [ -f bench/out/gpubin/test_cuda_parity.xz ]; then
    pkg-config --exists $PKGS 2>/dev/null || echo "this machine lacks the C libraries ($PKGS) for make" >>"$RES/build.log"
    echo "using the binaries from \`sh bench/gpu.sh --prepare\` (bench/out/gpubin; why: build.log)"
    mkdir -p "$WORK/bin"
    for b in dlstudy test_cuda_parity; do
        xz -dc "bench/out/gpubin/$b.xz" >"$WORK/bin/$b" 2>/dev/null ||
            python3 -c 'import lzma, sys; sys.stdout.buffer.write(lzma.open(sys.argv[1]).read())' \
                "bench/out/gpubin/$b.xz" >"$WORK/bin/$b"
        chmod +x "$WORK/bin/$b"
    done
    DLS=$WORK/bin/dlstudy PARITY=$WORK/bin/test_cuda_parity
else
    tail -n 20 "$RES/build.log" 2>/dev/null
    echo "gpu.sh: cannot build here and no bench/out/gpubin: run \`sh bench/gpu.sh --prepare\` first and carry bench/out"
    rm -rf "$WORK"
    exit 1
fi

say "parity: CPU vs CUDA, every kernel and short training runs"
if "$PARITY" >"$RES/parity.log" 2>&1; then :; else status=1; fi
cat "$RES/parity.log"
# On a GPU machine a skip means the device was not usable: that is a failure here.
grep -q ' 0 skipped' "$RES/parity.log" || { echo "gpu.sh: the parity test skipped on a GPU machine"; status=1; }

say "steady-state throughput (dlstudy bench --device cuda: train batch 64, infer batch 1000)"
"$DLS" bench --device cuda --no-torch --json --seconds 2 | tee "$RES/bench.jsonl"

if [ ! -f "$DATA/train-images-idx3-ubyte.gz" ] && [ ! -f "$DATA/train-images-idx3-ubyte" ]; then
    echo "gpu.sh: no MNIST in $DATA: run \`sh bench/gpu.sh --prepare\` here first and carry bench/out"
    rm -rf "$WORK"
    exit 1
fi

say "one MNIST epoch on the GPU (dlstudy lab NAME --epochs 1 --batch B --device cuda)"
export XDG_DATA_HOME="$WORK/xdg" XDG_CONFIG_HOME="$WORK/xdg-config"
lab() { # model batch prefix (ours: as shipped; nograph: DLS_CUDA_GRAPHS=0)
    graphs=1
    [ "$3" = nograph ] && graphs=0
    env DLS_CUDA_GRAPHS=$graphs "$DLS" --db "$WORK/lab.db" lab "$1-mnist" --device cuda --epochs 1 \
        --batch "$2" --json --data "$DATA" >"$WORK/$3-$1-$2.jsonl" 2>"$WORK/$3-$1-$2.err" ||
        echo "lab $1-mnist batch $2 ($3) failed: $(tail -n 3 "$WORK/$3-$1-$2.err")"
    grep '"type":"epoch"' "$WORK/$3-$1-$2.jsonl" | sed "s/^/$3 batch $2: /"
}
for model in mlp cnn; do
    for batch in 64 512; do lab $model $batch ours; done
    lab $model 64 nograph
done

say "dlstudy bench --epoch (batch 64, test accuracy)"
"$DLS" bench --device cuda --epoch --no-torch --json --data "$DATA" | tee -a "$RES/bench.jsonl"

say "PyTorch eager on the same GPU, and the comparison"
PYTHONUNBUFFERED=1 python3 bench/torch_gpu_bench.py --data "$DATA" --batches 64,512 --models mlp,cnn \
    --ours "$WORK" --json "$RES/table.jsonl" | tee "$RES/table.txt"

rm -rf "$WORK"
echo
[ $status -eq 0 ] && echo "gpu.sh: parity passed" || echo "gpu.sh: PARITY FAILED (see parity.log)"
exit $status
