import { createRequire } from 'node:module';
import { SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { InjectedSinks, WorkerInterceptors } from '@temporalio/worker';
import type { ChannelSender } from '../channels/types.js';
import type { Channel } from '../domain/events.js';

/**
 * Traces across API → outbox → workflow → activity → provider (OpenTelemetry, off by default).
 * Spans carry kinds, channels, route patterns and ids of workflows: never a patient's name,
 * address or text (the Temporal interceptors add workflow and activity types and ids only).
 */
export interface Tracing {
  tracer: Tracer;
  /** The Temporal client's interceptors: StartWorkflow / SignalWorkflow spans, context in headers. */
  clientInterceptors: { workflow: WorkflowClientInterceptor[] };
  /** The worker's: activity spans, and the sink that exports the workflows' own spans. */
  worker: { interceptors: WorkerInterceptors; sinks: InjectedSinks<never> };
  /** The workflow interceptor module, bundled into the workflow code when tracing is on. */
  workflowInterceptorModules: string[];
  shutdown(): Promise<void>;
}

const workflowModule = createRequire(import.meta.url).resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

/**
 * Registers the process's tracer provider (W3C trace context, AsyncLocalStorage) and returns what
 * the API and the worker wire in. `endpoint`: an OTLP/HTTP collector (its /v1/traces); `exporter`:
 * tests pass an in-memory one (spans exported at once).
 */
export function startTracing(options: { serviceName: string; endpoint?: string; exporter?: SpanExporter }): Tracing {
  const resource = new Resource({ 'service.name': options.serviceName });
  const processor: SpanProcessor = options.exporter
    ? new SimpleSpanProcessor(options.exporter)
    : new BatchSpanProcessor(new OTLPTraceExporter({ url: `${(options.endpoint ?? 'http://127.0.0.1:4318').replace(/\/+$/, '')}/v1/traces` }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  provider.register();
  const tracer = trace.getTracer('clinic-comms');
  return {
    tracer,
    clientInterceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor({ tracer })] },
    worker: {
      interceptors: {
        activity: [(ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer }), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) })],
      },
      sinks: { exporter: makeWorkflowExporter(processor, resource) } as InjectedSinks<never>,
    },
    workflowInterceptorModules: [workflowModule],
    shutdown: () => provider.shutdown(),
  };
}

/** Tracing as the environment asks for it: OTEL_EXPORTER_OTLP_ENDPOINT set = on. */
export function tracingFromConfig(config: { OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined }, serviceName: string): Tracing | undefined {
  return config.OTEL_EXPORTER_OTLP_ENDPOINT ? startTracing({ serviceName, endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT }) : undefined;
}

/** Each provider call in a client span named for its channel (no address, no text). */
export function tracedChannels(channels: Record<Channel, ChannelSender>, tracer: Tracer): Record<Channel, ChannelSender> {
  const wrap = (channel: Channel, sender: ChannelSender): ChannelSender => ({
    ...sender,
    send: (message) =>
      tracer.startActiveSpan(`provider send ${channel}`, { kind: SpanKind.CLIENT, attributes: { 'messaging.channel': channel } }, async (span) => {
        try {
          return await sender.send(message);
        } catch (err) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.name : 'error' });
          throw err;
        } finally {
          span.end();
        }
      }),
  });
  return { email: wrap('email', channels.email), sms: wrap('sms', channels.sms), voice: wrap('voice', channels.voice) };
}
