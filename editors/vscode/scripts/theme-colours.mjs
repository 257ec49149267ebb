// Checks the colour table of src/logic/legend.ts against real Dark+ and Light+ theme files:
//   node --import tsx scripts/theme-colours.mjs DIR
// where DIR holds dark_plus.json, dark_vs.json, light_plus.json, light_vs.json (VS Code's
// extensions/theme-defaults/themes, e.g. from the npm package code-server under lib/vscode).
// Exits non-zero if a colour differs, two types share a colour, or a modifier scope has a colour.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENTITY_TYPES, TOKEN_MODIFIERS } from '../src/logic/legend.ts';
import { flattenRules, parseThemeJson, resolveScopes } from '../src/logic/theme.ts';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: theme-colours.mjs THEMES_DIR');
  process.exit(2);
}
const load = (name) => parseThemeJson(readFileSync(join(dir, name.replace(/^\.\//, '')), 'utf8'));
let failures = 0;
for (const [theme, key] of [['dark_plus.json', 'dark'], ['light_plus.json', 'light']]) {
  const rules = flattenRules(theme, load);
  const seen = new Map();
  for (const t of ENTITY_TYPES) {
    const got = (resolveScopes(rules, t.scopes).foreground ?? 'none').toUpperCase();
    const ok = got === t[key].toUpperCase();
    console.log(`${theme} ${t.id.padEnd(9)} ${t.scopes[0].padEnd(28)} ${got} ${ok ? 'ok' : `expected ${t[key]}`}`);
    if (!ok) failures++;
    if (seen.has(got)) {
      console.log(`  ${t.id} has the colour of ${seen.get(got)}`);
      failures++;
    }
    seen.set(got, t.id);
  }
  for (const m of TOKEN_MODIFIERS) {
    const style = resolveScopes(rules, m.scopes);
    const ok = style.foreground === undefined && (style.fontStyle ?? '').includes(m.style);
    console.log(`${theme} .${m.id.padEnd(12)} ${m.scopes[0].padEnd(28)} ${style.fontStyle} ${ok ? 'ok' : 'WRONG'}`);
    if (!ok) failures++;
  }
}
console.log(failures === 0 ? 'all colours match the themes' : `${failures} mismatches`);
process.exit(failures === 0 ? 0 : 1);
