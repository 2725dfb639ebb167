import type { Caller } from './context.js';

/**
 * #14: the console calls the /v1 routes in-process (`app.request(path, init, internalEnv(caller))`)
 * so every change goes through the same validation and rules as a booking system's call. The
 * caller rides in the request's env under a symbol: a request from the network cannot carry one.
 */
const INTERNAL_CALLER = Symbol('in-process caller');

export type InternalEnv = { [INTERNAL_CALLER]: Caller };

export function internalEnv(caller: Caller): InternalEnv {
  return { [INTERNAL_CALLER]: caller };
}

export function internalCaller(env: unknown): Caller | null {
  if (typeof env !== 'object' || env === null || !(INTERNAL_CALLER in env)) return null;
  return (env as InternalEnv)[INTERNAL_CALLER];
}
