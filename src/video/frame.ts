// VideoFrame → tightly packed 8-bit I420 (Y plane, then U, then V), whatever layout the decoder
// produced: I420 (software decoders), NV12 (hardware decoders), 4:2:2/4:4:4, 10/12-bit, RGB.

export interface I420Image {
  width: number;
  height: number;
  data: Uint8Array;
}

export function i420Size(width: number, height: number): number {
  const cw = (width + 1) >> 1;
  const ch = (height + 1) >> 1;
  return width * height + 2 * cw * ch;
}

type Layout = { offset: number; stride: number }[];

export async function frameToI420(frame: VideoFrame): Promise<I420Image> {
  const r = frame.visibleRect ?? { x: 0, y: 0, width: frame.codedWidth, height: frame.codedHeight };
  const width = r.width;
  const height = r.height;
  const format = frame.format;
  // Only ask for a rect when the picture is cropped (some implementations take a slower path for it).
  const whole = r.x === 0 && r.y === 0 && width === frame.codedWidth && height === frame.codedHeight;
  const rect = whole ? undefined : { x: r.x, y: r.y, width, height };
  const cw = (width + 1) >> 1;
  const ch = (height + 1) >> 1;
  const ySize = width * height;
  const cSize = cw * ch;
  const total = ySize + 2 * cSize;
  if (format === 'I420' || format === 'I420A') {
    // Ask for exactly the packed layout; implementations that honour `layout` write it directly.
    const layout = [
      { offset: 0, stride: width },
      { offset: ySize, stride: cw },
      { offset: ySize + cSize, stride: cw },
    ];
    if (format === 'I420A') layout.push({ offset: total, stride: width });
    const buf = new Uint8Array(format === 'I420A' ? total + ySize : total);
    const got = (await frame.copyTo(buf, rect ? { rect, layout } : { layout })) as Layout;
    if (samePacked(got, layout)) return { width, height, data: format === 'I420A' ? buf.subarray(0, total) : buf };
    return { width, height, data: pack8(buf, got, width, height, 2, 2) };
  }
  const size = frame.allocationSize(rect ? { rect } : {});
  const buf = new Uint8Array(size);
  const layout = (await frame.copyTo(buf, rect ? { rect } : {})) as Layout;
  switch (String(format)) {
    case 'I422':
    case 'I422A':
      return { width, height, data: pack8(buf, layout, width, height, 2, 1) };
    case 'I444':
    case 'I444A':
      return { width, height, data: pack8(buf, layout, width, height, 1, 1) };
    case 'NV12':
      return { width, height, data: packNV12(buf, layout, width, height) };
    case 'RGBA':
    case 'RGBX':
    case 'BGRA':
    case 'BGRX':
      return { width, height, data: rgbToI420(buf, layout[0], width, height, String(format).startsWith('B')) };
    default: {
      const f = String(format);
      const m = /^I4(20|22|44)P(10|12)A?$/.exec(f);
      if (m) {
        const sx = m[1] === '44' ? 1 : 2;
        const sy = m[1] === '20' ? 2 : 1;
        return { width, height, data: packHigh(buf, layout, width, height, sx, sy, Number(m[2]) - 8) };
      }
      throw new Error(`decoded frames have pixel format ${f}, which the reader cannot convert to I420`);
    }
  }
}

function samePacked(a: Layout, b: Layout): boolean {
  for (let i = 0; i < 3; i++) if (!a[i] || a[i].offset !== b[i].offset || a[i].stride !== b[i].stride) return false;
  return true;
}

/** 8-bit planar YUV with chroma subsampled by (sx, sy) → packed I420 (averaging extra chroma). */
function pack8(src: Uint8Array, layout: Layout, w: number, h: number, sx: number, sy: number): Uint8Array {
  const cw = (w + 1) >> 1;
  const ch = (h + 1) >> 1;
  const out = new Uint8Array(w * h + 2 * cw * ch);
  for (let y = 0; y < h; y++) out.set(src.subarray(layout[0].offset + y * layout[0].stride, layout[0].offset + y * layout[0].stride + w), y * w);
  const pw = Math.ceil(w / sx);
  const ph = Math.ceil(h / sy);
  for (let p = 1; p <= 2; p++) {
    const { offset, stride } = layout[p];
    const base = w * h + (p - 1) * cw * ch;
    for (let y = 0; y < ch; y++) {
      for (let x = 0; x < cw; x++) {
        // source chroma samples covering the 2×2 luma block at (2x, 2y)
        const x0 = Math.min(pw - 1, (2 * x) / sx) | 0;
        const y0 = Math.min(ph - 1, (2 * y) / sy) | 0;
        const x1 = Math.min(pw - 1, x0 + (sx === 1 ? 1 : 0));
        const y1 = Math.min(ph - 1, y0 + (sy === 1 ? 1 : 0));
        const v = src[offset + y0 * stride + x0] + src[offset + y0 * stride + x1] + src[offset + y1 * stride + x0] + src[offset + y1 * stride + x1];
        out[base + y * cw + x] = (v + 2) >> 2;
      }
    }
  }
  return out;
}

function packHigh(src: Uint8Array, layout: Layout, w: number, h: number, sx: number, sy: number, shift: number): Uint8Array {
  // 16-bit little-endian samples: reduce to 8 bits, then reuse the 8-bit path.
  const planes: Layout = [];
  const parts: Uint8Array[] = [];
  let total = 0;
  const dims = [[w, h], [Math.ceil(w / sx), Math.ceil(h / sy)], [Math.ceil(w / sx), Math.ceil(h / sy)]];
  for (let p = 0; p < 3; p++) {
    const [pw, ph] = dims[p];
    const plane = new Uint8Array(pw * ph);
    const { offset, stride } = layout[p];
    for (let y = 0; y < ph; y++) {
      for (let x = 0; x < pw; x++) {
        const i = offset + y * stride + 2 * x;
        plane[y * pw + x] = Math.min(255, (src[i] | (src[i + 1] << 8)) >> shift);
      }
    }
    planes.push({ offset: total, stride: pw });
    parts.push(plane);
    total += plane.length;
  }
  const joined = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    joined.set(p, o);
    o += p.length;
  }
  return pack8(joined, planes, w, h, sx, sy);
}

function packNV12(src: Uint8Array, layout: Layout, w: number, h: number): Uint8Array {
  const cw = (w + 1) >> 1;
  const ch = (h + 1) >> 1;
  const out = new Uint8Array(w * h + 2 * cw * ch);
  for (let y = 0; y < h; y++) out.set(src.subarray(layout[0].offset + y * layout[0].stride, layout[0].offset + y * layout[0].stride + w), y * w);
  const { offset, stride } = layout[1];
  const u = w * h;
  const v = u + cw * ch;
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      out[u + y * cw + x] = src[offset + y * stride + 2 * x];
      out[v + y * cw + x] = src[offset + y * stride + 2 * x + 1];
    }
  }
  return out;
}

/** RGB(A) → I420 with BT.601 limited-range coefficients (the inverse of the clip kernel's). */
export function rgbToI420(src: Uint8Array, plane: { offset: number; stride: number }, w: number, h: number, bgr = false, channels = 4): Uint8Array {
  const cw = (w + 1) >> 1;
  const ch = (h + 1) >> 1;
  const out = new Uint8Array(w * h + 2 * cw * ch);
  const ri = bgr ? 2 : 0;
  const bi = bgr ? 0 : 2;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = plane.offset + y * plane.stride + channels * x;
      out[y * w + x] = clamp8(16 + 0.256788 * src[i + ri] + 0.504129 * src[i + 1] + 0.097906 * src[i + bi]);
    }
  }
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let n = 0;
      for (let dy = 0; dy < 2; dy++) {
        for (let dx = 0; dx < 2; dx++) {
          const yy = Math.min(h - 1, 2 * y + dy);
          const xx = Math.min(w - 1, 2 * x + dx);
          const i = plane.offset + yy * plane.stride + channels * xx;
          r += src[i + ri];
          g += src[i + 1];
          b += src[i + bi];
          n++;
        }
      }
      r /= n;
      g /= n;
      b /= n;
      out[w * h + y * cw + x] = clamp8(128 - 0.148223 * r - 0.290993 * g + 0.439216 * b);
      out[w * h + cw * ch + y * cw + x] = clamp8(128 + 0.439216 * r - 0.367788 * g - 0.071427 * b);
    }
  }
  return out;
}

function clamp8(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}
