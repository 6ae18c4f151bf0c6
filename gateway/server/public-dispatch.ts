/**
 * Which way a request on the Deno or Bun public listener goes: `uc-*` hosts to the proxy (WebSocket
 * handshakes to the relay), every other Host to the control app. Node's front end decides the same in
 * `node.ts` from the head it parsed.
 */

/** Whether a Host header names a container (`uc-...`): those go to the proxy, the rest to the control app. */
export function isContainerHost(host: string | null): boolean {
  return (
    host !== null &&
    host.length > 3 &&
    (host.charCodeAt(0) | 0x20) === 0x75 &&
    (host.charCodeAt(1) | 0x20) === 0x63 &&
    host.charCodeAt(2) === 0x2d
  );
}

/** Whether a Request asks for a WebSocket. */
export function isWebSocketUpgrade(request: Request): boolean {
  return request.headers.get('upgrade')?.toLowerCase() === 'websocket';
}
