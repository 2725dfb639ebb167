import type { Channel, EventKind, MessageStatus } from '../domain/events.js';

/** What a metric may say about a message: its kind and channel, never its recipient or text. */
export interface MessageLabels {
  eventKind: EventKind;
  channel: Channel;
}

/**
 * Told by the message's owner (src/messages/, the activities that create, skip and fail rows)
 * when a status change of its own took effect; the worker passes the Prometheus one in
 * (src/telemetry/metrics.ts). Calls are synchronous and must not throw.
 */
export interface MessageObserver {
  /** The row reached `status` (`reason`: the skip reason or failure code). */
  reached(message: MessageLabels, status: MessageStatus, reason?: string | null): void;
  /** The provider took it `latenessMs` after its due time (0 when early). */
  accepted(message: MessageLabels, latenessMs: number): void;
  /** A provider call failed: `outcome` says whether it may still have gone out. */
  providerError(message: MessageLabels, code: string | null, outcome: 'not_sent' | 'unknown'): void;
}

export const noObserver: MessageObserver = { reached: () => undefined, accepted: () => undefined, providerError: () => undefined };

/** The observer of a set of dependencies, or nobody. */
export const observerOf = (deps: { observer?: MessageObserver | undefined }): MessageObserver => deps.observer ?? noObserver;
