/** Exit codes scripts can rely on (listed in `tributary --help`). */
export const EXIT_OK = 0;
/** The operation ran but failed (a run or backfill ended failed), or an unexpected error. */
export const EXIT_FAILURE = 1;
/** Bad input: a bad expression, zone, flag or DAG definition; the API refused the request (400, 409). */
export const EXIT_USAGE = 2;
/** The API has no such thing (404): a DAG, run, task, backfill, asset or token. */
export const EXIT_NOT_FOUND = 3;
/** No token, an unknown or revoked token (401), or a token without the role needed (403). */
export const EXIT_AUTH = 4;
/** The API cannot be reached (connection refused, timeout) or is unavailable (5xx, 429). */
export const EXIT_UNAVAILABLE = 5;
/** Ctrl-C while following a run or a backfill: it goes on, only the watching stopped. */
export const EXIT_INTERRUPTED = 130;

/** The exit codes as `tributary --help` lists them. */
export const EXIT_CODES_HELP = [
  'Exit codes:',
  `  ${EXIT_OK}    ok`,
  `  ${EXIT_FAILURE}    the operation ran but failed (a run or a backfill ended failed), or an unexpected error`,
  `  ${EXIT_USAGE}    usage or validation error: a bad flag or value, or the API refused the request (400, 409)`,
  `  ${EXIT_NOT_FOUND}    not found (404): no such DAG, run, task, backfill, asset or token`,
  `  ${EXIT_AUTH}    not authenticated (401: no token, unknown or revoked) or not allowed (403: role too low)`,
  `  ${EXIT_UNAVAILABLE}    cannot reach the API (connection refused, timeout) or it is unavailable (5xx, 429)`,
  `  ${EXIT_INTERRUPTED}  stopped watching with Ctrl-C (the run or backfill itself goes on)`,
].join('\n');

/** An error the CLI prints as one line (no stack) before exiting with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_USAGE,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
