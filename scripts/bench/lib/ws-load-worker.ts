/**
 * One load-generator process of the WebSocket bench: holds WebSockets through a proxy and runs what
 * ws.ts asks over IPC (ws-protocol.ts). Several run side by side, pinned to the load CPU, so 9,000
 * sockets and their timers are not one event loop's queue. Started by ws-workers.ts.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { forEachBounded } from './bounded.ts';
import {
  BURST_END,
  BURST_PREFIX,
  type BurstResult,
  type CheckResult,
  type ChurnResult,
  type OpenResult,
  type TypeResult,
  type WorkerCommand,
  type WorkerRequest,
  type WsTarget,
} from './ws-protocol.ts';

/** Every wait is bounded: a handshake, an echo, a whole burst. */
const HANDSHAKE_TIMEOUT_MS = 10_000;
const ECHO_TIMEOUT_MS = 10_000;
const BURST_TIMEOUT_MS = 300_000;
const FRAME = 'typed'; // a keystroke or two with some framing

/** A held socket: at most one echo awaited at a time. */
interface Held {
  ws: WebSocket;
  awaiting: ((receivedAt: number) => void) | undefined;
}

const held: Held[] = [];
let stopRequested = false;

function connect(target: WsTarget): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${target.port}/ws`, {
      headers: { host: target.host },
      perMessageDeflate: false,
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => {
      ws.terminate();
      reject(new Error(`handshake answered ${res.statusCode}`));
    });
  });
}

async function open(target: WsTarget, count: number, concurrency: number): Promise<OpenResult> {
  const result: OpenResult = { opened: 0, failed: 0 };
  await forEachBounded(Array.from({ length: count }), concurrency, async () => {
    try {
      const ws = await connect(target);
      const entry: Held = { ws, awaiting: undefined };
      ws.on('message', () => entry.awaiting?.(performance.now()));
      ws.on('error', () => {});
      held.push(entry);
      result.opened++;
    } catch (error) {
      result.failed++;
      result.firstError ??= (error as Error).message;
    }
  });
  return result;
}

/** Sends one frame and resolves with the round trip in ms, or undefined after `timeoutMs`. */
function echo(entry: Held, timeoutMs: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const sentAt = performance.now();
    const timer = setTimeout(() => {
      entry.awaiting = undefined;
      resolve(undefined);
    }, timeoutMs);
    entry.awaiting = (receivedAt) => {
      clearTimeout(timer);
      entry.awaiting = undefined;
      resolve(receivedAt - sentAt);
    };
    if (entry.ws.readyState === WebSocket.OPEN) entry.ws.send(FRAME);
  });
}

async function check(concurrency: number): Promise<CheckResult> {
  const result: CheckResult = { echoed: 0, failed: 0 };
  await forEachBounded(held, concurrency, async (entry) => {
    if ((await echo(entry, ECHO_TIMEOUT_MS)) === undefined) result.failed++;
    else result.echoed++;
  });
  return result;
}

/** Each socket sends every 1/hz s from a random phase; an echo later than the next slot counts as missed. */
async function type(sockets: number, hz: number, durationMs: number): Promise<TypeResult> {
  stopRequested = false;
  const period = 1000 / hz;
  const end = performance.now() + durationMs;
  const result: TypeResult = { latenciesMs: [], missed: 0 };
  await Promise.all(
    held.slice(0, sockets).map(async (entry) => {
      let due = performance.now() + Math.random() * period;
      while (!stopRequested) {
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        if (stopRequested || performance.now() >= end) return;
        const ms = await echo(entry, Math.max(period, ECHO_TIMEOUT_MS));
        if (ms === undefined) result.missed++;
        else result.latenciesMs.push(ms);
        due += period;
        // Behind by more than a slot (a slow echo): skip the slots already gone, as a user would not retype.
        while (due < performance.now()) {
          due += period;
          result.missed++;
        }
      }
    }),
  );
  return result;
}

function burst(target: WsTarget, bytes: number): Promise<BurstResult> {
  return connect(target).then(
    (ws) =>
      new Promise((resolve, reject) => {
        let received = 0;
        const started = performance.now();
        const timer = setTimeout(() => {
          ws.terminate();
          reject(new Error(`burst: ${received} of ${bytes} bytes after ${BURST_TIMEOUT_MS} ms`));
        }, BURST_TIMEOUT_MS);
        ws.on('message', (data: Buffer, isBinary) => {
          if (isBinary) received += data.length;
          else if (data.toString() === BURST_END) {
            const ms = performance.now() - started;
            clearTimeout(timer);
            ws.terminate();
            resolve({ bytes: received, ms });
          }
        });
        ws.on('close', () => reject(new Error(`burst: closed after ${received} of ${bytes} bytes`)));
        ws.send(`${BURST_PREFIX}${bytes}`);
      }),
  );
}

async function churn(target: WsTarget, count: number, concurrency: number): Promise<ChurnResult> {
  const result: ChurnResult = { done: 0, failed: 0 };
  await forEachBounded(Array.from({ length: count }), concurrency, async () => {
    try {
      const ws = await connect(target);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          ws.terminate();
          resolve();
        }, HANDSHAKE_TIMEOUT_MS);
        ws.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        ws.close(1000);
      });
      result.done++;
    } catch (error) {
      result.failed++;
      result.firstError ??= (error as Error).message;
    }
  });
  return result;
}

function run(command: WorkerCommand): Promise<unknown> | unknown {
  switch (command.kind) {
    case 'open':
      return open(command.target, command.count, command.concurrency);
    case 'check':
      return check(command.concurrency);
    case 'type':
      return type(command.sockets, command.hz, command.durationMs);
    case 'stop':
      stopRequested = true;
      return undefined;
    case 'burst':
      return burst(command.target, command.bytes);
    case 'churn':
      return churn(command.target, command.count, command.concurrency);
    case 'drop':
      for (const entry of held.splice(0)) entry.ws.terminate();
      return undefined;
  }
}

process.on('message', (request: WorkerRequest) => {
  Promise.resolve()
    .then(() => run(request.command))
    .then(
      (result) => process.send?.({ id: request.id, result }),
      (error: Error) => process.send?.({ id: request.id, error: error.message }),
    );
});
process.on('disconnect', () => process.exit(0));
