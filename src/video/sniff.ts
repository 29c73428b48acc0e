// Recognises a file's container from its first bytes, so that unsupported inputs fail with a clear
// reason (and the fix) instead of a parser's stack trace.
import { VideoError, PREPARE_HINT } from './errors.ts';

export type Container = 'mp4' | 'matroska';

const MP4_BOXES = new Set(['ftyp', 'moov', 'mdat', 'free', 'skip', 'wide', 'pnot', 'uuid', 'styp', 'sidx', 'moof', 'junk']);

function ascii(b: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < Math.min(end, b.length); i++) s += String.fromCharCode(b[i]);
  return s;
}

/** `head` holds the first bytes of the file (512 or all of a shorter file). */
export function sniffContainer(head: Uint8Array, size: number, name: string): Container {
  if (size === 0) throw new VideoError(name, 'empty', 'empty file (0 bytes)');
  const b = head;
  const at = (i: number) => b[i] ?? -1;
  if (b.length >= 8 && MP4_BOXES.has(ascii(b, 4, 8))) return 'mp4';
  if (at(0) === 0x1a && at(1) === 0x45 && at(2) === 0xdf && at(3) === 0xa3) return 'matroska';
  const four = ascii(b, 0, 4);
  const refuse = (what: string) => new VideoError(name, 'unsupported-container', `${what} is not supported (the WebCodecs reader takes MP4/MOV and Matroska/WebM); ${PREPARE_HINT}`);
  if (four === 'RIFF' && ascii(b, 8, 12) === 'AVI ') throw refuse('the AVI container');
  if (four === 'RIFF') throw new VideoError(name, 'not-video', `a RIFF ${JSON.stringify(ascii(b, 8, 12))} file, not a video`);
  if (four === 'OggS') throw refuse('the Ogg container');
  if (ascii(b, 0, 3) === 'FLV') throw refuse('the FLV container');
  if (at(0) === 0x47 && (size < 189 || at(188) === 0x47)) throw refuse('MPEG transport stream (.ts)');
  if (at(0) === 0 && at(1) === 0 && at(2) === 1 && at(3) === 0xba) throw refuse('MPEG program stream (.mpg/.vob)');
  if (at(0) === 0x30 && at(1) === 0x26 && at(2) === 0xb2 && at(3) === 0x75) throw refuse('the ASF/WMV container');
  // Elementary streams: start codes with no container (no timestamps, no index).
  const sc3 = at(0) === 0 && at(1) === 0 && at(2) === 1;
  const sc4 = at(0) === 0 && at(1) === 0 && at(2) === 0 && at(3) === 1;
  if (sc3 || sc4) {
    const code = sc3 ? at(3) : at(4);
    let what = 'a raw video elementary stream';
    if (sc3 && (code === 0xb0 || code === 0xb5 || code <= 0x2f)) what = 'a raw MPEG-4 Part 2 elementary stream (.m4v)';
    else if (sc3 && code === 0xb3) what = 'a raw MPEG-1/2 video elementary stream';
    else if ((code & 0x1f) === 7 || (code & 0x1f) === 9 || (code & 0x1f) === 6) what = 'a raw H.264 Annex B elementary stream (.h264)';
    else if (((code >> 1) & 0x3f) >= 32 && ((code >> 1) & 0x3f) <= 35) what = 'a raw H.265 elementary stream (.h265)';
    throw new VideoError(name, 'raw-stream', `${what} with no container (no timestamps or sample index) is not supported; ${PREPARE_HINT}`);
  }
  const magic: [string, number[] | string][] = [
    ['a PNG image', [0x89, 0x50, 0x4e, 0x47]],
    ['a JPEG image', [0xff, 0xd8, 0xff]],
    ['a GIF image', 'GIF8'],
    ['a PDF document', '%PDF'],
    ['a ZIP archive', [0x50, 0x4b, 0x03, 0x04]],
    ['a gzip archive', [0x1f, 0x8b]],
    ['an MP3 file', 'ID3'],
    ['a FLAC file', 'fLaC'],
  ];
  for (const [what, sig] of magic) {
    const bytes = typeof sig === 'string' ? [...sig].map((c) => c.charCodeAt(0)) : sig;
    if (bytes.every((v, i) => at(i) === v)) throw new VideoError(name, 'not-video', `${what}, not a video`);
  }
  let printable = 0;
  const n = Math.min(b.length, 64);
  for (let i = 0; i < n; i++) if ((b[i] >= 0x20 && b[i] < 0x7f) || b[i] === 9 || b[i] === 10 || b[i] === 13) printable++;
  if (n > 0 && printable === n) throw new VideoError(name, 'not-video', 'a text file, not a video');
  throw new VideoError(name, 'not-video', `not a recognised video file (first bytes ${[...b.subarray(0, 8)].map((v) => v.toString(16).padStart(2, '0')).join(' ')}); supported containers: MP4/MOV, Matroska/WebM; ${PREPARE_HINT}`);
}
