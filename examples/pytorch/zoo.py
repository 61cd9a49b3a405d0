"""PyTorch twins of robustlens' model zoo (src/nn/models.ts, src/nn/resnet.ts).

Each builder returns an nn.Module whose state_dict() has exactly the names, shapes and layer order
of the robustlens model of the same CLI name, so that weights trained in PyTorch load into
robustlens and the reverse:

    import torch, zoo
    model = zoo.build("cnn-small")                      # or zoo.cnn_small(in_channels=3, input_size=32)
    ...train it...
    torch.save(model.state_dict(), "cnn.pt")

    robustlens attack cnn.pt --model cnn-small --images x.npy --labels y.npy --shape 1,28,28

Command line: `python3 zoo.py NAME OUT.pt [--in-channels C] [--input-size S] [--seed N]` writes a
freshly initialised model (torch's own init) as a state dict. test/pt-torch.test.ts checks that the
logits of these models equal robustlens' on the same weights and images.
"""
import argparse
from collections import OrderedDict

import torch
from torch import nn


def cnn_small(in_channels=1, input_size=28, classes=10):
    """conv3x3(C->32, pad 1), ReLU, maxpool 2, conv3x3(32->64, pad 1), ReLU, maxpool 2, flatten, fc 128, ReLU, fc."""
    side = input_size // 2 // 2
    return nn.Sequential(
        nn.Conv2d(in_channels, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * side * side, 128), nn.ReLU(), nn.Linear(128, classes),
    )


class SmallCNN(nn.Module):
    """TRADES' SmallCNN (yaodongyu/TRADES, models/small_cnn.py): unpadded convolutions, dropout 0.5."""

    def __init__(self, in_channels=1, input_size=28, classes=10, drop=0.5):
        super().__init__()
        side = ((input_size - 4) // 2 - 4) // 2
        self.flat = 64 * side * side
        self.feature_extractor = nn.Sequential(OrderedDict([
            ("conv1", nn.Conv2d(in_channels, 32, 3)), ("relu1", nn.ReLU()),
            ("conv2", nn.Conv2d(32, 32, 3)), ("relu2", nn.ReLU()), ("maxpool1", nn.MaxPool2d(2, 2)),
            ("conv3", nn.Conv2d(32, 64, 3)), ("relu3", nn.ReLU()),
            ("conv4", nn.Conv2d(64, 64, 3)), ("relu4", nn.ReLU()), ("maxpool2", nn.MaxPool2d(2, 2)),
        ]))
        self.classifier = nn.Sequential(OrderedDict([
            ("fc1", nn.Linear(self.flat, 200)), ("relu1", nn.ReLU()), ("drop", nn.Dropout(drop)),
            ("fc2", nn.Linear(200, 200)), ("relu2", nn.ReLU()), ("fc3", nn.Linear(200, classes)),
        ]))

    def forward(self, x):
        return self.classifier(self.feature_extractor(x).view(-1, self.flat))


def plain_cnn(in_channels=1, input_size=28, classes=10, depth=8, batch_norm=True, width_scale=1.0):
    """conv3x3(pad 1) [+ BN] + ReLU per layer, 2x2 max pools after layers 2 and 4, global average pool, fc."""
    widths = [max(1, int(w * width_scale + 0.5)) for w in [32, 32, 64, 64, 128, 128, 128, 128][:depth]]
    layers, c = [], in_channels
    for i, w in enumerate(widths):
        layers.append(nn.Conv2d(c, w, 3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(w))
        layers.append(nn.ReLU())
        if i in (1, 3):
            layers.append(nn.MaxPool2d(2))
        c = w
    named = [(str(i), m) for i, m in enumerate(layers)]
    named += [("pool", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten()), ("fc", nn.Linear(c, classes))]
    return nn.Sequential(OrderedDict(named))


class BasicBlock(nn.Module):
    """torchvision's BasicBlock; the shortcut is a 1x1 conv + BN when the shape changes."""

    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return torch.relu(y + (self.downsample(x) if self.downsample is not None else x))


class ResNetSmall(nn.Module):
    """CIFAR-style ResNet: conv3x3 + BN + ReLU, stages of BasicBlocks (w, 2w, 4w), global average pool, fc."""

    def __init__(self, in_channels=1, classes=10, width=16, blocks=(2, 2, 2), input_size=None):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, width, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        c = width
        for stage, n in enumerate(blocks):
            out = width * 2 ** stage
            seq = [BasicBlock(c if i == 0 else out, out, 2 if i == 0 and stage > 0 else 1) for i in range(n)]
            setattr(self, f"layer{stage + 1}", nn.Sequential(*seq))
            c = out
        self.stages = len(blocks)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c, classes)

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        for s in range(self.stages):
            y = getattr(self, f"layer{s + 1}")(y)
        return self.fc(torch.flatten(self.avgpool(y), 1))


def mlp(in_channels=1, input_size=28, classes=10, hidden=(128,)):
    """0 flatten, then Linear/ReLU pairs (keys 1.weight, 3.weight, ...)."""
    layers, n = [nn.Flatten()], in_channels * input_size * input_size
    for h in hidden:
        layers += [nn.Linear(n, h), nn.ReLU()]
        n = h
    return nn.Sequential(*layers, nn.Linear(n, classes))


ZOO = {"cnn-small": cnn_small, "small-cnn-trades": SmallCNN, "plain-cnn": plain_cnn, "resnet-small": ResNetSmall, "mlp": mlp}


def build(name, **kw):
    """A zoo model by its robustlens CLI name, e.g. build("cnn-small", in_channels=3, input_size=32)."""
    if name not in ZOO:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(ZOO)}")
    return ZOO[name](**kw)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description="Write a freshly initialised zoo model as a PyTorch state dict.")
    p.add_argument("name", choices=list(ZOO))
    p.add_argument("out")
    p.add_argument("--in-channels", type=int, default=1)
    p.add_argument("--input-size", type=int, default=28)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    torch.manual_seed(a.seed)
    torch.save(build(a.name, in_channels=a.in_channels, input_size=a.input_size).state_dict(), a.out)
