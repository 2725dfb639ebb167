/**
 * A relay in its own process whose engine never answers: it claims commands, prints
 * `delivering <type>` for each, and hangs there until the test SIGKILLs it (a relay that dies
 * between commit and delivery). Usage: tsx hanging-relay.ts DATABASE_URL
 */
import { openOrm } from '../../../src/db/orm.js';
import { createOutboxRelay } from '../../../src/engine/outbox-relay.js';
import type { Engine } from '../../../src/engine/port.js';

const url = process.argv[2];
if (!url) throw new Error('usage: hanging-relay.ts DATABASE_URL');
const orm = await openOrm(url);
const hang = (type: string) => () => {
  process.stdout.write(`delivering ${type}\n`);
  return new Promise<never>(() => undefined);
};
const engine = new Proxy({} as Engine, { get: (_target, method) => hang(String(method)) });
const relay = createOutboxRelay({ orm, engine, listen: false, deliveryTimeoutMs: 3_600_000 });
await relay.drain();
