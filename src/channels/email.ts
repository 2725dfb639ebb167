import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import type { Locale } from '../domain/events.js';
import { classifySmtpError } from './provider-errors.js';
import { ChannelError, type ChannelSender, type OutgoingMessage, type SendResult } from './types.js';

/**
 * Email over SMTP (nodemailer): HTML + text parts, the center's own From / Reply-To (A3),
 * List-Unsubscribe with one-click POST (X1), an open-tracking pixel (A4-read) and confirm /
 * cancel buttons (B2-confirm). Template text is always escaped: it never becomes markup.
 */

export interface SmtpSettings {
  host: string;
  port: number;
  secure: boolean;
  auth?: { user: string; pass: string } | null;
}

export interface EmailAddress {
  name?: string | null;
  address: string;
}

export interface EmailChannelDeps {
  smtp: SmtpSettings;
  /** Used when a center has no From address of its own. */
  defaultFrom: EmailAddress;
  /** Right-hand side of `Message-ID: <{messageId}@{domain}>`; default: the default sender's domain. */
  messageIdDomain?: string;
  /** Pooled connections per SMTP server. */
  maxConnections?: number;
}

const EMAIL_ADDRESS = /^[^\s@<>()[\]",;:]+@[^\s@<>()[\]",;:]+\.[^\s@<>()[\]",;:]+$/;
const LABELS: Record<Locale, { confirm: string; cancel: string; unsubscribe: string }> = {
  it: { confirm: 'Confermo', cancel: 'Disdico', unsubscribe: 'Non ricevere più questi messaggi' },
  en: { confirm: 'Confirm', cancel: 'Cancel', unsubscribe: 'Unsubscribe from these messages' },
};

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)]/g;

/** Escaped text with newlines as <br> and http(s) URLs (e.g. a set-up link) as links. */
export function textToHtml(text: string): string {
  let html = '';
  let last = 0;
  for (const match of text.matchAll(URL_IN_TEXT)) {
    const index = match.index ?? 0;
    html += escapeHtml(text.slice(last, index));
    const url = escapeHtml(match[0]);
    html += `<a href="${url}">${url}</a>`;
    last = index + match[0].length;
  }
  html += escapeHtml(text.slice(last));
  return html.replace(/\r?\n/g, '<br>\n');
}

/** Only absolute http(s) URLs may become links, images or headers. */
function checkedUrl(value: string, field: string): string {
  const url = URL.canParse(value) ? new URL(value) : null;
  if (url === null || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new ChannelError(`${field}: must be an absolute http(s) URL`, false, 'invalid_url');
  }
  return url.toString();
}

interface EmailContent {
  text: string;
  locale: Locale;
  subject: string;
  unsubscribeUrl: string | null;
  trackingPixelUrl: string | null;
  actionLinks: { confirmUrl: string; cancelUrl: string } | null;
}

const BUTTON =
  'display:inline-block;padding:10px 18px;margin:0 8px 8px 0;border-radius:4px;color:#ffffff;text-decoration:none;font-weight:bold;';

/** The HTML part (pure). */
export function buildEmailHtml(content: EmailContent): string {
  const labels = LABELS[content.locale];
  const parts = [
    '<!doctype html>',
    `<html lang="${content.locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<title>${escapeHtml(content.subject)}</title></head>`,
    '<body style="margin:0;padding:16px;font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.5;color:#222222;">',
    `<div>${textToHtml(content.text)}</div>`,
  ];
  if (content.actionLinks) {
    parts.push(
      '<p style="margin-top:24px;">',
      `<a href="${escapeHtml(content.actionLinks.confirmUrl)}" style="${BUTTON}background:#1e7e34;">${labels.confirm}</a>`,
      `<a href="${escapeHtml(content.actionLinks.cancelUrl)}" style="${BUTTON}background:#b02a37;">${labels.cancel}</a>`,
      '</p>',
    );
  }
  if (content.unsubscribeUrl) {
    parts.push(
      `<p style="margin-top:32px;font-size:12px;color:#666666;"><a href="${escapeHtml(content.unsubscribeUrl)}" style="color:#666666;">${labels.unsubscribe}</a></p>`,
    );
  }
  if (content.trackingPixelUrl) {
    parts.push(`<img src="${escapeHtml(content.trackingPixelUrl)}" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0;">`);
  }
  parts.push('</body></html>');
  return parts.join('\n');
}

/** The text part (pure): the text, then the links as plain URLs. */
export function buildEmailText(content: EmailContent): string {
  const labels = LABELS[content.locale];
  let text = content.text;
  if (content.actionLinks) {
    text += `\n\n${labels.confirm}: ${content.actionLinks.confirmUrl}\n${labels.cancel}: ${content.actionLinks.cancelUrl}`;
  }
  if (content.unsubscribeUrl) text += `\n\n${labels.unsubscribe}: ${content.unsubscribeUrl}`;
  return text;
}

function settingsKey(settings: SmtpSettings): string {
  return JSON.stringify([settings.host, settings.port, settings.secure, settings.auth?.user ?? null, settings.auth?.pass ?? null]);
}

export interface EmailChannel extends ChannelSender {
  readonly channel: 'email';
  close(): Promise<void>;
}

export function createEmailChannel(deps: EmailChannelDeps): EmailChannel {
  if (!EMAIL_ADDRESS.test(deps.defaultFrom.address)) throw new Error('defaultFrom.address: must be an email address');
  const domain = deps.messageIdDomain ?? deps.defaultFrom.address.split('@').pop() ?? 'localhost';
  // One pooled transport per distinct SMTP settings, owned by this channel (no module state).
  const transports = new Map<string, Transporter<SMTPPool.SentMessageInfo>>();

  function transportFor(settings: SmtpSettings): Transporter<SMTPPool.SentMessageInfo> {
    const key = settingsKey(settings);
    let transport = transports.get(key);
    if (!transport) {
      transport = nodemailer.createTransport({
        pool: true,
        host: settings.host,
        port: settings.port,
        secure: settings.secure,
        ...(settings.auth ? { auth: { user: settings.auth.user, pass: settings.auth.pass } } : {}),
        maxConnections: deps.maxConnections ?? 5,
        maxMessages: 500,
        connectionTimeout: 10_000,
        greetingTimeout: 10_000,
        socketTimeout: 30_000,
      });
      transports.set(key, transport);
    }
    return transport;
  }

  return {
    channel: 'email',
    async send(message: OutgoingMessage): Promise<SendResult> {
      const subject = message.subject?.trim();
      if (!subject) throw new ChannelError('subject: an email needs a subject', false, 'missing_subject');
      const fromAddress = message.senders.emailFromAddress?.trim() || deps.defaultFrom.address;
      if (!EMAIL_ADDRESS.test(fromAddress)) {
        throw new ChannelError('senders.emailFromAddress: must be an email address', false, 'invalid_sender');
      }
      const replyTo = message.senders.emailReplyTo?.trim() || null;
      if (replyTo !== null && !EMAIL_ADDRESS.test(replyTo)) {
        throw new ChannelError('senders.emailReplyTo: must be an email address', false, 'invalid_reply_to');
      }
      const fromName = message.senders.emailFromName?.trim() || deps.defaultFrom.name?.trim() || null;
      const content: EmailContent = {
        text: message.text,
        locale: message.locale,
        subject,
        unsubscribeUrl: message.unsubscribeUrl ? checkedUrl(message.unsubscribeUrl, 'unsubscribeUrl') : null,
        trackingPixelUrl: message.trackingPixelUrl ? checkedUrl(message.trackingPixelUrl, 'trackingPixelUrl') : null,
        actionLinks: message.actionLinks
          ? {
              confirmUrl: checkedUrl(message.actionLinks.confirmUrl, 'actionLinks.confirmUrl'),
              cancelUrl: checkedUrl(message.actionLinks.cancelUrl, 'actionLinks.cancelUrl'),
            }
          : null,
      };
      const messageIdHeader = `<${message.messageId}@${domain}>`;
      try {
        const info = await transportFor(deps.smtp).sendMail({
          from: fromName ? { name: fromName, address: fromAddress } : fromAddress,
          to: message.to,
          ...(replyTo ? { replyTo } : {}),
          subject,
          text: buildEmailText(content),
          html: buildEmailHtml(content),
          messageId: messageIdHeader,
          ...(content.unsubscribeUrl
            ? {
                list: { unsubscribe: content.unsubscribeUrl },
                // RFC 8058 one-click: mail clients POST to the URL instead of opening it.
                headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
              }
            : {}),
        });
        if (info.rejected.length > 0) {
          throw new ChannelError('SMTP: the recipient was rejected', false, 'rejected');
        }
        return { providerId: info.messageId || messageIdHeader, segments: 1 };
      } catch (error) {
        throw classifySmtpError(error);
      }
    },
    async close() {
      for (const transport of transports.values()) transport.close();
      transports.clear();
    },
  };
}
