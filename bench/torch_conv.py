"""PyTorch side of bench/conv.bench.ts: times conv3d forward, input-grad and weight-grad for the
layers given as JSON on stdin; prints JSON seconds per pass. Run by the TS benchmark."""
import json
import os
import sys
import time

import torch

torch.set_num_threads(int(os.environ.get('THREADS', os.cpu_count() or 1)))
spec = json.load(sys.stdin)
batch, reps = spec['batch'], spec['reps']
out = []
for layer in spec['layers']:
    x = torch.randn(batch, layer['cin'], *layer['input'], requires_grad=True)
    w = torch.randn(layer['cout'], layer['cin'], *layer['kernel'], requires_grad=True)
    conv = lambda: torch.nn.functional.conv3d(x, w, stride=layer['stride'], padding=layer['padding'])
    y = conv()
    g = torch.randn_like(y)

    def timed(fn):
        fn()
        best = float('inf')
        for _ in range(reps):
            t = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t)
        return best

    fwd = timed(conv)
    dx = timed(lambda: torch.autograd.grad(conv(), x, g)) - fwd
    dw = timed(lambda: torch.autograd.grad(conv(), w, g)) - fwd
    out.append({'forward': fwd, 'inputGrad': max(dx, 1e-9), 'weightGrad': max(dw, 1e-9)})
print(json.dumps({'threads': torch.get_num_threads(), 'results': out}))
