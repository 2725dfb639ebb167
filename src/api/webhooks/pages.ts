import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Locale } from '../../domain/events.js';

/**
 * The small pages behind public links (B2-confirm, X1). Every text is escaped here, once; the
 * pages load nothing from elsewhere, are never cached or indexed, and send no Referer (the URL
 * carries the token).
 */

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

export interface Page {
  locale: Locale;
  title: string;
  /** Plain-text paragraphs. */
  paragraphs: string[];
  /** A button that POSTs to the page's own URL. */
  button?: string;
}

const STYLE = [
  'body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f4f5f7;color:#1f2328;line-height:1.5}',
  'main{max-width:32rem;margin:2rem auto;padding:1.5rem;background:#fff;border-radius:8px}',
  'h1{font-size:1.4rem;margin-top:0}',
  'button{font:inherit;font-size:1.1rem;padding:.75rem 1.25rem;border:0;border-radius:6px;background:#0b57d0;color:#fff;cursor:pointer;min-height:44px}',
  'button:focus-visible{outline:3px solid #1f2328;outline-offset:2px}',
].join('');

export function renderPage(page: Page): string {
  const paragraphs = page.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n');
  const form = page.button ? `\n<form method="post"><button type="submit">${escapeHtml(page.button)}</button></form>` : '';
  return `<!doctype html>
<html lang="${page.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${escapeHtml(page.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escapeHtml(page.title)}</h1>
${paragraphs}${form}
</main>
</body>
</html>
`;
}

const PAGE_HEADERS = {
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-robots-tag': 'noindex, nofollow',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
};

export function pageResponse(c: Context, status: ContentfulStatusCode, page: Page): Response {
  return c.html(renderPage(page), status, PAGE_HEADERS);
}
