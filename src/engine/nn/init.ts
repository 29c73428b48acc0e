// Weight initialisers (torch.nn.init): in-place fills of existing tensors, drawn on the GPU from
// the engine's Generator (the default one, seeded by manualSeed, unless `generator` is given).
// Fan and gain follow PyTorch exactly; the random streams differ from PyTorch's CPU generator, so
// values match PyTorch in distribution, not element by element.
import type { Tensor } from '../tensor/tensor.ts';
import { tidy } from '../tensor/scope.ts';
import { fmt, type Shape } from '../tensor/shape.ts';
import { noGrad } from '../autograd/mode.ts';
import { assign } from '../ops/assign.ts';
import { full } from '../ops/creation.ts';
import { rand, randn } from '../ops/random.ts';
import type { Generator } from '../random/generator.ts';

export type Nonlinearity = 'linear' | 'identity' | 'conv1d' | 'conv2d' | 'conv3d' | 'conv_transpose1d' | 'conv_transpose2d' | 'conv_transpose3d' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';
export type FanMode = 'fan_in' | 'fan_out';

export interface InitOptions {
  generator?: Generator;
}

/** PyTorch's calculate_gain: the recommended scale of the std for a nonlinearity. */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'identity':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'conv_transpose1d':
    case 'conv_transpose2d':
    case 'conv_transpose3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      if (!Number.isFinite(slope)) throw new Error(`calculateGain: negative slope ${slope} is not a valid number`);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new Error(`calculateGain: unsupported nonlinearity '${nonlinearity as string}'`);
  }
}

/**
 * PyTorch's _calculate_fan_in_and_fan_out: for a weight [out, in, ...kernel], fan_in = in ·
 * prod(kernel) and fan_out = out · prod(kernel). Needs at least 2 dims.
 */
export function calculateFanInAndFanOut(shape: Shape): { fanIn: number; fanOut: number } {
  if (shape.length < 2) throw new Error(`init: fan in and fan out can not be computed for a tensor with fewer than 2 dimensions (shape ${fmt(shape)})`);
  let receptive = 1;
  for (let i = 2; i < shape.length; i++) receptive *= shape[i];
  return { fanIn: shape[1] * receptive, fanOut: shape[0] * receptive };
}

function fanOf(shape: Shape, mode: FanMode): number {
  if (mode !== 'fan_in' && mode !== 'fan_out') throw new Error(`init: mode must be 'fan_in' or 'fan_out', got '${mode as string}'`);
  const { fanIn, fanOut } = calculateFanInAndFanOut(shape);
  return mode === 'fan_in' ? fanIn : fanOut;
}

function fill(op: string, t: Tensor, make: () => Tensor): Tensor {
  t.assertLive(op);
  if (t.dtype !== 'float32') throw new Error(`${op}: expects a float32 tensor, got ${t.dtype}`);
  noGrad(() => tidy(() => void assign(t, make())));
  return t;
}

/** Fills with U(a, b). */
export function uniform_(t: Tensor, a = 0, b = 1, opts: InitOptions = {}): Tensor {
  return fill('uniform_', t, () => rand(t.shape, { generator: opts.generator }).mul(b - a).add(a));
}

/** Fills with N(mean, std²). */
export function normal_(t: Tensor, mean = 0, std = 1, opts: InitOptions = {}): Tensor {
  return fill('normal_', t, () => randn(t.shape, { generator: opts.generator }).mul(std).add(mean));
}

export function constant_(t: Tensor, value: number): Tensor {
  return fill('constant_', t, () => full(t.shape, value));
}

export const zeros_ = (t: Tensor) => constant_(t, 0);
export const ones_ = (t: Tensor) => constant_(t, 1);

export interface KaimingOptions extends InitOptions {
  /** Negative slope of the leaky ReLU that follows (only with nonlinearity 'leaky_relu'). Default 0. */
  a?: number;
  mode?: FanMode;
  nonlinearity?: Nonlinearity;
}

/** std = gain / √fan of kaiming_* (He et al.). */
export function kaimingStd(shape: Shape, opts: KaimingOptions = {}): number {
  const fan = fanOf(shape, opts.mode ?? 'fan_in');
  const gain = calculateGain(opts.nonlinearity ?? 'leaky_relu', opts.a ?? 0);
  return gain / Math.sqrt(fan);
}

/** kaiming_uniform_: U(-b, b) with b = gain · √(3 / fan). Defaults as PyTorch (a = 0, fan_in, leaky_relu). */
export function kaimingUniform_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(t.shape, opts);
  return uniform_(t, -bound, bound, opts);
}

/** kaiming_normal_: N(0, std²) with std = gain / √fan. */
export function kaimingNormal_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  return normal_(t, 0, kaimingStd(t.shape, opts), opts);
}

export interface XavierOptions extends InitOptions {
  gain?: number;
}

/** std = gain · √(2 / (fan_in + fan_out)) of xavier_* (Glorot & Bengio). */
export function xavierStd(shape: Shape, gain = 1): number {
  const { fanIn, fanOut } = calculateFanInAndFanOut(shape);
  return gain * Math.sqrt(2 / (fanIn + fanOut));
}

/** xavier_uniform_: U(-a, a) with a = gain · √(6 / (fan_in + fan_out)). */
export function xavierUniform_(t: Tensor, opts: XavierOptions = {}): Tensor {
  const a = Math.sqrt(3) * xavierStd(t.shape, opts.gain ?? 1);
  return uniform_(t, -a, a, opts);
}

/** xavier_normal_: N(0, std²) with std = gain · √(2 / (fan_in + fan_out)). */
export function xavierNormal_(t: Tensor, opts: XavierOptions = {}): Tensor {
  return normal_(t, 0, xavierStd(t.shape, opts.gain ?? 1), opts);
}

/**
 * PyTorch's default initialisation of Linear and ConvNd (their reset_parameters):
 * kaiming_uniform_(weight, a = √5), i.e. U(±1/√fan_in), and bias U(±1/√fan_in).
 */
export function defaultLayerInit_(weight: Tensor, bias: Tensor | null, opts: InitOptions = {}): void {
  kaimingUniform_(weight, { a: Math.sqrt(5), generator: opts.generator });
  if (bias) {
    const { fanIn } = calculateFanInAndFanOut(weight.shape);
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    uniform_(bias, -bound, bound, opts);
  }
}
