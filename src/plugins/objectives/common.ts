// What objective factories receive, and the lazily built momentum copy of the backbone.
import { nn, noGrad, type Tensor } from '../../engine/index.ts';
import type { Backbone, StepContext } from '../types.ts';
import { emaModule, initTarget } from './ema.ts';

export interface ObjectiveContext {
  /** Pooled feature size of the backbone (Features.dim). */
  featureDim: number;
  /**
   * Builds a fresh backbone of the online backbone's architecture, for momentum encoders (BYOL,
   * MoCo); the trainer passes `() => backbones.build(config, ctx)`. Its weights are overwritten
   * with the online backbone's on first use.
   */
  makeBackbone?: () => Backbone;
  /** Seed for objectives that draw random state (MoCo's initial queue). */
  seed?: number;
  /** The trainer's config (its `seed` is used when `seed` is absent). */
  config?: { seed?: number };
}

/** A target (momentum) copy of the online backbone and of one head, built on first use. */
export class MomentumPair {
  backbone: Backbone | null = null;
  head: nn.Sequential | null = null;

  constructor(readonly objective: string, readonly makeBackbone: (() => Backbone) | undefined, readonly makeHead: () => nn.Sequential) {}

  ensure(ctx: StepContext, onlineHead: nn.Sequential): { backbone: Backbone; head: nn.Sequential } {
    if (!this.backbone) {
      this.create();
      initTarget(this.backbone!, ctx.backbone);
      initTarget(this.head!, onlineHead);
    }
    return { backbone: this.backbone!, head: this.head! };
  }

  private create(): void {
    if (!this.makeBackbone) throw new Error(`objective '${this.objective}' needs a momentum copy of the backbone: pass makeBackbone in its build context`);
    this.backbone = this.makeBackbone().requiresGrad_(false);
    this.head = this.makeHead().requiresGrad_(false);
  }

  /** Target features of a batch of clips, without gradient (the target stays in training mode, as BYOL's). */
  embed(clips: Tensor): Tensor {
    return noGrad(() => this.head!.call(this.backbone!.call(clips)));
  }

  update(ctx: StepContext, onlineHead: nn.Sequential, m: number): void {
    if (!this.backbone) return;
    emaModule(this.backbone, ctx.backbone, m);
    emaModule(this.head!, onlineHead, m);
  }

  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    if (this.backbone) for (const [k, t] of Object.entries(this.backbone.stateDict())) out[`target_backbone.${k}`] = t;
    if (this.head) for (const [k, t] of Object.entries(this.head.stateDict())) out[`target_head.${k}`] = t;
    return out;
  }

  /** Loads what stateDict() saved (building the target first when needed). */
  loadStateDict(state: Record<string, Tensor>): void {
    const pick = (prefix: string) => Object.fromEntries(Object.entries(state).filter(([k]) => k.startsWith(prefix)).map(([k, t]) => [k.slice(prefix.length), t]));
    const bb = pick('target_backbone.');
    if (Object.keys(bb).length) {
      if (!this.backbone) this.create();
      this.backbone!.loadStateDict(bb);
      this.head!.loadStateDict(pick('target_head.'));
    }
  }

  dispose(): void {
    this.backbone?.dispose();
    this.head?.dispose();
  }
}
