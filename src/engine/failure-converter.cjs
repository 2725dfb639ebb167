// X7: loaded by the Temporal worker with require() (DataConverter.failureConverterPath) when
// payload encryption is on: failure messages and stack traces go into an encoded payload, which
// the payload codec then encrypts. Plain CommonJS so that require() works under every runner.
const { DefaultFailureConverter } = require('@temporalio/common'); // eslint-disable-line @typescript-eslint/no-require-imports

exports.failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
