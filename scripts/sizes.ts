// Lists TypeScript files over 300 lines and functions over 80 lines, and exits 1 if there are any:
// the size limits of the style guide (§7), read from the syntax tree
// so that a long object literal or a JSDoc block counts for the function it sits in, not against it.
// Strips its own types: run it with Node >= 22.18 (`npm run sizes`), or
//   "$(bash scripts/install-node24.sh)/node" scripts/sizes.ts [dir or file ...]
// Test files count as files; the callbacks of describe/it/test are suites, not functions.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const MAX_FILE_LINES = 300;
const MAX_FUNCTION_LINES = 80;
const REPO = join(import.meta.dirname, '..');
const DEFAULT_ROOTS = ['src', 'bench', 'scripts', 'test'];
const SUITE_CALLS = new Set(['describe', 'it', 'test']);

interface Finding {
  readonly file: string;
  readonly line: number;
  readonly what: string;
  readonly lines: number;
}

const tsFiles = (path: string): string[] => {
  if (!statSync(path).isDirectory()) return path.endsWith('.ts') ? [path] : [];
  return readdirSync(path, { withFileTypes: true })
    .filter((entry) => entry.name !== 'node_modules' && !entry.name.startsWith('.'))
    .flatMap((entry) => tsFiles(join(path, entry.name)));
};

/** A line count as an editor shows it: a trailing newline does not start another line. */
const lineCount = (text: string): number =>
  text.length === 0 ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);

/** Whether `node` is the callback of `describe(…)`, `it.each(…)(…)` and the like: a suite, not a function. */
const isSuiteCallback = (node: ts.Node): boolean => {
  const call = node.parent;
  if (!ts.isCallExpression(call) || !call.arguments.includes(node as ts.Expression)) return false;
  let callee: ts.Expression = call.expression;
  while (ts.isCallExpression(callee) || ts.isPropertyAccessExpression(callee))
    callee = ts.isCallExpression(callee) ? callee.expression : callee.expression;
  return ts.isIdentifier(callee) && SUITE_CALLS.has(callee.text);
};

/** What a function is called where it is declared, for the report. */
const nameOf = (node: ts.FunctionLikeDeclaration): string => {
  if (node.name && ts.isIdentifier(node.name)) return node.name.text;
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (ts.isPropertyAssignment(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  return '(anonymous)';
};

const measureFile = (file: string): Finding[] => {
  const text = readFileSync(file, 'utf8');
  const name = relative(REPO, file);
  const findings: Finding[] = [];
  const fileLines = lineCount(text);
  if (fileLines > MAX_FILE_LINES)
    findings.push({ file: name, line: 1, what: 'file', lines: fileLines });
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const lineOf = (pos: number) => source.getLineAndCharacterOfPosition(pos).line + 1;
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body && !isSuiteCallback(node)) {
      const start = lineOf(node.getStart(source));
      const lines = lineOf(node.getEnd()) - start + 1;
      if (lines > MAX_FUNCTION_LINES)
        findings.push({ file: name, line: start, what: `function ${nameOf(node)}`, lines });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return findings;
};

const roots = process.argv.slice(2);
const files = (roots.length > 0 ? roots : DEFAULT_ROOTS.map((r) => join(REPO, r))).flatMap(tsFiles);
const findings = files.flatMap(measureFile);
for (const f of findings)
  console.log(
    `${f.file}:${f.line}  ${f.what}: ${f.lines} lines (limit ${f.what === 'file' ? MAX_FILE_LINES : MAX_FUNCTION_LINES})`,
  );
console.log(
  `${files.length} files: ${findings.filter((f) => f.what === 'file').length} over ${MAX_FILE_LINES} lines, ${findings.filter((f) => f.what !== 'file').length} functions over ${MAX_FUNCTION_LINES} lines`,
);
process.exitCode = findings.length > 0 ? 1 : 0;
