import type { ProxyUnderTest } from './proxy-under-test.ts';
import { median, REFERENCE } from './report.ts';
import type { WsSample } from './ws-measure.ts';
import type { WsLoads } from './ws-options.ts';

type Figure = string;
const DASH = '–';

/** Medians and paired comparisons of one proxy's repetitions against another row's in the same repetition. */
class Figures {
  constructor(
    private readonly own: readonly WsSample[],
    private readonly all: readonly WsSample[],
  ) {}

  median(figure: Figure): number | undefined {
    return median(
      this.own.flatMap((s) => (s.figures[figure] === undefined ? [] : [s.figures[figure] as number])),
    );
  }

  /** Median over repetitions of own / other's, or own - other's with `difference`. */
  paired(figure: Figure, other: string, difference = false): number | undefined {
    const values = this.own.flatMap((s) => {
      const mine = s.figures[figure];
      const theirs = this.all.find((o) => o.proxy === other && o.repetition === s.repetition)?.figures[
        figure
      ];
      if (mine === undefined || theirs === undefined || (!difference && theirs === 0)) return [];
      return [difference ? mine - theirs : mine / theirs];
    });
    return median(values);
  }
}

const fixed = (value: number | undefined, digits: number) =>
  value === undefined || !Number.isFinite(value)
    ? DASH
    : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ms = (value: number | undefined) => (value === undefined ? DASH : value.toPrecision(3));
const signed = (value: number | undefined) =>
  value === undefined ? DASH : `${value >= 0 ? '+' : ''}${value.toFixed(2)}`;

interface Table {
  title: string;
  header: string[];
  cells: (f: Figures) => string[];
}

function tables(loads: WsLoads): Table[] {
  return [
    {
      title: `Idle: ${loads.idle} WebSockets opened and held ${loads.hold} s`,
      header: [
        'idle RSS MB',
        'RSS KB/socket',
        'heap KB/socket',
        'fds/socket',
        'open all s',
        'echo after hold',
        'RSS/socket x nginx',
      ],
      cells: (f) => [
        fixed(f.median('idleRssMb'), 0),
        fixed(f.median('rssKbPerSocket'), 1),
        fixed(f.median('heapKbPerSocket'), 1),
        fixed(f.median('fdsPerSocket'), 2),
        fixed(f.median('openSeconds'), 2),
        `${fixed(f.median('echoedAfterHold'), 0)} / ${fixed(loads.idle, 0)}`,
        fixed(f.paired('rssKbPerSocket', REFERENCE), 2),
      ],
    },
    {
      title: `Typing: ${loads.typing} WebSockets, ${loads.typingHz} frames/s each, ${loads.typingSeconds} s`,
      header: [
        'msgs/s',
        'p50 / p99 ms',
        'added p50 / p99 ms (paired, vs direct)',
        'CPU µs/msg',
        'CPU x nginx',
      ],
      cells: (f) => [
        fixed(f.median('messagesPerSecond'), 0),
        `${ms(f.median('typingP50Ms'))} / ${ms(f.median('typingP99Ms'))}`,
        `${signed(f.paired('typingP50Ms', 'direct', true))} / ${signed(f.paired('typingP99Ms', 'direct', true))}`,
        fixed(f.median('cpuMicrosPerMessage'), 1),
        fixed(f.paired('cpuMicrosPerMessage', REFERENCE), 2),
      ],
    },
    {
      title: `Burst: ${loads.burstMib} MiB from the upstream on one WebSocket, ${loads.burstIdle} idle ones echoing twice a second`,
      header: ['MiB/s', 'x nginx', 'CPU ms/MiB', 'idle echo p50 / p99 ms before', 'during', 'echoes during'],
      cells: (f) => [
        fixed(f.median('burstMibPerSecond'), 0),
        fixed(f.paired('burstMibPerSecond', REFERENCE), 2),
        fixed(f.median('cpuMsPerMib'), 2),
        `${ms(f.median('probeP50BeforeMs'))} / ${ms(f.median('probeP99BeforeMs'))}`,
        `${ms(f.median('probeP50DuringMs'))} / ${ms(f.median('probeP99DuringMs'))}`,
        fixed(f.median('probeSamplesDuring'), 0),
      ],
    },
    {
      title:
        `Churn: ${loads.handshakes} WebSocket handshakes (open + close), ${loads.churnConcurrency} at a time; ` +
        `HTTP with a new connection per request (wrk -c${loads.churnConcurrency}, ${loads.churnSeconds} s)`,
      header: [
        'handshakes/s',
        'x chp',
        'CPU µs/handshake',
        'CPU x nginx',
        'HTTP req/s',
        'x nginx',
        'CPU µs/req',
      ],
      cells: (f) => [
        fixed(f.median('handshakesPerSecond'), 0),
        fixed(f.paired('handshakesPerSecond', 'chp'), 2),
        fixed(f.median('cpuMicrosPerHandshake'), 0),
        fixed(f.paired('cpuMicrosPerHandshake', REFERENCE), 2),
        fixed(f.median('httpRequestsPerSecond'), 0),
        fixed(f.paired('httpRequestsPerSecond', REFERENCE), 2),
        fixed(f.median('cpuMicrosPerHttpRequest'), 1),
      ],
    },
  ];
}

/** The four markdown tables (one per load), medians over repetitions, with failures and notes under them. */
export function webSocketTables(
  proxies: readonly Pick<ProxyUnderTest, 'name' | 'label'>[],
  samples: readonly WsSample[],
  failures: ReadonlyMap<string, string[]>,
  loads: WsLoads,
): string {
  const out: string[] = [];
  for (const table of tables(loads)) {
    out.push(`\n## ${table.title}\n`, `| proxy | ${table.header.join(' | ')} |`);
    out.push(`|---|${table.header.map(() => '---:').join('|')}|`);
    for (const proxy of proxies) {
      const own = samples.filter((s) => s.proxy === proxy.name);
      const failed = failures.get(proxy.name)?.length ?? 0;
      const label = failed > 0 ? `${proxy.label} (${failed} failed)` : proxy.label;
      out.push(`| ${label} | ${table.cells(new Figures(own, samples)).join(' | ')} |`);
    }
  }
  const notes = [
    ...[...failures].flatMap(([proxy, messages]) =>
      [...new Set(messages)].map((m) => `- ${proxy}: FAILED ${m.split('\n')[0]}`),
    ),
    ...samples.flatMap((s) => s.notes.map((n) => `- ${s.proxy} rep ${s.repetition}: ${n}`)),
  ];
  if (notes.length > 0) out.push('', 'Notes:', ...notes);
  return out.join('\n');
}
