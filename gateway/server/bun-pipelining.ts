/**
 * Bun.serve and pipelined requests (issue 20, measured on Bun 1.4.5). When a request arrives on a
 * connection whose previous answer is still pending (any handler that returns a Promise, so every
 * proxied request), Bun's HTTP layer (uWS) closes the socket at once: the pending answer is discarded and
 * the second request never reaches JavaScript (oven-sh/bun#38128, open). Neither `server.timeout(req, 0)`
 * nor the idle deadline given back after the answer is involved: a bare Bun.serve whose handler awaits
 * one timer loses both requests the same way, and a synchronous handler with either setting answers both.
 * No JavaScript hook sees the second request, so both cannot be answered; what the gateway can do is
 * not act on the first: the close happens while Bun reads the bytes that arrived with it, before the
 * next turn of the event loop, and aborts the request's signal. Passing that signal to fetch is not
 * enough: with a warm keep-alive connection to the app, Bun's fetch wrote the first request in 5 of 5
 * runs before the abort. Waiting that one turn before forwarding means a request whose answer cannot be
 * delivered is never sent to the app (a POST is not run with its answer lost); the client sees the connection closed with no answer, which RFC 9112 section 9.3.2
 * tells a pipelining client to expect and retry. A request pipelined later, while the first is with the
 * app, closes the connection the same way and cancels the first exchange like a client that left.
 */

/** Resolves after the current turn of the event loop: false when the client's connection is gone. */
export function clientStays(request: Request): Promise<boolean> {
  return new Promise((resolve) => setImmediate(() => resolve(!request.signal.aborted)));
}
