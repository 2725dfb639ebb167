import { apiOnHarness, type EngineHarness } from './engine.js';

/** The public URL the e2e apps sign their links with (nothing listens there). */
export const E2E_BASE_URL = 'http://127.0.0.1:9';

/**
 * The whole HTTP surface (REST API, webhooks, links) on the engine harness, as the API process
 * builds it, and a caller that waits until what each write committed has reached the engine.
 */
export function wholeApi(h: EngineHarness, platformKey: string) {
  return apiOnHarness(h, { PLATFORM_API_KEY: platformKey, PUBLIC_BASE_URL: E2E_BASE_URL });
}
