import { ChildProcess, spawn } from 'child_process';

/**
 * Resolves with a service's base URL once it prints `ready: http://host:port/health`; rejects
 * when it exits first or stays silent past `timeoutMs`. `record` keeps the output (and returns
 * all of it so far), `tail` gives the end of it for the error.
 */
export function waitForReadyLine(
  child: ChildProcess,
  name: string,
  timeoutMs: number,
  record: (chunk: string) => string,
  tail: () => string,
): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let url: string | null = null;
    const timer = setTimeout(
      () => reject(new Error(`${name} was not ready in ${timeoutMs} ms:\n${tail()}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      const match = /ready: (http:\/\/[\d.]+:\d+)\/health/.exec(record(chunk.toString()));
      if (match && !url) {
        url = match[1];
        clearTimeout(timer);
        resolve(url);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (!url) reject(new Error(`${name} exited (${code ?? signal}) before it was ready:\n${tail()}`));
    });
  });
}

/** Runs `node <script> <args>` to completion; resolves with its output, rejects with it on a non-zero exit. */
export function runNodeScript(
  script: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    child.on('exit', (code) =>
      code === 0
        ? resolve(output)
        : reject(new Error(`tributary ${args.join(' ')} exited ${code}:\n${output}`)),
    );
  });
}
