import { createServer } from 'node:http';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Worker } from '@temporalio/worker';

/**
 * The worker process's health check (WORKER_HEALTH_PORT; the Dockerfile's HEALTHCHECK asks it):
 * `GET /healthz` is 200 while every Temporal worker of the process is RUNNING (polling its task
 * queue) and the database answers, 503 otherwise, naming which part is not. No patient data.
 */
export async function startWorkerHealth(input: { port: number; host: string; workers: Worker[]; orm: MikroORM }): Promise<{ close(): Promise<void> }> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url !== '/healthz') {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    void check(input).then((body) => {
      response.writeHead(body.status === 'ok' ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      response.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((done, fail) => server.listen(input.port, input.host, done).once('error', fail));
  return {
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

async function check(input: { workers: Worker[]; orm: MikroORM }) {
  const workers = input.workers.map((worker) => ({ taskQueue: worker.options.taskQueue, state: worker.getState() }));
  let database: 'ok' | 'unreachable' = 'ok';
  try {
    await input.orm.em.getConnection().execute('select 1');
  } catch {
    database = 'unreachable';
  }
  const status = database === 'ok' && workers.every((w) => w.state === 'RUNNING') ? 'ok' : 'unhealthy';
  return { status, database, workers };
}
