// Bad input: every failure is a VideoError whose message starts with the file's name and says why
// (and, where a conversion helps, how: the prepare command). Inputs are made here, in memory.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Output, Mp4OutputFormat, MkvOutputFormat, BufferTarget, EncodedAudioPacketSource, EncodedPacket } from 'mediabunny';
import { createFile } from 'mp4box';
import { openVideo, bytesSource, renderSyntheticVideo, encodeVideo, VideoError, type VideoErrorReason, type VideoReader } from '../src/video/index.ts';

const test = suite('video errors');
const log = (line: string) => process.stdout.write(`\n  ${line}`);

const W = 48;
let mp4: Uint8Array; // a valid 12-frame H.264 MP4, key frame every 4
let mkv: Uint8Array;
let mp4MoovLast: Uint8Array;

test.before(async () => {
  const { i420 } = renderSyntheticVideo({ frames: 12, size: W, seed: 7 }, 0, 0);
  const o = { width: W, height: W, fps: 25, gop: 4, bitrate: 300_000 };
  mp4 = await encodeVideo(i420, o);
  mkv = await encodeVideo(i420, { ...o, container: 'mkv' });
  mp4MoovLast = await encodeVideo(i420, { ...o, container: 'mp4-moov-last' });
});

async function expectError(bytes: Uint8Array, name: string, reason: VideoErrorReason | VideoErrorReason[], ...patterns: RegExp[]): Promise<string> {
  let reader: VideoReader | undefined;
  try {
    reader = await openVideo(bytesSource(bytes), name, { cache: false });
  } catch (err) {
    assert.instance(err, VideoError, `${name}: expected a VideoError, got ${(err as Error).stack}`);
    const e = err as VideoError;
    const reasons = Array.isArray(reason) ? reason : [reason];
    assert.ok(reasons.includes(e.reason), `${name}: reason ${e.reason}, expected ${reasons.join('|')} (${e.message})`);
    assert.ok(e.message.startsWith(`${name}: `), `${name}: the message names the file: ${e.message}`);
    for (const p of patterns) assert.match(e.message, p);
    log(e.message);
    return e.message;
  }
  await reader.close();
  assert.unreachable(`${name}: opened without error`);
  return '';
}

function find(bytes: Uint8Array, fourcc: string, from = 0): number {
  const c = [...fourcc].map((ch) => ch.charCodeAt(0));
  for (let i = from; i < bytes.length - 4; i++) if (c.every((v, k) => bytes[i + k] === v)) return i;
  return -1;
}

test('empty, text, image and other non-video files', async () => {
  await expectError(new Uint8Array(0), 'empty.mp4', 'empty', /empty file/);
  await expectError(new TextEncoder().encode('hello, this is a text file and not a video at all\n'.repeat(4)), 'notes.mp4', 'not-video', /text file/);
  await expectError(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), 'frame.png', 'not-video', /PNG image/);
  await expectError(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4]), 'photo.mp4', 'not-video', /JPEG/);
  await expectError(new Uint8Array(64).map((_, i) => (i * 97 + 13) & 255), 'noise.bin', 'not-video', /not a recognised video file/);
});

test('containers and raw streams WebCodecs cannot read name the prepare command', async () => {
  const avi = new Uint8Array([...new TextEncoder().encode('RIFF'), 0, 0, 1, 0, ...new TextEncoder().encode('AVI LIST'), 0, 0, 0, 0]);
  await expectError(avi, 'v_ApplyEyeMakeup_g01_c01.avi', 'unsupported-container', /AVI container/, /prepare-dataset/);
  await expectError(new Uint8Array([0, 0, 0, 1, 0x67, 0x42, 0, 0x1e, 0, 0, 0, 1, 0x68]), 'clip.h264', 'raw-stream', /H\.264 Annex B/, /prepare-dataset/);
  await expectError(new Uint8Array([0, 0, 1, 0xb0, 1, 0, 0, 1, 0xb5]), 'clip.m4v', 'raw-stream', /MPEG-4 Part 2/, /prepare-dataset/);
  const ts = new Uint8Array(188 * 2);
  ts[0] = 0x47;
  ts[188] = 0x47;
  await expectError(ts, 'clip.ts', 'unsupported-container', /transport stream/);
  await expectError(new TextEncoder().encode('OggS\0\x02'), 'clip.ogv', 'unsupported-container', /Ogg/);
});

test('truncated and corrupt MP4 files', async () => {
  // moov first, media data cut short
  await expectError(mp4.subarray(0, Math.floor(mp4.length * 0.6)), 'cut.mp4', 'truncated', /samples lie beyond the end/);
  // cut inside the moov box
  const moov = find(mp4, 'moov') - 4;
  await expectError(mp4.subarray(0, moov + 40), 'cut-moov.mp4', 'truncated', /box 'moov'/);
  // moov after the media data, file cut inside the media data
  await expectError(mp4MoovLast.subarray(0, Math.floor(mp4MoovLast.length * 0.5)), 'cut-early.mp4', 'truncated', /ends inside the media data/);
  // ftyp + mdat, no movie header at all
  const mdat = find(mp4, 'mdat') - 4;
  await expectError(concat(mp4.subarray(0, moov), mp4.subarray(mdat)), 'no-moov.mp4', 'corrupt', /no movie header/);
  // garbage where the second box header should be
  const garbage = mp4.slice(0, 200);
  garbage.set([0xde, 0xad, 0xbe, 0xef, 0xfe, 0xed, 0xfa, 0xce], find(mp4, 'ftyp') - 4 + new DataView(mp4.buffer, mp4.byteOffset).getUint32(find(mp4, 'ftyp') - 4));
  await expectError(garbage, 'garbage.mp4', 'corrupt', /invalid box type|box/);
  // scribbled sample tables inside moov: a clear error or a usable file, never a crash
  const scribbled = mp4.slice();
  const stsz = find(scribbled, 'stsz');
  for (let i = stsz + 12; i < stsz + 40; i++) scribbled[i] = 0xff;
  try {
    const r = await openVideo(bytesSource(scribbled), 'scribbled.mp4', { cache: false });
    await r.readFrames([0]).catch((e) => assert.instance(e, VideoError));
    await r.close();
  } catch (err) {
    assert.instance(err, VideoError, `scribbled.mp4: ${(err as Error).stack}`);
    log((err as Error).message);
  }
});

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

async function audioOnly(container: 'mp4' | 'mkv'): Promise<Uint8Array> {
  const out = new Output({ format: container === 'mkv' ? new MkvOutputFormat() : new Mp4OutputFormat({ fastStart: 'in-memory' }), target: new BufferTarget() });
  const src = new EncodedAudioPacketSource('pcm-s16');
  out.addAudioTrack(src);
  await out.start();
  for (let i = 0; i < 4; i++) {
    await src.add(new EncodedPacket(new Uint8Array(3200), 'key', i * 0.1, 0.1), i === 0 ? { decoderConfig: { codec: 'pcm-s16', numberOfChannels: 1, sampleRate: 16000 } } : undefined);
  }
  await out.finalize();
  return new Uint8Array((out.target as BufferTarget).buffer!);
}

test('no video track, zero frames', async () => {
  await expectError(await audioOnly('mp4'), 'speech.mp4', 'no-video-track', /no video track \(tracks: audio\)/);
  await expectError(await audioOnly('mkv'), 'speech.mkv', 'no-video-track', /no video track/);
  // a video track with no samples (mp4box's writer)
  const f = createFile();
  const avcC = find(mp4, 'avcC');
  const size = new DataView(mp4.buffer, mp4.byteOffset).getUint32(avcC - 4);
  f.addTrack({ type: 'avc1', width: W, height: W, timescale: 25, hdlr: 'vide', avcDecoderConfigRecord: mp4.slice(avcC + 4, avcC - 4 + size).buffer });
  const empty = new Uint8Array(f.getBuffer().buffer as ArrayBuffer);
  await expectError(empty, 'empty-track.mp4', 'no-frames', /zero frames/);
});

test('a codec this decoder does not support', async () => {
  const odd = mp4.slice();
  const at = find(odd, 'avc1', find(odd, 'stsd')); // the sample entry, not ftyp's brand
  odd.set([...'xyz1'].map((c) => c.charCodeAt(0)), at);
  await expectError(odd, 'odd-codec.mp4', 'unsupported-codec', /cannot decode xyz1/, /prepare-dataset/);
});

test('Matroska: truncated file still opens up to the damage or fails clearly', async () => {
  for (const frac of [0.2, 0.7]) {
    const cut = mkv.subarray(0, Math.floor(mkv.length * frac));
    try {
      const r = await openVideo(bytesSource(cut), `cut-${frac}.mkv`, { cache: false });
      log(`cut-${frac}.mkv: opened with ${r.info.frameCount} of 12 frames`);
      assert.ok(r.info.frameCount < 12);
      const frames = await r.readFrames([0, r.info.frameCount - 1]).catch((e) => {
        assert.instance(e, VideoError);
        return [];
      });
      assert.ok(frames.length === 0 || frames.length === 2);
      await r.close();
    } catch (err) {
      assert.instance(err, VideoError, `cut-${frac}.mkv: ${(err as Error).stack}`);
      assert.match((err as Error).message, new RegExp(`^cut-${frac}\\.mkv: `));
      log((err as Error).message);
    }
  }
});

test('out-of-range indices and a closed reader', async () => {
  const r = await openVideo(bytesSource(mp4), 'ok.mp4');
  assert.is(r.info.frameCount, 12);
  for (const bad of [-1, 12, 1.5, Number.NaN]) {
    try {
      await r.readFrames([0, bad]);
      assert.unreachable(`index ${bad} accepted`);
    } catch (err) {
      assert.instance(err, VideoError);
      assert.is((err as VideoError).reason, 'range');
      assert.match((err as Error).message, /^ok\.mp4: frame index .* out of range \(the video has 12 frames\)/);
    }
  }
  const frames = await r.readFrames([]);
  assert.equal(frames, []);
  await r.close();
  try {
    await r.readFrames([0]);
    assert.unreachable('read after close');
  } catch (err) {
    assert.is((err as VideoError).reason, 'closed');
  }
});

test('damaged sample data decodes without crashing', async () => {
  const bad = mp4.slice();
  const mdat = find(bad, 'mdat');
  // overwrite the middle of the media data (inside the second GOP's samples)
  for (let i = mdat + 4 + Math.floor((bad.length - mdat) * 0.45); i < mdat + 4 + Math.floor((bad.length - mdat) * 0.55); i++) bad[i] = (i * 131) & 255;
  const r = await openVideo(bytesSource(bad), 'damaged.mp4', { cache: false });
  let ok = 0;
  let failed = 0;
  for (let i = 0; i < 12; i++) {
    try {
      const [f] = await r.readFrames([i]);
      assert.is(f.data.length, (W * W * 3) / 2);
      ok++;
    } catch (err) {
      assert.instance(err, VideoError, (err as Error).stack);
      if (!failed) log((err as Error).message);
      failed++;
    }
  }
  await r.close();
  log(`damaged.mp4: ${ok} frames decoded, ${failed} failed with a VideoError`);
  assert.ok(ok >= 8, 'frames outside the damaged GOP decode');
});

test.run();
