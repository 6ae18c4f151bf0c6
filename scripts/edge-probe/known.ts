/**
 * Runtime differences from issue 20 that no handler can remove (gateway/README.md's runtime table says
 * why each is safe). A case that fails only in one of these ways on that runtime is reported as KNOWN
 * (issue 20), not FAIL; the expectation stays the Node front end's, the gateway's promise everywhere.
 */
import type { Runtime } from '../../gateway/server/runtime.ts';
import type { Observation } from './probe-case.ts';

export interface KnownDifference {
  /** Issue 20's point, in its words. */
  point: string;
  runtimes: Runtime[];
  cases: string[];
  /** What issue 20 saw: a failure that looks otherwise is not this difference, and stays a FAIL. */
  symptom(o: Observation): boolean;
}

const reachedApp = (o: Observation) => o.app.length > 0;

export const KNOWN_DIFFERENCES: KnownDifference[] = [
  {
    // No hook: Bun.serve closes the connection in native code (gateway/server/bun-pipelining.ts); the
    // gateway forwards neither request.
    point: '1: Bun closes a connection with a request pipelined behind a pending answer; nothing forwarded',
    runtimes: ['bun'],
    cases: ['pipelined-two', 'pipelined-with-body'],
    symptom: (o) => o.exchange.responses.length === 0 && o.exchange.closed && !reachedApp(o),
  },
  {
    point: '3: Deno parses bare-LF line ends before any handler (the app gets CRLF lines)',
    runtimes: ['deno'],
    cases: ['bare-lf', 'bare-lf-one-line'],
    symptom: reachedApp,
  },
  {
    // Deno builds the URL from the target, but with Host's authority it looks like any origin-form
    // request; Bun drops the target's authority altogether. Either way the request goes where Host says.
    point: '3: an absolute-form target the handler cannot tell from origin-form, routed by Host',
    runtimes: ['deno', 'bun'],
    cases: ['absolute-form'],
    symptom: reachedApp,
  },
  {
    point: '3: Bun drops the authority of an absolute-form target before the handler, routed by Host',
    runtimes: ['bun'],
    cases: ['absolute-form-other-host'],
    symptom: reachedApp,
  },
  {
    // The gateway refuses with 400 and `Connection: close`, which Deno ignores; the next request on the
    // connection is read with Deno's own framing and checked like any other.
    point: '2, 3: Deno keeps reading a connection after a request the gateway refused',
    runtimes: ['deno'],
    cases: ['te-gzip-chunked', 'connect'],
    symptom: (o) => o.exchange.responses[0]?.status === 400 && !o.exchange.closed,
  },
  {
    point: '4: Deno answers HTTP/2 with prior knowledge on the public port (its requests are refused)',
    runtimes: ['deno'],
    cases: ['h2-prior-knowledge'],
    // HTTP/2 frames back instead of an HTTP/1 answer.
    symptom: (o) => o.exchange.responses.length === 0 && o.exchange.rest.length > 0,
  },
];

/** The issue-20 entry that explains this failure of `caseId` on `runtime`, if any. */
export const knownDifference = (
  runtime: Runtime,
  caseId: string,
  o: Observation | undefined,
): KnownDifference | undefined =>
  KNOWN_DIFFERENCES.find(
    (k) => k.runtimes.includes(runtime) && k.cases.includes(caseId) && o !== undefined && k.symptom(o),
  );
