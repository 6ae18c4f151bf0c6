/** Body of POST /collab/event: JSON text -> validated event, with a clear message for each way it fails. */
import type { z } from 'zod';
import { badEvent, ErrorCode, GatewayError } from '../../shared/errors.ts';
import { EVENT_TYPES, EventBody } from '../../shared/protocol.ts';

function describe(issue: z.core.$ZodIssue): string {
  const path = issue.path.length ? issue.path.join('.') : 'body';
  return `${path}: ${issue.message}`;
}

/** Parses and validates an event body; throws GW_ERR_BAD_JSON or GW_ERR_BAD_EVENT (400). */
export function parseEventBody(text: string): EventBody {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new GatewayError(ErrorCode.BadJson, 'body is not valid JSON', 400);
  }
  const type = (json as { event?: { type?: unknown } } | null)?.event?.type;
  if (typeof type === 'string' && !EVENT_TYPES.has(type))
    throw badEvent(`unknown event type "${type.slice(0, 80)}"`);
  const result = EventBody.safeParse(json);
  if (!result.success) throw badEvent(result.error.issues.slice(0, 3).map(describe).join('; '));
  return result.data;
}
