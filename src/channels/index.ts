import type { Config } from '../config.js';
import type { Channel } from '../domain/events.js';
import { createEmailChannel, type EmailAddress, type SmtpSettings } from './email.js';
import { createSmsChannel } from './sms.js';
import { createTwilioClient, type TwilioClient, type TwilioClientOptions } from './twilio-client.js';
import type { ChannelSender } from './types.js';
import { createVoiceChannel } from './voice.js';

/** The three senders the activities use, built once by the worker from config. */

export interface ChannelsDeps {
  smtp: SmtpSettings;
  /** Platform sender used when a center has no From address (A3). */
  defaultEmailFrom: EmailAddress;
  messageIdDomain?: string;
  /** The options to build the Twilio client (see twilio-client.ts), or a ready one. */
  twilio: TwilioClientOptions | { client: TwilioClient };
  /** Platform SMS number or sender ID used when a center has no SMS sender ID. */
  defaultSmsFrom: string;
  /** Platform caller number used when a center has no voice caller number. */
  defaultVoiceFrom: string;
  /**
   * Platform number (E.164) that receives SMS replies, used for a message asking for an answer
   * when its sender would be alphanumeric. Default: `defaultSmsFrom` when it is a number, else `defaultVoiceFrom`.
   */
  smsReplyFrom?: string;
}

export type Channels = Record<Channel, ChannelSender> & { close(): Promise<void> };

export function createChannels(deps: ChannelsDeps): Channels {
  const twilio = 'client' in deps.twilio ? deps.twilio.client : createTwilioClient(deps.twilio);
  const email = createEmailChannel({
    smtp: deps.smtp,
    defaultFrom: deps.defaultEmailFrom,
    ...(deps.messageIdDomain ? { messageIdDomain: deps.messageIdDomain } : {}),
  });
  return {
    email,
    sms: createSmsChannel({
      twilio,
      defaultFrom: deps.defaultSmsFrom,
      replyFrom: deps.smsReplyFrom ?? (deps.defaultSmsFrom.startsWith('+') ? deps.defaultSmsFrom : deps.defaultVoiceFrom),
    }),
    voice: createVoiceChannel({ twilio, defaultFrom: deps.defaultVoiceFrom }),
    close: () => email.close(),
  };
}

/** SMTP and Twilio settings as config.ts reads them from the environment. */
export function channelSettingsFromConfig(config: Config): Pick<ChannelsDeps, 'smtp' | 'twilio'> {
  return {
    smtp: {
      host: config.SMTP_HOST,
      port: config.SMTP_PORT,
      secure: config.SMTP_SECURE,
      auth: config.SMTP_USER ? { user: config.SMTP_USER, pass: config.SMTP_PASS ?? '' } : null,
    },
    twilio: {
      accountSid: config.TWILIO_ACCOUNT_SID,
      authToken: config.TWILIO_AUTH_TOKEN,
      apiBaseUrl: config.TWILIO_API_BASE_URL,
    },
  };
}
