/**
 * A small TextMate theme resolver, enough to answer "which colour and font style does this theme
 * give scope S": the rule whose selector is the longest prefix of S wins, a later rule wins a
 * tie, and colour and font style are resolved separately (as VS Code does when it probes the
 * scopes of a semantic token). Selectors with a parent scope (`a b`) never match a lone scope.
 */

export interface ThemeRule {
  scope?: string | string[];
  settings: { foreground?: string; fontStyle?: string };
}

export interface ThemeFile {
  include?: string;
  tokenColors?: ThemeRule[] | string;
}

export interface ResolvedStyle {
  foreground?: string;
  fontStyle?: string;
}

/** Parses a theme file: JSON with `//` line comments and trailing commas. */
export function parseThemeJson(text: string): ThemeFile {
  const withoutComments = text.replace(/^\s*\/\/.*$/gm, '');
  return JSON.parse(withoutComments.replace(/,(\s*[}\]])/g, '$1')) as ThemeFile;
}

/** The rules of a theme and everything it includes, included ones first. */
export function flattenRules(name: string, load: (name: string) => ThemeFile): ThemeRule[] {
  const theme = load(name);
  const base = theme.include ? flattenRules(theme.include, load) : [];
  const own = Array.isArray(theme.tokenColors) ? theme.tokenColors : [];
  return [...base, ...own];
}

function selectorScore(selector: string, scope: string): number {
  const s = selector.trim();
  if (s.includes(' ')) return -1;
  if (scope === s || scope.startsWith(s + '.')) return s.split('.').length;
  return -1;
}

export function resolveScope(rules: readonly ThemeRule[], scope: string): ResolvedStyle {
  let foreground: string | undefined;
  let fontStyle: string | undefined;
  let fgScore = -1;
  let fsScore = -1;
  for (const rule of rules) {
    if (rule.scope === undefined) continue;
    const selectors = Array.isArray(rule.scope) ? rule.scope : rule.scope.split(',');
    const score = Math.max(...selectors.map((sel) => selectorScore(sel, scope)));
    if (score < 0) continue;
    if (rule.settings.foreground !== undefined && score >= fgScore) {
      foreground = rule.settings.foreground;
      fgScore = score;
    }
    if (rule.settings.fontStyle !== undefined && score >= fsScore) {
      fontStyle = rule.settings.fontStyle;
      fsScore = score;
    }
  }
  return { foreground, fontStyle };
}

/** The first of `scopes` that the theme colours, as VS Code probes a token's scopes. */
export function resolveScopes(rules: readonly ThemeRule[], scopes: readonly string[]): ResolvedStyle {
  for (const scope of scopes) {
    const style = resolveScope(rules, scope);
    if (style.foreground !== undefined || style.fontStyle !== undefined) return style;
  }
  return {};
}
