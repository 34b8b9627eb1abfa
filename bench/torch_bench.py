#!/usr/bin/python3
"""torch_bench.py: the PyTorch side of `dlstudy bench`: the same MLP and CNN, batch
sizes, optimizer and thread counts as the engine's benchmark, in PyTorch's best CPU
configuration here, printed as a table or (--json) one JSON object per line with
engine "pytorch". Not a test and not part of dlstudy itself: run it with Debian's
/usr/bin/python3 and python3-torch; without torch it says so and exits 0.

    /usr/bin/python3 bench/torch_bench.py [--model mlp|cnn|all] [--threads 1,2]
        [--seconds S] [--json] [--epoch --data DIR]

--epoch trains one real MNIST epoch per model instead of measuring throughput.
"""
import argparse
import gzip
import json
import os
import struct
import sys
import time

# PyTorch's best configuration on this machine, fixed before torch loads (OpenBLAS and
# ATen read these once): Debian's OpenBLAS 0.3.21 does not know this CPU and falls
# back to slow "Prescott" kernels unless told SkylakeX; ATen's own kernels use AVX-512;
# OpenBLAS threads stay at 1 because ATen parallelises around it (torch.set_num_threads).
os.environ.setdefault("OPENBLAS_CORETYPE", "SkylakeX")
os.environ.setdefault("ATEN_CPU_CAPABILITY", "avx512")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

try:
    import torch
    import torch.nn as nn
except ImportError as exc:  # python3-torch absent: skip, do not fail the benchmark
    print("pytorch: skipped, cannot import torch (%s); on Debian: apt-get install python3-torch" % exc,
          file=sys.stderr)
    sys.exit(0)

TRAIN_BATCH = 64
INFER_BATCH = 1000


def make_model(name):
    if name == "mlp":  # 784-128-128-10, ReLU
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(),
                             nn.Linear(128, 10))
    # conv3x3 32 pad1 - ReLU - maxpool2 - conv3x3 64 pad1 - ReLU - maxpool2 - FC128 - ReLU - dropout0.5 - FC10
    return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10))


WINDOWS = 3  # best of three equal windows, as `dlstudy bench` measures


def timed(step, seconds, warmup=3, min_iters=3):
    """Runs step() warmup times, then WINDOWS windows of seconds/WINDOWS each (at least
    min_iters steps); returns the best window's steps per second. On a shared machine
    the best window is the one least disturbed by other processes."""
    for _ in range(warmup):
        step()
    best = 0.0
    for _ in range(WINDOWS):
        iters, t0 = 0, time.perf_counter()
        while True:
            step()
            iters += 1
            el = time.perf_counter() - t0
            if el >= seconds / WINDOWS and iters >= min_iters:
                break
        best = max(best, iters / el)
    return best


def bench_train(name, seconds):
    torch.manual_seed(0)
    model = make_model(name)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    lossf = nn.CrossEntropyLoss()
    # Data loading excluded: a few hundred batches prepared before the clock starts.
    nb = 200
    xs = torch.rand(nb, TRAIN_BATCH, 1, 28, 28)
    ys = torch.randint(0, 10, (nb, TRAIN_BATCH))
    k = [0]

    def step():
        i = k[0] % nb
        k[0] += 1
        opt.zero_grad(set_to_none=True)
        loss = lossf(model(xs[i]), ys[i])
        loss.backward()
        opt.step()

    return timed(step, seconds) * TRAIN_BATCH


def bench_infer(name, seconds):
    torch.manual_seed(0)
    model = make_model(name)
    model.eval()
    x = torch.rand(INFER_BATCH, 1, 28, 28)

    def step():
        with torch.inference_mode():
            model(x)

    return timed(step, seconds, warmup=2, min_iters=2) * INFER_BATCH


def read_idx(path, magic):
    op = gzip.open if path.endswith(".gz") else open
    with op(path, "rb") as f:
        data = f.read()
    m, n = struct.unpack(">II", data[:8])
    if m != magic:
        raise SystemExit("%s: not an IDX file (magic 0x%08x)" % (path, m))
    if magic == 0x803:
        return torch.frombuffer(bytearray(data[16:]), dtype=torch.uint8).view(n, 1, 28, 28)
    return torch.frombuffer(bytearray(data[8:]), dtype=torch.uint8).long()


def load_split(d, pre):
    def find(base):
        for p in (os.path.join(d, base + ".gz"), os.path.join(d, base)):
            if os.path.exists(p):
                return p
        raise SystemExit("%s: no %s(.gz)" % (d, base))
    x = read_idx(find(pre + "-images-idx3-ubyte"), 0x803).float() / 255.0
    y = read_idx(find(pre + "-labels-idx1-ubyte"), 0x801)
    return x, y


def run_epoch(name, data, threads):
    """One MNIST epoch, Adam 1e-3, batch 64, pixels scaled to [0, 1], seed 0."""
    torch.manual_seed(0)
    xtr, ytr = load_split(data, "train")
    xte, yte = load_split(data, "t10k")
    model = make_model(name)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    lossf = nn.CrossEntropyLoss()
    perm = torch.randperm(xtr.shape[0])
    t0 = time.perf_counter()
    model.train()
    for i in range(0, xtr.shape[0], TRAIN_BATCH):
        idx = perm[i:i + TRAIN_BATCH]
        opt.zero_grad(set_to_none=True)
        lossf(model(xtr[idx]), ytr[idx]).backward()
        opt.step()
    secs = time.perf_counter() - t0
    model.eval()
    correct = 0
    with torch.inference_mode():
        for i in range(0, xte.shape[0], INFER_BATCH):
            correct += (model(xte[i:i + INFER_BATCH]).argmax(1) == yte[i:i + INFER_BATCH]).sum().item()
    return {"engine": "pytorch", "model": name, "mode": "epoch", "threads": threads, "batch": TRAIN_BATCH,
            "test_accuracy": correct / xte.shape[0], "seconds": round(secs, 2), "normalization": "unit",
            "images_per_s": round(xtr.shape[0] / secs, 1)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="all", choices=["mlp", "cnn", "all"])
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    ap.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    ap.add_argument("--json", action="store_true", help="one JSON object per line")
    ap.add_argument("--epoch", action="store_true", help="instead, train one real MNIST epoch per model")
    ap.add_argument("--data", default="../shared/datasets/mnist", help="MNIST folder for --epoch")
    a = ap.parse_args()
    models = ["mlp", "cnn"] if a.model == "all" else [a.model]
    threads = [int(t) for t in a.threads.split(",") if t]
    version = torch.__version__
    if a.epoch:
        for m in models:
            # each side at its best thread count: a short training measurement picks it
            # (PyTorch's small MLP is slower on 2 threads than on 1 here)
            t = threads[0]
            if len(threads) > 1:
                speed = {}
                for tt in threads:
                    torch.set_num_threads(tt)
                    speed[tt] = bench_train(m, 0.5)
                t = max(speed, key=speed.get)
            torch.set_num_threads(t)
            r = run_epoch(m, a.data, t)
            if a.json:
                print(json.dumps(r), flush=True)
            else:
                print("epoch %s: test accuracy %.2f%%, %.1f s (%d thread(s), the faster here; pixels /255)" %
                      (m, 100 * r["test_accuracy"], r["seconds"], t), flush=True)
        return
    if not a.json:
        print("PyTorch %s, OPENBLAS_CORETYPE=%s, ATEN_CPU_CAPABILITY=%s" %
              (version, os.environ["OPENBLAS_CORETYPE"], os.environ["ATEN_CPU_CAPABILITY"]))
        print("%-6s %-6s %7s %6s %14s" % ("model", "mode", "threads", "batch", "images/s"))
    for m in models:
        for t in threads:
            torch.set_num_threads(t)
            for mode, fn, batch in (("train", bench_train, TRAIN_BATCH), ("infer", bench_infer, INFER_BATCH)):
                ips = fn(m, a.seconds)
                row = {"engine": "pytorch", "model": m, "mode": mode, "threads": t, "batch": batch,
                       "images_per_s": round(ips, 1), "version": version}
                if a.json:
                    print(json.dumps(row), flush=True)
                else:
                    print("%-6s %-6s %7d %6d %14.1f" % (m, mode, t, batch, ips), flush=True)


if __name__ == "__main__":
    main()
