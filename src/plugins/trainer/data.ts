// A DataSource over the pair loader (src/data/loader.ts): epochs one after another, step s at
// batch s mod B of epoch ⌊s / B⌋ (B = batches per epoch), labels as int32 tensors. Resuming at
// step s skips the first batches of its epoch on the CPU side only (`loader.decoded` +
// `loader.assemble`), so the resumed run sees exactly the batches the uninterrupted one would.
import { tensor } from '../../engine/index.ts';
import type { PairBatch, PairLoader, PairLoaderOptions } from '../../data/loader.ts';
import type { TrainConfig } from '../config.ts';
import type { DataSource, TrainBatch } from './types.ts';

/** Turns a loader batch into the trainer's Batch (label arrays → int32 tensors on the GPU). */
export function toTrainBatch(b: PairBatch): TrainBatch {
  const n = b.labels.speed.length;
  const int = (a: Int32Array, shape: number[]) => tensor(a, shape, { dtype: 'int32' });
  const labels = {
    speed: int(b.labels.speed, [n]),
    temporal: int(b.labels.temporal, [n]),
    spatial: int(b.labels.spatial, [n]),
    rotation: int(b.labels.rotation, [n, 2]),
    order: int(b.labels.order, [n]),
    label: int(b.labels.class, [n]),
  };
  return {
    views: [...b.views],
    labels,
    epoch: b.epoch,
    dispose: () => {
      b.dispose();
      for (const t of Object.values(labels)) t.dispose();
    },
  };
}

export function loaderSource(loader: PairLoader, datasetSize: number): DataSource {
  const batchesPerEpoch = loader.options.dropLast ? Math.floor(datasetSize / loader.options.batchSize) : Math.ceil(datasetSize / loader.options.batchSize);
  if (batchesPerEpoch < 1) throw new Error(`the dataset has ${datasetSize} videos, fewer than one batch of ${loader.options.batchSize}; lower batchSize`);
  return {
    batchesPerEpoch,
    async *batches(fromStep: number) {
      let epoch = Math.floor(fromStep / batchesPerEpoch);
      let skip = fromStep % batchesPerEpoch;
      for (;;) {
        let any = false;
        if (skip > 0) {
          for await (const d of loader.decoded(epoch)) {
            any = true;
            if (d.index < skip) continue;
            const b = toTrainBatch(loader.assemble(d));
            yield b;
          }
          skip = 0;
        } else {
          for await (const pb of loader.epoch(epoch)) {
            any = true;
            yield toTrainBatch(pb);
          }
        }
        if (!any) throw new Error(`epoch ${epoch} produced no batch (every video skipped? see the loader's report)`);
        epoch++;
      }
    },
    close: () => loader.close(),
  };
}

/** The pair loader's options from a training config (everything but the dataset and platform extras). */
export function pairLoaderOptions(config: TrainConfig): Omit<PairLoaderOptions, 'dataset'> {
  return {
    batchSize: config.batchSize,
    seed: config.seed,
    clipLength: config.data.clipLength,
    size: [config.data.size, config.data.size],
    augment: config.data.augment ? undefined : false,
    stor: { sharedRotation: config.data.sharedRotation },
    workers: config.data.workers ?? undefined,
    prefetch: config.data.prefetch,
  };
}
