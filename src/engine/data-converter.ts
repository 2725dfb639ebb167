import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import type { SecretKey } from '../keyring.js';
import { AesGcmPayloadCodec } from './payload-codec.js';

const failureConverterPath = fileURLToPath(new URL('./failure-converter.cjs', import.meta.url));

/**
 * X7: the data converter of the worker and of every client when TEMPORAL_PAYLOAD_KEYS is set
 * (undefined otherwise: Temporal's defaults): payloads encrypted by the codec, failure messages
 * and stack traces moved into an encoded (so encrypted) attribute. Failures raised by workflow
 * code itself (ids only) keep their message in clear: the workflow bundle carries the default
 * failure converter.
 */
export function temporalDataConverter(keys: readonly SecretKey[] | undefined): DataConverter | undefined {
  if (!keys?.length) return undefined;
  return { payloadCodecs: [new AesGcmPayloadCodec(keys)], failureConverterPath };
}

/** Spread into `new Client({ … })` or `createWorkers({ … })`: the converter when encryption is on. */
export function dataConverterOption(keys: readonly SecretKey[] | undefined): { dataConverter?: DataConverter } {
  const dataConverter = temporalDataConverter(keys);
  return dataConverter ? { dataConverter } : {};
}
