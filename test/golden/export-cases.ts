// Writes the op-case specs and their deterministic inputs to test/golden/cases.json, the input of
// generate.py (PyTorch). Run through `npm run golden`.
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CASES } from '../cases/ops.ts';
import { hasGrad, inputValues, parseWave, refForward, refLeaves, upstreamGen, upstreamValues, checksum } from '../cases/gen.ts';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'cases.json');

const cases = CASES.map((c) => {
  const leaves = refLeaves(c);
  const ref = refForward(c, leaves);
  const grad = hasGrad(c);
  const u = grad ? upstreamValues(c, ref.shape) : null;
  const uGen = upstreamGen(ref.data.length);
  return {
    id: c.id,
    family: c.family,
    op: c.op,
    torch: c.torch,
    big: c.big,
    tol: c.tol,
    gradTol: c.gradTol,
    outShape: ref.shape,
    outDtype: ref.dtype ?? 'float32',
    inputs: c.inputs.map((s, i) => {
      const vals = inputValues(c, i);
      return {
        shape: s.shape,
        dtype: s.dtype,
        grad: s.grad,
        view: s.view ?? [],
        gen: s.gen,
        checksum: checksum(vals),
        ...(parseWave(s.gen) ? {} : { values: Array.from(vals) }),
      };
    }),
    u: u && {
      gen: uGen,
      checksum: checksum(u),
      ...(parseWave(uGen) ? {} : { values: Array.from(u) }),
    },
  };
});

mkdirSync(here, { recursive: true });
writeFileSync(out, JSON.stringify({ version: 1, cases }));
console.log(`export-cases: ${cases.length} cases -> ${out}`);
