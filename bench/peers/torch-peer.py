"""cnn-small in PyTorch on the CPU: the peer of bench/train-step.ts and bench/pgd.ts.

    python3 bench/peers/torch-peer.py DIR

bench/peers/torch.ts starts it as a child process. DIR holds manifest.json and data.bin: our model's
weights under their state-dict names (the same as PyTorch's nn.Sequential), the batch `x` [B, 1, 28, 28]
and the labels `y` [B]. It uses every core (torch.set_num_threads(os.cpu_count())), prints one JSON
line when ready, then answers one JSON line per request line on stdin until stdin closes:

  {"cmd": "train", "steps": n}  SGD steps (lr 0.01, momentum 0.9, mean cross-entropy), each ending
                                with loss.item() as ours ends with its readback
                                -> {"losses": [...], "ms": [...]}
  {"cmd": "pgd", "steps": k, "eps": e, "alpha": a, "start": "none" | "uniform", "seed": s, "dump": bool}
                                clean forward, k L-inf steps on the summed cross-entropy (sign of the
                                input gradient, x' = clip01(x0 + clamp(x + a*sign(g) - x0, -e, e)), as
                                shaders/attack.wgsl), final forward; success flags read back
                                -> {"ms", "loss" (mean final cross-entropy), "success" (fraction),
                                    "x": DIR/x-adv.bin with the adversarial batch when dump}
Errors answer {"error": "..."}. Times are measured here (perf_counter), without the pipe.
"""
import array
import json
import os
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

torch.set_num_threads(os.cpu_count() or 1)
folder = sys.argv[1]
with open(os.path.join(folder, "manifest.json")) as f:
    manifest = json.load(f)
with open(os.path.join(folder, "data.bin"), "rb") as f:
    blob = f.read()
DTYPES = {"float32": torch.float32, "int32": torch.int32}
arrays = {}
for e in manifest["tensors"]:
    raw = bytearray(blob[e["offset"]:e["offset"] + e["bytes"]])
    arrays[e["name"]] = torch.frombuffer(raw, dtype=DTYPES[e["dtype"]]).reshape(e["shape"])

x = arrays.pop("x")
y = arrays.pop("y").long()
side = x.shape[2] // 4
model = nn.Sequential(
    nn.Conv2d(x.shape[1], 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(64 * side * side, 128), nn.ReLU(), nn.Linear(128, int(manifest["classes"])),
)
model.load_state_dict(arrays, strict=True)
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)


def train(steps):
    for p in model.parameters():
        p.requires_grad_(True)
    losses, ms = [], []
    for _ in range(steps):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        ms.append(1000 * (time.perf_counter() - t0))
    return {"losses": losses, "ms": ms}


def pgd(steps, eps, alpha, start, seed, dump):
    for p in model.parameters():
        p.requires_grad_(False)
    t0 = time.perf_counter()
    with torch.no_grad():
        clean_correct = model(x).argmax(1) == y  # ours computes the clean accuracy too
        if start == "uniform":
            g = torch.Generator().manual_seed(seed)
            xa = (x + torch.empty_like(x).uniform_(-eps, eps, generator=g)).clamp(0, 1)
        elif start == "none":
            xa = x.clone()
        else:
            raise ValueError(f"unknown start {start!r}")
    for _ in range(steps):
        xa.requires_grad_(True)
        loss = F.cross_entropy(model(xa), y, reduction="sum")
        (grad,) = torch.autograd.grad(loss, xa)
        with torch.no_grad():
            xa = (x + (xa + alpha * grad.sign() - x).clamp(-eps, eps)).clamp(0, 1)
    with torch.no_grad():
        z = model(xa)
        per = F.cross_entropy(z, y, reduction="none")
        success = (z.argmax(1) != y).float().mean().item()
    ms = 1000 * (time.perf_counter() - t0)
    out = {"ms": ms, "loss": per.mean().item(), "success": success, "cleanAccuracy": clean_correct.float().mean().item()}
    if dump:
        path = os.path.join(folder, "x-adv.bin")
        with open(path, "wb") as f:
            f.write(array.array("f", xa.flatten().tolist()).tobytes())  # no numpy needed
        out["x"] = path
    return out


def answer(msg):
    print(json.dumps(msg), flush=True)


answer({"ready": True, "threads": torch.get_num_threads(), "version": torch.__version__, "python": sys.executable})
for line in sys.stdin:
    if not line.strip():
        continue
    try:
        req = json.loads(line)
        if req["cmd"] == "train":
            answer(train(int(req["steps"])))
        elif req["cmd"] == "pgd":
            answer(pgd(int(req["steps"]), float(req["eps"]), float(req["alpha"]), req["start"], int(req.get("seed", 0)), bool(req.get("dump"))))
        else:
            answer({"error": f"unknown command {req['cmd']!r}"})
    except Exception as e:  # answer, so that the bench reports it instead of waiting
        answer({"error": f"{type(e).__name__}: {e}"})
