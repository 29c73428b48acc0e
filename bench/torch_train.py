"""PyTorch side of bench/train.bench.ts: the same CSTP training step as src/plugins/trainer's Trainer
(two views through the backbone; STOR spatial/temporal, speed, rotation (and clip order) heads;
BYOL with a momentum target; fixed weighting; clipping; AdamW; warmup-cosine schedule; the momentum
update), on random clips and labels, timed the same way. JSON in (the run spec and the resolved
plugin options from the registries), JSON out.

Backbones are test/golden/backbone_fixtures.py's, whose state_dict keys and shapes match our
backbones and torchvision's (R(2+1)D-10 = torchvision's VideoResNet with Conv2Plus1D, [1,1,1,1]).
Memory: resource.getrusage(RUSAGE_SELF).ru_maxrss before the model is built and after the timed
steps (KB on Linux): the growth of the process's peak resident set, i.e. parameters, gradients,
optimizer state, activations and the CPU allocator's and BLAS/oneDNN workspaces (tracemalloc does
not see torch's allocations).
"""
import copy
import json
import math
import os
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'golden'))
from backbone_fixtures import build  # noqa: E402

spec = json.load(sys.stdin)
torch.set_num_threads(int(spec.get('threads', 2)))
plugins = spec['plugins']
rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
torch.manual_seed(plugins['seed'])


def mlp(i, h, o):
    """src/plugins/heads/mlp.ts: Linear-BN-ReLU-Linear."""
    return nn.Sequential(nn.Linear(i, h), nn.BatchNorm1d(h), nn.ReLU(), nn.Linear(h, o))


def classify(logits, target):
    loss = F.cross_entropy(logits, target)
    with torch.no_grad():
        acc = (logits.argmax(1) == target).float().mean()
    return loss, acc


bb = plugins['backbone']
backbone = build(bb['type'], bb.get('layers'), bb.get('width'))
D = 8 * bb['width']  # featureDim of every backbone here


class Stor(nn.Module):
    def __init__(self, o):
        super().__init__()
        self.spatial = mlp(2 * D, o['hidden'], o['spatialClasses'])
        self.temporal = mlp(2 * D, o['hidden'], o['temporalClasses'])

    def run(self, pooled, labels):
        pair = torch.cat(pooled[:2], 1)
        s, sa = classify(self.spatial(pair), labels['spatial'])
        t, ta = classify(self.temporal(pair), labels['temporal'])
        return {'spatial': s, 'temporal': t}, {'spatial_acc': sa, 'temporal_acc': ta}


class PerClip(nn.Module):
    def __init__(self, name, o, per_clip_label):
        super().__init__()
        self.name, self.per_clip = name, per_clip_label
        self.head = mlp(D, o['hidden'], o['classes'])

    def run(self, pooled, labels):
        y = labels[self.name]
        v = len(pooled)
        target = torch.cat([y[:, i] for i in range(v)] if self.per_clip else [y] * v, 0)
        loss, acc = classify(self.head(torch.cat(pooled, 0)), target)
        return {self.name: loss}, {self.name + '_acc': acc}


class Order(nn.Module):
    """Clip order with 2 views: were the two clips swapped (src/plugins/tasks/clip-order.ts)."""

    def __init__(self, o):
        super().__init__()
        self.pair = nn.Linear(2 * D, o['hidden'])
        self.fc = nn.Linear(o['hidden'], 2)

    def run(self, pooled, labels):
        a, b = pooled[:2]
        n = a.shape[0]
        swap = torch.randint(0, 2, (n,))
        m = swap.bool().unsqueeze(1)
        first, second = torch.where(m, b, a), torch.where(m, a, b)
        loss, acc = classify(self.fc(F.relu(self.pair(torch.cat([first, second], 1)))), swap)
        return {'order': loss}, {'order_acc': acc}


def make_task(t):
    kind = t['type']
    if kind == 'stor':
        return Stor(t)
    if kind == 'speed':
        return PerClip('speed', t, False)
    if kind == 'rotation':
        return PerClip('rotation', t, True)
    if kind == 'order':
        return Order(t)
    raise ValueError(f'task {kind} is not mirrored in bench/torch_train.py')


tasks = nn.ModuleList([make_task(t) for t in plugins['tasks']])
obj = plugins['objective']
assert obj is None or obj['type'] == 'byol', 'bench/torch_train.py mirrors BYOL only'
if obj:
    projector = mlp(D, obj['hidden'], obj['projectionDim'])
    predictor = mlp(obj['projectionDim'], obj['predictorHidden'], obj['projectionDim'])
    target_backbone = copy.deepcopy(backbone).requires_grad_(False)
    target_projector = copy.deepcopy(projector).requires_grad_(False)
    online_params = list(backbone.parameters()) + list(projector.parameters())
    target_params = list(target_backbone.parameters()) + list(target_projector.parameters())
    objective_modules = [projector, predictor]
else:
    objective_modules = []

weighting = plugins['weighting']
assert weighting['type'] == 'fixed', 'bench/torch_train.py mirrors the fixed weighting only'
weights = {'contrastive': 0.1, 'spatial': 1, 'temporal': 1, 'speed': 1, 'rotation': 1, **weighting.get('weights', {})}


def byol_loss(p, z):
    return (2 - 2 * (F.normalize(p, dim=1) * F.normalize(z, dim=1)).sum(1)).mean()


named = [p for m in [backbone, *tasks, *objective_modules] for p in m.parameters() if p.requires_grad]
o = plugins['optimizer']
assert o['type'] == 'adamw'
optimizer = torch.optim.AdamW([
    {'params': [p for p in named if p.ndim >= 2], 'weight_decay': o['weightDecay']},
    {'params': [p for p in named if p.ndim < 2], 'weight_decay': 0.0},
], lr=o['lr'], betas=tuple(o['betas']), eps=o['eps'], weight_decay=o['weightDecay'])
total_steps = spec['warmup'] + spec['steps']
sch = plugins['schedule']
warm = min(round(sch['warmup'] * total_steps) if sch['warmup'] < 1 else round(sch['warmup']), total_steps - 1)


def lr_factor(step):
    if step < warm:
        return (step + 1) / (warm + 1)
    k = (step - warm) / max(1, total_steps - warm)
    return sch['minLrFactor'] + (1 - sch['minLrFactor']) * 0.5 * (1 + math.cos(math.pi * min(k, 1)))


schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor)
for m in [backbone, *tasks, *objective_modules]:
    m.train()
if obj:
    target_backbone.train()
    target_projector.train()

n, T, S = spec['batch'], spec['frames'], spec['size']
views = [torch.randn(n, 3, T, S, S), torch.randn(n, 3, T, S, S)]
labels = {'spatial': torch.randint(0, 5, (n,)), 'temporal': torch.randint(0, 5, (n,)),
          'speed': torch.randint(0, 4, (n,)), 'rotation': torch.randint(0, 4, (n, 2))}
clip_norm = plugins['clipGradNorm']


def train_step(step):
    optimizer.zero_grad(set_to_none=True)
    pooled = [backbone(v) for v in views]
    terms, metrics = {}, {}
    for t in tasks:
        lo, me = t.run(pooled, labels)
        terms.update(lo)
        metrics.update(me)
    if obj:
        p = [predictor(projector(f)) for f in pooled]
        with torch.no_grad():
            z = [target_projector(target_backbone(v)) for v in views]
        terms['contrastive'] = byol_loss(p[0], z[1]) + byol_loss(p[1], z[0])
    total = sum(weights.get(k, weighting.get('default', 1)) * v for k, v in terms.items())
    total.backward()
    parts = [*terms.values(), total, *metrics.values()]
    if clip_norm is not None:
        parts.append(torch.nn.utils.clip_grad_norm_(named, clip_norm))
    values = torch.stack([x.detach().float().reshape(()) for x in parts]).tolist()  # the one readback
    if not all(math.isfinite(v) for v in values):
        raise RuntimeError(f'non-finite loss at step {step}: {values}')
    optimizer.step()
    if obj:
        mom = 1 - (1 - obj['baseMomentum']) * (math.cos(math.pi * min(step, total_steps) / total_steps) + 1) / 2
        with torch.no_grad():
            torch._foreach_mul_(target_params, mom)
            torch._foreach_add_(target_params, online_params, alpha=1 - mom)
    optimizer.zero_grad(set_to_none=True)
    schedule.step()
    return dict(zip(terms.keys(), values))


t0 = time.perf_counter()
for s in range(spec['warmup']):
    train_step(s)
warmup_seconds = time.perf_counter() - t0
times = []
losses = {}
start = time.perf_counter()
for s in range(spec['warmup'], total_steps):
    t = time.perf_counter()
    losses = train_step(s)
    times.append(time.perf_counter() - t)
    if time.perf_counter() - start > spec['budget']:
        break
rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({
    'stepSeconds': times, 'warmupSeconds': warmup_seconds, 'rssBeforeKB': rss_before, 'rssPeakKB': rss_peak,
    'params': sum(p.numel() for p in backbone.parameters()), 'losses': losses,
    'torch': torch.__version__, 'threads': torch.get_num_threads(),
}))
