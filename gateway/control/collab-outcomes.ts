/**
 * What became of each `/collab/*` request, in one middleware: event intake counted by type and result,
 * and refusals (4xx) logged with their stable code and request id, rate-limited per code. The event
 * handler tells it what it learnt on the way (the event type, the container), so the line and the label
 * say as much as the gateway knew when it refused.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { ErrorCode, GatewayError } from '../../shared/errors.ts';
import type { EventIntakeMetrics, EventTypeLabel } from '../metrics/event-intake-metrics.ts';
import type { RefusalLog } from '../refusal-log.ts';
import type { ControlEnv } from './env.ts';

export interface RequestFacts {
  /** The event type's label (`unknown` until the body named a known one). */
  type?: EventTypeLabel;
  /** Known once the container token verified. */
  containerId?: string;
}

/** The stable code of an answer that is not a success: from the error when there is one, else the status. */
function codeOf(error: Error | undefined, status: number): string {
  if (error instanceof GatewayError) return error.code;
  if (error instanceof HTTPException) return status === 403 ? ErrorCode.Forbidden : ErrorCode.BadRequest;
  if (status === 404) return ErrorCode.NotFound;
  return status >= 500 ? ErrorCode.Internal : ErrorCode.BadRequest;
}

export class CollabOutcomes {
  readonly #facts = new WeakMap<Context, RequestFacts>();

  constructor(
    private readonly intake: Pick<EventIntakeMetrics, 'count'>,
    private readonly refusals: Pick<RefusalLog, 'refused'>,
  ) {}

  /** The handler learnt something about the request it is answering. */
  note(c: Context, facts: RequestFacts): void {
    this.#facts.set(c, { ...this.#facts.get(c), ...facts });
  }

  /** Mounted on `/collab/*`, before the routes; it reads the answer after them. */
  readonly middleware: MiddlewareHandler<ControlEnv> = async (c, next) => {
    await next();
    const status = c.res.status;
    const code = status < 400 ? undefined : codeOf(c.error, status);
    const facts = this.#facts.get(c);
    if (c.req.method === 'POST' && c.req.path === '/collab/event')
      this.intake.count(facts?.type ?? 'unknown', code ?? 'ok');
    // 5xx answers are failures, not refusals: the error responder logs them.
    if (code !== undefined && status < 500)
      this.refusals.refused(code, {
        method: c.req.method,
        path: c.req.path,
        status,
        requestId: c.get('requestId'),
        event: facts?.type,
        containerId: facts?.containerId,
      });
  };
}

/** For tests and tools that build the control app without counting or logging outcomes. */
export const unobservedOutcomes = (): CollabOutcomes => new CollabOutcomes({ count() {} }, { refused() {} });
