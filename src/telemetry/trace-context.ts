import { context, propagation } from '@opentelemetry/api';

/**
 * A trace's context across the outbox: the request that commits a command keeps its W3C
 * `traceparent` in the command, and the relay that delivers it later (maybe in another process)
 * continues that trace. Only the OpenTelemetry API here: without a registered SDK both are no-ops.
 */
export type TraceCarrier = Record<string, string>;

/** The active trace context (empty when tracing is off). */
export function currentTraceCarrier(): TraceCarrier {
  const carrier: TraceCarrier = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

/** Runs `work` in the trace context a carrier holds (or the current one when there is none). */
export function inTraceOf<T>(carrier: TraceCarrier | undefined, work: () => T): T {
  if (!carrier || Object.keys(carrier).length === 0) return work();
  return context.with(propagation.extract(context.active(), carrier), work);
}
