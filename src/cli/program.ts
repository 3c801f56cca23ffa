/**
 * The command-line parser: the part of commander 14's API that src/cli uses, parsing and
 * printing as commander does (its option loop, its order of checks, its help layout and its
 * messages), so that the CLI's output did not change when commander went. It does no I/O of its
 * own: help and the version go to the writers of configureOutput, and every stop (help, version,
 * a usage error) is thrown as a CommandLineExit for main to map to an exit code.
 */

export type StopCode =
  | 'help'
  | 'version'
  | 'unknownOption'
  | 'unknownCommand'
  | 'missingArgument'
  | 'excessArguments'
  | 'invalidArgument'
  | 'optionMissingArgument'
  | 'missingMandatoryOption'
  | 'conflictingOption';

/** The parse stopped before an action: help or the version printed (exit 0), or the usage was wrong (exit 2). */
export class CommandLineExit extends Error {
  readonly code: StopCode;
  readonly exitCode: 0 | 2;
  constructor(code: StopCode, message: string) {
    super(message);
    this.name = 'CommandLineExit';
    this.code = code;
    this.exitCode = code === 'help' || code === 'version' ? 0 : 2;
  }
}

export interface Output {
  writeOut(s: string): void;
  writeErr(s: string): void;
  /** The terminal's columns when that stream is one: help is wrapped to them, else to 80. */
  outColumns(): number | undefined;
  errColumns(): number | undefined;
}

type ParseArg = (value: string, previous: any) => unknown;

export class Option {
  readonly flags: string;
  readonly description: string;
  readonly short: string | undefined;
  readonly long: string;
  /** `--x <value>`; the others are switches. */
  readonly takesValue: boolean;
  readonly negate: boolean;
  /** The key in the parsed values: --snapshot-base and --no-snapshot-base give snapshotBase. */
  readonly key: string;
  defaultValue: unknown;
  parseArg: ParseArg | undefined;
  argChoices: readonly string[] | undefined;
  conflictsWith: string[] = [];
  mandatory = false;

  constructor(flags: string, description = '') {
    const m = /^(?:(-[^-]), )?(--[^-\s][^\s]*)(?: <[^>]+>)?$/.exec(flags);
    // only the forms this CLI uses: no [optional] or variadic values, always a long flag
    if (!m) throw new Error(`option flags not supported: ${flags}`);
    this.flags = flags;
    this.description = description;
    this.short = m[1];
    this.long = m[2]!;
    this.takesValue = flags.includes('<');
    this.negate = this.long.startsWith('--no-');
    this.key = camelcase(this.long.slice(this.negate ? 5 : 2));
  }

  default(value: unknown): this {
    this.defaultValue = value;
    return this;
  }

  choices(values: readonly string[]): this {
    this.argChoices = values.slice();
    return this;
  }

  conflicts(keys: string | string[]): this {
    this.conflictsWith = this.conflictsWith.concat(keys);
    return this;
  }

  makeOptionMandatory(mandatory = true): this {
    this.mandatory = mandatory;
    return this;
  }
}

function camelcase(s: string): string {
  return s.split('-').reduce((a, w) => a + w[0]!.toUpperCase() + w.slice(1));
}

interface Argument {
  name: string;
  required: boolean;
  variadic: boolean;
  description: string;
}

const HELP_FLAGS = '-h, --help';
const HELP_DESCRIPTION = 'display help for command';

export class Command {
  readonly commands: Command[] = [];
  readonly options: Option[] = [];
  parent: Command | undefined;
  private readonly arguments_: Argument[] = [];
  private description_ = '';
  private handler: ((...args: any[]) => unknown) | undefined;
  private readonly helpAfter: string[] = [];
  private versionText: string | undefined;
  private versionOption: Option | undefined;
  private output: Output = {
    writeOut: () => {},
    writeErr: () => {},
    outColumns: () => undefined,
    errColumns: () => undefined,
  };
  /** What the action receives as its options: defaults first, then what the command line set. */
  private readonly values: Record<string, unknown> = {};
  private readonly fromCommandLine = new Set<string>();
  readonly name: string;

  constructor(name: string) {
    this.name = name;
  }

  command(name: string): Command {
    const sub = new Command(name);
    sub.parent = this;
    this.commands.push(sub);
    return sub;
  }

  description(text: string): this {
    this.description_ = text;
    return this;
  }

  argument(spec: string, description = ''): this {
    const m = /^([<[])([^>\]]+?)(\.\.\.)?[>\]]$/.exec(spec);
    if (!m) throw new Error(`argument not supported: ${spec}`);
    this.arguments_.push({ name: m[2]!, required: m[1] === '<', variadic: m[3] !== undefined, description });
    return this;
  }

  option(flags: string, description: string, parseArg?: ParseArg | string, defaultValue?: unknown): this {
    const o = new Option(flags, description);
    if (typeof parseArg === 'function') o.parseArg = parseArg;
    return this.addOption(o.default(typeof parseArg === 'function' ? defaultValue : parseArg));
  }

  requiredOption(flags: string, description: string, parseArg?: ParseArg | string, defaultValue?: unknown): this {
    this.option(flags, description, parseArg, defaultValue);
    this.options[this.options.length - 1]!.makeOptionMandatory();
    return this;
  }

  addOption(o: Option): this {
    this.options.push(o);
    if (o.negate) {
      // --no-x alone defaults x to true; beside --x, x stays unset unless given
      const positive = `--${o.long.slice(5)}`;
      if (!this.options.some((p) => p.long === positive)) this.values[o.key] = o.defaultValue === undefined ? true : o.defaultValue;
    } else if (o.defaultValue !== undefined) {
      this.values[o.key] = o.defaultValue;
    }
    return this;
  }

  version(text: string, flags = '-V, --version'): this {
    this.versionText = text;
    this.versionOption = new Option(flags, 'output the version number');
    this.options.push(this.versionOption);
    return this;
  }

  addHelpText(_position: 'after', text: string): this {
    this.helpAfter.push(text);
    return this;
  }

  action(fn: (...args: any[]) => unknown): this {
    this.handler = fn;
    return this;
  }

  configureOutput(output: Partial<Output>): this {
    this.output = { ...this.output, ...output };
    return this;
  }

  /** Parse the user's arguments (no node and script in front) and run the command they name. */
  async parseAsync(argv: readonly string[]): Promise<void> {
    await this.parseCommand([], [...argv]);
  }

  private root(): Command {
    let c: Command = this;
    while (c.parent) c = c.parent;
    return c;
  }

  private findCommand(name: string | undefined): Command | undefined {
    return name ? this.commands.find((c) => c.name === name) : undefined;
  }

  private hasHelpCommand(): boolean {
    return this.commands.length > 0 && this.handler === undefined && this.findCommand('help') === undefined;
  }

  private stop(code: StopCode, message: string): never {
    throw new CommandLineExit(code, message);
  }

  /**
   * commander's order: this command's options are taken out wherever they stand (up to `--`),
   * and from the first option it does not know on, the rest goes to the subcommand or is an error.
   */
  private async parseCommand(operandsIn: string[], argsIn: string[]): Promise<void> {
    const parsed = this.parseOptions(argsIn);
    const operands = operandsIn.concat(parsed.operands);
    const unknown = parsed.unknown;
    const args = operands.concat(unknown);
    const sub = this.findCommand(operands[0]);
    if (sub) return sub.parseCommand(operands.slice(1), unknown);
    if (this.hasHelpCommand() && operands[0] === 'help') return this.helpCommand(operands[1]);
    if (this.commands.length > 0 && args.length === 0 && this.handler === undefined) this.help(true);
    if (unknown.some((a) => a === '-h' || a === '--help')) this.help(false);
    this.checkMandatoryOptions();
    this.checkConflicts();
    const checkUnknown = (): void => {
      if (unknown.length > 0) this.stop('unknownOption', `unknown option '${unknown[0]}'`);
    };
    if (this.handler !== undefined) {
      checkUnknown();
      await this.handler(...this.processArguments(args), this.values, this);
    } else if (operands.length > 0 && this.commands.length > 0) {
      this.stop('unknownCommand', `unknown command '${args[0]}'`);
    } else {
      checkUnknown();
      if (this.commands.length > 0) this.help(true);
      this.processArguments(args);
    }
  }

  private parseOptions(args: string[]): { operands: string[]; unknown: string[] } {
    const operands: string[] = [];
    const unknown: string[] = [];
    let dest = operands;
    const maybeOption = (a: string): boolean => a.length > 1 && a[0] === '-';
    let group: string | undefined; // the rest of -abc after a switch -a
    let i = 0;
    while (i < args.length || group !== undefined) {
      const arg = group ?? args[i++]!;
      group = undefined;
      if (arg === '--') {
        if (dest === unknown) dest.push(arg);
        dest.push(...args.slice(i));
        break;
      }
      if (maybeOption(arg)) {
        const o = this.findOption(arg);
        if (o) {
          if (o.takesValue) {
            const value = args[i++];
            if (value === undefined) this.stop('optionMissingArgument', `option '${o.flags}' argument missing`);
            this.setOption(o, value);
          } else {
            this.setOption(o, undefined);
          }
          continue;
        }
      }
      if (arg.length > 2 && arg[0] === '-' && arg[1] !== '-') {
        const o = this.findOption(`-${arg[1]}`);
        if (o) {
          if (o.takesValue) {
            this.setOption(o, arg.slice(2));
          } else {
            this.setOption(o, undefined);
            group = `-${arg.slice(2)}`;
          }
          continue;
        }
      }
      if (/^--[^=]+=/.test(arg)) {
        const eq = arg.indexOf('=');
        const o = this.findOption(arg.slice(0, eq));
        if (o?.takesValue) {
          this.setOption(o, arg.slice(eq + 1));
          continue;
        }
      }
      // a negative number is an operand of a command without subcommands
      if (dest === operands && maybeOption(arg) && !(this.commands.length === 0 && /^-(\d+|\d*\.\d+)(e[+-]?\d+)?$/.test(arg))) dest = unknown;
      dest.push(arg);
    }
    return { operands, unknown };
  }

  private findOption(flag: string): Option | undefined {
    return this.options.find((o) => o.short === flag || o.long === flag);
  }

  private setOption(o: Option, value: string | undefined): void {
    if (o === this.versionOption) {
      this.root().output.writeOut(`${this.versionText}\n`);
      this.stop('version', this.versionText!);
    }
    let v: unknown = !o.negate;
    if (value !== undefined) {
      if (o.argChoices && !o.argChoices.includes(value)) {
        this.stop('invalidArgument', `option '${o.flags}' argument '${value}' is invalid. Allowed choices are ${o.argChoices.join(', ')}.`);
      }
      v = o.parseArg ? o.parseArg(value, this.values[o.key]) : value;
    }
    this.values[o.key] = v;
    this.fromCommandLine.add(o.key);
  }

  private checkMandatoryOptions(): void {
    for (let c: Command | undefined = this; c; c = c.parent) {
      for (const o of c.options) if (o.mandatory && c.values[o.key] === undefined) this.stop('missingMandatoryOption', `required option '${o.flags}' not specified`);
    }
  }

  private checkConflicts(): void {
    for (let c: Command | undefined = this; c; c = c.parent) {
      const given = c.options.filter((o) => c.fromCommandLine.has(o.key));
      for (const o of given) {
        if (o.conflictsWith.length === 0) continue;
        const other = given.find((g) => o.conflictsWith.includes(g.key));
        if (other) this.stop('conflictingOption', `${c.describeGiven(o)} cannot be used with ${c.describeGiven(other)}`);
      }
    }
  }

  /** Of --x and --no-x, the one whose value the command line left. */
  private describeGiven(o: Option): string {
    const negative = this.options.find((n) => n.negate && n.key === o.key);
    const best = negative && this.values[o.key] === false ? negative : (this.options.find((p) => !p.negate && p.key === o.key) ?? o);
    return `option '${best.flags}'`;
  }

  private processArguments(args: string[]): unknown[] {
    const declared = this.arguments_;
    declared.forEach((a, i) => {
      if (a.required && args[i] == null) this.stop('missingArgument', `missing required argument '${a.name}'`);
    });
    if (!declared[declared.length - 1]?.variadic && args.length > declared.length) {
      const forSub = this.parent ? ` for '${this.name}'` : '';
      this.stop('excessArguments', `too many arguments${forSub}. Expected ${declared.length} argument${declared.length === 1 ? '' : 's'} but got ${args.length}.`);
    }
    return declared.map((a, i) => (a.variadic ? args.slice(i) : args[i]));
  }

  /** `help [command]`: a subcommand's help on stdout; an unknown name gets this command's, on stderr. */
  private helpCommand(name: string | undefined): never {
    if (!name) this.help(false);
    this.findCommand(name)?.help(false);
    this.help(true);
  }

  /** Help on stdout, or on stderr when it stands for an error (a command with subcommands run bare). */
  private help(onError: boolean): never {
    const out = this.root().output;
    const write = onError ? out.writeErr : out.writeOut;
    write(this.helpText((onError ? out.errColumns() : out.outColumns()) ?? 80));
    for (const t of this.helpAfter) write(`${t}\n`);
    this.stop('help', '(help)');
  }

  private usage(): string {
    const path: string[] = [];
    for (let c: Command | undefined = this.parent; c; c = c.parent) path.unshift(c.name);
    const args = this.arguments_.map(argumentTerm);
    return [...path, this.name, '[options]', ...(this.commands.length > 0 ? ['[command]'] : []), ...args].join(' ');
  }

  /** commander's Help.formatHelp for what this CLI declares: no colours, groups, aliases or summaries. */
  private helpText(width: number): string {
    const options: [string, string][] = this.options.map((o) => [o.flags, optionDescription(o)]);
    options.push([HELP_FLAGS, HELP_DESCRIPTION]);
    const commands: [string, string][] = this.commands.map((c) => [
      [c.name, ...(c.options.length > 0 ? ['[options]'] : []), ...c.arguments_.map(argumentTerm)].join(' '),
      c.description_,
    ]);
    if (this.hasHelpCommand()) commands.push(['help [command]', HELP_DESCRIPTION]);
    const args: [string, string][] = this.arguments_.some((a) => a.description) ? this.arguments_.map((a) => [a.name, a.description]) : [];
    const termWidth = Math.max(0, ...[...options, ...commands, ...args].map(([t]) => t.length));
    const list = (heading: string, items: [string, string][]): string[] =>
      items.length === 0 ? [] : [heading, ...items.map(([t, d]) => formatItem(t, termWidth, d, width)), ''];
    return [
      `Usage: ${this.usage()}`,
      '',
      ...(this.description_.length > 0 ? [boxWrap(this.description_, width), ''] : []),
      ...list('Arguments:', args),
      ...list('Options:', options),
      ...list('Commands:', commands),
    ].join('\n');
  }
}

function argumentTerm(a: Argument): string {
  const name = a.name + (a.variadic ? '...' : '');
  return a.required ? `<${name}>` : `[${name}]`;
}

function optionDescription(o: Option): string {
  const extra: string[] = [];
  if (o.argChoices) extra.push(`choices: ${o.argChoices.map((c) => JSON.stringify(c)).join(', ')}`);
  // a switch's default shows only when it is a boolean; --no-x's implied true never does
  if (o.defaultValue !== undefined && (o.takesValue || (!o.negate && typeof o.defaultValue === 'boolean'))) extra.push(`default: ${JSON.stringify(o.defaultValue)}`);
  if (extra.length === 0) return o.description;
  return o.description ? `${o.description} (${extra.join(', ')})` : `(${extra.join(', ')})`;
}

/** A term padded to the column, its description wrapped beside it (or left as written when too narrow or indented by hand). */
function formatItem(term: string, termWidth: number, description: string, width: number): string {
  if (!description) return `  ${term}`;
  const remaining = width - termWidth - 4;
  const text = remaining < 40 || /\n[^\S\r\n]/.test(description) ? description : boxWrap(description, remaining).replace(/\n/g, `\n${' '.repeat(termWidth + 2)}`);
  return `  ${term.padEnd(termWidth)}  ${text.replace(/\n/g, '\n  ')}`;
}

/** Wrap at whitespace to width, keeping the line breaks given; below 40 columns, not at all. */
function boxWrap(text: string, width: number): string {
  if (width < 40) return text;
  const lines: string[] = [];
  for (const line of text.split(/\r\n|\n/)) {
    const chunks = line.match(/[\s]*[^\s]+/g);
    if (chunks === null) {
      lines.push('');
      continue;
    }
    let current = chunks.shift()!;
    for (const chunk of chunks) {
      if (current.length + chunk.length <= width) {
        current += chunk;
        continue;
      }
      lines.push(current);
      current = chunk.trimStart();
    }
    lines.push(current);
  }
  return lines.join('\n');
}
