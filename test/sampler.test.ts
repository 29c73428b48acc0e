// Samplers (src/data/samplers) and the PRNG (src/data/random.ts): property tests over thousands of
// random draws. The STOR labels are checked against what the returned clip specs actually are: the
// temporal overlap is measured from the returned frame positions, the spatial overlap from the
// returned boxes.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Random, hashKeys } from '../src/data/random.ts';
import { clipAt, clipSpan, sampleClip, uniformClips, centreClip } from '../src/data/samplers/clip.ts';
import { boxInside, intersectionArea, sampleResizedCrop } from '../src/data/samplers/crop.ts';
import { allowedRates, clipOrder, diagonalShift, pairFrames, resolveStorOptions, sampleStorPair, type StorOptions, type StorPair } from '../src/data/samplers/stor.ts';

const test = suite('samplers');
const note = (s: string) => console.log(`\nnote: ${s}`);

/** Chi-square statistic of counts against a uniform distribution. */
function chiSquare(counts: number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const e = total / counts.length;
  return counts.reduce((s, c) => s + (c - e) ** 2 / e, 0);
}
/** Upper critical value of chi-square with k dof at p = 1e-4 (Wilson–Hilferty; z = 3.719). */
function chiCritical(k: number): number {
  const z = 3.719;
  return k * (1 - 2 / (9 * k) + z * Math.sqrt(2 / (9 * k))) ** 3;
}
function assertUniform(counts: number[], what: string): number {
  const chi = chiSquare(counts);
  const crit = chiCritical(counts.length - 1);
  assert.ok(chi < crit, `${what}: chi-square ${chi.toFixed(2)} ≥ ${crit.toFixed(2)} (counts ${counts})`);
  return chi;
}

// ---------------- PRNG ----------------

test('Random: deterministic, derive() is a pure function of (seed, keys), ranges and uniformity', () => {
  const a = new Random(42);
  const b = new Random(42);
  const xs = Array.from({ length: 100 }, () => a.u32());
  assert.equal(xs, Array.from({ length: 100 }, () => b.u32()));
  assert.not.equal(xs, Array.from({ length: 100 }, () => new Random(43).u32()));
  assert.is(Random.derive(1, 'epoch', 3).u32(), Random.derive(1, 'epoch', 3).u32());
  const keyed = new Set([hashKeys(1, 2, 3), hashKeys(1, 3, 2), hashKeys(1, 23), hashKeys(12, 3), hashKeys(1, '2', 3), hashKeys(2 ** 40, 1), hashKeys(-1, 1)]);
  assert.is(keyed.size, 7, 'different key paths give different streams');
  const r = new Random('text seed');
  const counts = new Array(7).fill(0);
  for (let i = 0; i < 70000; i++) {
    const f = r.float();
    assert.ok(f >= 0 && f < 1);
    const k = r.int(3, 9);
    assert.ok(Number.isInteger(k) && k >= 3 && k <= 9);
    counts[k - 3]++;
  }
  assertUniform(counts, 'int(3, 9)');
  const perm = r.permutation(50);
  assert.equal([...perm].sort((p, q) => p - q), Array.from({ length: 50 }, (_, i) => i));
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < 20000; i++) {
    const v = r.normal();
    s += v;
    s2 += v * v;
  }
  assert.ok(Math.abs(s / 20000) < 0.05 && Math.abs(s2 / 20000 - 1) < 0.05, 'normal(): mean 0, variance 1');
});

// ---------------- clip sampler ----------------

test('clip sampler: T frames at stride s inside the video; short videos loop to fill T', () => {
  const rng = new Random(1);
  let wrappedSeen = 0;
  for (let i = 0; i < 5000; i++) {
    const L = rng.int(1, 300);
    const T = rng.int(1, 32);
    const stride = rng.chance(0.7) ? rng.pick([1, 2, 3, 4, 8]) : rng.uniform(0.5, 6);
    const c = sampleClip(L, { clipLength: T, stride }, rng);
    assert.is(c.frames.length, T);
    for (let j = 0; j < T; j++) {
      assert.is(c.positions[j], c.start + Math.floor(j * stride));
      assert.is(c.frames[j], c.positions[j] % L);
      assert.ok(c.frames[j] >= 0 && c.frames[j] < L);
    }
    const fits = clipSpan(T, stride) <= L;
    assert.is(c.wrapped, !fits, `L ${L} T ${T} s ${stride}`);
    if (fits) assert.ok(c.positions[T - 1] < L, 'no wrap when the clip fits');
    else wrappedSeen++;
    if (Number.isInteger(stride)) for (let j = 1; j < T; j++) assert.is(c.positions[j] - c.positions[j - 1], stride);
  }
  assert.ok(wrappedSeen > 100, 'short videos were exercised');
  // A 5-frame video and a 16-frame clip: 0..4 repeated.
  assert.equal(clipAt(5, 0, { clipLength: 16 }).frames, [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0]);
  assert.equal(clipAt(1, 0, { clipLength: 3, stride: 4 }).frames, [0, 0, 0]);
  // Starts are uniform over the positions where the clip fits.
  const counts = new Array(25 - clipSpan(8, 2) + 1).fill(0);
  for (let i = 0; i < 20000; i++) counts[sampleClip(25, { clipLength: 8, stride: 2 }, rng).start]++;
  assert.is(counts.length, 11);
  assertUniform(counts, 'clip starts');
});

test('uniform multi-clip sampling: k clips evenly spaced, first at the start, last at the end; centre clip', () => {
  const clips = uniformClips(100, { clipLength: 16, stride: 2, count: 5 });
  assert.equal(clips.map((c) => c.start), [0, 17, 35, 52, 69]);
  assert.is(clips[4].frames[15], 99);
  assert.is(centreClip(100, { clipLength: 16, stride: 2 }).start, 34);
  assert.equal(centreClip(10, { clipLength: 16 }).frames.slice(0, 12), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
  const rng = new Random(2);
  for (let i = 0; i < 2000; i++) {
    const L = rng.int(1, 500);
    const T = rng.int(1, 32);
    const s = rng.pick([1, 2, 4]);
    const k = rng.int(1, 12);
    const cs = uniformClips(L, { clipLength: T, stride: s, count: k });
    assert.is(cs.length, k);
    const room = Math.max(0, L - clipSpan(T, s));
    for (let j = 1; j < k; j++) {
      const gap = cs[j].start - cs[j - 1].start;
      assert.ok(Math.abs(gap - room / (k - 1)) <= 1, 'evenly spaced');
    }
    if (k > 1) assert.is(cs[k - 1].start, room);
    for (const c of cs) for (const f of c.frames) assert.ok(f >= 0 && f < L);
  }
});

// ---------------- STOR ----------------

interface Measured {
  temporal: number;
  temporalInterval: number;
  spatial: number;
}

/** Overlaps measured from what a pair actually contains (never from its labels). */
function measure(p: StorPair, T: number): Measured {
  const [a, b] = p.clips;
  const shared = a.positions.filter((x) => b.positions.includes(x)).length;
  // Covered intervals [first, last + rate) on the timeline.
  const ia = [a.positions[0], a.positions[T - 1] + p.rate];
  const ib = [b.positions[0], b.positions[T - 1] + p.rate];
  const inter = Math.max(0, Math.min(ia[1], ib[1]) - Math.max(ia[0], ib[0]));
  return {
    temporal: shared / T,
    temporalInterval: inter / (ia[1] - ia[0]),
    spatial: intersectionArea(a.crop, b.crop) / (a.crop.w * a.crop.h),
  };
}

/**
 * Temporal order from the clip specs alone: −1 when both clips show the same frame sequence, else
 * 0 when every position of clip A is ≤ the same position of clip B (A earlier) and 1 when every
 * position of B is ≤ A's (B earlier). Throws if neither dominates (the timeline claim is false).
 */
function measuredOrder(p: StorPair): -1 | 0 | 1 {
  const [a, b] = p.clips;
  if (a.frames.every((f, j) => f === b.frames[j])) return -1;
  const aFirst = a.positions.every((x, j) => x <= b.positions[j]);
  const bFirst = b.positions.every((x, j) => x <= a.positions[j]);
  if (aFirst === bFirst) throw new Error(`order undefined though frames differ: ${JSON.stringify(p.clips.map((c) => c.positions))}`);
  return aFirst ? 0 : 1;
}

const nearest = (v: number, classes: readonly number[]) => classes.reduce((bi, c, i) => (Math.abs(c - v) < Math.abs(classes[bi] - v) ? i : bi), 0);

function randomOptions(rng: Random): StorOptions {
  const subset = (all: number[]) => {
    const s = all.filter(() => rng.chance(0.7));
    return s.length ? s : [rng.pick(all)];
  };
  const T = rng.pick([8, 16, 16, 32]);
  return {
    clipLength: T,
    rates: rng.chance(0.8) ? subset([1, 2, 4, 8]) : { min: 1, max: rng.uniform(1, 8) },
    temporalOverlaps: rng.chance(0.5) ? undefined : subset([1, 0.8, 0.6, 0.4, 0.2]),
    spatialOverlaps: rng.chance(0.5) ? undefined : subset([1, 0.8, 0.6, 0.4, 0.2]),
    rotations: rng.chance(0.5) ? undefined : subset([0, 1, 2, 3]),
    scale: rng.chance(0.5) ? undefined : [rng.uniform(0.05, 0.5), 1],
  };
}

test('STOR property test: labels equal what the returned indices and boxes measure', () => {
  const rng = new Random(2024);
  const N = 6000;
  let maxTemporalErr = 0;
  let maxSpatialErrRatio = 0; // error / bound
  let maxSpatialErr = 0;
  let maxSkew = 0;
  let wrapped = 0;
  let continuous = 0;
  let fallbacks = 0;
  for (let i = 0; i < N; i++) {
    const opts = randomOptions(rng);
    const o = resolveStorOptions(opts);
    const T = o.clipLength;
    const L = rng.chance(0.15) ? rng.int(1, 40) : rng.int(1, 600);
    const W = rng.int(8, 400);
    const H = rng.int(8, 400);
    const seed = rng.u32();
    const p = sampleStorPair(L, W, H, opts, new Random(seed));
    const [a, b] = p.clips;
    const m = measure(p, T);

    // Temporal: measured from positions, equal to the reported actual value, nearest class = label.
    assert.is(m.temporal, p.temporalOverlap, 'shared-frame overlap = reported');
    if (Number.isInteger(p.rate)) assert.ok(Math.abs(m.temporalInterval - p.temporalOverlap) < 1e-12, 'interval overlap = reported');
    const r = o.temporalOverlaps[p.labels.temporal];
    const terr = Math.abs(m.temporal - r);
    assert.ok(terr <= 1 / (2 * T) + 1e-12, `temporal error ${terr} > 1/(2T)`);
    assert.is(nearest(m.temporal, o.temporalOverlaps), p.labels.temporal, 'nearest class is the label');
    maxTemporalErr = Math.max(maxTemporalErr, terr);

    // Frames: T each, inside the video, equal to positions mod L; no wrap unless the video is short.
    for (const c of [a, b]) {
      assert.is(c.frames.length, T);
      c.frames.forEach((f, j) => {
        assert.ok(Number.isInteger(f) && f >= 0 && f < L);
        assert.is(f, c.positions[j] % L);
      });
      if (!p.wrapped) assert.ok(c.positions.every((x) => x < L), 'no looping when the pair fits');
      for (let j = 1; j < T; j++) {
        const d = c.positions[j] - c.positions[j - 1];
        assert.ok(d === Math.floor(p.rate) || d === Math.ceil(p.rate), 'positions step by the rate');
      }
    }

    // Rate: allowed by the length (pair fits at every overlap class), or the slowest when looping.
    const kmax = Math.max(...o.temporalShifts);
    const fitsAt = (s: number) => Math.floor((T - 1 + kmax) * s) + 1 <= L;
    if (Array.isArray(o.rates)) {
      assert.is(p.rate, o.rates[p.labels.speed]);
      if (p.wrapped) {
        assert.ok(!o.rates.some(fitsAt), 'loops only when no rate fits');
        assert.is(p.rate, Math.min(...o.rates));
        wrapped++;
      } else assert.ok(fitsAt(p.rate), `rate ${p.rate} allowed for L ${L}`);
    } else {
      continuous++;
      assert.is(p.labels.speed, -1);
      assert.ok(p.rate >= o.rates.min && p.rate <= o.rates.max);
      if (!p.wrapped) assert.ok(fitsAt(p.rate));
      else wrapped++;
    }

    // Space: same size, inside the frame, diagonal shift, overlap within the stated bound.
    assert.ok(boxInside(a.crop, W, H) && boxInside(b.crop, W, H), 'crops inside the frame');
    assert.is(a.crop.w, b.crop.w);
    assert.is(a.crop.h, b.crop.h);
    assert.ok(Math.abs(m.spatial - p.spatialOverlap) < 1e-12, 'measured spatial overlap = reported');
    const rs = o.spatialOverlaps[p.labels.spatial];
    const bound = 1 / (2 * Math.max(a.crop.w, a.crop.h));
    const serr = Math.abs(m.spatial - rs);
    assert.ok(serr <= bound + 1e-12, `spatial error ${serr} > bound ${bound} (crop ${a.crop.w}×${a.crop.h}, r ${rs})`);
    if (bound < 0.1) assert.is(nearest(m.spatial, o.spatialOverlaps), p.labels.spatial);
    maxSpatialErr = Math.max(maxSpatialErr, serr);
    maxSpatialErrRatio = Math.max(maxSpatialErrRatio, serr / bound);
    const { dx, dy } = p.cropShift;
    assert.is(b.crop.x - a.crop.x, dx);
    assert.is(b.crop.y - a.crop.y, dy);
    if (rs < 1 && Math.min(a.crop.w, a.crop.h) >= 20) {
      assert.ok(dx !== 0 && dy !== 0, 'shifted towards a corner');
      const skew = Math.abs(Math.abs(dx) / a.crop.w - Math.abs(dy) / a.crop.h);
      maxSkew = Math.max(maxSkew, skew);
      assert.ok(skew < 0.1, `diagonal: ${JSON.stringify(p.cropShift)} for ${a.crop.w}×${a.crop.h}`);
    }
    const area = (a.crop.w * a.crop.h) / (W * H);
    const sc = o.scale;
    if (area < sc[0] * 0.97 - 2 / Math.min(W, H) || area > sc[1] * 1.03 + 2 / Math.min(W, H)) fallbacks++;

    // Order: measured from the positions and frames, never from the label or the sampler's coin.
    assert.is(p.labels.order, measuredOrder(p), 'order label = measured order');
    if (p.labels.order !== -1) assert.is(p.labels.order, p.shift > 0 ? 0 : 1, 'a shifted clip B is later');

    // Rotation labels.
    assert.is(a.rotation, o.rotations[p.labels.rotation[0]]);
    assert.is(b.rotation, o.rotations[p.labels.rotation[1]]);
    assert.ok(pairFrames(p).every((f, j, all) => j === 0 || all[j - 1] < f));
  }
  assert.ok(wrapped > 50 && continuous > 300, `coverage: ${wrapped} looping, ${continuous} continuous`);
  note(`STOR ${N} random pairs: max |temporal − class| ${maxTemporalErr.toFixed(4)} (bound 1/(2T)), max |spatial − class| ${maxSpatialErr.toFixed(4)} ` +
    `= ${maxSpatialErrRatio.toFixed(2)} × bound 1/(2·max(w,h)), max diagonal skew |dx/w − dy/h| ${maxSkew.toFixed(3)}; ${wrapped} looping; ${fallbacks} first crops outside the scale range (fallback when no size in range fits: extreme frame aspect, or a scale minimum too large for the pair's shift)`);
});

test('STOR class balance (chi-square, p = 1e-4) on long videos, and among the rates a length allows', () => {
  const rng = new Random(77);
  const N = 20000;
  const o = resolveStorOptions({ clipLength: 16 });
  const c = { speed: new Array(4).fill(0), temporal: new Array(5).fill(0), spatial: new Array(5).fill(0), rotA: new Array(4).fill(0), rotB: new Array(4).fill(0), pairs: new Array(16).fill(0), dir: [0, 0], corner: [0, 0, 0, 0], order: [0, 0] };
  const orderByTemporal = o.temporalOverlaps.map(() => [0, 0]);
  for (let i = 0; i < N; i++) {
    const p = sampleStorPair(rng.int(230, 1000), rng.int(64, 320), rng.int(64, 240), o, rng);
    c.speed[p.labels.speed]++;
    c.temporal[p.labels.temporal]++;
    c.spatial[p.labels.spatial]++;
    c.rotA[p.labels.rotation[0]]++;
    c.rotB[p.labels.rotation[1]]++;
    c.pairs[p.labels.rotation[0] * 4 + p.labels.rotation[1]]++;
    if (p.shift !== 0) c.dir[p.shift > 0 ? 0 : 1]++;
    // Long videos, integer rates: order is undefined exactly at temporal overlap 1 (k = 0).
    assert.is(p.labels.order === -1, o.temporalShifts[p.labels.temporal] === 0, 'order −1 ⇔ temporal overlap 1');
    if (p.labels.order !== -1) {
      c.order[p.labels.order]++;
      orderByTemporal[p.labels.temporal][p.labels.order]++;
    }
    if (p.cropShift.dx !== 0 && p.cropShift.dy !== 0) c.corner[(p.cropShift.dx > 0 ? 0 : 1) + (p.cropShift.dy > 0 ? 0 : 2)]++;
  }
  const chis = Object.entries(c).map(([k, v]) => `${k} ${assertUniform(v, k).toFixed(1)} (< ${chiCritical(v.length - 1).toFixed(1)})`);
  // Order is balanced within every temporal class too (no shortcut from the overlap to the order).
  orderByTemporal.forEach((v, t) => {
    if (o.temporalShifts[t] > 0) assertUniform(v, `order at temporal overlap ${o.temporalOverlaps[t]}`);
  });
  // L = 100, T = 16: k_max = 13 → (15 + 13)·s + 1 ≤ 100 → rates 1 and 2 only, equally often.
  assert.equal(allowedRates(100, o), [0, 1]);
  const s2 = [0, 0, 0, 0];
  for (let i = 0; i < 4000; i++) s2[sampleStorPair(100, 128, 128, o, rng).labels.speed]++;
  assert.is(s2[2] + s2[3], 0);
  assertUniform(s2.slice(0, 2), 'rates allowed at L=100');
  note(`STOR balance over ${N} pairs, chi-square: ${chis.join(', ')}`);
});

test('STOR sharedRotation: both clips carry the same turn, each turn equally often; the other labels keep their balance', () => {
  const rng = new Random(78);
  const N = 8000;
  const o = resolveStorOptions({ clipLength: 8, sharedRotation: true });
  const c = { rotation: new Array(4).fill(0), speed: new Array(4).fill(0), temporal: new Array(5).fill(0), spatial: new Array(5).fill(0) };
  for (let i = 0; i < N; i++) {
    const p = sampleStorPair(rng.int(240, 600), 96, 96, o, rng);
    assert.is(p.labels.rotation[1], p.labels.rotation[0], `pair ${i}: rotation labels`);
    assert.is(p.clips[1].rotation, p.clips[0].rotation, `pair ${i}: clip rotations`);
    c.rotation[p.labels.rotation[0]]++;
    c.speed[p.labels.speed]++;
    c.temporal[p.labels.temporal]++;
    c.spatial[p.labels.spatial]++;
  }
  const chis = Object.entries(c).map(([k, v]) => `${k} ${assertUniform(v, k).toFixed(1)}`);
  // Independent by default: some pairs differ.
  const ind = resolveStorOptions({ clipLength: 8 });
  assert.is(ind.sharedRotation, false);
  let differ = 0;
  for (let i = 0; i < 200; i++) {
    const p = sampleStorPair(300, 96, 96, ind, rng);
    if (p.labels.rotation[0] !== p.labels.rotation[1]) differ++;
  }
  assert.ok(differ > 100, `independent turns differ in ${differ} of 200 pairs (expected ≈ 150)`);
  note(`STOR sharedRotation over ${N} pairs, chi-square: ${chis.join(', ')}`);
});

test('STOR order label: exact on odd timelines (slow continuous rates, looping videos), clipOrder on hand-made clips', () => {
  const rng = new Random(31);
  const seen = { undefinedShifted: 0, looping: 0, slow: 0 };
  for (let i = 0; i < 6000; i++) {
    const T = rng.pick([8, 16]);
    const slow = rng.chance(0.5);
    const opts: StorOptions = { clipLength: T, rates: slow ? { min: 0.05, max: rng.uniform(0.05, 1.5) } : [1, 2] };
    const L = rng.chance(0.5) ? rng.int(1, 12) : rng.int(20, 200);
    const p = sampleStorPair(L, 64, 48, opts, rng);
    const m = measuredOrder(p);
    assert.is(p.labels.order, m);
    if (m === -1 && p.shift !== 0) seen.undefinedShifted++;
    if (p.wrapped) seen.looping++;
    if (slow && p.rate < 1) seen.slow++;
    // A defined order is what the starts, ends and centres say: the earlier clip starts and ends
    // no later, and its centre is strictly earlier.
    if (m !== -1) {
      const [first, second] = m === 0 ? p.clips : [p.clips[1], p.clips[0]];
      const sum = (c: { positions: number[] }) => c.positions.reduce((x, y) => x + y, 0);
      assert.ok(first.positions[0] <= second.positions[0] && first.positions[T - 1] <= second.positions[T - 1]);
      assert.ok(sum(first) < sum(second));
      if (Number.isInteger(p.rate) && p.rate >= 1) assert.ok(first.positions[0] < second.positions[0], 'integer rates: strictly earlier start');
    }
  }
  assert.ok(seen.undefinedShifted > 20 && seen.looping > 500 && seen.slow > 500, JSON.stringify(seen));
  const clip = (positions: number[], L = 100) => ({ positions, frames: positions.map((x) => x % L) });
  assert.is(clipOrder(clip([0, 1, 2]), clip([2, 3, 4])), 0);
  assert.is(clipOrder(clip([2, 3, 4]), clip([0, 1, 2])), 1);
  assert.is(clipOrder(clip([0, 1, 2]), clip([0, 1, 2])), -1);
  assert.is(clipOrder(clip([0, 1, 2], 3), clip([3, 4, 5], 3)), -1, 'one whole loop later: same frames');
  note(`STOR order on odd timelines: ${JSON.stringify(seen)} (shifted pairs whose frames coincide get −1)`);
});

test('STOR determinism and purity: a pair depends only on (L, W, H, options, seed)', () => {
  const opts: StorOptions = { clipLength: 16 };
  const draw = (seed: number, L = 300) => sampleStorPair(L, 160, 120, opts, Random.derive(seed, 'pair'));
  const first = Array.from({ length: 50 }, (_, i) => draw(i));
  // Interleave other draws (other videos, other sizes): no hidden state can leak into the next pair.
  for (let i = 0; i < 50; i++) sampleStorPair(20 + i, 64 + i, 48 + i, { clipLength: 8, rates: [1, 2] }, new Random(i));
  const again = Array.from({ length: 50 }, (_, i) => draw(i));
  assert.equal(again, first);
  assert.ok(first.some((p, i) => JSON.stringify(p) !== JSON.stringify(draw(i + 1000))));
  // Resolved options give the same result as raw ones.
  assert.equal(sampleStorPair(300, 160, 120, resolveStorOptions(opts), Random.derive(3, 'pair')), draw(3));
});

test('STOR short videos: loop at the slowest rate, labels still exact', () => {
  const rng = new Random(5);
  for (let L = 1; L <= 40; L++) {
    for (let i = 0; i < 50; i++) {
      const p = sampleStorPair(L, 64, 64, { clipLength: 16 }, rng);
      const m = measure(p, 16);
      assert.is(p.wrapped, L < 29, `L ${L}`); // (15 + 13)·1 + 1 = 29 frames needed at rate 1
      if (p.wrapped) assert.is(p.rate, 1);
      assert.is(m.temporal, p.temporalOverlap);
      for (const c of p.clips) for (const f of c.frames) assert.ok(f >= 0 && f < L);
    }
  }
});

test('the checks catch the reference bugs: second clip read from the first clip\'s start', () => {
  const rng = new Random(9);
  let caught = 0;
  let shifted = 0;
  for (let i = 0; i < 1000; i++) {
    const p = sampleStorPair(400, 128, 128, { clipLength: 16 }, rng);
    if (p.shift === 0) continue;
    shifted++;
    // The buggy variant: B's frames read from A's start (same indices), labels unchanged.
    const buggy: StorPair = { ...p, clips: [p.clips[0], { ...p.clips[1], positions: p.clips[0].positions, frames: p.clips[0].frames }] };
    if (measure(buggy, 16).temporal !== p.temporalOverlap) caught++;
  }
  assert.is(caught, shifted, 'every shifted pair of the buggy variant fails the temporal check');
});

test('diagonalShift: error bound 1/(2·max(w, h)) holds exhaustively for w, h ≤ 160', () => {
  let worst = 0;
  for (let w = 1; w <= 160; w++) for (let h = 1; h <= 160; h++) for (const r of [1, 0.8, 0.6, 0.4, 0.2, 0.5, 0.05]) {
    const s = diagonalShift(w, h, r);
    assert.ok(s.dx >= 0 && s.dx <= w && s.dy >= 0 && s.dy <= h);
    assert.is(s.overlap, ((w - s.dx) * (h - s.dy)) / (w * h));
    const ratio = Math.abs(s.overlap - r) * 2 * Math.max(w, h);
    assert.ok(ratio <= 1 + 1e-9, `${w}×${h} r ${r}: error ${Math.abs(s.overlap - r)}`);
    worst = Math.max(worst, ratio);
  }
  // For typical crops the overlap is much closer than the bound: 112×112 at r = 0.6.
  const t = diagonalShift(112, 112, 0.6);
  assert.ok(Math.abs(t.overlap - 0.6) <= 1 / 224, `${JSON.stringify(t)}`);
  note(`diagonalShift worst error / bound over 179,200 cases: ${worst.toFixed(3)}`);
});

test('option validation: classes that cannot be told apart, bad ranges', () => {
  assert.throws(() => resolveStorOptions({ clipLength: 4 }), /cannot be told apart/);
  assert.throws(() => resolveStorOptions({ clipLength: 16, rates: [] }), /non-empty/);
  assert.throws(() => resolveStorOptions({ clipLength: 16, rotations: [0, 4] }), /rotations/);
  assert.throws(() => resolveStorOptions({ clipLength: 16, spatialOverlaps: [1, 1.2] }), /\[0, 1\]/);
  assert.throws(() => resolveStorOptions({ clipLength: 16, rates: { min: 2, max: 1 } }), /continuous/);
  assert.throws(() => sampleStorPair(0, 64, 64, { clipLength: 16 }, new Random(1)), /at least one frame/);
  assert.ok(resolveStorOptions({ clipLength: 8 }).temporalShifts.every((k, i, all) => all.indexOf(k) === i));
});

test('random resized crop boxes: inside the frame, area and aspect in range (torchvision get_params)', () => {
  const rng = new Random(12);
  let inRange = 0;
  for (let i = 0; i < 5000; i++) {
    const W = rng.int(100, 640);
    const H = Math.round(W * rng.uniform(0.56, 1.33));
    const b = sampleResizedCrop(rng, W, H, { scale: [0.2, 1], ratio: [3 / 4, 4 / 3] });
    assert.ok(boxInside(b, W, H));
    const area = (b.w * b.h) / (W * H);
    const aspect = b.w / b.h;
    if (area > 0.2 - 0.05 && area <= 1 && aspect > 0.7 && aspect < 1.4) inRange++;
  }
  assert.ok(inRange > 4900, `${inRange} / 5000 in range`);
});

test.run();
