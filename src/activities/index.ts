import type { ActivityDeps } from './deps.js';
import { createFindAlertAppointments, createRecordAlertProgress, createSignalAlert } from './alerts.js';
import {
  createDeliverCallback,
  createLoadAppointmentPolicy,
  createMarkAppointmentCancelled,
  createRecordAttendance,
  createRecordPatientAnswer,
  createScheduleRecall,
  createSupersedeRecall,
} from './appointments.js';
import { createDebitCredits, createFailMessage, createReleaseMessages, createSendMessage } from './delivery.js';
import { createSignalPolicyChanged } from './policy-fanout.js';
import { createPrepareForAppointments, createPrepareMessages } from './prepare.js';
import { createPrepareAndDebit } from './ready.js';
import { createRetentionBatch } from './retention.js';
import { classifyFailures } from './failures.js';
import type { EngineActivities } from './types.js';

export type { ActivityDeps } from './deps.js';

/** All activities, built from their dependencies once by the worker; their failures leave classified (failures.ts). */
export function createActivities(deps: ActivityDeps): EngineActivities {
  const prepareMessages = createPrepareMessages(deps);
  const debitCredits = createDebitCredits(deps);
  const prepareAndDebit = createPrepareAndDebit({ prepareMessages, debitCredits, dispatch: deps.emailDispatch === true });
  const releaseMessages = createReleaseMessages(deps);
  return classifyFailures<EngineActivities>({
    loadAppointmentPolicy: createLoadAppointmentPolicy(deps),
    prepareMessages,
    debitCredits,
    prepareAndDebit,
    sendMessage: createSendMessage(deps),
    failMessage: createFailMessage(deps),
    releaseMessages,
    recordPatientAnswer: createRecordPatientAnswer(deps),
    recordAttendance: createRecordAttendance(deps),
    markAppointmentCancelled: createMarkAppointmentCancelled(deps),
    deliverCallback: createDeliverCallback(deps),
    scheduleRecall: createScheduleRecall(deps),
    supersedeRecall: createSupersedeRecall(deps),
    findAlertAppointments: createFindAlertAppointments(deps),
    signalAlert: createSignalAlert(deps, { prepareForAppointments: createPrepareForAppointments(deps), debitCredits, releaseMessages }),
    recordAlertProgress: createRecordAlertProgress(deps),
    retentionBatch: createRetentionBatch(deps),
    signalPolicyChanged: createSignalPolicyChanged(deps),
  });
}
