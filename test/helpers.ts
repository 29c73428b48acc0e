// Small helpers shared by the Node test files.
import * as assert from 'uvu/assert';

/** Asserts two arrays are elementwise close: |a - b| <= atol + rtol |b|. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol = 1e-5, atol = 1e-6, what = 'values'): void {
  assert.is(actual.length, expected.length, `${what}: length ${actual.length} vs ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
      assert.unreachable(`${what}[${i}]: got ${a}, expected ${e} (rtol ${rtol}, atol ${atol})`);
    }
  }
}

/** Asserts that fn throws an error whose message matches every pattern. */
export function assertThrows(fn: () => unknown, ...patterns: RegExp[]): void {
  let message = '';
  try {
    fn();
  } catch (err) {
    message = (err as Error).message;
  }
  assert.ok(message, 'expected an error');
  for (const p of patterns) assert.match(message, p);
}
