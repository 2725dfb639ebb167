import { ConsoleLinkSchema, ConsoleSessionSchema, PolicyFanoutSchema } from './console.js';
import { ApiKeySchema, CallbackDeliverySchema, ConfirmTokenSchema, IdempotencyRecordSchema, MessageSecretSchema } from './access.js';
import { AppointmentSchema, ResourceAlertSchema } from './appointment.js';
import { CenterSchema, EventSettingSchema, TemplateSchema } from './center.js';
import { LocationSchema, PatientSchema, ResourceSchema, ServiceSchema } from './directory.js';
import { CreditEntrySchema, MessageEventSchema, MessageSchema, OptOutSchema, SenderOptOutSchema } from './message.js';
import { OutboxCommandSchema } from './outbox.js';
import { SenderPaceSchema, SenderSendSchema } from './pace.js';
import { ConsentChangeSchema, PatientErasureSchema } from './privacy.js';

export * from './access.js';
export * from './console.js';
export * from './appointment.js';
export * from './center.js';
export * from './directory.js';
export * from './message.js';
export * from './privacy.js';
export * from './outbox.js';
export * from './pace.js';

/** The explicit entity list given to MikroORM. */
export const entities = [
  CenterSchema,
  EventSettingSchema,
  TemplateSchema,
  PatientSchema,
  ResourceSchema,
  ServiceSchema,
  LocationSchema,
  AppointmentSchema,
  ResourceAlertSchema,
  MessageSchema,
  MessageEventSchema,
  CreditEntrySchema,
  OptOutSchema,
  SenderOptOutSchema,
  ApiKeySchema,
  ConfirmTokenSchema,
  IdempotencyRecordSchema,
  CallbackDeliverySchema,
  MessageSecretSchema,
  ConsentChangeSchema,
  PatientErasureSchema,
  OutboxCommandSchema,
  ConsoleLinkSchema,
  ConsoleSessionSchema,
  PolicyFanoutSchema,
  SenderPaceSchema,
  SenderSendSchema,
];
