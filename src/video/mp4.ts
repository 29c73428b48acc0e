// MP4/MOV demuxing with mp4box.js, reading only metadata.
//
// The top-level boxes are walked with small header reads. Every box except `mdat` is read whole and
// handed to mp4box at its real file offset; of an `mdat` only the header is, so mp4box skips its
// payload and never holds sample data (no extraction is started, nothing is left for
// `releaseUsedSamples` to free, and the ISOFile is dropped once the index is built). Sample offsets,
// sizes, decode/composition times and sync flags then come from the sample tables (stbl) or, in
// fragmented files, from the moof/traf boxes. The sample bytes are read later, per GOP, by the reader.
import { createFile, MP4BoxBuffer, DataStream, Endianness } from 'mp4box';
import type { ByteSource } from './byte-source.ts';
import { VideoError } from './errors.ts';
import { finishIndex, toBase64, SAMPLE_INDEX_VERSION, type SampleIndex } from './sample-index.ts';

/** The largest non-mdat box we read (moov of a multi-hour file is a few MB). */
const MAX_META_BOX = 256 << 20;

interface Mp4Sample {
  offset: number;
  size: number;
  cts: number;
  dts: number;
  duration: number;
  is_sync: boolean;
  timescale: number;
}

interface Mp4Trak {
  samples?: Mp4Sample[];
  edts?: { elst?: { entries: { segment_duration: number; media_time: number }[] } };
  mdia: { mdhd: { timescale: number }; minf: { stbl: { stsd: { entries: Mp4SampleEntry[] } } } };
}

interface Mp4SampleEntry {
  type: string;
  width?: number;
  height?: number;
  avcC?: { write(s: DataStream): void };
  hvcC?: { write(s: DataStream): void };
  av1C?: { write(s: DataStream): void };
  vpcC?: { write(s: DataStream): void };
}

function boxType(b: Uint8Array, at: number): string {
  let s = '';
  for (let i = at; i < at + 4; i++) s += String.fromCharCode(b[i]);
  return s;
}

function configBytes(box: { write(s: DataStream): void }): Uint8Array {
  const ds = new DataStream(undefined, 0, Endianness.BIG_ENDIAN);
  box.write(ds);
  return new Uint8Array(ds.buffer as ArrayBuffer, 8); // without the box header
}

export async function demuxMp4(src: ByteSource, name: string): Promise<SampleIndex> {
  const fileSize = await src.size();
  const file = createFile();
  let parseError: string | null = null;
  file.onError = (module: string, message: string) => {
    parseError ??= `${module}: ${message}`;
  };
  let pos = 0;
  let sawMoov = false;
  let truncatedMdat = false;
  while (pos < fileSize) {
    if (fileSize - pos < 8) break; // trailing padding
    const h = await src.read(pos, Math.min(16, fileSize - pos));
    const dv = new DataView(h.buffer, h.byteOffset, h.byteLength);
    let size = dv.getUint32(0);
    const type = boxType(h, 4);
    let header = 8;
    if (!/^[\x20-\x7e]{4}$/.test(type)) {
      if (!sawMoov) throw new VideoError(name, 'corrupt', `corrupt MP4: invalid box type at byte ${pos}`);
      break; // garbage after the last box
    }
    if (size === 1) {
      if (h.length < 16) throw new VideoError(name, 'truncated', `truncated MP4: box '${type}' at byte ${pos} is cut off`);
      size = Number(dv.getBigUint64(8));
      header = 16;
    } else if (size === 0) {
      size = fileSize - pos;
    }
    if (size < header) throw new VideoError(name, 'corrupt', `corrupt MP4: box '${type}' at byte ${pos} has size ${size}`);
    const end = pos + size;
    if (type === 'mdat') {
      if (end > fileSize) truncatedMdat = true;
      file.appendBuffer(MP4BoxBuffer.fromArrayBuffer(h.slice(0, header).buffer, pos));
    } else {
      if (end > fileSize) {
        throw new VideoError(name, 'truncated', `truncated MP4: box '${type}' at byte ${pos} needs ${size} bytes, the file ends after ${fileSize - pos}`);
      }
      if (size > MAX_META_BOX) throw new VideoError(name, 'corrupt', `corrupt MP4: box '${type}' at byte ${pos} claims ${size} bytes`);
      const bytes = await src.read(pos, size);
      const copy = bytes.slice().buffer; // mp4box keeps the buffer; never hand it a shared view
      file.appendBuffer(MP4BoxBuffer.fromArrayBuffer(copy, pos));
      if (type === 'moov') sawMoov = true;
    }
    pos = end;
  }
  file.flush();
  if (!sawMoov) {
    throw new VideoError(name, truncatedMdat ? 'truncated' : 'corrupt', truncatedMdat
      ? 'truncated MP4: the file ends inside the media data, before the movie header (moov) that indexes it'
      : 'not a complete MP4: no movie header (moov box)');
  }
  let info;
  try {
    info = file.getInfo();
  } catch (err) {
    throw new VideoError(name, 'corrupt', `corrupt MP4 movie header: ${parseError ?? (err as Error).message}`);
  }
  const handlerOf = (id: number) => (file.getTrackById(id) as unknown as { mdia?: { hdlr?: { handler?: string } } }).mdia?.hdlr?.handler ?? '';
  // A 'vide' handler makes a video track even when mp4box does not know its sample entry (the
  // codec check below then names the codec).
  const track = info.videoTracks?.[0] ?? info.tracks?.find((t) => t.video || handlerOf(t.id) === 'vide');
  if (!track) {
    const names: Record<string, string> = { soun: 'audio', vide: 'video', text: 'text', sbtl: 'subtitles', subt: 'subtitles', meta: 'metadata', hint: 'hint' };
    const kinds = info.tracks?.map((t) => names[handlerOf(t.id)] ?? (handlerOf(t.id) || 'unknown')).join(', ');
    throw new VideoError(name, 'no-video-track', `no video track (tracks: ${kinds || 'none'})`);
  }
  const trak = file.getTrackById(track.id) as unknown as Mp4Trak;
  const samples = trak.samples ?? [];
  if (samples.length === 0) throw new VideoError(name, 'no-frames', 'the video track has zero frames');
  const beyond = samples.filter((s) => s.offset + s.size > fileSize).length;
  if (beyond > 0) {
    throw new VideoError(name, 'truncated', `truncated MP4: ${beyond} of ${samples.length} video samples lie beyond the end of the file (${fileSize} bytes)`);
  }
  const entry = trak.mdia.minf.stbl.stsd.entries[0];
  const cfgBox = entry?.avcC ?? entry?.hvcC ?? entry?.av1C;
  const timescale = trak.mdia.mdhd.timescale || samples[0].timescale;
  const movieTimescale = info.timescale || timescale;

  // Edit list: leading empty edits delay the track, the first real edit's media_time is the media
  // time shown at that point. mp4box's `cts` ignores both.
  let shift = 0;
  const edits = trak.edts?.elst?.entries ?? [];
  let delay = 0;
  for (const e of edits) {
    if (e.media_time === -1) {
      delay += (e.segment_duration * timescale) / movieTimescale;
      continue;
    }
    shift = e.media_time;
    break;
  }
  const pts = samples.map((s) => Math.round(((s.cts - shift + delay) * 1e6) / timescale));
  const dur = samples.map((s) => Math.round((s.duration * 1e6) / timescale));
  const keys: number[] = [];
  samples.forEach((s, d) => s.is_sync && keys.push(d));
  if (keys.length === 0) throw new VideoError(name, 'corrupt', 'corrupt MP4: the video track has no key frame');
  // Samples shown before the edit starts (pre-roll) are decoded when needed but not presented, as
  // FFmpeg does; so are samples before the first key frame (they cannot be decoded).
  const { order, fps, duration } = finishIndex(pts, dur, (d) => pts[d] >= 0 && d >= keys[0]);
  if (order.length === 0) throw new VideoError(name, 'no-frames', 'the edit list presents zero frames');
  return {
    version: SAMPLE_INDEX_VERSION,
    container: 'mp4',
    format: 'MP4',
    codec: webCodecsCodec(track.codec || entry?.type || 'unknown'),
    description: cfgBox ? toBase64(configBytes(cfgBox)) : undefined,
    width: entry?.width || track.video?.width || track.track_width,
    height: entry?.height || track.video?.height || track.track_height,
    codedWidth: entry?.width ?? 0,
    codedHeight: entry?.height ?? 0,
    fps,
    duration,
    pts,
    keys,
    offset: samples.map((s) => s.offset),
    size: samples.map((s) => s.size),
    order,
  };
}

/** mp4box's codec string → the WebCodecs registry's (they differ for VP8 only). */
function webCodecsCodec(codec: string): string {
  return codec.startsWith('vp08') ? 'vp8' : codec;
}

/** Groups sample reads into few contiguous byte ranges (samples of a GOP are usually adjacent). */
export async function readSamples(src: ByteSource, index: SampleIndex, first: number, last: number): Promise<Uint8Array[]> {
  const MAX_GAP = 64 << 10;
  const MAX_SPAN = 64 << 20;
  const out: Uint8Array[] = new Array(last - first + 1);
  let d = first;
  while (d <= last) {
    const start = index.offset[d];
    let end = start + index.size[d];
    let e = d;
    while (e + 1 <= last) {
      const o = index.offset[e + 1];
      const nEnd = Math.max(end, o + index.size[e + 1]);
      if (o < start || o > end + MAX_GAP || nEnd - start > MAX_SPAN) break;
      end = nEnd;
      e++;
    }
    const bytes = await src.read(start, end - start);
    if (bytes.byteLength < end - start) throw new Error(`short read at byte ${start}: wanted ${end - start}, got ${bytes.byteLength}`);
    for (let k = d; k <= e; k++) out[k - first] = bytes.subarray(index.offset[k] - start, index.offset[k] - start + index.size[k]);
    d = e + 1;
  }
  return out;
}
