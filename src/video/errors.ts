// Errors of the video reader: every message starts with the file's name and says what to do.

/** The command that turns anything FFmpeg reads into files this reader accepts. */
export const PREPARE_HINT = 'transcode it to H.264 MP4 with `npx tsx examples/prepare-dataset.ts <src> <dst>` (see docs/video.md)';

export type VideoErrorReason =
  | 'empty'
  | 'not-video'
  | 'unsupported-container'
  | 'raw-stream'
  | 'corrupt'
  | 'truncated'
  | 'no-video-track'
  | 'no-frames'
  | 'unsupported-codec'
  | 'decode'
  | 'range'
  | 'closed';

export class VideoError extends Error {
  constructor(readonly file: string, readonly reason: VideoErrorReason, detail: string) {
    super(`${file}: ${detail}`);
    this.name = 'VideoError';
  }
}
