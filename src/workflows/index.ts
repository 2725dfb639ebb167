export { appointmentWorkflow } from './appointment.js';
export { recallWorkflow } from './recall.js';
export { resourceAlertWorkflow } from './alert.js';
export { bookingCallbackWorkflow } from './callback.js';
export { passwordMessageWorkflow } from './password.js';
export { retentionWorkflow } from './retention.js';
export { policyFanoutWorkflow } from './policy-fanout.js';
