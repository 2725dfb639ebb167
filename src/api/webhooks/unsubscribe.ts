import type { EntityManager } from '@mikro-orm/postgresql';
import { Hono, type Context } from 'hono';
import { Center, Message, OptOut, Patient } from '../../db/entities/index.js';
import { parseLinkSegment } from '../../links.js';
import { invalidLinkPage } from './confirm-links.js';
import type { ResolvedWebhookDeps } from './deps.js';
import { recordOptOut } from './opt-outs.js';
import { pageResponse, type Page } from './pages.js';
import { fill, localeOf, PAGE_TEXTS } from './texts.js';

/**
 * X1 for email: the unsubscribe link of a message and its List-Unsubscribe header. A GET shows
 * a page with a button; a POST (the button, or a mail app's RFC 8058 one-click POST with the
 * body `List-Unsubscribe=One-Click`) opts the recipient's address out of email for the
 * message's center and tells the booking system (X4). Repeats change nothing.
 */

async function loadMessage(em: EntityManager, deps: ResolvedWebhookDeps, segment: string): Promise<{ message: Message; center: Center } | null> {
  const parsed = parseLinkSegment(segment);
  if (!parsed || segment.endsWith('.gif') || !deps.links.verify(parsed.messageId, 'unsubscribe', parsed.token)) return null;
  const message = await em.findOne(Message, { id: parsed.messageId });
  if (!message) return null;
  return { message, center: await em.findOneOrFail(Center, { id: message.centerId }) };
}

const patientIdOf = (message: Message): string | null => (message.recipientKind === 'patient' ? message.recipientId : null);

async function alreadyOptedOut(em: EntityManager, message: Message): Promise<boolean> {
  if (message.recipientAddress) {
    const rows = await em.count(OptOut, { centerId: message.centerId, channel: message.channel, address: message.recipientAddress });
    if (rows > 0) return true;
  }
  const patientId = patientIdOf(message);
  if (!patientId) return false;
  const patient = await em.findOne(Patient, { id: patientId, centerId: message.centerId }, { fields: ['optedOutChannels'] });
  return patient?.optedOutChannels.includes(message.channel) ?? false;
}

function questionPage(message: Message, center: Center): Page {
  const locale = localeOf(message.locale);
  const t = PAGE_TEXTS[locale];
  return { locale, title: t.unsubscribeTitle, paragraphs: [fill(t.unsubscribeQuestion, { center: center.name })], button: t.unsubscribeButton };
}

function donePage(message: Message, center: Center): Page {
  const locale = localeOf(message.locale);
  const t = PAGE_TEXTS[locale];
  return { locale, title: t.unsubscribedTitle, paragraphs: [fill(t.unsubscribedBody, { center: center.name })] };
}

export function unsubscribeRoutes(deps: ResolvedWebhookDeps): Hono {
  const app = new Hono();

  app.get('/unsubscribe/:segment', async (c) => {
    const em = deps.orm.em.fork();
    const found = await loadMessage(em, deps, c.req.param('segment'));
    if (!found) return pageResponse(c, 404, invalidLinkPage());
    const page = (await alreadyOptedOut(em, found.message)) ? donePage(found.message, found.center) : questionPage(found.message, found.center);
    return pageResponse(c, 200, page);
  });

  app.post('/unsubscribe/:segment', async (c: Context) => {
    const em = deps.orm.em.fork();
    const found = await loadMessage(em, deps, c.req.param('segment') ?? '');
    if (!found) return pageResponse(c, 404, invalidLinkPage());
    const { message, center } = found;
    const body = await c.req.parseBody();
    const patientId = patientIdOf(message);
    await em.transactional((tx) =>
      recordOptOut(tx, {
        centerId: center.id,
        channel: message.channel,
        address: message.recipientAddress,
        patientIds: patientId ? [patientId] : [],
        source: body['List-Unsubscribe'] === 'One-Click' ? 'list_unsubscribe' : 'email_link',
        eventId: `unsubscribe:${message.id}`,
        at: deps.now(),
      }),
    );
    return pageResponse(c, 200, donePage(message, center));
  });

  return app;
}
