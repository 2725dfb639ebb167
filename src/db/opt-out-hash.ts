import { createHash } from 'node:crypto';

/**
 * X7: the form in which an erased patient's opt-out is kept (`opt_outs.address`, and
 * `sender_opt_outs.address` scoped by the sender): a SHA-256 of the scope and the address, so the number or email stays blocked for that center while the
 * row no longer shows it. Checked beside the plain address wherever opt-outs are read. A phone
 * number has few possible values: this hides the address from a reader of the table, it does not
 * make it impossible to guess.
 */
export function optOutHash(scope: string, address: string): string {
  return `sha256:${createHash('sha256').update(`${scope}|${address}`).digest('hex')}`;
}
