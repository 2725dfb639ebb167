/**
 * Group commit for statements: calls that arrive while `maxInFlight` statements of the same kind
 * are already running wait and then go together, as one statement for the whole group. Alone
 * (a quiet API) a call runs at once, as it would without this; under load, 30 concurrent PUTs
 * cost a few statements instead of 30, and PostgreSQL plans, locks and flushes its WAL once per
 * group. `runMany` answers each input in order. If a group's statement fails, each of its calls
 * runs alone, so one bad input fails only its own call.
 */
export interface BatchedCallsOptions<I, O> {
  /** One statement for all inputs; the outputs in the same order. */
  runMany: (inputs: I[]) => Promise<O[]>;
  /** Groups running at once; further calls queue for the next free one. */
  maxInFlight: number;
  /** Largest group. */
  maxBatch: number;
}

export function batchedCalls<I, O>(options: BatchedCallsOptions<I, O>): (input: I) => Promise<O> {
  const { runMany, maxInFlight, maxBatch } = options;
  const queue: { input: I; resolve: (output: O) => void; reject: (error: unknown) => void }[] = [];
  let inFlight = 0;
  let scheduled = false;

  async function runGroup(group: typeof queue): Promise<void> {
    try {
      const outputs = await runMany(group.map((call) => call.input));
      if (outputs.length !== group.length) throw new Error(`runMany answered ${outputs.length} of ${group.length} inputs`);
      group.forEach((call, i) => call.resolve(outputs[i]!));
    } catch (error) {
      if (group.length === 1) return group[0]!.reject(error);
      // Which input failed the statement is unknown: each one runs alone and answers for itself.
      await Promise.all(group.map((call) => runMany([call.input]).then(([output]) => call.resolve(output!), call.reject)));
    }
  }

  function flush(): void {
    scheduled = false;
    while (inFlight < maxInFlight && queue.length > 0) {
      inFlight += 1;
      void runGroup(queue.splice(0, maxBatch)).finally(() => {
        inFlight -= 1;
        flush();
      });
    }
  }

  return (input) =>
    new Promise<O>((resolve, reject) => {
      queue.push({ input, resolve, reject });
      // Calls made in the same turn of the event loop join one group.
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
}
