#!/usr/bin/env python3
"""Golden fixtures for test/optim.test.ts (optimizers, LR schedules, gradient clipping).

Writes test/golden/fixtures/optim.json with PyTorch's (1.13) results:
- optimizer trajectories: a small least-squares problem loss = mean((x W^T + b - y)^2), with the
  parameters after each of 5 steps, for SGD / Adam / AdamW configurations and parameter groups;
- the learning rate of every step of each schedule (two parameter groups, base lrs 0.1 and 0.02);
- clip_grad_norm_ on fixed gradients: the total norm and the clipped gradients.
It also writes test/golden/fixtures/nn.json for test/nn.test.ts: a small nested 3D-CNN built from
Sequential / ModuleList / ModuleDict / a custom block, with its state_dict (keys, shapes, dtypes and
values) and its outputs for a fixed input in eval mode and in train mode (plus the batch-norm
buffers after the train-mode pass).
The problem data are stored in the fixtures, so the tests need no Python.
Run: /usr/bin/python3 test/golden/optim_fixtures.py
"""
import json
import math
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures", "optim.json")
OUT_NN = os.path.join(HERE, "fixtures", "nn.json")
STEPS = 5


def wave(n, k, scale=1.0, offset=0.0):
    return [round(offset + scale * math.sin(0.7 * i + k), 6) for i in range(n)]


X = torch.tensor(wave(18, 0.3), dtype=torch.float32).reshape(6, 3)
Y = torch.tensor(wave(12, 1.1, 0.8, 0.2), dtype=torch.float32).reshape(6, 2)
W0 = torch.tensor(wave(6, 2.0, 0.5), dtype=torch.float32).reshape(2, 3)
B0 = torch.tensor(wave(2, 0.5, 0.3), dtype=torch.float32)

# name -> (optimizer class, groups: list of (param names, options), defaults)
CONFIGS = {
    "sgd": ("SGD", [(["w", "b"], {})], {"lr": 0.1}),
    "sgd_momentum_dampening_wd": ("SGD", [(["w", "b"], {})], {"lr": 0.1, "momentum": 0.9, "dampening": 0.2, "weight_decay": 0.01}),
    "sgd_nesterov": ("SGD", [(["w", "b"], {})], {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.001}),
    "sgd_maximize": ("SGD", [(["w", "b"], {})], {"lr": 0.05, "momentum": 0.5, "maximize": True}),
    "sgd_groups": ("SGD", [(["w"], {"lr": 0.1, "weight_decay": 0.05}), (["b"], {"lr": 0.02, "weight_decay": 0.0})], {"lr": 0.5, "momentum": 0.9}),
    "adam": ("Adam", [(["w", "b"], {})], {"lr": 0.01}),
    "adam_wd_amsgrad": ("Adam", [(["w", "b"], {})], {"lr": 0.02, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1, "amsgrad": True}),
    "adam_maximize": ("Adam", [(["w", "b"], {})], {"lr": 0.01, "maximize": True}),
    "adamw": ("AdamW", [(["w", "b"], {})], {"lr": 0.01, "weight_decay": 0.1}),
    "adamw_groups": ("AdamW", [(["w"], {"lr": 0.02, "weight_decay": 0.2}), (["b"], {"lr": 0.005, "weight_decay": 0.0})], {"lr": 0.01, "amsgrad": True}),
}


def trajectory(cls_name, groups, defaults):
    params = {"w": W0.clone().requires_grad_(True), "b": B0.clone().requires_grad_(True)}
    cls = getattr(torch.optim, cls_name)
    opt = cls([{"params": [params[n] for n in names], **o} for names, o in groups], **defaults)
    steps = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = ((X @ params["w"].T + params["b"] - Y) ** 2).mean()
        loss.backward()
        opt.step()
        steps.append({"loss": loss.item(), "w": params["w"].detach().flatten().tolist(), "b": params["b"].detach().tolist()})
    return steps


def camel(k):
    parts = k.split("_")
    return parts[0] + "".join(p.title() for p in parts[1:])


def config_json(cls_name, groups, defaults):
    def conv(o):
        return {camel(k): (list(v) if isinstance(v, tuple) else v) for k, v in o.items()}

    return {"optimizer": cls_name, "groups": [{"params": names, **conv(o)} for names, o in groups], "defaults": conv(defaults)}


def schedule(make, steps):
    ps = [torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)]
    opt = torch.optim.SGD([{"params": [ps[0]], "lr": 0.1}, {"params": [ps[1]], "lr": 0.02}], lr=0.1)
    sched = make(opt)
    lrs = [sched.get_last_lr()]
    for _ in range(steps):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr())
    return lrs


def warmup_cosine_lambda(w, t, s=0.0):
    def f(e):
        if e < w:
            return s + (1 - s) * e / w
        return 0.5 * (1 + math.cos(math.pi * (e - w) / (t - w)))

    return f


LR = torch.optim.lr_scheduler
SCHEDULES = {
    "step": ({"type": "StepLR", "stepSize": 3, "gamma": 0.5}, lambda o: LR.StepLR(o, step_size=3, gamma=0.5), 10),
    "multistep": ({"type": "MultiStepLR", "milestones": [2, 5, 5, 8], "gamma": 0.1}, lambda o: LR.MultiStepLR(o, milestones=[2, 5, 5, 8], gamma=0.1), 10),
    "constant": ({"type": "ConstantLR", "factor": 0.5, "totalIters": 3}, lambda o: LR.ConstantLR(o, factor=0.5, total_iters=3), 6),
    "cosine": ({"type": "CosineAnnealingLR", "tMax": 8, "etaMin": 0.001}, lambda o: LR.CosineAnnealingLR(o, T_max=8, eta_min=0.001), 20),
    "warmup_cosine_lambda": (
        {"type": "WarmupCosineLR", "warmupSteps": 3, "totalSteps": 10},
        lambda o: LR.LambdaLR(o, warmup_cosine_lambda(3, 10)),
        12,
    ),
    "warmup_cosine_sequential": (
        {"type": "WarmupCosineLR", "warmupSteps": 3, "totalSteps": 10, "warmupStartFactor": 0.1, "etaMin": 0.001},
        lambda o: LR.SequentialLR(o, [LR.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=3), LR.CosineAnnealingLR(o, T_max=7, eta_min=0.001)], milestones=[3]),
        10,
    ),
}

GRADS = {
    "a": torch.tensor(wave(12, 0.1, 0.9), dtype=torch.float32).reshape(3, 4),
    "b": torch.tensor(wave(5, 1.7, 2.0), dtype=torch.float32),
    "c": torch.tensor(wave(8, 2.9, 0.4), dtype=torch.float32).reshape(2, 2, 2),
}


def clip_case(max_norm, norm_type):
    ps = []
    for g in GRADS.values():
        p = torch.zeros_like(g, requires_grad=True)
        p.grad = g.clone()
        ps.append(p)
    total = torch.nn.utils.clip_grad_norm_(ps, max_norm, norm_type=norm_type)
    return {"maxNorm": max_norm, "normType": "inf" if norm_type == math.inf else norm_type, "total": total.item(), "grads": [p.grad.flatten().tolist() for p in ps]}


class Block(torch.nn.Module):
    def __init__(self, cin, cout, down):
        super().__init__()
        nn = torch.nn
        self.conv1 = nn.Conv3d(cin, cout, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm3d(cout)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv3d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm3d(cout)
        self.downsample = nn.Sequential(nn.Conv3d(cin, cout, 1, bias=False), nn.BatchNorm3d(cout)) if down else None

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = self.downsample(x) if self.downsample is not None else x
        return self.relu(out + identity)


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        nn = torch.nn
        self.stem = nn.Sequential(nn.Conv3d(3, 4, (3, 5, 5), stride=(1, 2, 2), padding=(1, 2, 2), bias=False), nn.BatchNorm3d(4), nn.ReLU(), nn.MaxPool3d(3, stride=2, padding=1))
        self.layer1 = nn.Sequential(Block(4, 4, False), Block(4, 8, True))
        self.pool = nn.AdaptiveAvgPool3d(1)
        self.flatten = nn.Flatten()
        self.heads = nn.ModuleDict({"proj": nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 4)), "cls": nn.Linear(8, 5)})
        self.aux = nn.ModuleList([nn.Linear(8, 3), nn.Dropout(0.5), nn.Linear(3, 2, bias=False)])

    def forward(self, x):
        f = self.flatten(self.pool(self.layer1(self.stem(x))))
        a = f
        for m in self.aux:
            a = m(a)
        return {"proj": self.heads["proj"](f), "cls": self.heads["cls"](f), "aux": a}


def nn_fixture():
    torch.manual_seed(0)
    net = Net()
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.weight.copy_(1 + 0.2 * torch.randn_like(m.weight))
                m.bias.copy_(0.2 * torch.randn_like(m.bias))
                m.running_mean.copy_(0.1 * torch.randn_like(m.running_mean))
                m.running_var.copy_(1 + 0.5 * torch.rand_like(m.running_var))
    state = {k: {"shape": list(v.shape), "dtype": str(v.dtype).replace("torch.", ""), "values": v.flatten().tolist()} for k, v in net.state_dict().items()}
    x = torch.tensor(wave(2 * 3 * 4 * 12 * 12, 0.4), dtype=torch.float32).reshape(2, 3, 4, 12, 12)
    net.eval()
    with torch.no_grad():
        ev = {k: v.flatten().tolist() for k, v in net(x).items()}
    net.train()
    with torch.no_grad():
        tr = net(x)
    train = {k: tr[k].flatten().tolist() for k in ("proj", "cls")}
    buffers = {k: v.flatten().tolist() for k, v in net.state_dict().items() if "running" in k or "num_batches" in k}
    return {"torch": torch.__version__, "input": {"shape": list(x.shape), "values": x.flatten().tolist()}, "stateDict": state,
            "eval": ev, "train": train, "buffersAfterTrain": buffers}


def main():
    out = {
        "torch": torch.__version__,
        "problem": {
            "x": X.flatten().tolist(), "xShape": list(X.shape),
            "y": Y.flatten().tolist(), "yShape": list(Y.shape),
            "w0": W0.flatten().tolist(), "wShape": list(W0.shape),
            "b0": B0.tolist(),
            "steps": STEPS,
        },
        "optimizers": {name: {**config_json(*cfg), "trajectory": trajectory(*cfg)} for name, cfg in CONFIGS.items()},
        "schedules": {name: {"config": spec, "baseLrs": [0.1, 0.02], "lrs": schedule(make, n)} for name, (spec, make, n) in SCHEDULES.items()},
        "clip": {
            "grads": {k: {"shape": list(v.shape), "values": v.flatten().tolist()} for k, v in GRADS.items()},
            "cases": [clip_case(1.0, 2.0), clip_case(100.0, 2.0), clip_case(0.5, math.inf)],
        },
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {OUT}")
    with open(OUT_NN, "w") as f:
        json.dump(nn_fixture(), f)
        f.write("\n")
    print(f"wrote {OUT_NN}")


if __name__ == "__main__":
    main()
