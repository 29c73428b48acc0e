// Codecs and containers beyond plain H.264 MP4: each codec the WebCodecs implementation can both
// encode and decode (isConfigSupported) is encoded here (with @napi-rs/webcodecs in Node), muxed
// into MP4 (moov first, moov last, fragmented) and Matroska/WebM with mediabunny, then read back
// through openVideo: frame counts, random access against sequential decoding, content.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openVideo, bytesSource, renderSyntheticVideo, encodeVideo, loadWebCodecs, type EncodeCodec, type EncodeOptions, type DecodedFrame } from '../src/video/index.ts';

const test = suite('video codecs and containers');
const log = (line: string) => process.stdout.write(`\n  ${line}`);

const W = 64;
const H = 48;
const FRAMES = 16;
const drawn = renderSyntheticVideo({ frames: FRAMES, size: [H, W], seed: 5 }, 5, 0).i420;

const CODECS: { codec: EncodeCodec; probe: string; containers: EncodeOptions['container'][] }[] = [
  { codec: 'avc', probe: 'avc1.42001f', containers: ['mp4', 'mp4-moov-last', 'fragmented-mp4', 'mkv'] },
  { codec: 'hevc', probe: 'hvc1.1.6.L93.B0', containers: ['mp4', 'mkv'] },
  { codec: 'vp9', probe: 'vp09.00.31.08', containers: ['mp4', 'webm'] },
  { codec: 'av1', probe: 'av01.0.04M.08', containers: ['mp4', 'webm'] },
  { codec: 'vp8', probe: 'vp8', containers: ['webm', 'mp4'] },
];

function digest(f: DecodedFrame): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < f.data.length; i += 3) h = Math.imul(h ^ f.data[i], 0x01000193);
  return h >>> 0;
}

for (const { codec, probe, containers } of CODECS) {
  test(`${codec}: ${containers.join(', ')}`, async () => {
    const wc = await loadWebCodecs();
    const enc = await wc.VideoEncoder.isConfigSupported({ codec: probe, width: W, height: H, bitrate: 300_000, framerate: 25 }).catch(() => ({ supported: false }));
    const dec = await wc.VideoDecoder.isConfigSupported({ codec: probe, codedWidth: W, codedHeight: H }).catch(() => ({ supported: false }));
    if (!enc.supported || !dec.supported) {
      console.log(`\nnote: ${wc.implementation} cannot ${enc.supported ? 'decode' : 'encode'} ${probe}; its round trip is skipped`);
      return;
    }
    for (const container of containers) {
      const bytes = await encodeVideo(drawn, { width: W, height: H, fps: 25, gop: 4, bitrate: 300_000, codec, container });
      const name = `${codec}.${container}`;
      const r = await openVideo(bytesSource(bytes), name, { cache: false });
      try {
        assert.is(r.info.frameCount, FRAMES, `${name}: frames`);
        assert.is(r.info.width, W);
        assert.is(r.info.height, H);
        const seq: number[] = [];
        let err = 0;
        await r.decodeSequential((f) => {
          seq.push(digest(f));
          let s = 0;
          for (let i = 0; i < f.data.length; i++) s += Math.abs(f.data[i] - drawn[f.index][i]);
          err = Math.max(err, s / f.data.length);
        });
        assert.is(seq.length, FRAMES);
        const picks = [15, 2, 9, 9, 0, 6];
        const frames = await r.readFrames(picks);
        frames.forEach((f, i) => assert.is(digest(f), seq[picks[i]], `${name}: frame ${picks[i]} by random access`));
        log(`${name}: ${bytes.length} bytes, ${r.info.codec} in ${r.info.container}, keys [${r.index.keys}], worst mean |Δ| ${err.toFixed(2)} levels`);
        assert.ok(err < 4, `${name}: decoded frames differ from the drawn ones by ${err.toFixed(2)} levels`);
      } finally {
        await r.close();
      }
    }
  });
}

test.run();
