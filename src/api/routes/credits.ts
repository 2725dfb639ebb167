import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { CreditEntry, Center } from '../../db/entities/index.js';
import { BalanceLimitError, MAX_BALANCE, topUp } from '../../db/credits.js';
import { LEDGER_KINDS } from '../../domain/events.js';
import { callerCenterId, requireScope } from '../auth.js';
import type { ApiEnv } from '../context.js';
import type { RouteDeps } from '../deps.js';
import { findPage, pageOf, pageQuery } from '../pagination.js';
import { ApiError } from '../problem.js';
import { bearer, errorResponses, idempotencyHeaders, isUuid, json, jsonBody, unprocessableResponse } from '../schemas.js';
import { loadCenter } from './center.js';

const balanceView = z
  .object({
    balance: z.number().int(),
    prices: z.object({ email: z.number().int(), smsSegment: z.number().int(), voice: z.number().int() }),
    lowCreditThreshold: z.number().int(),
    low: z.boolean().openapi({ description: 'The balance is at or below the threshold (B6 warns the admins).' }),
  })
  .openapi('Credits');

const entryView = z
  .object({
    id: z.uuid(),
    kind: z.enum(LEDGER_KINDS),
    amount: z.number().int().openapi({ description: 'Negative for debits.' }),
    note: z.string().nullable(),
    messageId: z.uuid().nullable(),
    createdAt: z.string(),
  })
  .openapi('LedgerEntry');

const getCredits = createRoute({
  method: 'get',
  path: '/credits',
  tags: ['Credits'],
  summary: 'F1: balance, prices per channel and the low-credit threshold',
  security: bearer,
  middleware: [requireScope('admin')],
  responses: { 200: json(balanceView, 'The balance'), ...errorResponses },
});

const getLedger = createRoute({
  method: 'get',
  path: '/credits/ledger',
  tags: ['Credits'],
  summary: 'F1: every debit, refund and top-up, newest first',
  security: bearer,
  middleware: [requireScope('admin')],
  request: { query: z.strictObject(pageQuery) },
  responses: { 200: json(pageOf(entryView, 'LedgerPage'), 'A page of the ledger'), ...errorResponses },
});

const postTopUp = createRoute({
  method: 'post',
  path: '/credits/top-ups',
  tags: ['Credits', 'Platform'],
  summary: 'F1: add credits to a center (platform key)',
  security: bearer,
  middleware: [requireScope('platform')],
  request: {
    headers: idempotencyHeaders,
    body: jsonBody(
      z
        .strictObject({
          centerId: z.string().max(100),
          amount: z.number().int().min(1).max(10_000_000),
          note: z.string().trim().min(1).max(255).nullish(),
        })
        .openapi('TopUp'),
    ),
  },
  responses: {
    201: json(z.object({ entryId: z.uuid(), centerId: z.uuid(), balance: z.number().int() }), 'Recorded'),
    ...errorResponses,
    ...unprocessableResponse,
  },
});

export function creditRoutes(_deps: RouteDeps) {
  return new OpenAPIHono<ApiEnv>()
    .openapi(getCredits, async (c) => {
      const center = await loadCenter(c.var.em, callerCenterId(c.var.caller));
      return c.json(
        {
          balance: center.creditBalance,
          prices: { email: center.priceEmail, smsSegment: center.priceSmsSegment, voice: center.priceVoice },
          lowCreditThreshold: center.lowCreditThreshold,
          low: center.creditBalance <= center.lowCreditThreshold,
        },
        200,
      );
    })
    .openapi(getLedger, async (c) => {
      const centerId = callerCenterId(c.var.caller);
      const page = await findPage(c.var.em, CreditEntry, { centerId }, c.req.valid('query'), (rows) =>
        rows.map((e) => ({ id: e.id, kind: e.kind, amount: e.amount, note: e.note, messageId: e.messageId, createdAt: e.createdAt.toISOString() })),
      );
      return c.json(page, 200);
    })
    .openapi(postTopUp, async (c) => {
      const em = c.var.em;
      const body = c.req.valid('json');
      const center = isUuid(body.centerId) ? await em.findOne(Center, body.centerId, { fields: ['id'] }) : null;
      if (!center) throw ApiError.unprocessable('centerId', `No center with id "${body.centerId}".`);
      const { entryId, balance } = await topUp(em, { centerId: center.id, amount: body.amount, note: body.note ?? null }).catch((error: unknown) => {
        if (error instanceof BalanceLimitError) throw ApiError.unprocessable('amount', `${error.message}; the balance can be at most ${MAX_BALANCE}.`);
        throw error;
      });
      return c.json({ entryId, centerId: center.id, balance }, 201);
    });
}
