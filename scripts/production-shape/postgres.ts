/**
 * A private PostgreSQL server for one run: a fresh cluster in the run's folder, on a loopback
 * port of its own, from Debian's server binaries (`apt-get install postgresql`). Run as root,
 * the server runs as the `postgres` user, which refuses to run as root. It holds the
 * services' ledgers (database `orders`) and Temporal's two databases, as in docker-compose.yml.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Supervisor } from '../chaos/supervisor';

const execFileAsync = promisify(execFile);

/** The role the app and Temporal connect as, as in docker-compose.yml (a made-up local password). */
export const PG_USER = 'temporal';
export const PG_PASSWORD = 'temporal';
export const ORDERS_DATABASE = 'orders';

/** The newest `/usr/lib/postgresql/<major>/bin`, or PG_BIN_DIR. */
export function postgresBinDir(): string {
  const explicit = process.env.PG_BIN_DIR;
  if (explicit) return explicit;
  const root = '/usr/lib/postgresql';
  const majors = fs.existsSync(root)
    ? fs
        .readdirSync(root)
        .filter((d) => fs.existsSync(path.join(root, d, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (majors.length === 0)
    throw new Error(
      'PostgreSQL server binaries not found under /usr/lib/postgresql: `apt-get install postgresql` (or set PG_BIN_DIR)',
    );
  return path.join(root, majors[0]!, 'bin');
}

const isRoot = () => process.getuid?.() === 0;

/** Runs a PostgreSQL binary as the user that owns the cluster. */
function asOwner(binary: string, args: string[]): { command: string; args: string[] } {
  return isRoot() ? { command: 'runuser', args: ['-u', 'postgres', '--', binary, ...args] } : { command: binary, args };
}

export interface Postgres {
  port: number;
  /** `postgres://temporal:…@127.0.0.1:<port>/<database>` */
  url(database: string): string;
}

/** initdb, start under the supervisor (child `postgresql`), create the app's role and database. */
export async function startPostgres(sup: Supervisor, dir: string, port: number): Promise<Postgres> {
  const bin = postgresBinDir();
  const data = path.join(dir, 'data');
  fs.mkdirSync(dir, { recursive: true });
  if (isRoot()) await execFileAsync('chown', ['postgres', dir]);
  const init = asOwner(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
  await execFileAsync(init.command, init.args);
  // In the foreground under the supervisor: it stops with the run, whatever happens.
  const server = asOwner(path.join(bin, 'postgres'), [
    '-D',
    data,
    '-p',
    String(port),
    '-k',
    dir,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'max_connections=200',
  ]);
  sup.start({ name: 'postgresql', ...server });
  await sup.waitForPort('127.0.0.1', port, 'postgresql', 30_000);
  const psql = async (sql: string) => {
    const args = ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-v', 'ON_ERROR_STOP=1', '-c', sql];
    for (let attempt = 0; ; attempt++) {
      try {
        return await execFileAsync(path.join(bin, 'psql'), args);
      } catch (err) {
        // Accepting connections a moment before it accepts logins.
        if (attempt >= 20) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  };
  await psql(`CREATE ROLE ${PG_USER} LOGIN CREATEDB PASSWORD '${PG_PASSWORD}'`);
  await psql(`CREATE DATABASE ${ORDERS_DATABASE} OWNER ${PG_USER}`);
  return { port, url: (database) => `postgres://${PG_USER}:${PG_PASSWORD}@127.0.0.1:${port}/${database}` };
}
