"""Golden values for the 3D-CNN ops (conv3d, pooling, batch norm) from PyTorch, in float64.

Writes test/golden/fixtures/cnn.json: for each case the inputs, the upstream gradient u, the
output and the gradients of sum(out * u). Run: /usr/bin/python3 test/golden/cnn_fixtures.py
"""
import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(1234)
OUT = os.path.join(os.path.dirname(__file__), 'fixtures', 'cnn.json')


def rnd(*shape):
    return torch.randn(*shape, dtype=torch.float64)


def flat(t):
    return [float('%.9g' % v) for v in t.detach().flatten().tolist()]


cases = []


def record(case_id, kind, opts, inputs, fn):
    leaves = {k: v.clone().requires_grad_(True) if v.is_floating_point() else v for k, v in inputs.items()}
    y = fn(**leaves)
    u = torch.randn_like(y)
    (y * u).sum().backward()
    cases.append({
        'id': case_id,
        'kind': kind,
        'opts': opts,
        'inputs': {k: {'shape': list(v.shape), 'data': flat(v)} for k, v in inputs.items()},
        'u': flat(u),
        'out': {'shape': list(y.shape), 'data': flat(y)},
        'grads': {k: flat(v.grad) for k, v in leaves.items() if v.grad is not None},
        'extra': {},
    })
    return leaves


# conv3d grid: stride 1/2, padding 0/1/3, kernels 1x1x1, 3x3x3, 1x7x7, 3x1x1, dilation 2,
# groups 1/2/depthwise, batch 1 and 3, channels not multiples of 4, odd spatial sizes.
conv_grid = [
    # N, Cin, Cout, (D, H, W), kernel, stride, padding, dilation, groups, bias
    (1, 3, 5, (5, 7, 6), (3, 3, 3), 1, 1, 1, 1, True),
    (3, 3, 5, (5, 7, 6), (3, 3, 3), 2, 1, 1, 1, False),
    (1, 5, 7, (3, 9, 9), (1, 7, 7), 1, (0, 3, 3), 1, 1, True),
    (3, 6, 6, (5, 5, 5), (3, 1, 1), (2, 1, 1), (1, 0, 0), 1, 1, True),
    (1, 7, 3, (3, 5, 5), (1, 1, 1), 1, 0, 1, 1, True),
    (3, 6, 4, (4, 5, 7), (1, 1, 1), 2, 0, 1, 2, False),
    (1, 4, 6, (7, 7, 7), (3, 3, 3), 1, 2, 2, 2, True),
    (3, 6, 6, (5, 6, 7), (3, 3, 3), (1, 2, 2), 1, 1, 6, False),
    (1, 5, 10, (4, 6, 5), (3, 3, 3), 2, 3, 1, 5, True),
    (1, 3, 2, (9, 11, 13), (3, 7, 7), (1, 2, 2), (1, 3, 3), 1, 1, True),
    (1, 40, 36, (3, 5, 5), (3, 3, 3), 1, 1, 1, 1, True),
]
for i, (n, cin, cout, dhw, k, s, p, d, g, bias) in enumerate(conv_grid):
    inputs = {'x': rnd(n, cin, *dhw), 'w': rnd(cout, cin // g, *k) * 0.3}
    if bias:
        inputs['b'] = rnd(cout)
    opts = {'stride': s, 'padding': p, 'dilation': d, 'groups': g}
    record(f'conv3d_{i}', 'conv3d', opts, inputs,
           lambda x, w, b=None: F.conv3d(x, w, b, stride=s, padding=p, dilation=d, groups=g))

# conv2d (a depth-1 conv3d)
record('conv2d_0', 'conv2d', {'stride': 2, 'padding': 1, 'dilation': 1, 'groups': 1},
       {'x': rnd(2, 3, 9, 7), 'w': rnd(4, 3, 3, 3), 'b': rnd(4)},
       lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1))

pool_grid = [
    ('max', (2, 3, 5, 7, 6), {'kernelSize': 2}),
    ('max', (1, 2, 5, 7, 9), {'kernelSize': 3, 'stride': 2, 'padding': 1}),
    ('max', (1, 2, 5, 7, 9), {'kernelSize': [1, 3, 3], 'stride': [1, 2, 2], 'padding': [0, 1, 1], 'ceilMode': True}),
    ('max', (3, 4, 3, 3), {'kernelSize': 2, 'stride': 1}),
    ('avg', (2, 3, 5, 7, 6), {'kernelSize': 2}),
    ('avg', (1, 2, 5, 7, 9), {'kernelSize': 3, 'stride': 2, 'padding': 1, 'countIncludePad': True}),
    ('avg', (1, 2, 5, 7, 9), {'kernelSize': 3, 'stride': 2, 'padding': 1, 'countIncludePad': False, 'ceilMode': True}),
    ('adaptive', (2, 3, 5, 7, 6), {'outputSize': 1}),
    ('adaptive', (1, 2, 5, 7, 9), {'outputSize': [2, 3, 4]}),
    ('adaptive', (1, 2, 3, 4, 5), {'outputSize': [3, 5, 7]}),
]
for i, (kind, shape, o) in enumerate(pool_grid):
    def fn(x, kind=kind, o=o):
        if kind == 'max':
            return F.max_pool3d(x, o['kernelSize'], o.get('stride'), o.get('padding', 0), ceil_mode=o.get('ceilMode', False))
        if kind == 'avg':
            return F.avg_pool3d(x, o['kernelSize'], o.get('stride'), o.get('padding', 0), ceil_mode=o.get('ceilMode', False),
                                count_include_pad=o.get('countIncludePad', True))
        return F.adaptive_avg_pool3d(x, o['outputSize'])
    record(f'{kind}pool_{i}', 'adaptivePool3d' if kind == 'adaptive' else f'{kind}Pool3d', o, {'x': rnd(*shape)}, fn)

bn_grid = [((4, 3, 2, 5, 3), True), ((6, 5), True), ((3, 4, 3, 3, 2), False), ((2, 7, 3, 1, 5), True), ((5, 6), False)]
for i, (shape, training) in enumerate(bn_grid):
    c = shape[1]
    rm0, rv0 = rnd(c), torch.rand(c, dtype=torch.float64) + 0.5
    rm, rv = rm0.clone(), rv0.clone()
    record(f'batchnorm_{i}', 'batchNorm', {'training': training, 'momentum': 0.1, 'eps': 1e-5},
           {'x': rnd(*shape) * 2 + 1, 'w': rnd(c), 'b': rnd(c)},
           lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=training, momentum=0.1, eps=1e-5))
    cases[-1]['extra'] = {'runningMean0': flat(rm0), 'runningVar0': flat(rv0), 'runningMean': flat(rm), 'runningVar': flat(rv)}

with open(OUT, 'w') as f:
    json.dump({'generator': 'test/golden/cnn_fixtures.py', 'torch': torch.__version__, 'cases': cases}, f)
print(f'wrote {len(cases)} cases to {OUT}')
