/**
 * What a team gets from `npm install @baton/store @baton/cli`: the packages are packed from this
 * repository (their `prepack` builds them), installed from the tarballs into an empty project
 * outside the repository, and used there as an application would: one process through ESM
 * `import`, one through CommonJS `require`, sharing one database, the TypeScript types resolved
 * through the `exports` map, and `npx baton` run from the project's own bin links.
 *
 * A second test installs Baton beside @libsql/client 0.17 and 0.18, as an application that
 * already uses libsql would: the tree must hold one @libsql/core (Baton loads it through the
 * client, its peer dependency), so that a Baton error is `instanceof` the `LibsqlError` the
 * application imports. Beside @libsql/client 0.15, which Baton cannot extend, npm must refuse.
 *
 * The install reads npm's cache (`--prefer-offline`). The native addons' install scripts are
 * denied in the project's `allowScripts` and the addons the repository's own install compiled
 * (the same versions, checked) are copied in: compiling SQLite again would add two to three
 * minutes and test node-gyp, not Baton's packaging.
 */
import { execFile, fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { removeTempDirs, tempDir } from './helpers/temp';

const execFileAsync = promisify(execFile);
/** Every command of the test is bounded (SIGKILLed after two minutes), so none outlives a failed run. */
const run = (file: string, args: string[], options: { cwd: string }): Promise<{ stdout: string; stderr: string }> =>
  execFileAsync(file, args, { ...options, timeout: 120_000, killSignal: 'SIGKILL' });
const REPO = path.join(__dirname, '..', '..');
const TSC = path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
/** Native addons whose compiled `build/` is reused from the repository's install. */
const NATIVE = ['better-sqlite3', 'fs-ext'];

/** The part of `baton status --json` this test reads (the CLI's package builds after this one, so its types are not imported). */
interface StatusJson {
  state: string;
  leader: { pid: number; name: string; version: string } | null;
  members: { pid: number; name: string }[];
}

/** What the two application processes report over IPC. */
type AppEvent = { ev: 'wrote'; role: string } | { ev: 'rows'; authors: string[] };

/**
 * One application member: opens the store, writes a row under its own name, reports, then
 * answers 'read' with every author and 'close' by closing the store and letting the process end.
 * The same body runs as an ES module and as a CommonJS script.
 */
const MEMBER_BODY = `
const [database, name] = process.argv.slice(2);
const store = await openStore({ path: database, name, migrations: [{ version: 1, sql: 'CREATE TABLE notes (author TEXT PRIMARY KEY)' }] });
await store.execute('INSERT INTO notes (author) VALUES (?)', [name]);
process.send({ ev: 'wrote', role: store.role });
process.on('message', async (message) => {
  if (message === 'read') {
    const rs = await store.execute('SELECT author FROM notes ORDER BY author');
    process.send({ ev: 'rows', authors: rs.rows.map((row) => row.author) });
  } else if (message === 'close') {
    await store.close();
    process.disconnect();
  }
});
`;

const APP_FILES: Record<string, string> = {
  'member.mjs': `import { openStore } from '@baton/store';\n${MEMBER_BODY}`,
  'member.cjs': `const { openStore } = require('@baton/store');\n(async () => {${MEMBER_BODY}})();\n`,
  // Type-checked against the installed declarations, resolved the way Node resolves the code.
  'types.ts': `import { openStore, StoreError, type Store } from '@baton/store';
import { ExitCode, type StatusReport } from '@baton/cli';
export const open: (path: string) => Promise<Store> = (path) => openStore({ path, name: 'typed' });
export const failed: 1 = ExitCode.Failed;
export const code = (error: StoreError): string => error.code;
export const leaderPid = (report: StatusReport): number | undefined => report.leader?.pid;
`,
};

/** A forked application member and what it reported. */
class AppMember {
  private readonly events: AppEvent[] = [];
  private readonly waiters: (() => void)[] = [];
  readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    child.on('message', (event: AppEvent) => {
      this.events.push(event);
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    // An exit also wakes waiters, so a crashed member fails the test at once instead of at its timeout.
    void this.exited.then(() => {
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  /** The first event of kind `ev`, waiting for it (bounded) if it has not arrived. */
  async next<K extends AppEvent['ev']>(ev: K, timeoutMs = 30_000): Promise<Extract<AppEvent, { ev: K }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.events.findIndex((event) => event.ev === ev);
      if (index >= 0) return this.events.splice(index, 1)[0] as Extract<AppEvent, { ev: K }>;
      if (this.child.exitCode !== null || this.child.signalCode !== null)
        throw new Error(`member ${this.child.pid} exited before "${ev}"`);
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`member ${this.child.pid}: no "${ev}" within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

const members: AppMember[] = [];

function startMember(app: string, script: string, database: string, name: string): AppMember {
  const member = new AppMember(
    fork(path.join(app, script), [database, name], { cwd: app, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  members.push(member);
  return member;
}

/** The `version` of a package.json. */
function versionOf(manifest: string): string {
  return (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { version: string }).version;
}

/** Packs `workspaces` into `dir` exactly as `npm publish` would (prepack builds each package); the tarballs' paths. */
async function pack(dir: string, workspaces: string[]): Promise<string[]> {
  const args = ['pack', '--json', ...workspaces.flatMap((name) => ['-w', name]), '--pack-destination', dir];
  const { stdout } = await run('npm', args, { cwd: REPO });
  return (JSON.parse(stdout) as { filename: string }[]).map((entry) => path.join(dir, entry.filename));
}

/**
 * Makes `app` an empty project holding `files` and installs `specs` (tarballs, `name@range`) into
 * it with one `npm install`, then copies in the native addons the repository compiled.
 */
async function install(app: string, files: Record<string, string>, specs: string[]): Promise<void> {
  const denied = Object.fromEntries([...NATIVE, 'msgpackr-extract'].map((name) => [name, false]));
  fs.writeFileSync(
    path.join(app, 'package.json'),
    JSON.stringify({ name: 'app', private: true, allowScripts: denied }),
  );
  for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(app, file), text);
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...specs], { cwd: app });
  for (const name of NATIVE) {
    const installed = path.join(app, 'node_modules', name);
    const built = path.join(REPO, 'node_modules', name);
    expect(versionOf(path.join(installed, 'package.json'))).toBe(versionOf(path.join(built, 'package.json')));
    fs.cpSync(path.join(built, 'build'), path.join(installed, 'build'), { recursive: true });
  }
}

afterEach(async () => {
  for (const member of members.splice(0)) {
    member.child.kill('SIGKILL');
    await member.exited;
  }
  removeTempDirs();
});

test('packed store and CLI install into an empty project, where an ESM and a CommonJS process share one database and npx baton sees both', async () => {
  const root = tempDir('baton-install-');
  const app = path.join(root, 'app');
  fs.mkdirSync(app);

  const tarballs = await pack(root, ['@baton/store', '@baton/cli']);
  expect(tarballs.map((file) => path.basename(file)).sort()).toEqual([
    `baton-cli-${versionOf(path.join(REPO, 'packages', 'cli', 'package.json'))}.tgz`,
    `baton-store-${versionOf(path.join(REPO, 'packages', 'store', 'package.json'))}.tgz`,
  ]);
  await install(app, APP_FILES, tarballs);
  // Only what the packages declare was installed: nothing of the repository leaks in.
  expect(fs.realpathSync(path.join(app, 'node_modules', '@baton', 'store')).startsWith(app)).toBe(true);

  // The declarations resolve through `exports` under Node's own module resolution.
  await run(
    process.execPath,
    [
      TSC,
      '--noEmit',
      '--strict',
      '--skipLibCheck',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--types',
      'node',
      '--typeRoots',
      path.join(REPO, 'node_modules', '@types'),
      'types.ts',
    ],
    { cwd: app },
  );

  const database = path.join(root, 'shared.db');
  const esm = startMember(app, 'member.mjs', database, 'esm-member');
  expect((await esm.next('wrote')).role).toBe('leader');
  const cjs = startMember(app, 'member.cjs', database, 'cjs-member');
  expect((await cjs.next('wrote')).role).toBe('follower');
  for (const member of [esm, cjs]) {
    member.child.send('read');
    expect((await member.next('rows')).authors).toEqual(['cjs-member', 'esm-member']);
  }

  // The CLI from the project's own bin links: `npx baton` finds node_modules/.bin/baton.
  const { stdout: version } = await run('npx', ['baton', '--version'], { cwd: app });
  const storeVersion = versionOf(path.join(app, 'node_modules', '@baton', 'store', 'package.json'));
  expect(version.trim()).toBe(
    `${versionOf(path.join(app, 'node_modules', '@baton', 'cli', 'package.json'))} (store ${storeVersion})`,
  );
  const { stdout: statusJson } = await run('npx', ['baton', 'status', '--json', database], { cwd: app });
  const report = JSON.parse(statusJson) as StatusJson;
  expect(report.state).toBe('ok');
  expect(report.leader).toMatchObject({ pid: esm.child.pid, name: 'esm-member', version: storeVersion });
  const byName = [...report.members].sort((a, b) => a.name.localeCompare(b.name));
  expect(byName.map((member) => [member.pid, member.name])).toEqual([
    [cjs.child.pid, 'cjs-member'],
    [esm.child.pid, 'esm-member'],
  ]);

  for (const member of [cjs, esm]) {
    member.child.send('close');
    expect(await member.exited).toBe(0);
  }
}, 180_000);

/** How an application sees one Baton error, through the classes it imports from @libsql/client. */
interface SeenError {
  name: string;
  code: string;
  libsqlError: boolean;
  batchError: boolean;
  storeError: boolean;
}

/**
 * One failing `execute` and one failing `batch` on Baton's `createClient`, described with the
 * application's own `LibsqlError` / `LibsqlBatchError`. The same body runs as CommonJS and as an
 * ES module; it prints one JSON line and closes the client.
 */
const ERRORS_BODY = `
const client = createClient({ url: 'file:' + process.argv[2], baton: { name: 'errors' } });
await client.execute('CREATE TABLE t (id INTEGER PRIMARY KEY)');
const failure = (promise) => promise.then(() => { throw new Error('expected a failure'); }, (error) => error);
const seen = (e) => ({
  name: e.name, code: e.code,
  libsqlError: e instanceof LibsqlError, batchError: e instanceof LibsqlBatchError, storeError: e instanceof StoreError,
});
const single = await failure(client.execute('INSERT INTO t (id) VALUES (1), (1)'));
const batch = await failure(client.batch(['INSERT INTO t (id) VALUES (2)', 'INSERT INTO t (id) VALUES (2)'], 'write'));
console.log(JSON.stringify({ single: seen(single), batch: seen(batch) }));
await client.close();
`;

const ERROR_FILES: Record<string, string> = {
  'errors.cjs': `const { LibsqlError, LibsqlBatchError } = require('@libsql/client');
const { createClient, StoreError } = require('@baton/store');
(async () => {${ERRORS_BODY}})();
`,
  'errors.mjs': `import { LibsqlError, LibsqlBatchError } from '@libsql/client';
import { createClient, StoreError } from '@baton/store';
${ERRORS_BODY}`,
};

test.each(['0.17', '0.18'])(
  "installed beside @libsql/client %s, Baton shares its one @libsql/core: errors are instanceof the application's LibsqlError and named as libsql names them",
  async (clientVersion) => {
    const root = tempDir('baton-install-');
    const app = path.join(root, 'app');
    fs.mkdirSync(app);
    const tarballs = await pack(root, ['@baton/store']);
    // Baton and the client in one install, Baton first on the command line and in the
    // dependencies (npm places @baton before @libsql): the order that gave two copies while
    // Baton depended on a range of @libsql/core of its own.
    await install(app, ERROR_FILES, [...tarballs, `@libsql/client@${clientVersion}`]);
    const installedClient = versionOf(path.join(app, 'node_modules', '@libsql', 'client', 'package.json'));
    expect(installedClient.startsWith(`${clientVersion}.`)).toBe(true);

    const { stdout: copies } = await run('npm', ['ls', '@libsql/core', '--all', '--parseable'], { cwd: app });
    expect(copies.trim().split('\n')).toEqual([path.join(app, 'node_modules', '@libsql', 'core')]);

    const { stdout: cjs } = await run(process.execPath, ['errors.cjs', path.join(root, 'cjs.db')], { cwd: app });
    const fromRequire = JSON.parse(cjs) as Record<'single' | 'batch', SeenError>;
    expect(fromRequire).toEqual({
      single: {
        name: 'LibsqlError',
        code: 'SQLITE_CONSTRAINT',
        libsqlError: true,
        batchError: false,
        storeError: true,
      },
      batch: {
        name: 'LibsqlBatchError',
        code: 'SQLITE_CONSTRAINT',
        libsqlError: true,
        batchError: true,
        storeError: true,
      },
    });

    // An ES module gets @libsql/core's ESM build through @libsql/client, whose classes are not
    // the CommonJS build's that Baton extends (docs/api.md, "Errors"): the names and codes match.
    const { stdout: esm } = await run(process.execPath, ['errors.mjs', path.join(root, 'esm.db')], { cwd: app });
    const fromImport = JSON.parse(esm) as Record<'single' | 'batch', SeenError>;
    expect(fromImport).toEqual({
      single: {
        name: 'LibsqlError',
        code: 'SQLITE_CONSTRAINT',
        libsqlError: false,
        batchError: false,
        storeError: true,
      },
      batch: {
        name: 'LibsqlBatchError',
        code: 'SQLITE_CONSTRAINT',
        libsqlError: false,
        batchError: false,
        storeError: true,
      },
    });
  },
  180_000,
);

test('beside @libsql/client 0.15, whose @libsql/core has no LibsqlBatchError, npm refuses the install (ERESOLVE) instead of adding a second copy', async () => {
  const root = tempDir('baton-install-');
  const app = path.join(root, 'app');
  fs.mkdirSync(app);
  const tarballs = await pack(root, ['@baton/store']);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }));

  const refused = await run(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', ...tarballs, '@libsql/client@0.15'],
    { cwd: app },
  ).then(
    () => null,
    (error: unknown) => (error instanceof Error && 'stderr' in error ? String(error.stderr) : String(error)),
  );

  expect(refused).toMatch(/ERESOLVE/);
  expect(refused).toMatch(/peer @libsql\/client@"\^0\.17\.0 \|\| \^0\.18\.0" from @baton\/store/);
  expect(fs.existsSync(path.join(app, 'node_modules', '@baton', 'store'))).toBe(false);
}, 180_000);
