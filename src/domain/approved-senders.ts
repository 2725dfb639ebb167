/**
 * A3 senders are the platform's to grant: a center may use as email From only an approved
 * address or an address at an approved (verified) domain, as SMS sender only an approved sender
 * ID or number, as voice caller only an approved number. Otherwise a center could send as
 * another clinic, or claim another center's number and receive its patients' replies (X1).
 */

export interface ApprovedSenders {
  emailAddresses: string[];
  emailDomains: string[];
  smsSenderIds: string[];
  voiceNumbers: string[];
}

export const NO_APPROVED_SENDERS: ApprovedSenders = { emailAddresses: [], emailDomains: [], smsSenderIds: [], voiceNumbers: [] };

export interface CenterSenders {
  emailFromAddress: string | null;
  smsSenderId: string | null;
  voiceCallerNumber: string | null;
}

export type SenderField = keyof CenterSenders;

/** A stored value, completed: rows written before a list existed lack some keys. */
export function approvedSendersOf(value: Partial<ApprovedSenders> | null | undefined): ApprovedSenders {
  return { ...NO_APPROVED_SENDERS, ...(value ?? {}) };
}

export function isApproved(field: SenderField, value: string, approved: ApprovedSenders): boolean {
  switch (field) {
    case 'emailFromAddress': {
      const address = value.toLowerCase();
      const domain = address.slice(address.lastIndexOf('@') + 1);
      return approved.emailAddresses.some((a) => a.toLowerCase() === address) || approved.emailDomains.some((d) => d.toLowerCase() === domain);
    }
    case 'smsSenderId':
      return approved.smsSenderIds.includes(value);
    case 'voiceCallerNumber':
      return approved.voiceNumbers.includes(value);
  }
}

/** The sender settings that are set and not approved, in a stable order (none: all fine). */
export function unapprovedSenders(senders: CenterSenders, approved: ApprovedSenders): SenderField[] {
  return (['emailFromAddress', 'smsSenderId', 'voiceCallerNumber'] as const).filter((field) => {
    const value = senders[field];
    return value !== null && !isApproved(field, value, approved);
  });
}
