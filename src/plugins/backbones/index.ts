// The backbone registry: `backbones.build({ type: 'r2plus1d', layers: [1, 1, 1, 1] }, context)`.
// Defaults follow the CSTP/VCOP reference: R(2+1)D-10 and R3D-10 (layers [1,1,1,1]) at width 64,
// C3D with batch norm, and the tiny net at width 16. torchvision's r3d_18 / r2plus1d_18 are
// `{ type: 'r3d' | 'r2plus1d', layers: [2, 2, 2, 2] }`.
import { z } from 'zod';
import { Registry } from '../registry.ts';
import type { Backbone } from '../types.ts';
import type { BackboneContext } from './common.ts';
import { r3d } from './r3d.ts';
import { r2plus1d } from './r2plus1d.ts';
import { C3D } from './c3d.ts';
import { TinyNet } from './tiny.ts';

export type { BackboneContext } from './common.ts';
export { countParameters } from './common.ts';
export { VideoResNet, BasicBlock, BasicStem, conv3DSimple, midPlanes, r3d, type ConvBuilder } from './r3d.ts';
export { Conv2Plus1D, R2Plus1dStem, conv2Plus1D, r2plus1d, stemMidPlanes } from './r2plus1d.ts';
export { C3D } from './c3d.ts';
export { TinyNet } from './tiny.ts';

export const backbones = new Registry<Backbone, BackboneContext>('backbone');

const positiveInt = z.number().int().positive();
const layers = z.array(positiveInt).length(4, 'layers must list the blocks of the 4 stages');

backbones.register('r3d', {
  description: 'torchvision VideoResNet with 3×3×3 convs (layers [1,1,1,1] = R3D-10, [2,2,2,2] = r3d_18), 8·width features',
  schema: z.object({ layers: layers.default([1, 1, 1, 1]), width: positiveInt.default(64) }).strict(),
  create: (o, ctx) => r3d({ layers: o.layers, width: o.width, generator: ctx.generator, skipInit: ctx.skipInit }),
});

backbones.register('r2plus1d', {
  description: 'torchvision R(2+1)D (layers [1,1,1,1] = R(2+1)D-10, the reference; [2,2,2,2] = r2plus1d_18), 8·width features',
  schema: z.object({ layers: layers.default([1, 1, 1, 1]), width: positiveInt.default(64) }).strict(),
  create: (o, ctx) => r2plus1d({ layers: o.layers, width: o.width, generator: ctx.generator, skipInit: ctx.skipInit }),
});

backbones.register('c3d', {
  description: 'C3D with batch norm (VCOP), global average pool → 8·width (512) features',
  schema: z.object({ width: positiveInt.default(64) }).strict(),
  create: (o, ctx) => new C3D({ width: o.width, generator: ctx.generator, skipInit: ctx.skipInit }),
});

backbones.register('tiny', {
  description: 'tiny (2+1)D CNN for software adapters, channels width·[1,2,4,8], 8·width features; residual: scale of the residual-frame input (0: RGB only)',
  schema: z.object({ width: positiveInt.default(16), residual: z.number().min(0).default(4) }).strict(),
  create: (o, ctx) => new TinyNet({ width: o.width, residual: o.residual, generator: ctx.generator, skipInit: ctx.skipInit }),
});
