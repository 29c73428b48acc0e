"""A small 3D CNN trained for a few steps in PyTorch (float32), as the reference that the engine
must reproduce: conv-bn-relu-pool x2 + linear, SGD with momentum and AdamW.

Writes test/golden/fixtures/train_init.safetensors (the initial state_dict, loaded by the test
through our safetensors reader) and test/golden/fixtures/train.json (inputs, labels, per-step
losses and the final parameters and buffers of each run).
Run: /usr/bin/python3 test/golden/train_fixtures.py
"""
import json
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(__file__))
from safetensors_fixtures import serialize, torch_entry  # noqa: E402  (the spec-faithful writer)

HERE = os.path.join(os.path.dirname(__file__), 'fixtures')
torch.manual_seed(7)


def make_model():
    # Convolutions before batch norm have no bias (as in ResNets): BN cancels a bias, so its gradient
    # is pure rounding noise, which Adam's normalisation would amplify into a random walk.
    return nn.Sequential(
        nn.Conv3d(3, 6, 3, padding=1, bias=False), nn.BatchNorm3d(6), nn.ReLU(), nn.MaxPool3d(2),
        nn.Conv3d(6, 8, (1, 3, 3), padding=(0, 1, 1), bias=False), nn.BatchNorm3d(8), nn.ReLU(), nn.AdaptiveAvgPool3d(1),
        nn.Flatten(), nn.Linear(8, 5))


init = make_model()
state0 = {k: v.clone() for k, v in init.state_dict().items()}
x = torch.randn(4, 3, 4, 8, 8)
y = torch.tensor([0, 3, 1, 4])
STEPS = 6


def train(kind):
    model = make_model()
    model.load_state_dict(state0)
    model.train()
    if kind == 'sgd':
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-3)
    else:
        opt = torch.optim.AdamW(model.parameters(), lr=0.01, weight_decay=0.05)
    losses = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    final = {k: [float('%.9g' % v) for v in t.float().flatten().tolist()] for k, t in model.state_dict().items()}
    return {'losses': losses, 'final': final}


with open(os.path.join(HERE, 'train_init.safetensors'), 'wb') as f:
    f.write(serialize({k: torch_entry(v) for k, v in state0.items()}))
with open(os.path.join(HERE, 'train.json'), 'w') as f:
    json.dump({
        'generator': 'test/golden/train_fixtures.py',
        'x': {'shape': list(x.shape), 'data': [float('%.9g' % v) for v in x.flatten().tolist()]},
        'y': y.tolist(),
        'steps': STEPS,
        'sgd': train('sgd'),
        'adamw': train('adamw'),
    }, f)
print('wrote train_init.safetensors and train.json')
