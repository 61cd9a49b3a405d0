"""Files made by real PyTorch for test/pt-torch.test.ts.

    python3 torch_export.py OUT_DIR CASES_JSON [HANDMADE.pt ...]

For each case of CASES_JSON ({tag, model, options, inChannels, inputSize, n}): builds the zoo model
(examples/pytorch/zoo.py) with torch's own init under torch.manual_seed, randomises batch-norm
statistics and affine parameters (so that eval-mode batch norm is no identity), saves the state dict
with torch.save in the zip format (TAG.pt) and the legacy format (TAG-legacy.pt), draws n images in
[0, 1) with torch.rand, and writes them (TAG-x.npy, (n, C*H*W) float32) with torch's eval-mode logits in
float32 (TAG-l32.npy) and in float64 (TAG-l64.npy, the same weights and images in double precision),
and labels (TAG-y.npy): torch's predictions with the last one changed.
Then dtypes.pt (and dtypes-legacy.pt, and dtypes-p4.pt with pickle protocol 4): tensors of every storage type, transposed, sliced, expanded,
scalar and Parameter tensors, with their values in dtypes.json. Then malicious.pt (and -legacy): a state
dict whose extra entry's __reduce__ calls os.system("touch OUT_DIR/PAYLOAD-RAN"). Finally each HANDMADE file is read
with torch.load(weights_only=True) into handmade.json. Prints "ok" when done.
"""
import copy
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "pytorch"))
import zoo  # noqa: E402


def values(t):
    """A tensor's row-major values as JSON: int64 as strings (beyond 2^53), floats widened."""
    flat = t.detach().reshape(-1)
    if t.dtype == torch.int64:
        return [str(v) for v in flat.tolist()]
    if t.dtype in (torch.float16, torch.bfloat16):
        flat = flat.float()
    return [float(v) if isinstance(v, float) else int(v) for v in flat.tolist()]


def describe(d):
    return {k: {"dtype": str(v.dtype), "shape": list(v.shape), "values": values(v)} for k, v in d.items()}


def export_models(out, cases):
    for i, case in enumerate(cases):
        torch.manual_seed(1000 + i)
        c, s, n = case["inChannels"], case["inputSize"], case["n"]
        m = zoo.build(case["model"], in_channels=c, input_size=s, **case["pyOptions"])
        with torch.no_grad():
            for mod in m.modules():
                if isinstance(mod, torch.nn.BatchNorm2d):
                    mod.running_mean.uniform_(-0.5, 0.5)
                    mod.running_var.uniform_(0.5, 2.0)
                    mod.weight.uniform_(0.5, 1.5)
                    mod.bias.uniform_(-0.2, 0.2)
                    mod.num_batches_tracked.fill_(7)
        m.eval()
        x = torch.rand(n, c, s, s)
        with torch.no_grad():
            l32 = m(x)
            l64 = copy.deepcopy(m).double()(x.double())
        tag = case["tag"]
        torch.save(m.state_dict(), os.path.join(out, f"{tag}.pt"))
        torch.save(m.state_dict(), os.path.join(out, f"{tag}-legacy.pt"), _use_new_zipfile_serialization=False)
        np.save(os.path.join(out, f"{tag}-x.npy"), x.reshape(n, -1).numpy())
        np.save(os.path.join(out, f"{tag}-l32.npy"), l32.numpy().astype(np.float64))
        np.save(os.path.join(out, f"{tag}-l64.npy"), l64.numpy())
        # Labels: torch's predictions with the last one changed, so clean accuracy is (n - 1) / n;
        # int64 (n,) for even cases, float64 (n, 1) for odd ones (both layouts users save).
        y = l32.argmax(1)
        y[-1] = (y[-1] + 1) % l32.shape[1]
        labels = y.numpy() if i % 2 == 0 else y.numpy().astype(np.float64).reshape(n, 1)
        np.save(os.path.join(out, f"{tag}-y.npy"), labels)


def export_dtypes(out):
    base = torch.arange(20, dtype=torch.float32).reshape(4, 5) / 4 - 1
    d = {
        "f32": torch.tensor([0.1, -2.0, 3.25]),
        "f16": torch.tensor([1.0, -2.5, 65504.0, 2.0**-24, 0.1], dtype=torch.float16),
        "bf16": torch.tensor([1.5, -3.0, 0.1, 1e30], dtype=torch.bfloat16),
        "f64": torch.tensor([[0.1, -1e-300], [1e300, 3.0]], dtype=torch.float64),
        "i64": torch.tensor([2**53 + 1, -(2**62), 7], dtype=torch.int64),
        "i32": torch.tensor([-(2**31), 2**31 - 1], dtype=torch.int32),
        "i16": torch.tensor([-300, 12], dtype=torch.int16),
        "i8": torch.tensor([-128, 5], dtype=torch.int8),
        "u8": torch.tensor([0, 255], dtype=torch.uint8),
        "bool": torch.tensor([True, False, True]),
        "transposed": base.t(),
        "sliced": base[1:3, ::2],
        "expanded": torch.tensor([1.0, 2.0, 3.0]).expand(2, 3),
        "permuted4d": torch.arange(24, dtype=torch.float64).reshape(2, 3, 4, 1).permute(3, 2, 0, 1),
        "scalar": torch.tensor(3.5),
        "param": torch.nn.Parameter(torch.tensor([[1.0, 2.0]])),
        "empty": torch.zeros(0, 3),
    }
    torch.save(d, os.path.join(out, "dtypes.pt"))
    torch.save(d, os.path.join(out, "dtypes-legacy.pt"), _use_new_zipfile_serialization=False)
    # Pickle protocol 4 adds FRAME, MEMOIZE, SHORT_BINUNICODE and STACK_GLOBAL to what the reader meets.
    torch.save(d, os.path.join(out, "dtypes-p4.pt"), pickle_protocol=4)
    with open(os.path.join(out, "dtypes.json"), "w") as f:
        json.dump(describe(d), f)


class Payload:
    """What a malicious checkpoint carries: unpickling it would call os.system (torch.save only records the call)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def export_malicious(out):
    marker = os.path.join(out, "PAYLOAD-RAN")
    torch.save({"weight": torch.ones(2), "evil": Payload(marker)}, os.path.join(out, "malicious.pt"))
    torch.save({"weight": torch.ones(2), "evil": Payload(marker)}, os.path.join(out, "malicious-legacy.pt"), _use_new_zipfile_serialization=False)
    # PyTorch's own restricted loader refuses it too (the policy pt-unpickle.ts follows).
    for name in ("malicious.pt", "malicious-legacy.pt"):
        try:
            torch.load(os.path.join(out, name), weights_only=True)
        except Exception:  # noqa: BLE001 (torch raises UnpicklingError or RuntimeError by version)
            continue
        raise SystemExit(f"torch.load(weights_only=True) accepted {name}")
    assert not os.path.exists(marker)


def main():
    out, cases = sys.argv[1], json.loads(sys.argv[2])
    export_models(out, cases)
    export_dtypes(out)
    export_malicious(out)
    handmade = {os.path.basename(p): describe(torch.load(p, weights_only=True)) for p in sys.argv[3:]}
    with open(os.path.join(out, "handmade.json"), "w") as f:
        json.dump(handmade, f)
    print("ok")


main()
