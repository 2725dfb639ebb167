import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient.js';

/**
 * The real Twilio SDK, optionally pointed at another base URL (the local Twilio test server in
 * tests and `npm start`). Requests keep their production paths (`/2010-04-01/Accounts/...`), only
 * scheme and host change, so what the tests exercise is what production sends.
 */

export type TwilioClient = twilio.Twilio;

export interface TwilioClientOptions {
  accountSid: string;
  authToken: string;
  /** e.g. http://127.0.0.1:4010; unset in production. */
  apiBaseUrl?: string | undefined;
  /** Per-request timeout; short, because Temporal retries a timed-out send. */
  timeoutMs?: number;
}

export const DEFAULT_TWILIO_TIMEOUT_MS = 10_000;

/** A RequestClient that sends every request to `baseUrl` instead of *.twilio.com. */
class RedirectingRequestClient extends twilio.RequestClient {
  readonly #base: URL;

  constructor(baseUrl: string, options: RequestClient.RequestClientOptions) {
    super(options);
    this.#base = new URL(baseUrl);
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    const target = new URL(opts.uri);
    target.protocol = this.#base.protocol;
    target.host = this.#base.host;
    return super.request({ ...opts, uri: target.toString() });
  }
}

export function createTwilioClient(options: TwilioClientOptions): TwilioClient {
  const timeout = options.timeoutMs ?? DEFAULT_TWILIO_TIMEOUT_MS;
  // No SDK auto-retry: retries belong to the workflow, where they are visible and bounded.
  const clientOptions: RequestClient.RequestClientOptions = { timeout, autoRetry: false, keepAlive: true };
  const httpClient = options.apiBaseUrl
    ? new RedirectingRequestClient(options.apiBaseUrl, clientOptions)
    : new twilio.RequestClient(clientOptions);
  return twilio(options.accountSid, options.authToken, { httpClient, timeout, autoRetry: false });
}
