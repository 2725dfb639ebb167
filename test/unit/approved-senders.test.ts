import { describe, expect, it } from 'vitest';
import { approvedSendersOf, isApproved, unapprovedSenders } from '../../src/domain/approved-senders.js';

const approved = approvedSendersOf({ emailAddresses: ['Info@Clinic.example'], emailDomains: ['sanluca.example'], smsSenderIds: ['SanLuca'], voiceNumbers: ['+390612345678'] });

describe('A3: approved senders', () => {
  it.each([
    ['emailFromAddress', 'noreply@sanluca.example', true],
    ['emailFromAddress', 'NoReply@SanLuca.Example', true],
    ['emailFromAddress', 'info@clinic.example', true],
    ['emailFromAddress', 'other@clinic.example', false],
    // A subdomain or a look-alike is another domain.
    ['emailFromAddress', 'noreply@mail.sanluca.example', false],
    ['emailFromAddress', 'noreply@sanluca.example.evil', false],
    ['smsSenderId', 'SanLuca', true],
    ['smsSenderId', 'SANLUCA', false],
    ['voiceCallerNumber', '+390612345678', true],
    ['voiceCallerNumber', '+390612345679', false],
  ] as const)('A3: %s %s approved: %s', (field, value, expected) => {
    expect(isApproved(field, value, approved)).toBe(expected);
  });

  it('A3: unset senders need no approval; the unapproved ones are named in a stable order', () => {
    expect(unapprovedSenders({ emailFromAddress: null, smsSenderId: null, voiceCallerNumber: null }, approvedSendersOf(null))).toEqual([]);
    expect(unapprovedSenders({ emailFromAddress: 'x@y.example', smsSenderId: 'SanLuca', voiceCallerNumber: '+391' }, approved)).toEqual([
      'emailFromAddress',
      'voiceCallerNumber',
    ]);
  });
});
