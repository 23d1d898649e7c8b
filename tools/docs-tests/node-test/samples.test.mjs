// Every ```ts and ```js block of the READMEs and docs/ is a sample: the TypeScript ones are
// type-checked together with TypeScript 6 and 7 (strict, as a user's project would), then each sample runs as its own
// program in a fresh folder and must exit with 0 by itself. A sample that needs PostgreSQL reads
// DATABASE_URL (set by tools/test-support/with-postgres.mjs). Jest-style globals (describe, it)
// come from node:test, so a conformance test file in the docs runs too.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const here = dirname(dirname(fileURLToPath(import.meta.url)));
const root = join(here, '..', '..');
const out = join(here, '.samples');

const documents = [
  'README.md',
  ...readdirSync(join(root, 'packages')).map((p) => `packages/${p}/README.md`),
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
].filter((file) => existsSync(join(root, file)));

/** The code blocks of a markdown file: { lang, line, code } for ```ts and ```js. */
function blocks(file) {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  const found = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w+)/.exec(lines[i]);
    if (!open) continue;
    const start = i;
    while (++i < lines.length && !lines[i].startsWith('```'));
    if (open[1] === 'ts' || open[1] === 'js') found.push({ lang: open[1], line: start + 1, code: lines.slice(start + 1, i).join('\n') });
  }
  return found;
}

const samples = documents.flatMap((file) =>
  blocks(file).map((block, n) => {
    const name = `${file.replace(/[/.]/g, '_')}-${n + 1}`;
    return { ...block, file, name, source: join(out, `${name}.${block.lang === 'ts' ? 'ts' : 'mjs'}`), program: join(out, `${name}.mjs`) };
  }),
);
const problems = new Map();

before(() => {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  writeFileSync(
    join(out, 'globals.mjs'),
    "import { describe, it, test } from 'node:test';\nObject.assign(globalThis, { describe, it, test });\n",
  );
  for (const sample of samples) writeFileSync(sample.source, `${sample.code}\n`);
  const typed = samples.filter((s) => s.lang === 'ts');
  const options = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
  };
  const program = ts.createProgram(
    typed.map((s) => s.source),
    options,
  );
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const file = diagnostic.file?.fileName ?? '';
    const at =
      diagnostic.file && diagnostic.start !== undefined ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start).line + 1 : 0;
    const list = problems.get(file) ?? [];
    list.push(`line ${at}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`);
    problems.set(file, list);
  }
  // TypeScript 7 (the native compiler; no JavaScript API, so its command line) with the tsconfig
  // that docs/getting-started.md gives users
  writeFileSync(
    join(out, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'es2022',
        module: 'nodenext',
        strict: true,
        types: ['node'],
        rootDir: '.',
        skipLibCheck: true,
        noEmit: true,
      },
      include: typed.map((s) => relative(out, s.source)),
    }),
  );
  const tsc7 = spawnSync(process.execPath, [join(here, 'node_modules', 'typescript-7', 'bin', 'tsc'), '-p', '.', '--pretty', 'false'], {
    cwd: out,
    encoding: 'utf8',
  });
  for (const line of tsc7.stdout.split('\n')) {
    const found = /^(.+?)\((\d+),\d+\): (error .*)$/.exec(line);
    if (!found) continue;
    const file = join(out, found[1]);
    const list = problems.get(file) ?? [];
    list.push(`line ${found[2]} (TypeScript 7): ${found[3]}`);
    problems.set(file, list);
  }
  if (tsc7.status !== 0 && problems.size === 0) throw new Error(`TypeScript 7 failed: ${tsc7.stdout}${tsc7.stderr}`);
  for (const sample of typed) {
    const js = ts.transpileModule(sample.code, {
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
    }).outputText;
    writeFileSync(sample.program, js);
  }
});

describe('documentation samples', () => {
  it('finds samples in the READMEs and docs/', () => {
    assert.ok(samples.length >= 20, `only ${samples.length} samples found`);
  });

  for (const sample of samples) {
    it(`${sample.file}:${sample.line} compiles and runs`, () => {
      const issues = problems.get(sample.source) ?? [];
      assert.deepEqual(issues, [], `${sample.file}:${sample.line} does not type-check`);
      const cwd = mkdtempSync(join(tmpdir(), 'factstore-sample-'));
      try {
        const env = { ...process.env };
        delete env.NODE_TEST_CONTEXT; // the sample is a program of its own, not our subtest
        const run = spawnSync(process.execPath, ['--import', join(out, 'globals.mjs'), sample.program], {
          cwd,
          env,
          encoding: 'utf8',
          timeout: 120_000,
        });
        assert.equal(
          run.status,
          0,
          `${relative(root, sample.program)} (${sample.file}:${sample.line}) exited with ${run.status ?? run.signal}\n${run.stdout.slice(-2000)}\n${run.stderr.slice(-3000)}`,
        );
      } finally {
        rmSync(cwd, { recursive: true, force: true });
      }
    });
  }
});
