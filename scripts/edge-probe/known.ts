/**
 * Runtime differences already filed as issue 20 (the same hostile requests on Deno and Bun). A case that
 * fails only in one of these ways on that runtime is reported as KNOWN (issue 20), not FAIL; the
 * expectation stays the Node front end's, which is the gateway's promise on every runtime.
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
    point: '1: Bun drops pipelined requests to container hosts',
    runtimes: ['bun'],
    cases: ['pipelined-two', 'pipelined-with-body'],
    symptom: (o) => o.exchange.responses.length < 2,
  },
  {
    point: '2: Bun forwards CONNECT to the container',
    runtimes: ['bun'],
    cases: ['connect'],
    symptom: reachedApp,
  },
  {
    point: '3: Deno forwards bare-LF line ends',
    runtimes: ['deno'],
    cases: ['bare-lf', 'bare-lf-one-line'],
    symptom: reachedApp,
  },
  {
    point: '3: Deno forwards OPTIONS * (as /*)',
    runtimes: ['deno'],
    cases: ['options-asterisk'],
    symptom: reachedApp,
  },
  {
    point: '3: Bun forwards DEL in a header value',
    runtimes: ['bun'],
    cases: ['del-in-value'],
    symptom: reachedApp,
  },
  {
    point: '3: Deno and Bun forward absolute-form targets, routed by the Host header',
    runtimes: ['deno', 'bun'],
    cases: ['absolute-form', 'absolute-form-other-host'],
    symptom: reachedApp,
  },
  {
    // Found by this probe (not in issue 20's text; noted on issue 14 for issue 20): the gateway refuses
    // the head with 400 and `Connection: close`, which Deno ignores; the next request on the connection is
    // read with Deno's own framing and checked like any other (nothing reaches an app framed otherwise).
    point: '3 (found here): Deno keeps reading a connection after a request the gateway refused',
    runtimes: ['deno'],
    cases: ['te-gzip-chunked'],
    symptom: (o) => o.exchange.responses[0]?.status === 400 && !o.exchange.closed,
  },
  {
    // Found by this probe: Deno's fetch cannot send CONNECT; the answer is 502 and the app sees nothing.
    point: '2 (found here): Deno answers CONNECT with 502 and keeps the connection',
    runtimes: ['deno'],
    cases: ['connect'],
    symptom: (o) => !reachedApp(o) && o.exchange.responses[0]?.status === 502,
  },
  {
    point: '4: Deno answers HTTP/2 with prior knowledge on the public port',
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
