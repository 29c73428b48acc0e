// MoCo v2 (Chen et al. 2020): query = online backbone + MLP projector, key = momentum copies
// (backbone + projector, m = 0.999 constant), a queue of K normalised keys as negatives, InfoNCE
// with temperature τ = 0.2: logits [N, 1 + K] = [q·k₊, q·queueᵀ] / τ, target 0.
// View 0 gives queries and view 1 keys; `symmetric` adds the swapped term (and averages).
// The queue is written in afterStep (after backward: the queue is saved for matmul's backward),
// K must be a multiple of the batch size.
import { nn, F, noGrad, keep, tidy, randn, zeros, tensor, Generator, type Tensor } from '../../engine/index.ts';
import type { Objective, Features, Batch, StepContext, TaskOutput } from '../types.ts';
import { mlp } from '../heads/mlp.ts';
import { MomentumPair, type ObjectiveContext } from './common.ts';

export interface MocoOptions {
  temperature: number;
  queueSize: number;
  momentum: number;
  hidden: number;
  projectionDim: number;
  symmetric: boolean;
}

/** InfoNCE of queries q [N, d] against positives k [N, d] and negatives queue [K, d] (all normalised). */
export function mocoLoss(q: Tensor, k: Tensor, queue: Tensor, temperature: number): Tensor {
  const pos = q.mul(k).sum(1, true);
  const neg = q.matmul(queue.transpose(0, 1));
  const logits = F.cat([pos, neg], 1).div(temperature);
  return F.crossEntropy(logits, zeros([q.shape[0]], { dtype: 'int32' }));
}

export class Moco implements Objective {
  readonly name = 'moco';
  readonly module: nn.ModuleDict<nn.Sequential>;
  readonly target: MomentumPair;
  /** [K, d] normalised keys. */
  readonly queue: Tensor;
  /** Next row of the queue to overwrite. */
  ptr = 0;
  private pending: Tensor[] = [];

  constructor(readonly opts: MocoOptions, ctx: ObjectiveContext) {
    const make = (): nn.Sequential => mlp(ctx.featureDim, opts.hidden, opts.projectionDim, { batchNorm: false });
    this.module = new nn.ModuleDict<nn.Sequential>({ projector: make() });
    this.target = new MomentumPair('moco', ctx.makeBackbone, make);
    this.queue = keep(noGrad(() => F.normalize(randn([opts.queueSize, opts.projectionDim], { generator: new Generator(ctx.seed ?? ctx.config?.seed ?? 0) }))));
  }

  forward(features: Features, batch: Batch, ctx: StepContext): TaskOutput {
    const projector = this.module.get('projector');
    this.target.ensure(ctx, projector);
    if (features.pooled.length !== 2 || batch.views.length !== 2) throw new Error(`objective 'moco': needs 2 views, got ${features.pooled.length}`);
    const n = features.pooled[0].shape[0];
    if (this.opts.queueSize % n !== 0) throw new Error(`objective 'moco': queueSize ${this.opts.queueSize} is not a multiple of the batch size ${n}`);
    const q = features.pooled.map((f) => F.normalize(projector.call(f)));
    const k = batch.views.map((clip) => noGrad(() => F.normalize(this.target.embed(clip))));
    let loss = mocoLoss(q[0], k[1], this.queue, this.opts.temperature);
    for (const t of this.pending) t.dispose();
    this.pending = [keep(k[1])];
    if (this.opts.symmetric) {
      loss = loss.add(mocoLoss(q[1], k[0], this.queue, this.opts.temperature)).mul(0.5);
      this.pending.push(keep(k[0]));
    }
    return { losses: { contrastive: loss } };
  }

  afterStep(ctx: StepContext): void {
    this.target.update(ctx, this.module.get('projector'), this.opts.momentum);
    tidy(() => noGrad(() => {
      for (const keys of this.pending) {
        const n = keys.shape[0];
        this.queue.slice(0, this.ptr, this.ptr + n).assign(keys);
        this.ptr = (this.ptr + n) % this.opts.queueSize;
        keys.dispose();
      }
    }));
    this.pending = [];
  }

  /** Target encoder, `queue` and `queue_ptr` (an int32 scalar, MoCo's buffer name); the caller owns `queue_ptr`. */
  stateDict(): Record<string, Tensor> {
    return { ...this.target.stateDict(), queue: this.queue, queue_ptr: tensor([this.ptr], [], { dtype: 'int32' }) };
  }

  /**
   * Restores the target, the queue and the pointer. The pointer is read back asynchronously (it
   * lands long before the next afterStep, which follows the trainer's loss readback);
   * `ready` resolves when it has.
   */
  loadStateDict(state: Record<string, Tensor>): void {
    this.target.loadStateDict(state);
    if (state.queue) noGrad(() => this.queue.assign(state.queue));
    const p = state.queue_ptr;
    if (p) {
      const copy = keep(noGrad(() => p.int().reshape([1]).contiguous().clone()));
      this.ready = copy.data().then((v) => {
        this.ptr = Number(v[0]) % this.opts.queueSize;
        copy.dispose();
      });
    }
  }

  /** Resolves when a loaded queue pointer has been read back. */
  ready: Promise<void> = Promise.resolve();
}
