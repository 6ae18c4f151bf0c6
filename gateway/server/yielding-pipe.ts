/**
 * The bytes of one direction of a WebSocket, relayed as `src.pipe(dest)` would (back-pressure, the end
 * passed on) with one `'data'` listener instead of several, and a turn for the rest of the process
 * during a burst. libuv reads a socket whose reads fill the buffer up to 32 times before it looks at any
 * other (2 MiB at 64 KiB a read), so one WebSocket carrying a terminal's `cat` of a large file held every
 * other socket's echo back by milliseconds (`scripts/bench/ws.ts`, burst). After `YIELD_BYTES` since its
 * last pause the source pauses (reads stop at once for sockets that read into a given buffer,
 * `SharedReads.streamed`) and resumes on the next turn of the loop.
 */
import type { Readable, Writable } from 'node:stream';

/** Bytes relayed before the source waits for the next turn of the event loop. */
export const YIELD_BYTES = 128 * 1024;

/** Relays `src` to `dest`; `onChunk` runs for each chunk (activity), before it is written. */
export function yieldingPipe(src: Readable, dest: Writable, onChunk?: () => void): void {
  let inTurn = 0;
  let awaitingDrain = false;
  let awaitingTurn = false;
  const resume = () => {
    if (!awaitingDrain && !awaitingTurn && !src.destroyed) src.resume();
  };
  const drained = () => {
    awaitingDrain = false;
    resume();
  };
  const nextTurn = () => {
    awaitingTurn = false;
    inTurn = 0;
    resume();
  };
  src.on('data', (chunk: Buffer) => {
    onChunk?.();
    if (!dest.write(chunk)) {
      awaitingDrain = true;
      src.pause();
      dest.once('drain', drained);
    }
    inTurn += chunk.length;
    if (inTurn < YIELD_BYTES || awaitingTurn) return;
    awaitingTurn = true;
    src.pause();
    setImmediate(nextTurn);
  });
  src.once('end', () => dest.end());
  src.resume(); // as pipe does: a source paused before (the handshake's) starts flowing
}
