/**
 * The image's HEALTHCHECK (`node dist/healthcheck.js`): exit 0 when this container's process
 * answers `GET /healthz` with 200. The worker (WORKER_HEALTH_PORT set) is asked on that port, the
 * API on API_PORT. No shell, curl or wget needed in the image.
 */
const port = process.env.WORKER_HEALTH_PORT ?? process.env.API_PORT ?? '3000';
try {
  const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(4_000) });
  if (!response.ok) console.error(`healthz: ${response.status} ${await response.text()}`);
  process.exit(response.ok ? 0 : 1);
} catch (err) {
  console.error(`healthz: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
