import { resourcesSuite } from './resources-suite.ts';

// Deno's fetch slows down badly on very large streamed uploads taken from Deno.serve (measured: 128 MiB
// 0.9 s, 512 MiB 19 s, memory growing): a runtime limit documented in gateway/README.md. 64 MiB still
// shows that bodies stream rather than buffer.
resourcesSuite('deno', 64 * 1024 * 1024);
