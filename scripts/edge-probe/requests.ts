/** Request text for the well-formed exchanges (control calls, ordinary cases): CRLF, a Content-Length. */

export interface RequestSpec {
  method?: string;
  target: string;
  host: string;
  headers?: [string, string][];
  body?: string;
  /** Adds `Connection: close` last (default), so the answer ends with the connection. */
  close?: boolean;
}

/** One HTTP/1.1 request as the exact text to write. */
export function requestText({ method = 'GET', target, host, headers = [], body, close = true }: RequestSpec) {
  const lines = [`${method} ${target} HTTP/1.1`, `Host: ${host}`, ...headers.map(([n, v]) => `${n}: ${v}`)];
  if (body !== undefined) lines.push(`Content-Length: ${Buffer.byteLength(body, 'latin1')}`);
  if (close) lines.push('Connection: close');
  return `${lines.join('\r\n')}\r\n\r\n${body ?? ''}`;
}

/** A container event body (`POST /collab/event`). */
export const eventBody = (event: Record<string, unknown>) => JSON.stringify({ event });

export const mapEvent = (name: string, port: number, access?: string) =>
  eventBody({ type: 'user-container:map-http-service', name, port, ...(access ? { access } : {}) });

export const watchdogEvent = () => eventBody({ type: 'user-container:watchdog', system: {} });
