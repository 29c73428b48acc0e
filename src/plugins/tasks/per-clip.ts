// Per-clip classification tasks: rotation (4 classes, a label per clip, clips already rotated by
// the sampler) and playback speed (4 classes, one label per pair, predicted from each clip).
// One Linear-BN-ReLU-Linear head shared by the clips; the loss is the mean over the clips.
import { nn, F } from '../../engine/index.ts';
import type { PretextTask, Features, Batch, TaskOutput } from '../types.ts';
import { mlp } from '../heads/mlp.ts';
import { classify, label, column } from './common.ts';

export interface PerClipTaskOptions {
  featureDim: number;
  hidden: number;
  classes: number;
  views: number;
}

export class PerClipTask implements PretextTask {
  readonly needs: { views: number; labels: string[] };
  readonly head: nn.ModuleDict<nn.Sequential>;

  /** `labelName` is a [N, V] label (one class per clip) when `perClipLabel`, else [N] shared by the clips. */
  constructor(readonly name: string, readonly labelName: string, readonly perClipLabel: boolean, readonly opts: PerClipTaskOptions) {
    this.needs = { views: opts.views, labels: [labelName] };
    this.head = new nn.ModuleDict<nn.Sequential>({ [name]: mlp(opts.featureDim, opts.hidden, opts.classes) });
  }

  chance(): Record<string, number> {
    return { [this.name]: Math.log(this.opts.classes) };
  }

  forward(features: Features, batch: Batch): TaskOutput {
    const y = label(batch, this.labelName, this.name);
    const v = features.pooled.length;
    // All clips through the head in one batch [V·N, D] (view-major), targets in the same order.
    const x = F.cat(features.pooled, 0);
    const target = this.perClipLabel ? F.cat(Array.from({ length: v }, (_, i) => column(y, i)), 0) : F.cat(Array.from({ length: v }, () => y), 0);
    const { loss, accuracy } = classify(this.head.get(this.name).call(x), target);
    return { losses: { [this.name]: loss }, metrics: { [`${this.name}_acc`]: accuracy } };
  }
}

export const rotationTask = (o: PerClipTaskOptions): PerClipTask => new PerClipTask('rotation', 'rotation', true, o);
export const speedTask = (o: PerClipTaskOptions): PerClipTask => new PerClipTask('speed', 'speed', false, o);
