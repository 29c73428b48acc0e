// Matroska/WebM demuxing with mediabunny (a maintained, dependency-free TypeScript media toolkit).
// mediabunny reads through a StreamSource whose `read(start, end)` is our ByteSource, so only the
// byte ranges it asks for (EBML header, SeekHead, Cues, the clusters holding wanted blocks) are
// read. The index keeps mediabunny's timestamps; packets are fetched again by timestamp when
// decoding, because Matroska block offsets are not part of mediabunny's public API.
import { Input, StreamSource, MATROSKA, WEBM, EncodedPacketSink, type EncodedPacket, type InputVideoTrack } from 'mediabunny';
import type { ByteSource } from './byte-source.ts';
import { VideoError } from './errors.ts';
import { finishIndex, toBase64, SAMPLE_INDEX_VERSION, type SampleIndex } from './sample-index.ts';

export interface MatroskaDemuxer {
  index: SampleIndex;
  /** Decode-order samples first..last (inclusive) of the index. */
  read(first: number, last: number): Promise<Uint8Array[]>;
  close(): void;
}

function openInput(src: ByteSource): Input {
  const source = new StreamSource({
    getSize: () => src.size(),
    read: (start, end) => src.read(start, end - start).then((b) => b.slice()), // mediabunny caches: own copy
    prefetchProfile: 'fileSystem',
  });
  return new Input({ source, formats: [MATROSKA, WEBM] });
}

async function videoTrack(input: Input, name: string): Promise<InputVideoTrack> {
  let track: InputVideoTrack | null;
  try {
    track = await input.getPrimaryVideoTrack();
  } catch (err) {
    throw new VideoError(name, 'corrupt', `corrupt Matroska/WebM file: ${(err as Error).message}`);
  }
  if (!track) {
    const tracks = await input.getTracks().catch(() => []);
    throw new VideoError(name, 'no-video-track', `no video track (tracks: ${tracks.map((t) => t.type).join(', ') || 'none'})`);
  }
  return track;
}

export async function openMatroska(src: ByteSource, name: string, known?: SampleIndex): Promise<MatroskaDemuxer> {
  const input = openInput(src);
  try {
    const track = await videoTrack(input, name);
    const sink = new EncodedPacketSink(track);
    const index = known ?? (await buildIndex(input, track, sink, name));
    return {
      index,
      async read(first, last) {
        const ts = index.ts!;
        const start = await sink.getPacket(ts[first]);
        if (!start || start.timestamp !== ts[first]) throw new Error(`cannot find the block of sample ${first} (t=${ts[first]} s)`);
        const out: Uint8Array[] = [];
        let p: EncodedPacket | null = start;
        for (let d = first; d <= last; d++) {
          if (!p) throw new Error(`the file ends before sample ${d}`);
          if (p.timestamp !== ts[d]) throw new Error(`sample ${d}: expected t=${ts[d]} s, found ${p.timestamp} s`);
          out.push(p.data);
          if (d < last) p = await sink.getNextPacket(p);
        }
        return out;
      },
      close: () => input.dispose(),
    };
  } catch (err) {
    input.dispose();
    throw err;
  }
}

async function buildIndex(input: Input, track: InputVideoTrack, sink: EncodedPacketSink, name: string): Promise<SampleIndex> {
  const format = (await input.getFormat()).name;
  const config = await track.getDecoderConfig();
  if (!config) {
    throw new VideoError(name, 'unsupported-codec', `video codec ${track.codec ?? '(unknown)'} in ${format} is not one WebCodecs can decode; ` +
      'transcode it to H.264 MP4 with `npx tsx examples/prepare-dataset.ts <src> <dst>`');
  }
  const pts: number[] = [];
  const ts: number[] = [];
  const size: number[] = [];
  const dur: number[] = [];
  const keys: number[] = [];
  try {
    for await (const p of sink.packets(undefined, undefined, { metadataOnly: true })) {
      if (p.type === 'key') keys.push(ts.length);
      ts.push(p.timestamp);
      pts.push(Math.round(p.timestamp * 1e6));
      dur.push(Math.round(p.duration * 1e6));
      size.push(p.byteLength);
    }
  } catch (err) {
    if (ts.length === 0) throw new VideoError(name, 'corrupt', `corrupt ${format} file: ${(err as Error).message}`);
    // A damaged tail: keep what was read.
  }
  if (ts.length === 0) throw new VideoError(name, 'no-frames', 'the video track has zero readable frames (an empty track, or the file is truncated)');
  if (keys.length === 0) throw new VideoError(name, 'corrupt', `corrupt ${format} file: the video track has no key frame`);
  const { order, fps, duration } = finishIndex(pts, dur, (d) => pts[d] + Math.max(dur[d], 1) > 0 && d >= keys[0]);
  const desc = config.description;
  const descBytes = desc ? (ArrayBuffer.isView(desc) ? new Uint8Array(desc.buffer, desc.byteOffset, desc.byteLength) : new Uint8Array(desc)) : undefined;
  return {
    version: SAMPLE_INDEX_VERSION,
    container: 'matroska',
    format,
    codec: config.codec,
    description: descBytes ? toBase64(descBytes) : undefined,
    width: track.codedWidth,
    height: track.codedHeight,
    codedWidth: config.codedWidth ?? track.codedWidth,
    codedHeight: config.codedHeight ?? track.codedHeight,
    fps,
    duration,
    pts,
    keys,
    offset: pts.map(() => -1),
    size,
    ts,
    order,
  };
}
