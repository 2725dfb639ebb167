import type { AppointmentPolicy, CenterPolicy, ReadyMessage } from '../activities/types.js';
import { stepKey, type Step, type WorkflowStatus } from '../domain/appointment-plan.js';
import type { EventKind } from '../domain/events.js';
import type { KnownVersions } from '../domain/freshness.js';
import type { AnswerVia, AppointmentSnapshot, PatientAnswer, TimelineEntry } from '../engine/port.js';
import type { PolicyChange } from './definitions.js';

export type Action =
  | { type: 'answer'; eventId: string; answer: PatientAnswer; via: string }
  | { type: 'attendance'; attended: boolean }
  | { type: 'cancelled' };

/** What an appointment workflow carries across continue-as-new: ids, times and flags only. */
export interface Carried {
  status: WorkflowStatus;
  done: Record<string, string>;
  timeline: TimelineEntry[];
  seenEvents: string[];
  pending: Step[];
  actions: Action[];
  /** When the last modification arrived (workflow time). */
  lastChangeAt?: number;
  /** Steps prepared and paid ahead of their due time, waiting for it. */
  prepared?: Record<string, { at: number; messages: ReadyMessage[] }>;
  /** Steps whose prepared messages were released: the next preparation gets a new key. */
  rounds?: Record<string, number>;
  /** The center's settings version of the last policy signal: no activity may read an older one. */
  settingsVersion?: number;
}

const MAX_SEEN_EVENTS = 50;
const MAX_TIMELINE = 200;

/**
 * The state of one appointment's workflow and what each signal does to it. Handlers only change
 * state and raise `wake`; the workflow body does the waiting and the activities.
 */
export class AppointmentState {
  readonly carried: Carried;
  /** Set by a handler: the loop re-plans. */
  wake = false;
  /** The appointment or the policy changed since the last plan: prepared texts may be stale. */
  changed = false;
  /** The center's policy as last read; null = read it again before planning (X3). */
  policy: AppointmentPolicy | null = null;
  /** The current plan, for the timeline query. */
  planned: Step[] = [];

  constructor(
    public snapshot: AppointmentSnapshot,
    carried?: Carried,
  ) {
    this.carried = carried ?? {
      status: 'booked',
      done: {},
      timeline: [],
      seenEvents: [],
      pending: [
        { eventKind: 'appointment.created', slot: `r${snapshot.revision}`, recipient: 'patient', at: 0 },
        { eventKind: 'resource.new_appointment', slot: `r${snapshot.revision}`, recipient: 'resource', at: 0 },
      ],
      actions: [],
    };
    this.carried.prepared ??= {};
    this.carried.rounds ??= {};
  }

  get status(): WorkflowStatus {
    return this.carried.status;
  }
  get prepared(): Record<string, { at: number; messages: ReadyMessage[] }> {
    return this.carried.prepared!;
  }
  get rounds(): Record<string, number> {
    return this.carried.rounds!;
  }
  isOpen(): boolean {
    return this.status === 'booked' || this.status === 'confirmed';
  }
  hasWork(): boolean {
    return this.carried.actions.length > 0 || this.carried.pending.length > 0;
  }
  isDone(step: Step): boolean {
    return !!this.carried.done[stepKey(step)];
  }
  anyDone(eventKind: EventKind): boolean {
    return Object.keys(this.carried.done).some((k) => k.startsWith(`${eventKind}|`));
  }
  /** What the activities must not read older than (see domain/freshness.ts). */
  known(): KnownVersions {
    const version = this.carried.settingsVersion;
    return { minRevision: this.snapshot.revision, ...(version ? { minSettingsVersion: version } : {}) };
  }

  record(entry: TimelineEntry): void {
    this.carried.timeline.push(entry);
    if (this.carried.timeline.length > MAX_TIMELINE) this.carried.timeline.shift();
  }

  timeline(): TimelineEntry[] {
    return [
      ...this.carried.timeline,
      ...this.planned
        .filter((s) => !this.isDone(s))
        .map((s) => ({ eventKind: s.eventKind, state: s.skip ? 'will_skip' : 'planned', at: new Date(s.at).toISOString(), reason: s.skip })),
    ];
  }

  private firstSeen(eventId: string): boolean {
    const seen = this.carried.seenEvents;
    if (seen.includes(eventId)) return false;
    seen.push(eventId);
    if (seen.length > MAX_SEEN_EVENTS) seen.shift();
    return true;
  }

  private queue(step: Omit<Step, 'at'>): void {
    this.carried.pending.push({ ...step, at: 0 });
  }

  onChanged(next: AppointmentSnapshot, now: number): void {
    if (next.revision <= this.snapshot.revision || !this.isOpen()) return; // X5: repeated or stale revision
    const before = this.snapshot;
    const moved = next.startAt !== before.startAt || next.endAt !== before.endAt || next.locationId !== before.locationId;
    const newResource = next.resourceId !== before.resourceId;
    this.snapshot = next;
    this.carried.lastChangeAt = now;
    this.policy = null;
    this.changed = true;
    if (moved || newResource) this.queue({ eventKind: 'appointment.modified', slot: `r${next.revision}`, recipient: 'patient' });
    if (newResource) this.queue({ eventKind: 'resource.new_appointment', slot: `r${next.revision}`, recipient: 'resource' });
    this.wake = true;
  }

  onCancelled(eventId: string): void {
    if (!this.firstSeen(eventId) || !this.isOpen()) return;
    this.carried.status = 'cancelled';
    this.queue({ eventKind: 'appointment.cancelled', slot: 'cancel', recipient: 'patient' });
    this.wake = true;
  }

  onAnswered(input: { eventId: string; answer: PatientAnswer; via: AnswerVia }): void {
    if (!this.firstSeen(input.eventId) || !this.isOpen()) return;
    if (input.answer === 'confirm' && this.status === 'confirmed') return;
    this.carried.status = input.answer === 'confirm' ? 'confirmed' : 'cancelled';
    this.carried.actions.push({ type: 'answer', ...input });
    if (input.answer === 'cancel') this.queue({ eventKind: 'appointment.cancelled', slot: 'cancel', recipient: 'patient' });
    this.wake = true;
  }

  onAttendance(input: { eventId: string; attended: boolean }): void {
    if (!this.firstSeen(input.eventId) || this.status === 'cancelled') return;
    this.carried.status = input.attended ? 'attended' : 'no_show';
    this.carried.actions.push({ type: 'attendance', attended: input.attended });
    this.wake = true;
  }

  onAlert(input: { alertId: string; kind: 'delay' | 'absence'; delayMinutes: number | null; ready?: ReadyMessage[] }): void {
    if (!this.firstSeen(`alert:${input.alertId}`)) return;
    const step = input.kind === 'absence'
      ? { eventKind: 'alert.cancellation' as const, slot: input.alertId, recipient: 'patient' as const }
      : { eventKind: 'alert.delay' as const, slot: input.alertId, recipient: 'patient' as const, delayMinutes: input.delayMinutes };
    // Prepared and paid by the alert (B4 in batches): sent as it is, or, for an appointment no
    // longer open, released (refunded) by the next plan, which has no such step.
    if (input.ready) {
      this.prepared[stepKey(step)] = { at: 0, messages: input.ready };
      this.wake = true;
    }
    if (!this.isOpen()) return;
    if (input.kind === 'absence') {
      this.carried.status = 'cancelled';
      this.carried.actions.push({ type: 'cancelled' });
    }
    this.queue(step);
    this.wake = true;
  }

  /**
   * `carriedPolicyAllowed`: whether this run may plan with the policy the signal carries (a patch
   * check, so histories recorded before it replay with their policy read).
   */
  onPolicyChanged(change: PolicyChange | undefined, carriedPolicyAllowed: () => boolean): void {
    const version = change?.settingsVersion ?? 0;
    this.carried.settingsVersion = Math.max(this.carried.settingsVersion ?? 0, version);
    this.policy = change?.policy ? this.withCenterPolicy(version, change.policy, carriedPolicyAllowed) : null;
    this.changed = true;
    this.wake = true;
  }

  /**
   * The last policy read with the center's part from a signal: the appointment's own part (status,
   * attendance record) is not what a settings change changes. Null (read it all again) when the
   * last read has no version to compare; the last read itself when it is newer than the signal (a
   * late signal of an earlier change).
   */
  private withCenterPolicy(version: number, center: CenterPolicy, carriedPolicyAllowed: () => boolean): AppointmentPolicy | null {
    const last = this.policy;
    if (last?.settingsVersion === undefined || !carriedPolicyAllowed()) return null;
    return version >= last.settingsVersion ? { ...last, ...center, settingsVersion: version } : last;
  }
}
