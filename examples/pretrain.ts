// CSTP pretraining, the main job. With no arguments: makes (or reuses) the synthetic dataset
// (240-frame videos, so all four playback rates occur), pretrains the tiny backbone with STOR +
// speed + rotation + BYOL (fixed reference weights) for a budget of a few minutes on a software
// adapter, saves a checkpoint under runs/pretrain/checkpoints and prints a summary.
//
//   npx tsx examples/pretrain.ts
//   npx tsx examples/pretrain.ts --data data/ucf101-mp4 --backbone r2plus1d --batch-size 16 --epochs 10
//   npx tsx examples/pretrain.ts --resume            # continue the run in --out
//
// Exit status: 0 done; 130 / 143 stopped by SIGINT / SIGTERM after saving a checkpoint; 2 bad
// configuration; 1 any other error (a non-finite loss with onNonFinite 'stop', …).
import { init, shutdown } from '../src/engine/index.ts';
import { CLI_OPTIONS, ConfigError, checkPlugins, type PluginRegistries, type TrainConfig } from '../src/plugins/config.ts';
import { backbones, pretextTasks, objectives, weightings } from '../src/plugins/index.ts';
import { resolveConfig } from '../src/platform/node-train.ts';
import { heldOutSyntheticOptions } from '../src/platform/node-eval.ts';
import { DEFAULT_STEPS, evaluateRun, openDataset, pretrainRegistries as registries, runEvalData, runPretraining } from '../src/platform/node-pretrain.ts';
import { runCommand } from './lib/cli.ts';

function help(): string {
  const opts = CLI_OPTIONS.map((o) => `  ${(o.flag + (o.arg ? ` <${o.arg}>` : '')).padEnd(28)} ${o.help}`).join('\n');
  const list = (r: PluginRegistries[keyof PluginRegistries]) =>
    r.names().map((n) => `    ${n.padEnd(12)} ${r.spec(n).description ?? ''}`).join('\n');
  return `Usage: npx tsx examples/pretrain.ts [options]

Self-supervised pretraining of a video backbone with CSTP: pretext tasks (STOR spatial/temporal
overlap, playback speed, rotation, …) and a contrastive objective on the same clip pairs, combined
by a loss weighting. With no options: the synthetic dataset (made on first use under .cache/), the
tiny backbone, tasks stor,speed,rotation, objective byol, weighting fixed, AdamW with warmup + cosine,
${DEFAULT_STEPS} steps; the run goes to runs/pretrain (checkpoints/, log.jsonl, config.json).

Options:
${opts}

Config fields (--config file or --set path=value): data.{path,clipLength,size,augment,workers,
prefetch,sharedRotation,synthetic.{frames,size,classes,videosPerClass,seed}}, backbone, tasks,
objective, weighting, optimizer.{type,lr,momentum,nesterov,weightDecay,betas,eps}, schedule.{type,
warmup,minLrFactor}, batchSize, steps, epochs, clipGradNorm, seed, checkpointEvery, knnEvery,
evaluation.{stride,heldOut.{videosPerClass,frames,seed}}, out, onNonFinite.

Plugins:
  backbones (--backbone):
${list(backbones)}
  pretext tasks (--tasks):
${list(pretextTasks)}
  objectives (--objective):
${list(objectives)}
  loss weightings (--weighting):
${list(weightings)}

At the end (synthetic set only; skip with --no-eval) the pretrained backbone and the same backbone
at its random initialisation are evaluated with kNN and a linear probe on the synthetic motion
classes, on a held-out labelled set drawn with another seed (evaluation.heldOut: 40 videos of 64
frames per class, every 4th a test video; centre clips at rate evaluation.stride = 8); the table
goes to stdout and the results to <out>/eval.json (docs/evaluation.md; other protocols and
datasets: examples/evaluate.ts).

SIGINT (Ctrl-C) or SIGTERM saves a checkpoint after the current step and exits with 130 / 143;
--resume continues from the latest checkpoint in --out and gives the same losses as an
uninterrupted run. Exit status: 0 done, 2 bad configuration, 1 other errors.`;
}

async function main(): Promise<number> {
  const say = (s: string) => process.stdout.write(s + '\n');
  let config: TrainConfig;
  let cli;
  // --no-eval is this script's own flag (the trainer's CLI does not know it).
  const argv = process.argv.slice(2);
  const noEval = argv.includes('--no-eval');
  try {
    ({ config, cli } = await resolveConfig(argv.filter((a) => a !== '--no-eval')));
    if (cli.help) {
      say(help());
      return 0;
    }
    checkPlugins(config, registries);
    if (config.data.path === null && !(noEval && config.knnEvery === 0)) heldOutSyntheticOptions(config);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n(see --help)\n`);
      return 2;
    }
    throw err;
  }
  const adapter = await init();
  const adapterName = `${adapter.description}${adapter.software ? ' (software)' : ''}`;
  say(`adapter: ${adapterName}`);
  try {
    const dataset = await openDataset(config, say);
    // The held-out set is drawn before the loader's threads start (see runEvalData).
    const evalData = config.data.path === null && (!noEval || config.knnEvery > 0) ? await runEvalData(config, dataset, say) : undefined;
    const result = await runPretraining({
      config,
      adapter: adapterName,
      say,
      progress: cli.progress,
      dataset,
      evalData,
      evaluate: noEval
        ? undefined
        : async ({ trainer, result }) => {
            if (evalData) await evaluateRun(config, trainer.parts.backbone, evalData, result.checkpoint, result.step, adapterName, say);
            else say(`eval:       skipped (built in for the synthetic set only); run examples/evaluate.ts --checkpoint ${config.out} --data <labelled dataset> --protocol knn,linear`);
          },
    });
    return result.exitCode;
  } finally {
    await shutdown();
  }
}

runCommand(main);
