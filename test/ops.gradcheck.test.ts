// Every op against the float64 CPU reference (test/reference/): forward values, and analytic input
// gradients vs central finite differences of the reference (a sample of elements per input).
// Filters: see ops-suite.ts.
import * as engine from '../src/engine/index.ts';
import { runGradcheck } from './cases/run.ts';
import { opsSuite } from './ops-suite.ts';

const { test } = opsSuite('ops: gradcheck (float64 reference + finite differences)', 'gradcheck', (filter) => runGradcheck(engine, filter));

test.run();
