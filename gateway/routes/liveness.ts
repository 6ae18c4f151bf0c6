/** A container is online while its last watchdog is younger than the liveness timeout. */
export function isOnline(lastWatchdog: number | null, now: number, livenessTimeoutMs: number): boolean {
  return lastWatchdog !== null && now - lastWatchdog < livenessTimeoutMs;
}
