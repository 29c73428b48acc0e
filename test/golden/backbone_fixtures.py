#!/usr/bin/env python3
"""Reference backbones in PyTorch (torchvision 0.14's VideoResNet classes) for test/backbones.test.ts.

Builds the same models as src/plugins/backbones with torchvision's own BasicBlock, Conv3DSimple,
Conv2Plus1D, BasicStem and R2Plus1dStem (the narrow `width` variants mirror VideoResNet._make_layer),
checks them against torchvision's r3d_18 / r2plus1d_18 (same state_dict keys and shapes, minus fc),
and writes:
  fixtures/backbones.json                   per model: config, parameter count, state_dict [key, shape]
  fixtures/backbone_r2plus1d10_w8.safetensors  R(2+1)D-10 at width 8: random weights and BN statistics
  fixtures/backbone_tiny_w8.safetensors        the tiny net at width 8, likewise
  fixtures/backbone_io.safetensors           input clips x [2,3,8,32,32] and each model's features in
                                             eval mode, then in train mode (batch statistics), and the
                                             running statistics of two BN layers after the train pass
Run: /usr/bin/python3 test/golden/backbone_fixtures.py
"""
import json
import os
import sys

import torch
import torch.nn as nn
import torchvision.models.video.resnet as tvr

sys.path.insert(0, os.path.dirname(__file__))
from safetensors_fixtures import serialize, torch_entry  # noqa: E402

HERE = os.path.join(os.path.dirname(__file__), 'fixtures')
torch.manual_seed(11)


class NarrowStem2Plus1D(nn.Sequential):
    def __init__(self, width):
        mid = 45 if width == 64 else max(1, round(45 * width / 64))
        super().__init__(
            nn.Conv3d(3, mid, kernel_size=(1, 7, 7), stride=(1, 2, 2), padding=(0, 3, 3), bias=False),
            nn.BatchNorm3d(mid), nn.ReLU(inplace=True),
            nn.Conv3d(mid, width, kernel_size=(3, 1, 1), stride=(1, 1, 1), padding=(1, 0, 0), bias=False),
            nn.BatchNorm3d(width), nn.ReLU(inplace=True))


class NarrowBasicStem(nn.Sequential):
    def __init__(self, width):
        super().__init__(
            nn.Conv3d(3, width, kernel_size=(3, 7, 7), stride=(1, 2, 2), padding=(1, 3, 3), bias=False),
            nn.BatchNorm3d(width), nn.ReLU(inplace=True))


class VideoResNetFeatures(nn.Module):
    """torchvision's VideoResNet (BasicBlock) without fc, with a configurable first-stage width."""

    def __init__(self, conv_builder, layers, width=64):
        super().__init__()
        self.inplanes = width
        if width == 64:
            self.stem = tvr.R2Plus1dStem() if conv_builder is tvr.Conv2Plus1D else tvr.BasicStem()
        else:
            self.stem = NarrowStem2Plus1D(width) if conv_builder is tvr.Conv2Plus1D else NarrowBasicStem(width)
        self.layer1 = self._make_layer(conv_builder, width, layers[0], 1)
        self.layer2 = self._make_layer(conv_builder, width * 2, layers[1], 2)
        self.layer3 = self._make_layer(conv_builder, width * 4, layers[2], 2)
        self.layer4 = self._make_layer(conv_builder, width * 8, layers[3], 2)
        self.avgpool = nn.AdaptiveAvgPool3d((1, 1, 1))

    def _make_layer(self, conv_builder, planes, blocks, stride):
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(
                nn.Conv3d(self.inplanes, planes, kernel_size=1, stride=conv_builder.get_downsample_stride(stride), bias=False),
                nn.BatchNorm3d(planes))
        layers = [tvr.BasicBlock(self.inplanes, planes, conv_builder, stride, downsample)]
        self.inplanes = planes
        for _ in range(1, blocks):
            layers.append(tvr.BasicBlock(planes, planes, conv_builder))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.stem(x)
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.avgpool(x).flatten(1)


class C3D(nn.Module):
    """C3D with BN, pool5 = AdaptiveAvgPool3d(1) (VCOP's models/c3d.py, without the classifier)."""

    def __init__(self, width=64):
        super().__init__()
        cin = 3
        self.plan = []
        for name, mult, pool in [('1', 1, (1, 2, 2)), ('2', 2, (2, 2, 2)), ('3a', 4, None), ('3b', 4, (2, 2, 2)),
                                 ('4a', 8, None), ('4b', 8, (2, 2, 2)), ('5a', 8, None), ('5b', 8, None)]:
            cout = width * mult
            setattr(self, 'conv' + name, nn.Conv3d(cin, cout, kernel_size=(3, 3, 3), padding=(1, 1, 1)))
            setattr(self, 'bn' + name, nn.BatchNorm3d(cout))
            setattr(self, 'relu' + name, nn.ReLU())
            if pool:
                setattr(self, 'pool' + name[0], nn.MaxPool3d(kernel_size=pool, stride=pool))
            self.plan.append((name, pool))
            cin = cout
        self.pool5 = nn.AdaptiveAvgPool3d(1)

    def forward(self, x):
        for name, pool in self.plan:
            x = getattr(self, 'relu' + name)(getattr(self, 'bn' + name)(getattr(self, 'conv' + name)(x)))
            if pool:
                x = getattr(self, 'pool' + name[0])(x)
        return self.pool5(x).flatten(1)


class Tiny(nn.Module):
    """The tiny net of src/plugins/backbones/tiny.ts."""

    def __init__(self, width=16, residual=4.0):
        super().__init__()
        w = width
        self.residual = residual
        self.stem = nn.Sequential(nn.Conv3d(6 if residual > 0 else 3, w, (3, 5, 5), stride=(1, 4, 4), padding=(1, 2, 2), bias=False),
                                  nn.BatchNorm3d(w), nn.ReLU())

        def stage(cin, cout):
            return nn.Sequential(
                nn.Conv3d(cin, cout, (1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1), bias=False), nn.BatchNorm3d(cout), nn.ReLU(),
                nn.Conv3d(cout, cout, (3, 1, 1), stride=(2, 1, 1), padding=(1, 0, 0), bias=False), nn.BatchNorm3d(cout), nn.ReLU())
        self.layer1 = stage(w, 2 * w)
        self.layer2 = stage(2 * w, 4 * w)
        self.layer3 = stage(4 * w, 8 * w)
        self.avgpool = nn.AdaptiveAvgPool3d((1, 1, 1))

    def forward(self, x):
        if self.residual > 0:  # residual frames: scale·(x[t+1] − x[t]), the last one repeated
            d = (x[:, :, 1:] - x[:, :, :-1]) * self.residual
            x = torch.cat([x, torch.cat([d, d[:, :, -1:]], 2)], 1)
        return self.avgpool(self.layer3(self.layer2(self.layer1(self.stem(x))))).flatten(1)


def build(kind, layers=None, width=None):
    if kind == 'r3d':
        return VideoResNetFeatures(tvr.Conv3DSimple, layers, width or 64)
    if kind == 'r2plus1d':
        return VideoResNetFeatures(tvr.Conv2Plus1D, layers, width or 64)
    if kind == 'c3d':
        return C3D(width or 64)
    if kind == 'tiny':
        return Tiny(width or 16)
    raise ValueError(kind)


def describe(model):
    sd = model.state_dict()
    return {'params': sum(p.numel() for p in model.parameters()),
            'keys': [[k, list(v.shape)] for k, v in sd.items()]}


def same_as_torchvision(model, tv):
    mine = [(k, tuple(v.shape)) for k, v in model.state_dict().items()]
    theirs = [(k, tuple(v.shape)) for k, v in tv.state_dict().items() if not k.startswith('fc.')]
    assert mine == theirs, 'state_dict differs from torchvision'


def randomize(model, gen):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv3d):
                fan_in = m.weight[0].numel()
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * (2.0 / fan_in) ** 0.5)
                if m.bias is not None:
                    m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.1)
            elif isinstance(m, nn.BatchNorm3d):
                m.weight.copy_(1 + 0.2 * torch.randn(m.weight.shape, generator=gen))
                m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=gen))
                m.running_mean.copy_(0.1 * torch.randn(m.running_mean.shape, generator=gen))
                m.running_var.copy_(1 + 0.5 * torch.rand(m.running_var.shape, generator=gen))
                m.num_batches_tracked.fill_(3)


def main():
    configs = {
        'r3d18': ('r3d', [2, 2, 2, 2], None),
        'r3d10': ('r3d', [1, 1, 1, 1], None),
        'r2plus1d18': ('r2plus1d', [2, 2, 2, 2], None),
        'r2plus1d10': ('r2plus1d', [1, 1, 1, 1], None),
        'c3d': ('c3d', None, None),
        'tiny': ('tiny', None, None),
        'r2plus1d10_w8': ('r2plus1d', [1, 1, 1, 1], 8),
        'r3d10_w8': ('r3d', [1, 1, 1, 1], 8),
        'c3d_w8': ('c3d', None, 8),
        'tiny_w8': ('tiny', None, 8),
    }
    out = {'torch': torch.__version__, 'models': {}}
    for name, (kind, layers, width) in configs.items():
        model = build(kind, layers, width)
        entry = {'type': kind, **({'layers': layers} if layers else {}), **({'width': width} if width else {})}
        entry.update(describe(model))
        out['models'][name] = entry
        print(f'{name}: {entry["params"]:,} parameters')
    same_as_torchvision(build('r3d', [2, 2, 2, 2]), tvr.r3d_18())
    same_as_torchvision(build('r2plus1d', [2, 2, 2, 2]), tvr.r2plus1d_18())
    same_as_torchvision(build('r3d', [1, 1, 1, 1]), tvr.VideoResNet(tvr.BasicBlock, [tvr.Conv3DSimple] * 4, [1, 1, 1, 1], tvr.BasicStem))
    same_as_torchvision(build('r2plus1d', [1, 1, 1, 1]), tvr.VideoResNet(tvr.BasicBlock, [tvr.Conv2Plus1D] * 4, [1, 1, 1, 1], tvr.R2Plus1dStem))
    assert out['models']['r3d18']['params'] == 33_166_272, out['models']['r3d18']['params']
    assert out['models']['r2plus1d18']['params'] == 31_300_125, out['models']['r2plus1d18']['params']

    gen = torch.Generator().manual_seed(5)
    x = torch.randn(2, 3, 8, 32, 32, generator=gen)
    io = {'x': torch_entry(x)}
    forward = {}
    for name, file, bn_keys in [('r2plus1d10_w8', 'backbone_r2plus1d10_w8.safetensors', ['stem.1', 'layer4.0.conv2.1']),
                                ('tiny_w8', 'backbone_tiny_w8.safetensors', ['stem.1', 'layer3.4'])]:
        kind, layers, width = configs[name]
        model = build(kind, layers, width)
        randomize(model, gen)
        with open(os.path.join(HERE, file), 'wb') as f:
            f.write(serialize({k: torch_entry(v) for k, v in model.state_dict().items()}))
        model.eval()
        with torch.no_grad():
            io[f'{name}.eval'] = torch_entry(model(x))
        model.train()
        with torch.no_grad():
            io[f'{name}.train'] = torch_entry(model(x))
        for k in bn_keys:
            io[f'{name}.after.{k}.running_mean'] = torch_entry(model.state_dict()[f'{k}.running_mean'])
            io[f'{name}.after.{k}.running_var'] = torch_entry(model.state_dict()[f'{k}.running_var'])
        forward[name] = {'weights': file, 'bn': bn_keys}
    out['forward'] = forward
    with open(os.path.join(HERE, 'backbone_io.safetensors'), 'wb') as f:
        f.write(serialize(io))
    with open(os.path.join(HERE, 'backbones.json'), 'w') as f:
        json.dump(out, f, separators=(',', ':'))
        f.write('\n')


if __name__ == '__main__':
    main()
