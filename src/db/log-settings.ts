/**
 * PostgreSQL logging that keeps patient data out of the server log. MikroORM inlines values into
 * the statement text, and PostgreSQL by default logs the failing statement (`STATEMENT: insert …
 * 'Giulia' …`) and the error's DETAIL (`Failing row contains (…)`, `Key (mobile)=(+39…)`) on every
 * error. These settings log the error message only: no statement text, no DETAIL / CONTEXT, no
 * bind parameters, no slow-statement text. The embedded server (src/dev/postgres.ts) starts with
 * them; docker-compose.yml passes the same to its PostgreSQL (a test checks both).
 */
export const PRIVATE_LOG_SETTINGS: Readonly<Record<string, string>> = {
  log_min_error_statement: 'panic',
  log_statement: 'none',
  log_error_verbosity: 'terse',
  log_min_duration_statement: '-1',
  log_min_duration_sample: '-1',
  log_transaction_sample_rate: '0',
  log_parameter_max_length: '0',
  log_parameter_max_length_on_error: '0',
};

/** As `postgres` command-line flags: `-c name=value` pairs. */
export function privateLogFlags(): string[] {
  return Object.entries(PRIVATE_LOG_SETTINGS).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
}
