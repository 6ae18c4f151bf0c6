/**
 * Event intake, `gateway_events_total{type,result}`: `POST /collab/event` by event type (the protocol's
 * closed list, or `unknown` when the body did not say one) and result (`ok` or a stable error code).
 */
import { EVENT_TYPES } from '../../shared/protocol.ts';
import { family, type MetricsPart, sample } from './exposition.ts';

/** `map-http-service`, `watchdog`, ...: the event type without its `user-container:` prefix, or `unknown`. */
export type EventTypeLabel = string;

const SHORT = new Map([...EVENT_TYPES].map((t) => [t, t.replace(/^user-container:/, '')]));

/** The label for a type as sent: a known event type, else `unknown` (never the sender's text). */
export const eventTypeLabel = (type: unknown): EventTypeLabel =>
  (typeof type === 'string' && SHORT.get(type)) || 'unknown';

export class EventIntakeMetrics implements MetricsPart {
  readonly #counts = new Map<string, number>([...SHORT.values()].map((t) => [`${t} ok`, 0]));

  /** One event answered: `result` is `ok` or the error code it was refused with. */
  count(type: EventTypeLabel, result: string): void {
    const key = `${type} ${result}`;
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
  }

  render(): string {
    const lines = [...this.#counts].map(([key, n]) => {
      const [type = '', result = ''] = key.split(' ');
      return sample('gateway_events_total', { type, result }, n);
    });
    return family(
      'gateway_events_total',
      'counter',
      'Container events by type and result (ok or an error code).',
      lines,
    );
  }
}
