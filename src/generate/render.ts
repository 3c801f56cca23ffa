/**
 * The few template rules templates/ needs, nothing more: `{{name}}` substitutes a value;
 * a line starting `{{?name}}` is kept only when that value is non-empty; a block between lines
 * `{{#name}}` and `{{/name}}` repeats once per item of a list value (the item's fields shadow
 * the outer ones). Unknown names are an error, so a typo can't print an empty field. Pure.
 */

export type TemplateValue = string | number | readonly TemplateScope[];
export interface TemplateScope {
  readonly [name: string]: TemplateValue;
}

export function renderTemplate(template: string, scope: TemplateScope): string {
  return renderLines(template.split('\n'), [scope]).join('\n');
}

function renderLines(lines: readonly string[], scopes: readonly TemplateScope[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const open = /^\{\{#(\w+)\}\}$/.exec(line);
    if (open) {
      const name = open[1]!;
      const close = lines.indexOf(`{{/${name}}}`, i + 1);
      if (close < 0) throw new Error(`template: {{#${name}}} is never closed`);
      const items = lookup(scopes, name);
      if (!Array.isArray(items)) throw new Error(`template: {{#${name}}} needs a list`);
      for (const item of items as readonly TemplateScope[]) out.push(...renderLines(lines.slice(i + 1, close), [item, ...scopes]));
      i = close;
      continue;
    }
    const cond = /^\{\{\?(\w+)\}\}/.exec(line);
    if (cond) {
      if (String(lookup(scopes, cond[1]!)) === '') continue;
      out.push(substitute(line.slice(cond[0].length), scopes));
      continue;
    }
    out.push(substitute(line, scopes));
  }
  return out;
}

function substitute(line: string, scopes: readonly TemplateScope[]): string {
  return line.replace(/\{\{(\w+)\}\}/g, (_m, name: string) => {
    const v = lookup(scopes, name);
    if (Array.isArray(v)) throw new Error(`template: {{${name}}} is a list`);
    return String(v);
  });
}

function lookup(scopes: readonly TemplateScope[], name: string): TemplateValue {
  for (const s of scopes) if (Object.hasOwn(s, name)) return s[name]!;
  throw new Error(`template: unknown name {{${name}}}`);
}
