import { spawn } from 'child_process';
import { TaskDefinition, durationMs } from '@tributary/domain';
import type { TaskContext, TaskFunction, TaskLogger } from '@tributary/sdk';

export interface LogLine {
  at: Date;
  stream: 'stdout' | 'stderr' | 'log';
  level: string | null;
  message: string;
}

export type TaskOutcome =
  | { kind: 'succeeded' }
  | { kind: 'failed'; error: string; exitReason: string; retryable: boolean }
  /** A reschedule-mode sensor's check was false: the slot is freed and the coordinator sets the next check. */
  | { kind: 'rescheduled' };

export class TaskTimeoutError extends Error {
  constructor(ms: number) {
    super(`timed out after ${ms} ms`);
    this.name = 'TaskTimeoutError';
  }
}

/** Collects a try's log lines (the task logger, stdout, stderr) in order. */
export class TryLog {
  readonly lines: LogLine[] = [];

  write(stream: LogLine['stream'], message: string, level: string | null = null): void {
    this.lines.push({ at: new Date(), stream, level, message });
  }

  logger(): TaskLogger {
    const line = (level: string) => (message: string, fields?: Record<string, unknown>) =>
      this.write(
        'log',
        fields && Object.keys(fields).length ? `${message} ${JSON.stringify(fields)}` : message,
        level,
      );
    return { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
  }
}

/** Runs a function task with its timeout; throwing or rejecting fails the try. */
export async function runFunctionTask(
  fn: TaskFunction,
  context: Omit<TaskContext, 'signal' | 'log'>,
  log: TryLog,
  timeoutMs: number | undefined,
): Promise<TaskOutcome> {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  try {
    const work = Promise.resolve().then(() => fn({ ...context, log: log.logger(), signal: abort.signal }));
    const result = timeoutMs
      ? await Promise.race([
          work,
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              abort.abort();
              reject(new TaskTimeoutError(timeoutMs));
            }, timeoutMs);
          }),
        ])
      : await work;
    if (result !== undefined) log.write('log', `returned ${safeJson(result)}`, 'info');
    return { kind: 'succeeded' };
  } catch (error) {
    const timedOut = error instanceof TaskTimeoutError;
    log.write('log', (error as Error)?.stack ?? String(error), 'error');
    return {
      kind: 'failed',
      error: (error as Error)?.message ?? String(error),
      exitReason: timedOut ? 'timeout' : 'exception',
      retryable: true,
    };
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** Runs `bash -c command` in its own process group; stdout/stderr are captured line by line; timeout kills the group. */
export function runShellTask(
  command: string,
  env: Record<string, string>,
  log: TryLog,
  timeoutMs: number | undefined,
): Promise<TaskOutcome> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', command], { env: { ...process.env, ...env }, detached: true });
    let timedOut = false;
    const timer = timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          killGroup(child.pid, 'SIGTERM');
          setTimeout(() => killGroup(child.pid, 'SIGKILL'), 5000).unref();
        }, timeoutMs)
      : undefined;
    for (const stream of ['stdout', 'stderr'] as const) {
      let pending = '';
      child[stream].setEncoding('utf8');
      child[stream].on('data', (chunk: string) => {
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        lines.forEach((l) => log.write(stream, l));
      });
      child[stream].on('end', () => pending && log.write(stream, pending));
    }
    child.on('error', (error) => {
      if (timer) clearTimeout(timer);
      resolve({ kind: 'failed', error: error.message, exitReason: 'spawn_error', retryable: true });
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (timedOut)
        resolve({
          kind: 'failed',
          error: `timed out after ${timeoutMs} ms`,
          exitReason: 'timeout',
          retryable: true,
        });
      else if (code === 0) resolve({ kind: 'succeeded' });
      else
        resolve({
          kind: 'failed',
          error: signal ? `killed by ${signal}` : `exit code ${code}`,
          exitReason: 'exit_code',
          retryable: true,
        });
    });
  });
}

/** The task's timeout in ms, if it has one. */
export function timeoutOf(task: TaskDefinition): number | undefined {
  return task.timeout === undefined ? undefined : durationMs(task.timeout);
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

function safeJson(value: unknown): string {
  try {
    const text = JSON.stringify(value);
    return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
  } catch {
    return String(value);
  }
}
