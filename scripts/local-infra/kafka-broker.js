/* global setTimeout, clearTimeout */
'use strict';
// A single-node Apache Kafka broker (KRaft: broker and controller in one JVM) for tests, CI and developers,
// without Docker: the jars come from Maven Central (scripts/local-infra/pom.xml) into the git-ignored
// <repo>/.cache/kafka-<version>/libs, and the broker runs as a child `java` process on free 127.0.0.1 ports
// with its data in a temp dir. Plain CommonJS so jest's globalSetup and plain `node` load it without a build.
// If this node process ends without destroy(), the JVM is killed and the temp dir removed (exit hook + watchdog).
//
//   const broker = await KafkaBroker.create(); // fetches the jars once, picks ports, makes the data dir
//   await broker.start();                     // formats storage on first start, waits until kafkajs can list topics
//   broker.brokers;                           // '127.0.0.1:<port>'
//   await broker.restart();                   // same port, same data: the topics and messages survive
//   await broker.destroy();                   // stops it and removes the data dir
const { spawn, spawnSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { pathToFileURL } = require('url');
const { spawnWatchdog } = require('./cli');
const { cleanUpOnExit, destroyServer, freePorts, prepareDataDir, removeDir } = require('./local-server');

const KAFKA_VERSION = '3.9.1';
const REPO_ROOT = path.resolve(__dirname, '..', '..');
const CACHE_ROOT = path.join(REPO_ROOT, '.cache');
const KAFKA_HOME = path.join(CACHE_ROOT, `kafka-${KAFKA_VERSION}`);
const LIBS_DIR = path.join(KAFKA_HOME, 'libs');
const FETCHED_MARKER = path.join(KAFKA_HOME, '.fetched');
const POM = path.join(__dirname, 'pom.xml');
const LOG4J_CONFIG = path.join(__dirname, 'log4j.properties');

const START_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 30_000;
const FETCH_TIMEOUT_MS = 15 * 60_000;

const USE_EXISTING_HINT =
  'To use an existing broker and database instead, set both KAFKA_BROKERS=host:port and ' +
  'DATABASE_URL=postgres://user:password@host:port/database ' +
  '(e.g. KAFKA_BROKERS=127.0.0.1:9092 DATABASE_URL=postgres://tributary:tributary@127.0.0.1:5432/tributary npm test): ' +
  'then nothing is started locally.';

function javaCommand() {
  return process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

/** Throws a clear error when `command` cannot be run at all (not found on PATH). */
function requireCommand(command, args, what) {
  const probe = spawnSync(command, args, { stdio: 'ignore' });
  if (probe.error) {
    throw new Error(
      `The local Kafka broker needs ${what} (\`${command}\` failed: ${probe.error.message}). ` +
        `Install it (Debian: apt-get install -y openjdk-17-jre-headless maven). ` +
        USE_EXISTING_HINT,
    );
  }
}

function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = options.timeoutMs
      ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs).unref()
      : undefined;
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else {
        const status = signal ? `signal ${signal}` : `exit code ${code}`;
        reject(new Error(`${command} ${args.join(' ')} failed (${status}):\n${output.trim()}`));
      }
    });
  });
}

/**
 * Downloads the broker's jars (kafka_2.13 and its runtime dependencies plus an slf4j binding) with Maven
 * into <repo>/.cache/kafka-<version>/libs; a no-op once the marker file says a fetch completed.
 * Returns the libs dir.
 */
async function fetchKafkaLibs({ log = () => {} } = {}) {
  if (fs.existsSync(FETCHED_MARKER)) return LIBS_DIR;
  requireCommand('mvn', ['--version'], 'Maven (`mvn`) to fetch the Kafka jars from Maven Central');
  fs.mkdirSync(KAFKA_HOME, { recursive: true });
  // Download next to the final dir and rename, so a fetch that dies half-way never looks complete.
  const partial = path.join(KAFKA_HOME, `libs.partial-${process.pid}`);
  fs.rmSync(partial, { recursive: true, force: true });
  log(
    `Fetching Apache Kafka ${KAFKA_VERSION} jars from Maven Central into ${path.relative(REPO_ROOT, LIBS_DIR)}`,
  );
  try {
    await run(
      'mvn',
      [
        '-B',
        '-q',
        '-Dstyle.color=never',
        '-f',
        POM,
        'dependency:copy-dependencies',
        `-DoutputDirectory=${partial}`,
        '-DincludeScope=runtime',
      ],
      { timeoutMs: FETCH_TIMEOUT_MS },
    );
    if (!fs.existsSync(path.join(partial, `kafka_2.13-${KAFKA_VERSION}.jar`))) {
      throw new Error(`Maven finished but ${partial} has no kafka_2.13-${KAFKA_VERSION}.jar`);
    }
    if (!fs.existsSync(FETCHED_MARKER)) {
      // (another process may have finished the same fetch meanwhile: then keep its libs)
      fs.rmSync(LIBS_DIR, { recursive: true, force: true });
      fs.renameSync(partial, LIBS_DIR);
      fs.writeFileSync(FETCHED_MARKER, `kafka_2.13 ${KAFKA_VERSION} fetched ${new Date().toISOString()}\n`);
    }
  } catch (error) {
    throw new Error(
      `Could not fetch the Apache Kafka ${KAFKA_VERSION} jars with Maven: ${error.message}\n${USE_EXISTING_HINT}`,
    );
  } finally {
    fs.rmSync(partial, { recursive: true, force: true });
  }
  return LIBS_DIR;
}

/** A random KRaft cluster id: 16 bytes, URL-safe base64 without padding (what `kafka-storage random-uuid` prints). */
function randomClusterId() {
  return crypto.randomBytes(16).toString('base64url');
}

function readLines(file) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n');
  } catch {
    return [];
  }
}

/** The first ERROR lines of a log4j log (each with the exception line after it) and its last lines. */
function summarizeLog(file, { errors = 5, tail = 20 } = {}) {
  const lines = readLines(file);
  if (lines.length === 0 || (lines.length === 1 && !lines[0])) return `--- ${file}: (empty or missing) ---`;
  const errorLines = [];
  lines.forEach((line, i) => {
    if (errorLines.length < errors && /\] (ERROR|FATAL) /.test(line)) {
      errorLines.push(
        line,
        ...(lines[i + 1] && !/^\[/.test(lines[i + 1]) ? [`    ${lines[i + 1].trim()}`] : []),
      );
    }
  });
  return [
    ...(errorLines.length ? [`--- first errors in ${file} ---`, ...errorLines] : []),
    `--- last ${Math.min(tail, lines.length)} lines of ${file} ---`,
    ...lines.slice(-tail),
  ].join('\n');
}

class KafkaBroker {
  /**
   * Fetches the jars if needed, picks free ports and prepares the data dir; does not start the broker.
   * @param {{ dataDir?: string, port?: number, controllerPort?: number, log?: (line: string) => void }} [options]
   *   dataDir defaults to a fresh temp dir (removed by destroy(), or when this process exits);
   *   log receives progress lines (default: none).
   */
  static async create({ dataDir, port, controllerPort, log } = {}) {
    requireCommand(javaCommand(), ['-XX:-UsePerfData', '-version'], 'Java 17+ (`java`)');
    const libsDir = await fetchKafkaLibs({ log });
    const candidates = await freePorts(3);
    const { dir, ownsDataDir } = prepareDataDir(dataDir, 'tributary-kafka-');
    return new KafkaBroker({
      libsDir,
      dataDir: dir,
      ownsDataDir,
      port: port ?? candidates[0],
      controllerPort: controllerPort ?? candidates.slice(1).find((candidate) => candidate !== port),
    });
  }

  /** Use KafkaBroker.create(). */
  constructor({ libsDir, dataDir, ownsDataDir, port, controllerPort }) {
    this.libsDir = libsDir;
    this.dataDir = dataDir;
    this.ownsDataDir = ownsDataDir;
    this.port = port;
    this.controllerPort = controllerPort;
    this.version = KAFKA_VERSION;
    this.child = undefined;
    this.exited = undefined;
    this.destroyed = false;
    cleanUpOnExit(this);
    this.watchdog = spawnWatchdog(this.cleanupPlan());
  }

  /** What the watchdog does if this process dies without destroy(): kill the JVM, remove a temp data dir. */
  cleanupPlan() {
    return {
      kill: this.child ? [{ pid: this.child.pid, match: this.dataDir }] : [],
      remove: this.ownsDataDir ? [this.dataDir] : [],
    };
  }

  /** 'host:port' for kafkajs' `brokers` and the KAFKA_BROKERS variable. */
  get brokers() {
    return `127.0.0.1:${this.port}`;
  }

  /** The broker JVM's process id while it runs, else undefined. */
  get pid() {
    return this.child ? this.child.pid : undefined;
  }

  /** The broker's own log (log4j); JVM stdout/stderr go to `stdout.log` next to it. */
  get logFile() {
    return path.join(this.dataDir, 'server.log');
  }

  get configFile() {
    return path.join(this.dataDir, 'server.properties');
  }

  get logDirs() {
    return path.join(this.dataDir, 'logs');
  }

  /** Formats the storage on first start, starts the JVM and waits until a kafkajs admin can list topics. */
  async start({ timeoutMs = START_TIMEOUT_MS } = {}) {
    if (this.destroyed) throw new Error('KafkaBroker: start() after destroy()');
    if (this.child) return;
    fs.writeFileSync(this.configFile, this.serverProperties());
    const java = javaCommand();
    const jvmArgs = [
      '-Xms256m',
      '-Xmx512m',
      '-XX:-UsePerfData', // no /tmp/hsperfdata_* files
      '-Djava.awt.headless=true',
      `-Dkafka.logs.dir=${this.dataDir}`,
      `-Dlog4j.configuration=${pathToFileURL(LOG4J_CONFIG).href}`,
      '-cp',
      path.join(this.libsDir, '*'),
    ];
    if (!fs.existsSync(path.join(this.logDirs, 'meta.properties'))) {
      await run(java, [
        ...jvmArgs,
        'kafka.tools.StorageTool',
        'format',
        // `--cluster-id=` form: an id may begin with '-', which the tool would read as an option.
        `--cluster-id=${randomClusterId()}`,
        '-c',
        this.configFile,
        '--ignore-formatted',
      ]);
    }

    const out = fs.openSync(path.join(this.dataDir, 'stdout.log'), 'a');
    let child;
    try {
      child = spawn(java, [...jvmArgs, 'kafka.Kafka', this.configFile], {
        cwd: this.dataDir,
        stdio: ['ignore', out, out],
      });
    } finally {
      fs.closeSync(out);
    }
    // Never keeps this node process alive by itself; the exit hook kills it if we exit first.
    child.unref();
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', (error) => resolve({ error }));
    });
    this.exited.then(() => {
      if (this.child === child) this.child = undefined;
    });
    this.watchdog.update(this.cleanupPlan());

    try {
      await this.waitUntilReady(child, timeoutMs);
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  async waitUntilReady(child, timeoutMs) {
    const { Kafka, logLevel } = require('kafkajs');
    const deadline = Date.now() + timeoutMs;
    let lastError;
    let exit;
    this.exited.then((result) => (exit = result));
    while (Date.now() < deadline) {
      if (exit || this.child !== child) {
        const how =
          exit && exit.error ? exit.error.message : `exit code ${exit?.code}, signal ${exit?.signal}`;
        throw new Error(`The Kafka broker exited while starting (${how}).\n${this.describeLogs()}`);
      }
      const admin = new Kafka({
        clientId: 'local-infra-probe',
        brokers: [this.brokers],
        connectionTimeout: 1_000,
        requestTimeout: 2_000,
        retry: { retries: 0 },
        logLevel: logLevel.NOTHING,
      }).admin();
      try {
        await admin.connect();
        await admin.listTopics();
        return;
      } catch (error) {
        lastError = error;
      } finally {
        await admin.disconnect().catch(() => {});
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(
      `The Kafka broker at ${this.brokers} was not ready after ${timeoutMs} ms ` +
        `(last error: ${lastError ? lastError.message : 'none'}).\n${this.describeLogs()}`,
    );
  }

  describeLogs() {
    return `${summarizeLog(this.logFile)}\n${summarizeLog(path.join(this.dataDir, 'stdout.log'), { tail: 10 })}`;
  }

  /** SIGTERM (a clean shutdown that flushes the logs), SIGKILL if it has not exited after timeoutMs. */
  async stop({ timeoutMs = STOP_TIMEOUT_MS } = {}) {
    const child = this.child;
    if (!child) return;
    child.ref(); // keep this process alive until the broker has exited
    try {
      child.kill('SIGTERM');
      let timer;
      const timedOut = new Promise((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
      const result = await Promise.race([this.exited, timedOut]);
      clearTimeout(timer);
      if (result === 'timeout') {
        child.kill('SIGKILL');
        await this.exited;
      }
    } finally {
      child.unref();
      if (this.child === child) this.child = undefined;
      this.watchdog.update(this.cleanupPlan());
    }
  }

  /** stop() then start(): the same ports and data dir, so topics, messages and committed offsets survive. */
  async restart(options) {
    await this.stop(options);
    await this.start(options);
  }

  /** stop() and remove the data dir. */
  destroy() {
    return destroyServer(this);
  }

  /** For the process 'exit' hook: synchronous, best effort. */
  cleanupSync() {
    try {
      if (this.child) this.child.kill('SIGKILL');
    } catch {
      // already gone
    }
    if (this.ownsDataDir) {
      try {
        removeDir(this.dataDir);
      } catch {
        // best effort while exiting
      }
    }
  }

  serverProperties() {
    const props = {
      'process.roles': 'broker,controller',
      'node.id': 1,
      listeners: `PLAINTEXT://127.0.0.1:${this.port},CONTROLLER://127.0.0.1:${this.controllerPort}`,
      'advertised.listeners': `PLAINTEXT://127.0.0.1:${this.port}`,
      'controller.listener.names': 'CONTROLLER',
      'inter.broker.listener.name': 'PLAINTEXT',
      'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      'controller.quorum.voters': `1@127.0.0.1:${this.controllerPort}`,
      'log.dirs': this.logDirs,
      'auto.create.topics.enable': false,
      'offsets.topic.replication.factor': 1,
      'offsets.topic.num.partitions': 8, // 50 by default: creating them is most of a consumer's first join
      'transaction.state.log.replication.factor': 1,
      'transaction.state.log.min.isr': 1,
      'group.initial.rebalance.delay.ms': 0,
      'num.partitions': 1,
    };
    const lines = Object.entries(props).map(([key, value]) => `${key}=${value}`);
    return `# Written by scripts/local-infra/kafka-broker.js\n${lines.join('\n')}\n`;
  }
}

module.exports = { KafkaBroker, fetchKafkaLibs, freePorts, KAFKA_VERSION, USE_EXISTING_HINT };
