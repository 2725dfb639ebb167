/**
 * `npm run worker` / `npm run api`: one more worker or API process. With a local stack running
 * (`npm start`), it joins it: the variables of `.local/stack.env` fill in what the environment
 * does not set (LOCAL_STACK_ENV names another file). Without one, the environment alone configures it, as in a deployment.
 * Started by the stack's supervisor, it stops when the supervisor is gone (its IPC channel closes).
 */
import { fileURLToPath } from 'node:url';
import { readStackEnv, stackEnvFile } from './stack-env.js';
import { isAlive } from './stale-process.js';

const role = process.argv[2];
if (role !== 'worker' && role !== 'api') {
  console.error('usage: tsx src/dev/join.ts worker|api');
  process.exit(2);
}
// LOCAL_STACK_ENV: the file of a stack started from another folder (its rootDir), e.g. by a test.
const file = process.env.LOCAL_STACK_ENV ?? stackEnvFile(fileURLToPath(new URL('../..', import.meta.url)));
const stack = readStackEnv(file);
if (stack && !process.channel) {
  const pid = Number(stack.LOCAL_STACK_PID);
  if (!isAlive(pid)) console.error(`${file} is from a local stack that is no longer running (pid ${pid}); its settings are used anyway.`);
  else console.error(`joining the local stack (pid ${pid}): settings from ${file}`);
}
if (process.channel) {
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  process.channel.unref(); // the channel alone must not keep a stopped worker or API alive
}
const env = { ...stack, ...process.env };
const { main } = role === 'worker' ? await import('../worker.js') : await import('../server.js');
main(env);
