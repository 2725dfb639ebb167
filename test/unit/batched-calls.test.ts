import { describe, expect, it } from 'vitest';
import { batchedCalls } from '../../src/db/batched-calls.js';

/** A statement that answers when told to, recording the groups it was called with. */
function fakeStatement(answer: (input: number) => number = (input) => input * 10) {
  const groups: number[][] = [];
  const pending: (() => void)[] = [];
  const runMany = (inputs: number[]) => {
    groups.push(inputs);
    return new Promise<number[]>((resolve, reject) => {
      pending.push(() => {
        try {
          resolve(inputs.map(answer));
        } catch (error) {
          reject(error);
        }
      });
    });
  };
  const releaseAll = async () => {
    while (pending.length > 0) {
      pending.splice(0).forEach((release) => release());
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return { groups, runMany, releaseAll };
}

describe('batchedCalls (group commit for the PUT statements, #8)', () => {
  it('a call alone runs alone and gets its own answer', async () => {
    const statement = fakeStatement();
    const call = batchedCalls({ runMany: statement.runMany, maxInFlight: 2, maxBatch: 10 });
    const answer = call(7);
    await new Promise((resolve) => setImmediate(resolve));
    await statement.releaseAll();
    expect(await answer).toBe(70);
    expect(statement.groups).toEqual([[7]]);
  });

  it('calls made while the in-flight groups run go together, each answered with its own output, at most maxBatch per group', async () => {
    const statement = fakeStatement();
    const call = batchedCalls({ runMany: statement.runMany, maxInFlight: 1, maxBatch: 3 });
    const first = call(1);
    await new Promise((resolve) => setImmediate(resolve)); // the first group is in flight
    const later = [2, 3, 4, 5, 6].map(call);
    await new Promise((resolve) => setImmediate(resolve));
    expect(statement.groups).toEqual([[1]]); // the others wait for the slot
    await statement.releaseAll();
    expect(await Promise.all([first, ...later])).toEqual([10, 20, 30, 40, 50, 60]);
    expect(statement.groups).toEqual([[1], [2, 3, 4], [5, 6]]);
  });

  it('a group whose statement fails runs each call alone: only the bad input fails', async () => {
    const statement = fakeStatement((input) => {
      if (input === 3) throw new Error('bad input 3');
      return input * 10;
    });
    const call = batchedCalls({ runMany: statement.runMany, maxInFlight: 1, maxBatch: 10 });
    const first = call(1);
    await new Promise((resolve) => setImmediate(resolve));
    const group = [2, 3, 4].map((input) => call(input).then((value) => ({ value }), (error: Error) => ({ error: error.message })));
    await statement.releaseAll();
    expect(await first).toBe(10);
    expect(await Promise.all(group)).toEqual([{ value: 20 }, { error: 'bad input 3' }, { value: 40 }]);
    expect(statement.groups).toEqual([[1], [2, 3, 4], [2], [3], [4]]);
  });

  it('a statement that answers a different number of rows than inputs fails rather than mismatching answers', async () => {
    const call = batchedCalls({ runMany: async (inputs: number[]) => inputs.slice(1), maxInFlight: 1, maxBatch: 10 });
    await expect(call(1)).rejects.toThrow('runMany answered 0 of 1 inputs');
  });
});
