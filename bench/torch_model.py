"""PyTorch side of bench/model.bench.ts: forward+backward time of R(2+1)D-10 (torchvision
VideoResNet, layers [1,1,1,1]) and its conv FLOPs (from forward hooks). JSON in, JSON out."""
import json
import os
import sys
import time

import torch
from torchvision.models.video.resnet import VideoResNet, BasicBlock, Conv2Plus1D, R2Plus1dStem

torch.set_num_threads(int(os.environ.get('THREADS', os.cpu_count() or 1)))
spec = json.load(sys.stdin)
model = VideoResNet(BasicBlock, [Conv2Plus1D] * 4, [1, 1, 1, 1], R2Plus1dStem)
model.fc = torch.nn.Identity()
model.train()
x = torch.randn(spec['batch'], 3, spec['frames'], spec['size'], spec['size'])
flops = [0]


def count(mod, inp, out):
    k = mod.kernel_size[0] * mod.kernel_size[1] * mod.kernel_size[2]
    flops[0] += 2 * out.numel() * (mod.in_channels // mod.groups) * k


hooks = [m.register_forward_hook(count) for m in model.modules() if isinstance(m, torch.nn.Conv3d)]
model(x).sum().backward()
for h in hooks:
    h.remove()
best = float('inf')
for _ in range(spec['reps']):
    t = time.perf_counter()
    model.zero_grad(set_to_none=True)
    model(x).sum().backward()
    best = min(best, time.perf_counter() - t)
print(json.dumps({'seconds': best, 'forwardConvFlops': flops[0], 'params': sum(p.numel() for p in model.parameters())}))
