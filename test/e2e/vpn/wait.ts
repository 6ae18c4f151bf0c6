/**
 * Bounded polling for end-to-end state (tunnels, routes, clients): resolves with the first truthy value
 * of `probe`, or fails after `timeoutMs` naming what it waited for and, optionally, context for the reader.
 */
export async function waitUntil<T>(
  what: string,
  probe: () => T | null | undefined | false | Promise<T | null | undefined | false>,
  timeoutMs = 20_000,
  context?: () => string,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = lastError ? ` (last error: ${String(lastError)})` : '';
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${cause}${context ? `\n${context()}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
