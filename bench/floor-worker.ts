/**
 * The worker of bench/temporal-floor.ts, in its own process like `src/worker.ts`, with the same
 * worker settings (`workerTuning`) and the project's email channel (one pooled transport): it
 * runs bench/floor-workflow.ts and nothing else. No database.
 */
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { channelSettingsFromConfig, createChannels } from '../src/channels/index.js';
import { loadConfig } from '../src/config.js';
import { workerTuning } from '../src/worker.js';
import type { FloorActivities } from './floor-workflow.js';

const config = loadConfig();
const channels = createChannels({
  ...channelSettingsFromConfig(config),
  defaultEmailFrom: { name: config.DEFAULT_EMAIL_FROM_NAME, address: config.DEFAULT_EMAIL_FROM },
  defaultSmsFrom: config.DEFAULT_SMS_FROM,
  defaultVoiceFrom: config.DEFAULT_VOICE_FROM,
});
const activities: FloorActivities = {
  async sendFloorEmail({ messageId }) {
    await channels.email.send({
      messageId,
      centerId: 'floor',
      channel: 'email',
      to: `${messageId}@example.com`,
      subject: 'Promemoria appuntamento',
      text: 'Gentile paziente, le ricordiamo il suo appuntamento di domani alle 10:00 presso Sede Centro.',
      locale: 'it',
      senders: {},
    });
  },
};
const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
const worker = await Worker.create({
  connection,
  namespace: config.TEMPORAL_NAMESPACE,
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  workflowBundle: await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('./floor-workflow.ts', import.meta.url)) }),
  activities,
  ...workerTuning(config),
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => worker.shutdown());
console.log(JSON.stringify({ msg: 'worker running', ...workerTuning(config) }));
await worker.run();
await channels.close();
await connection.close();
