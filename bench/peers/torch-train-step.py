"""cnn-small's training step in PyTorch on the CPU, for bench/train-step.ts (run as a child process).

    python3 bench/peers/torch-train-step.py BATCH REPS

Prints one JSON line: median and first step in ms, threads, torch version. The step matches
src/nn/models.ts cnnSmall with SGD (lr 0.01, momentum 0.9) and cross-entropy; loss.item() ends
each step, as the readback ends ours.
"""
import json
import statistics
import sys
import time

import torch
from torch import nn

batch, reps = int(sys.argv[1]), int(sys.argv[2])
torch.manual_seed(1)
model = nn.Sequential(
    nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10),
)
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
x = torch.rand(batch, 1, 28, 28)
y = torch.arange(batch) % 10
loss_fn = nn.CrossEntropyLoss()


def step() -> float:
    t0 = time.perf_counter()
    opt.zero_grad(set_to_none=True)
    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()
    loss.item()
    return 1000 * (time.perf_counter() - t0)


first = step()
step()
times = [step() for _ in range(reps)]
print(json.dumps({"ms": statistics.median(times), "firstMs": first, "threads": torch.get_num_threads(), "version": torch.__version__}))
