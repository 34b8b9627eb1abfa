#!/usr/bin/env python3
"""torch_gpu_bench.py: the PyTorch side of bench/gpu.sh. Trains one MNIST epoch of the
same MLP (784-128-128-10, ReLU) and CNN (conv32-pool-conv64-pool-fc128-dropout0.5-fc10)
as dlstudy, Adam 1e-3, at each batch size, with PyTorch eager on the GPU, and prints
images/s beside dlstudy's figures (read from the JSON lines gpu.sh collected) with the
ratios, as a table. Not a test and not part of dlstudy; needs torch with CUDA.

    python3 bench/torch_gpu_bench.py --data DIR [--batches 64,512] [--models mlp,cnn]
        [--ours DIR] [--json FILE]

PyTorch gets its best eager case: the whole training set already on the GPU (no
host-to-device copies, no DataLoader), default Adam (the multi-tensor 'foreach' path),
cuDNN benchmark mode, a warm-up run before the clock starts, and no host sync inside
the epoch. dlstudy's figures come from `dlstudy lab NAME --epochs 1 --batch B --json`,
whose images_per_s counts the training loop only, including its host-side batch
loading and a loss read back every step: the comparison does not favour dlstudy.

--ours DIR reads DIR/ours-MODEL-BATCH.jsonl (and DIR/nograph-MODEL-BATCH.jsonl, the same
run with DLS_CUDA_GRAPHS=0) and uses the last line with "type": "epoch".
"""
import argparse
import gzip
import json
import os
import struct
import sys
import time


def read_idx(path):
    """An IDX file (gzip or plain) as (dims, raw bytes)."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return dims, data[4 + 4 * ndim:]


def find(data_dir, stem):
    for d in (data_dir, os.path.join(data_dir, "mnist")):
        for suffix in (".gz", ""):
            p = os.path.join(d, stem + suffix)
            if os.path.exists(p):
                return p
    sys.exit("torch_gpu_bench: no %s(.gz) in %s or %s/mnist" % (stem, data_dir, data_dir))


def load_mnist(torch, data_dir, split, device):
    """Images normalised as dlstudy's default ((x/255 - 0.1307) / 0.3081), on device."""
    import numpy as np
    prefix = "train" if split == "train" else "t10k"
    dims, raw = read_idx(find(data_dir, prefix + "-images-idx3-ubyte"))
    x = np.frombuffer(raw, dtype=np.uint8).reshape(dims[0], 1, dims[1], dims[2]).astype(np.float32)
    x = (x / 255.0 - 0.1307) / 0.3081
    _, raw = read_idx(find(data_dir, prefix + "-labels-idx1-ubyte"))
    y = np.frombuffer(raw, dtype=np.uint8).astype(np.int64)
    return torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)


def make_model(nn, name):
    if name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(),
                             nn.Linear(128, 10))
    return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10))


def train_epoch(torch, F, model, opt, x, y, batch, max_steps=None):
    n = x.shape[0]
    perm = torch.randperm(n, device=x.device)
    model.train()
    steps = 0
    for i in range(0, n, batch):
        idx = perm[i:i + batch]
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x[idx]), y[idx])
        loss.backward()
        opt.step()
        steps += 1
        if max_steps and steps >= max_steps:
            break
    return loss


def accuracy(torch, model, x, y):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, x.shape[0], 1000):
            correct += (model(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum().item()
    return correct / x.shape[0]


def run_torch(args):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    if not torch.cuda.is_available():
        sys.exit("torch_gpu_bench: torch sees no CUDA device")
    dev = torch.device("cuda")
    torch.backends.cudnn.benchmark = True
    xtr, ytr = load_mnist(torch, args.data, "train", dev)
    xte, yte = load_mnist(torch, args.data, "test", dev)
    rows = []
    for name in args.models:
        for batch in args.batches:
            torch.manual_seed(1)
            # warm-up: cuDNN picks its algorithms, kernels load, the allocator fills
            m = make_model(nn, name).to(dev)
            o = torch.optim.Adam(m.parameters(), lr=1e-3)
            train_epoch(torch, F, m, o, xtr, ytr, batch, max_steps=50)
            torch.cuda.synchronize()
            m = make_model(nn, name).to(dev)
            o = torch.optim.Adam(m.parameters(), lr=1e-3)
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            loss = train_epoch(torch, F, m, o, xtr, ytr, batch)
            torch.cuda.synchronize()
            secs = time.perf_counter() - t0
            acc = accuracy(torch, m, xte, yte)
            rows.append({"engine": "pytorch", "model": name, "batch": batch, "mode": "epoch",
                         "device": torch.cuda.get_device_name(0), "torch": torch.__version__,
                         "seconds": secs, "images_per_s": xtr.shape[0] / secs,
                         "test_accuracy": acc, "train_loss": float(loss.item())})
            print("pytorch %-3s batch %4d: %9.0f images/s  %6.2f s  test acc %.2f%%" %
                  (name, batch, rows[-1]["images_per_s"], secs, 100 * acc), flush=True)
    return rows


def read_ours(d, prefix, model, batch):
    p = os.path.join(d, "%s-%s-%d.jsonl" % (prefix, model, batch))
    if not os.path.exists(p):
        return None
    last = None
    with open(p) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if obj.get("type") == "epoch":
                last = obj
    return last


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="MNIST folder (the four IDX files, .gz or not)")
    ap.add_argument("--batches", default="64,512")
    ap.add_argument("--models", default="mlp,cnn")
    ap.add_argument("--ours", help="folder with dlstudy's ours-MODEL-BATCH.jsonl files")
    ap.add_argument("--json", help="also write every row, as JSON lines, to this file")
    args = ap.parse_args()
    args.batches = [int(b) for b in args.batches.split(",")]
    args.models = args.models.split(",")
    rows = run_torch(args)

    print()
    print("One MNIST epoch (60000 images), Adam 1e-3, training images/s on the GPU")
    print("%-5s %5s | %12s %8s %7s | %12s %8s %7s | %7s | %12s" %
          ("model", "batch", "dlstudy", "s/epoch", "acc", "pytorch", "s/epoch", "acc", "ratio", "no graphs"))
    out = []
    for r in rows:
        ours = read_ours(args.ours, "ours", r["model"], r["batch"]) if args.ours else None
        nog = read_ours(args.ours, "nograph", r["model"], r["batch"]) if args.ours else None
        oi = ours.get("images_per_s") if ours else None
        ratio = oi / r["images_per_s"] if oi else None
        fmt = lambda v, f: (f % v) if isinstance(v, (int, float)) else "-"
        print("%-5s %5d | %12s %8s %7s | %12.0f %8.2f %6.2f%% | %7s | %12s" % (
            r["model"], r["batch"],
            fmt(oi, "%.0f"), fmt(ours and 60000 / oi if oi else None, "%.2f"),
            fmt(ours and 100 * ours.get("test_accuracy", float("nan")), "%.2f%%"),
            r["images_per_s"], r["seconds"], 100 * r["test_accuracy"],
            fmt(ratio, "%.2fx"), fmt(nog and nog.get("images_per_s"), "%.0f")))
        out.append(r)
        if ours:
            out.append({"engine": "dlstudy", "model": r["model"], "batch": r["batch"], "mode": "epoch",
                        "images_per_s": oi, "test_accuracy": ours.get("test_accuracy"),
                        "seconds_with_eval": ours.get("seconds"), "ratio_vs_pytorch": ratio,
                        "images_per_s_no_graphs": nog and nog.get("images_per_s")})
    print("targets (issue 6): ratio >= 1.5x at batch 64 for both models; a CNN epoch under 2 s")
    if args.json:
        with open(args.json, "w") as f:
            for r in out:
                f.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main()
