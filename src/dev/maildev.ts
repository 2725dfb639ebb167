import { MailDev } from 'maildev';

export interface MailCatcherOptions {
  smtpPort: number;
  webPort: number;
  /** Loopback by default: caught mail is patient data, not for the network. */
  host?: string;
  /** Keep caught mail on disk (e.g. `.data/maildev`) so it survives a restart; in memory otherwise. */
  mailDirectory?: string;
}

export interface MailCatcher {
  smtpHost: string;
  smtpPort: number;
  /** Web UI. */
  webUrl: string;
  /** maildev 3's REST API: `GET {apiUrl}/email` lists caught mail, `DELETE {apiUrl}/email/all` clears it. */
  apiUrl: string;
  stop(): Promise<void>;
}

/**
 * The local stack's mail catcher (npm `maildev`): an SMTP server that keeps every mail and shows
 * it in a web UI instead of delivering it. The engine's SMTP settings point here.
 */
export async function startMailCatcher(options: MailCatcherOptions): Promise<MailCatcher> {
  const host = options.host ?? '127.0.0.1';
  const maildev = new MailDev({
    smtp: options.smtpPort,
    ip: host,
    web: options.webPort,
    webIp: host,
    silent: true,
    ...(options.mailDirectory ? { mailDirectory: options.mailDirectory } : {}),
  });
  await maildev.start();
  return {
    smtpHost: host,
    smtpPort: options.smtpPort,
    webUrl: `http://${host}:${options.webPort}`,
    apiUrl: `http://${host}:${options.webPort}/api`,
    stop: () => maildev.stop(),
  };
}
