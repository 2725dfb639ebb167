import type { DebitResult, PrepareInput, PreparedMessage, ReadyMessage } from './types.js';

/**
 * The saga's first two steps in one activity: prepare the step's rows (rules, render, insert),
 * then debit each one still to be sent. Each step stays idempotent on its own, so a retry of the
 * whole activity neither inserts nor debits twice; together they cost one local-activity round.
 */
export function createPrepareAndDebit(steps: {
  prepareMessages: (input: PrepareInput) => Promise<PreparedMessage[]>;
  debitCredits: (input: { messageId: string }) => Promise<DebitResult>;
  /** This worker runs an email dispatcher: a dispatchable email is left to it at its due time. */
  dispatch?: boolean;
}) {
  return async function prepareAndDebit(input: PrepareInput): Promise<ReadyMessage[]> {
    return debitPrepared(await steps.prepareMessages(input), steps.debitCredits, steps.dispatch === true);
  };
}

/**
 * Debits each prepared message still to be sent: what the send is left with. `dispatch`: this
 * worker runs an email dispatcher, so a dispatchable email is marked as left to it (#13).
 */
export async function debitPrepared(prepared: PreparedMessage[], debitCredits: (input: { messageId: string }) => Promise<DebitResult>, dispatch = false): Promise<ReadyMessage[]> {
  const ready: ReadyMessage[] = [];
  // One after the other: the debits of one center queue on its row lock anyway.
  for (const message of prepared) {
    const base = { messageId: message.messageId, channel: message.channel };
    if (message.status === 'skipped') ready.push({ ...base, state: 'skipped', reason: message.reason ?? 'skipped' });
    // `sending` / `unknown`: an earlier run began the send; the send resolves what became of it.
    else if (!['scheduled', 'sending', 'unknown'].includes(message.status)) ready.push({ ...base, state: 'done_before' });
    else {
      const debit = await debitCredits({ messageId: message.messageId });
      const dispatched = dispatch && message.dispatchable === true;
      ready.push(debit.ok ? { ...base, state: 'ready', ...(dispatched ? { dispatched } : {}) } : { ...base, state: 'skipped', reason: debit.reason ?? 'no_credits' });
    }
  }
  return ready;
}
