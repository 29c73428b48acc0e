// Naive float64 references for the 3D-CNN ops (conv3d, pooling, batch norm), written as the
// definitions read, for finite-difference gradient checks. No Node built-ins (browser bundle too).

export interface Conv3dRefOptions {
  stride: number[];
  padding: number[];
  dilation: number[];
  groups: number;
}

/** conv3d on [N,C,D,H,W] with weights [Cout, Cin/g, kD, kH, kW]. Returns data and shape. */
export function conv3dRef(x: Float64Array, xs: number[], w: Float64Array, ws: number[], b: Float64Array | null, o: Conv3dRefOptions): { data: Float64Array; shape: number[] } {
  const [N, Cin, D, H, W] = xs;
  const [Cout, CinG, KD, KH, KW] = ws;
  const [sd, sh, sw] = o.stride;
  const [pd, ph, pw] = o.padding;
  const [dd, dh, dw] = o.dilation;
  const out = [D, H, W].map((s, i) => Math.floor((s + 2 * o.padding[i] - o.dilation[i] * ([KD, KH, KW][i] - 1) - 1) / o.stride[i]) + 1);
  const [OD, OH, OW] = out;
  const y = new Float64Array(N * Cout * OD * OH * OW);
  const coutG = Cout / o.groups;
  for (let n = 0; n < N; n++)
    for (let co = 0; co < Cout; co++) {
      const g = Math.floor(co / coutG);
      for (let od = 0; od < OD; od++)
        for (let oh = 0; oh < OH; oh++)
          for (let ow = 0; ow < OW; ow++) {
            let acc = b ? b[co] : 0;
            for (let c = 0; c < CinG; c++)
              for (let kd = 0; kd < KD; kd++)
                for (let kh = 0; kh < KH; kh++)
                  for (let kw = 0; kw < KW; kw++) {
                    const id = od * sd - pd + kd * dd;
                    const ih = oh * sh - ph + kh * dh;
                    const iw = ow * sw - pw + kw * dw;
                    if (id < 0 || ih < 0 || iw < 0 || id >= D || ih >= H || iw >= W) continue;
                    const ci = g * CinG + c;
                    acc += x[(((n * Cin + ci) * D + id) * H + ih) * W + iw] * w[(((co * CinG + c) * KD + kd) * KH + kh) * KW + kw];
                  }
            y[(((n * Cout + co) * OD + od) * OH + oh) * OW + ow] = acc;
          }
    }
  return { data: y, shape: [N, Cout, OD, OH, OW] };
}

export interface PoolRefOptions {
  kind: 'max' | 'avg' | 'adaptive';
  kernel: number[];
  stride: number[];
  padding: number[];
  ceilMode: boolean;
  countIncludePad: boolean;
  outputSize?: number[];
}

export function poolRef(x: Float64Array, xs: number[], o: PoolRefOptions): { data: Float64Array; shape: number[] } {
  const [D, H, W] = xs.slice(-3);
  const nc = x.length / (D * H * W);
  const size = (s: number, i: number) => {
    if (o.kind === 'adaptive') return o.outputSize![i];
    let out = Math.floor((s + 2 * o.padding[i] - o.kernel[i] + (o.ceilMode ? o.stride[i] - 1 : 0)) / o.stride[i]) + 1;
    if (o.ceilMode && (out - 1) * o.stride[i] >= s + o.padding[i]) out--;
    return out;
  };
  const out = [D, H, W].map(size);
  const win = (oi: number, i: number) => {
    const s = [D, H, W][i];
    if (o.kind === 'adaptive') {
      const b = Math.floor((oi * s) / out[i]);
      const e = Math.ceil(((oi + 1) * s) / out[i]);
      return { b, e, padded: e - b };
    }
    const start = oi * o.stride[i] - o.padding[i];
    const paddedEnd = Math.min(start + o.kernel[i], s + o.padding[i]);
    return { b: Math.max(0, start), e: Math.min(start + o.kernel[i], s), padded: paddedEnd - start };
  };
  const y = new Float64Array(nc * out[0] * out[1] * out[2]);
  let k = 0;
  for (let c = 0; c < nc; c++)
    for (let od = 0; od < out[0]; od++)
      for (let oh = 0; oh < out[1]; oh++)
        for (let ow = 0; ow < out[2]; ow++) {
          const [wd, wh, ww] = [win(od, 0), win(oh, 1), win(ow, 2)];
          let best = -Infinity;
          let total = 0;
          for (let d = wd.b; d < wd.e; d++)
            for (let h = wh.b; h < wh.e; h++)
              for (let w = ww.b; w < ww.e; w++) {
                const v = x[((c * D + d) * H + h) * W + w];
                best = Math.max(best, v);
                total += v;
              }
          const count = (wd.e - wd.b) * (wh.e - wh.b) * (ww.e - ww.b);
          const divisor = o.kind === 'avg' && o.countIncludePad ? wd.padded * wh.padded * ww.padded : count;
          y[k++] = o.kind === 'max' ? best : total / divisor;
        }
  return { data: y, shape: [...xs.slice(0, -3), ...out] };
}

/** Training-mode batch norm output (batch statistics, biased variance). */
export function batchNormRef(x: Float64Array, xs: number[], w: Float64Array, b: Float64Array, eps: number): Float64Array {
  const C = xs[1];
  const inner = xs.slice(2).reduce((a, v) => a * v, 1);
  const N = xs[0];
  const y = new Float64Array(x.length);
  for (let c = 0; c < C; c++) {
    let mean = 0;
    let sq = 0;
    const idx: number[] = [];
    for (let n = 0; n < N; n++) for (let i = 0; i < inner; i++) idx.push((n * C + c) * inner + i);
    for (const i of idx) mean += x[i] / idx.length;
    for (const i of idx) sq += (x[i] - mean) ** 2 / idx.length;
    for (const i of idx) y[i] = ((x[i] - mean) / Math.sqrt(sq + eps)) * w[c] + b[c];
  }
  return y;
}
