// A pretext task written as a third-party plugin: arrow of time (is a clip played forwards or
// backwards?). Registered from this module, nothing under src/ changes; then the standard CLI
// (examples/pretrain.ts) trains it with the built-ins: STOR + rotation + BYOL + arrow.
//
//   npx tsx examples/custom-task.ts                 # 60 steps on the synthetic set
//   npx tsx examples/custom-task.ts --steps 200 --weighting uncertainty   # any pretrain.ts flag
//
// The summary prints every loss at the start and end of the run against its chance level
// (`arrow ... chance 0.693`); docs/plugins.md walks through this file.
import { z } from 'zod';
import { F, nn, tensor } from '../src/engine/index.ts';
import { pretextTasks, classify, mlp, type Backbone, type Batch, type Features, type PretextTask, type TaskOutput } from '../src/plugins/index.ts';

class ArrowOfTimeTask implements PretextTask {
  readonly name = 'arrow';
  // One view from the sampler, no labels: the task makes its own targets.
  readonly needs = { views: 1, labels: [], notes: ['plays view 0 backwards itself (a flip view of the time axis)'] };
  readonly head: nn.Sequential;

  constructor(private readonly backbone: Backbone, hidden: number) {
    this.head = mlp(backbone.featureDim, hidden, 2); // Linear-BN-ReLU-Linear, saved as tasks.arrow.*
  }

  chance(): Record<string, number> {
    return { arrow: Math.log(2) }; // two balanced classes
  }

  forward(_features: Features, batch: Batch): TaskOutput {
    const clips = batch.views[0]; // [N, C, T, H, W]
    const n = clips.shape[0];
    // Every clip forwards (class 0) and reversed (class 1): flip(2) is a strided view, no copy.
    // One backbone call for both halves, so batch norm sees them together (no statistics shortcut).
    const features = this.backbone.call(F.cat([clips, clips.flip(2)], 0));
    const target = tensor(Int32Array.from({ length: 2 * n }, (_, i) => (i < n ? 0 : 1)), [2 * n], { dtype: 'int32' });
    const { loss, accuracy } = classify(this.head.call(features), target);
    return { losses: { arrow: loss }, metrics: { arrow_acc: accuracy } };
  }
}

pretextTasks.register('arrow', {
  description: 'arrow of time: view 0 played forwards or backwards (2 classes)',
  schema: z.strictObject({ hidden: z.number().int().positive().default(128) }),
  create: (o, ctx) => {
    if (!ctx.backbone) throw new Error("pretext task 'arrow' needs the backbone in its build context");
    return new ArrowOfTimeTask(ctx.backbone, o.hidden);
  },
});

// The standard job, with this module's defaults in front of the user's flags (later flags win).
process.argv.splice(2, 0, '--tasks', 'stor,rotation,arrow', '--objective', 'byol', '--steps', '60', '--out', 'runs/custom-task');
await import('./pretrain.ts');
