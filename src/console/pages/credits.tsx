import type { Hono } from 'hono';
import type { LedgerKind } from '../../domain/events.js';
import type { PageDeps } from '../app.js';
import { formatWhen, JsonData, Layout, TableRegion, type PageContext } from '../layout.js';
import type { ConsoleEnv } from '../session.js';

interface LedgerRow {
  id: string;
  kind: LedgerKind;
  amount: number;
  note: string | null;
  createdAt: string;
}

/** F1: balance, the latest ledger entries and the balance over time. */
function CreditsPage(props: { ctx: PageContext; timeZone: string; credits: { balance: number; low: boolean; lowCreditThreshold: number }; ledger: LedgerRow[] }) {
  const { w } = props.ctx;
  // The balance after each entry, oldest first, walking back from today's balance.
  let balance = props.credits.balance;
  const points: { at: string; balance: number }[] = [];
  for (const row of props.ledger) {
    points.push({ at: row.createdAt, balance });
    balance -= row.amount;
  }
  points.reverse();
  return (
    <Layout ctx={props.ctx} section="credits" scripts={['/console/static/uPlot.js']}>
      <p class="balance">
        {w.t('balance')}: <strong>{props.credits.balance}</strong>
        {props.credits.low ? <span class="badge status-failed"> {w.t('low')}</span> : null}
      </p>
      <div id="credit-chart" class="charts"></div>
      <JsonData id="credit-chart-data" data={{ points, label: w.t('balance'), when: w.t('when'), timeZone: props.timeZone }} />
      <h2>{w.t('ledger')}</h2>
      <TableRegion label={w.t('ledger')}>
        <table>
          <thead>
            <tr>
              <th scope="col">{w.t('when')}</th>
              <th scope="col">{w.t('kind')}</th>
              <th scope="col">{w.t('amount')}</th>
              <th scope="col">{w.t('note')}</th>
            </tr>
          </thead>
          <tbody>
            {props.ledger.map((r) => (
              <tr>
                <td>{formatWhen(w, r.createdAt, props.timeZone)}</td>
                <td>{w.ledgerKind(r.kind)}</td>
                <td class="num">{r.amount}</td>
                <td>{r.note ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableRegion>
    </Layout>
  );
}

export function creditRoutes(app: Hono<ConsoleEnv>, deps: PageDeps): void {
  app.get('/credits', async (c) => {
    const api = deps.api(c);
    const [credits, ledger, center] = await Promise.all([api.read('/credits'), api.read('/credits/ledger?limit=200'), api.read('/center')]);
    return c.html(<CreditsPage ctx={deps.ctxOf(c)} timeZone={center.timeZone} credits={credits} ledger={ledger.data} />);
  });
}
