'use strict';
// A throw-away PostgreSQL cluster for tests, CI and developers, without Docker: Debian's server binaries
// (/usr/lib/postgresql/<version>/bin, see scripts/ensure-postgres.sh), a data dir under os.tmpdir(), trust
// authentication on a free 127.0.0.1 port, and durability switched off for speed. Plain CommonJS so jest's
// globalSetup and plain `node` load it without a build. If this node process ends without destroy(), the server
// is stopped (immediate) and the temp dir removed (exit hook + watchdog).
//
//   const pg = await PostgresCluster.create(); // finds the binaries, picks a port, makes the dir
//   await pg.start();                          // initdb on first start, then pg_ctl start -w
//   pg.url;                                    // 'postgres://postgres@127.0.0.1:<port>/postgres'
//   await pg.createDatabase('orders_test');    // the URL of a fresh, empty database
//   await pg.destroy();                        // stops it and removes the dir
//
// initdb and postgres refuse to run as root: as root, they run as the `postgres` OS user (runuser), and the
// dir is chowned to it.
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { URL } = require('url');
const { spawnWatchdog } = require('./cli');
const { cleanUpOnExit, destroyServer, freePorts, prepareDataDir, removeDir } = require('./local-server');

const PG_LIB = '/usr/lib/postgresql';
const START_TIMEOUT_S = 60;
const STOP_TIMEOUT_S = 60;

const MISSING_HINT =
  'Run `bash scripts/ensure-postgres.sh` as root to install them (Debian/Ubuntu: apt-get install postgresql), ' +
  'or set DATABASE_URL=postgres://user:password@host:port/database to use an existing server instead ' +
  '(and KAFKA_BROKERS=host:port for an existing Kafka broker).';

/** The bin dir of the highest PostgreSQL version under /usr/lib/postgresql that has initdb, pg_ctl and postgres. */
function findPostgresBin() {
  let versions = [];
  try {
    versions = fs
      .readdirSync(PG_LIB)
      .filter((name) => /^\d+(\.\d+)?$/.test(name))
      .sort((a, b) => parseFloat(b) - parseFloat(a));
  } catch {
    // no /usr/lib/postgresql at all
  }
  for (const version of versions) {
    const bin = path.join(PG_LIB, version, 'bin');
    if (['initdb', 'pg_ctl', 'postgres'].every((tool) => fs.existsSync(path.join(bin, tool)))) {
      return { bin, version };
    }
  }
  throw new Error(
    `No PostgreSQL server binaries (initdb, pg_ctl, postgres) under ${PG_LIB}/<version>/bin. ${MISSING_HINT}`,
  );
}

/** As root, the uid and gid of the `postgres` OS user the server runs as; otherwise undefined (run as ourselves). */
function serverUser() {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error(
      'Running as root, but there is no `postgres` OS user to run the PostgreSQL server as (initdb and postgres ' +
        `refuse to run as root). ${MISSING_HINT}`,
    );
  }
  return { name: 'postgres', uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function chownRecursive(dir, uid, gid) {
  fs.chownSync(dir, uid, gid);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const child = path.join(dir, entry.name);
    if (entry.isDirectory()) chownRecursive(child, uid, gid);
    else fs.lchownSync(child, uid, gid);
  }
}

function shellQuote(value) {
  return `'${String(value).replace(/'/g, `'\\''`)}'`;
}

function tailOfFile(file, lines = 30) {
  try {
    const text = fs.readFileSync(file, 'utf8').trimEnd();
    return text ? text.split('\n').slice(-lines).join('\n') : '(empty)';
  } catch {
    return '(missing)';
  }
}

/**
 * Creates database `name` on the server at baseUrl (any postgres:// URL whose user may CREATE DATABASE), replacing
 * a database of that name if one exists, and returns baseUrl with its path set to the new database.
 */
async function createDatabase(baseUrl, name) {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) {
    throw new Error(
      `createDatabase: ${JSON.stringify(name)} is not a plain identifier ([A-Za-z_][A-Za-z0-9_]*)`,
    );
  }
  const { Client } = require('pg');
  const client = new Client({ connectionString: baseUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

class PostgresCluster {
  /**
   * Finds the binaries, picks a free port and prepares the dir; does not start the server.
   * @param {{ dataDir?: string, port?: number }} [options] dataDir (it holds pgdata/, sockets/ and postgres.log)
   *   defaults to a fresh temp dir, removed by destroy() or when this process exits.
   */
  static async create({ dataDir, port } = {}) {
    const { bin, version } = findPostgresBin();
    const user = serverUser();
    const chosenPort = port ?? (await freePorts(1))[0];
    const { dir, ownsDataDir } = prepareDataDir(dataDir, 'tributary-pg-');
    fs.mkdirSync(path.join(dir, 'sockets'), { recursive: true });
    if (user) chownRecursive(dir, user.uid, user.gid);
    return new PostgresCluster({ bin, version, user, dataDir: dir, ownsDataDir, port: chosenPort });
  }

  /** Use PostgresCluster.create(). */
  constructor({ bin, version, user, dataDir, ownsDataDir, port }) {
    this.bin = bin;
    this.version = version;
    this.user = user;
    this.dataDir = dataDir;
    this.ownsDataDir = ownsDataDir;
    this.port = port;
    this.running = false;
    this.destroyed = false;
    cleanUpOnExit(this);
    this.watchdog = spawnWatchdog(this.cleanupPlan());
  }

  /** What the watchdog does if this process dies without destroy(): stop the server, remove a temp dir. */
  cleanupPlan({ mayRun = this.running } = {}) {
    return {
      run: mayRun ? [this.command('pg_ctl', this.immediateStopArgs())] : [],
      remove: this.ownsDataDir ? [this.dataDir] : [],
    };
  }

  immediateStopArgs() {
    return ['stop', '-w', '-t', '10', '-D', this.pgdata, '-m', 'immediate'];
  }

  /** The superuser's URL of the `postgres` database (trust authentication: no password). */
  get url() {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  get pgdata() {
    return path.join(this.dataDir, 'pgdata');
  }

  get socketDir() {
    return path.join(this.dataDir, 'sockets');
  }

  get logFile() {
    return path.join(this.dataDir, 'postgres.log');
  }

  /** The postmaster's process id while it runs, else undefined. */
  get pid() {
    try {
      return (
        Number(fs.readFileSync(path.join(this.pgdata, 'postmaster.pid'), 'utf8').split('\n')[0]) || undefined
      );
    } catch {
      return undefined;
    }
  }

  /** initdb on first start, then `pg_ctl start -w`. */
  async start() {
    if (this.destroyed) throw new Error('PostgresCluster: start() after destroy()');
    if (this.running) return;
    if (!fs.existsSync(path.join(this.pgdata, 'PG_VERSION'))) {
      await this.run('initdb', [
        '-D',
        this.pgdata,
        '-U',
        'postgres',
        '--auth=trust',
        '-E',
        'UTF8',
        '--locale=C.UTF-8',
        '--no-sync', // a throw-away cluster
      ]);
    }
    const serverOptions = [
      `-p ${this.port}`,
      `-k ${shellQuote(this.socketDir)}`,
      '-c listen_addresses=127.0.0.1',
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c max_connections=300',
    ].join(' ');
    this.watchdog.update(this.cleanupPlan({ mayRun: true }));
    try {
      await this.run('pg_ctl', [
        'start',
        '-w',
        '-t',
        String(START_TIMEOUT_S),
        '-D',
        this.pgdata,
        '-l',
        this.logFile,
        '-o',
        serverOptions,
      ]);
    } catch (error) {
      this._stopSync({ keepDir: true });
      throw new Error(`${error.message}\n--- tail of ${this.logFile} ---\n${tailOfFile(this.logFile)}`);
    }
    this.running = true;
    this.watchdog.update(this.cleanupPlan());
  }

  /** `pg_ctl stop -m fast` (disconnects clients, then a clean shutdown). */
  async stop() {
    if (!this.running) return;
    try {
      await this.run('pg_ctl', ['stop', '-w', '-t', String(STOP_TIMEOUT_S), '-D', this.pgdata, '-m', 'fast']);
    } catch (error) {
      if (fs.existsSync(path.join(this.pgdata, 'postmaster.pid'))) throw error;
      // else it was not running any more
    }
    this.running = false;
    this.watchdog.update(this.cleanupPlan());
  }

  /** stop() and remove the dir. */
  destroy() {
    return destroyServer(this);
  }

  /** The URL of a fresh, empty database `name` on this cluster (one of that name is replaced). */
  async createDatabase(name) {
    return createDatabase(this.url, name);
  }

  /** [command, args] for a server tool, run as the `postgres` OS user when we are root. */
  command(tool, args) {
    const binary = path.join(this.bin, tool);
    return this.user ? ['runuser', ['-u', this.user.name, '--', binary, ...args]] : [binary, args];
  }

  run(tool, args) {
    const [command, commandArgs] = this.command(tool, args);
    return new Promise((resolve, reject) => {
      // pg_ctl's server inherits no pipes from us (its output goes to -l), so 'close' comes when pg_ctl exits.
      const child = spawn(command, commandArgs, {
        cwd: this.dataDir,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, LC_ALL: 'C.UTF-8' },
      });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      child.on('error', reject);
      child.on('close', (code, signal) => {
        if (code === 0) resolve(output);
        else {
          const status = signal ? `signal ${signal}` : `exit code ${code}`;
          reject(new Error(`${tool} ${args.join(' ')} failed (${status}):\n${output.trim()}`));
        }
      });
    });
  }

  /** For the process 'exit' hook. */
  cleanupSync() {
    this._stopSync();
  }

  /** `pg_ctl stop -m immediate`, synchronous and best effort. */
  _stopSync({ keepDir = !this.ownsDataDir } = {}) {
    try {
      if (fs.existsSync(path.join(this.pgdata, 'postmaster.pid'))) {
        const [command, args] = this.command('pg_ctl', [
          'stop',
          '-w',
          '-t',
          '10',
          '-D',
          this.pgdata,
          '-m',
          'immediate',
        ]);
        spawnSync(command, args, { cwd: this.dataDir, stdio: 'ignore' });
      }
    } catch {
      // best effort while exiting
    }
    if (!keepDir) {
      try {
        removeDir(this.dataDir);
      } catch {
        // best effort while exiting
      }
    }
  }
}

module.exports = { PostgresCluster, createDatabase, findPostgresBin };
