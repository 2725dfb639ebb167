import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { testBundle } from '../support/engine.js';

const dir = join(import.meta.dirname, '..', 'histories');

/**
 * Determinism guard: saved histories of real runs (protobuf-encoded, written by the privacy test
 * with UPDATE_HISTORIES=1) must replay on today's workflow code. A change
 * that breaks one needs a patch (workflow.patched) or a new saved history with a note why.
 */
describe('replaying saved workflow histories', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.binpb'));

  it('X6: there are saved histories to replay', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('X6: %s replays without nondeterminism', async (file) => {
    const history = temporal.api.history.v1.History.decode(readFileSync(join(dir, file)));
    await expect(Worker.runReplayHistory({ workflowBundle: await testBundle() }, history, file)).resolves.toBeUndefined();
  }, 60_000);
});
