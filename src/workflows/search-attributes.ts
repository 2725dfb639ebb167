import { defineSearchAttributeKey } from '@temporalio/common';

/** X6: what operators filter on in the Web UI. Ids and times only: never patient data. */
export const CenterId = defineSearchAttributeKey('CenterId', 'KEYWORD');
export const AppointmentId = defineSearchAttributeKey('AppointmentId', 'KEYWORD');
export const PatientId = defineSearchAttributeKey('PatientId', 'KEYWORD');
export const ResourceId = defineSearchAttributeKey('ResourceId', 'KEYWORD');
export const AppointmentStart = defineSearchAttributeKey('AppointmentStart', 'DATETIME');
export const AppointmentStatus = defineSearchAttributeKey('AppointmentStatus', 'KEYWORD');
/** The next message not yet prepared (messages due within PREPARE_AHEAD_MS are prepared already). */
export const NextMessageAt = defineSearchAttributeKey('NextMessageAt', 'DATETIME');

export const SEARCH_ATTRIBUTES = [CenterId, AppointmentId, PatientId, ResourceId, AppointmentStart, AppointmentStatus, NextMessageAt];
