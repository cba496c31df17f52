#!/usr/bin/env node
/* global console, setInterval, clearInterval, setTimeout, __filename */
'use strict';
// Local Kafka + PostgreSQL without Docker, for developers (the integration tests start their own).
//
//   npm run infra -- up      starts both (or reuses KAFKA_BROKERS / DATABASE_URL), prints `export` lines,
//                            runs until Ctrl-C, then stops both and removes their data
//   npm run infra -- fetch   only downloads the Kafka jars into .cache/ (e.g. to warm a CI cache)
//
// Also the home of the watchdog (`cli.js watchdog`, internal) that kafka-broker.js and postgres-cluster.js start
// next to each broker / cluster: it cleans up after a parent that dies without running its 'exit' hooks.
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

/**
 * Starts a detached watchdog process for one broker or cluster. Its stdin is a pipe from this process: when this
 * process ends in any way (a crash, SIGKILL, a jest worker torn down, or an 'exit' hook that never ran because the
 * hook was registered on a jest sandbox's process object), the pipe closes and the watchdog carries out the last
 * plan it was sent: SIGKILL the processes (only if their command line still contains `match`), run the commands,
 * remove the dirs. update(plan) replaces the plan; done() dismisses the watchdog without doing anything.
 * @param {{ kill?: { pid: number, match: string }[], run?: [string, string[]][], remove?: string[] }} plan
 */
function spawnWatchdog(plan) {
  const child = spawn(process.execPath, [__filename, 'watchdog'], {
    detached: true, // its own session: a Ctrl-C meant for us does not reach it
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  child.on('error', () => {}); // no watchdog: the 'exit' hooks still apply
  child.stdin.on('error', () => {}); // EPIPE when it has already gone
  // Neither keeps this process alive.
  child.unref();
  child.stdin.unref();
  let finished = false;
  const send = (line) => {
    if (!finished && child.stdin.writable) child.stdin.write(`${line}\n`);
  };
  send(JSON.stringify(plan));
  return {
    update: (next) => send(JSON.stringify(next)),
    done: () => {
      send('done');
      finished = true;
      child.stdin.end();
    },
  };
}

function processCommandLine(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return undefined;
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    const stat = fs.existsSync(`/proc/${pid}/stat`) ? fs.readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
    return !/\) Z /.test(stat); // a zombie has exited
  } catch {
    return false;
  }
}

/** The watchdog process (see spawnWatchdog). */
function runWatchdog() {
  for (const signal of ['SIGINT', 'SIGHUP']) process.on(signal, () => {});
  let plan = {};
  let buffer = '';
  const carryOut = async () => {
    for (const { pid, match } of plan.kill || []) {
      const commandLine = processCommandLine(pid);
      if (commandLine === undefined || (match && !commandLine.includes(match))) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        continue;
      }
      for (let i = 0; i < 100 && isAlive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    for (const [command, args] of plan.run || [])
      spawnSync(command, args, { stdio: 'ignore', timeout: 30_000 });
    for (const dir of plan.remove || []) {
      try {
        fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
      } catch {
        // nothing more to do
      }
    }
    process.exit(0);
  };
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk) => {
    buffer += chunk;
    let newline;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (line === 'done') process.exit(0);
      try {
        plan = JSON.parse(line);
      } catch {
        // ignore a garbled line
      }
    }
  });
  process.stdin.on('end', carryOut);
  process.stdin.on('error', carryOut);
}

function usage() {
  const { KAFKA_VERSION } = require('./kafka-broker');
  return `usage: node scripts/local-infra/cli.js <command>

  up      start a Kafka ${KAFKA_VERSION} broker and a PostgreSQL cluster on free 127.0.0.1 ports, print
          export lines for KAFKA_BROKERS and DATABASE_URL, and run until Ctrl-C (then stop and clean up).
          A KAFKA_BROKERS or DATABASE_URL already set in the environment is used instead of starting one.
  fetch   download the Kafka broker's jars from Maven Central into .cache/ and exit`;
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)}s`;

async function up() {
  const { startLocalInfra, stopLocalInfra } = require('./index');
  const infra = await startLocalInfra({ log: (line) => console.log(line) });
  const { kafka, postgres, env, timings } = infra;
  console.log(
    kafka
      ? `Kafka ${kafka.version} broker at ${kafka.brokers} (started in ${seconds(timings.kafkaMs)}; log: ${kafka.logFile})`
      : `Kafka: using KAFKA_BROKERS=${env.KAFKA_BROKERS} from the environment`,
  );
  console.log(
    postgres
      ? `PostgreSQL ${postgres.version} at ${postgres.url} (started in ${seconds(timings.postgresMs)}; log: ${postgres.logFile})`
      : `PostgreSQL: using DATABASE_URL from the environment`,
  );
  console.log('');
  console.log(`export KAFKA_BROKERS=${env.KAFKA_BROKERS}`);
  console.log(`export DATABASE_URL=${env.DATABASE_URL}`);
  console.log('');
  console.log(
    'Run those export lines in another shell: the integration tests (npm run test:integration) and the ' +
      'services then use this broker and database instead of starting their own. Ctrl-C here stops both and ' +
      'removes their data.',
  );

  const keepAlive = setInterval(() => {}, 1 << 30);
  let stopping = false;
  const shutdown = async (reason, code) => {
    if (stopping) {
      console.log('Stopping anyway (killing the processes).');
      process.exit(130); // the exit hooks kill the JVM / postgres and remove the temp dirs
    }
    stopping = true;
    console.log(`\n${reason}: stopping (Ctrl-C again to kill) ...`);
    try {
      await stopLocalInfra(infra);
      console.log('Stopped; data removed.');
    } catch (error) {
      console.error(`Could not stop cleanly: ${error.message}`);
      code = code || 1;
    }
    clearInterval(keepAlive);
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => shutdown(signal, 0));
  }
  if (kafka) {
    kafka.exited.then((exit) => {
      if (!stopping) {
        console.error(
          `The Kafka broker exited on its own (${JSON.stringify(exit)}).\n${kafka.describeLogs()}`,
        );
        shutdown('Kafka broker gone', 1);
      }
    });
  }
}

async function main(argv) {
  const command = argv[0];
  if (command === 'up') return up();
  if (command === 'fetch') {
    const { fetchKafkaLibs, KAFKA_VERSION } = require('./kafka-broker');
    const libs = await fetchKafkaLibs({ log: (line) => console.log(line) });
    console.log(`Kafka ${KAFKA_VERSION} jars: ${path.relative(process.cwd(), libs) || libs}`);
    return;
  }
  console.log(usage());
  if (command !== 'help' && command !== '--help' && command !== '-h') process.exitCode = 2;
}

// Before main() runs: kafka-broker.js and postgres-cluster.js require this file (the main module) for it.
module.exports = { spawnWatchdog };

if (require.main === module) {
  if (process.argv[2] === 'watchdog') runWatchdog();
  else {
    main(process.argv.slice(2)).catch((error) => {
      console.error(error.message);
      process.exit(1);
    });
  }
}
