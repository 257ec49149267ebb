import assert from 'node:assert/strict';
import { test } from 'node:test';

import { flattenRules, parseThemeJson, resolveScope, resolveScopes, type ThemeFile } from '../src/logic/theme.ts';

const base = `{
  // a comment
  "$schema": "vscode://schemas/color-theme",
  "tokenColors": [
    { "scope": "string", "settings": { "foreground": "#111111" } },
    { "scope": ["keyword", "storage.type"], "settings": { "foreground": "#222222" } },
    { "scope": "markup.underline", "settings": { "fontStyle": "underline" } },
    { "scope": "string meta.image.inline.markdown", "settings": { "foreground": "#999999" } },
  ],
}`;
const plus = `{ "include": "./base.json", "tokenColors": [
  { "scope": ["keyword.control", "entity.name.function"], "settings": { "foreground": "#333333" } },
  { "scope": "keyword.control.anchor.regexp", "settings": { "foreground": "#444444" } }
] }`;
const files: Record<string, ThemeFile> = { 'plus.json': parseThemeJson(plus), './base.json': parseThemeJson(base) };
const rules = flattenRules('plus.json', (n) => files[n]);

test('the longest matching selector wins, included rules come first', () => {
  assert.equal(resolveScope(rules, 'keyword.control').foreground, '#333333');
  assert.equal(resolveScope(rules, 'keyword.other').foreground, '#222222');
  assert.equal(resolveScope(rules, 'keyword.control.anchor.regexp').foreground, '#444444');
  assert.equal(resolveScope(rules, 'string.quoted').foreground, '#111111');
  assert.equal(resolveScope(rules, 'strings').foreground, undefined, 'segments, not characters');
});

test('font style and colour resolve separately; scopes are probed in order', () => {
  assert.deepEqual(resolveScope(rules, 'markup.underline'), { foreground: undefined, fontStyle: 'underline' });
  assert.deepEqual(resolveScopes(rules, ['entity.name.type', 'storage.type']), { foreground: '#222222', fontStyle: undefined });
  assert.deepEqual(resolveScopes(rules, ['nothing.here']), {});
});
