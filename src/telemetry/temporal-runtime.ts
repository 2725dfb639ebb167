import { Runtime } from '@temporalio/worker';
import { freePort } from '../dev/ports.js';

/**
 * The Temporal SDK's own worker metrics (task slots, poll and schedule-to-start latencies, sticky
 * cache, …) come from its Rust core, exported by its runtime's Prometheus listener. It is bound
 * to loopback and merged into the worker's /metrics, so an operator scrapes one port.
 * Must run before the process's first Temporal connection (the runtime is a process singleton).
 */
export async function installTemporalRuntime(options: { port?: number } = {}): Promise<{ metricsUrl: string }> {
  const port = options.port ?? (await freePort());
  Runtime.install({ telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${port}` } } } });
  return { metricsUrl: `http://127.0.0.1:${port}/metrics` };
}

/** The SDK's metrics text, or a comment saying they could not be read (the scrape still answers). */
export async function temporalMetrics(metricsUrl: string): Promise<string> {
  try {
    const res = await fetch(metricsUrl, { signal: AbortSignal.timeout(2_000) });
    if (!res.ok) return `# Temporal SDK metrics unavailable: HTTP ${res.status}\n`;
    return await res.text();
  } catch (err) {
    return `# Temporal SDK metrics unavailable: ${err instanceof Error ? err.name : 'error'}\n`;
  }
}
