/**
 * The command-line parser (src/cli/program.ts) on a small program shaped like the CLI's: exact
 * parse results, exact stops and messages. Every expectation here is what commander 14 gave for
 * the same program and argv when the parser replaced it.
 */
import { describe, expect, it } from 'vitest';
import { Command, CommandLineExit, Option } from '../../src/cli/program.js';

interface Ran {
  command: string;
  args: unknown[];
  opts: Record<string, unknown>;
}

type Result = { ran: Ran; stdout: string; stderr: string } | { exit: 0 | 2; code: string; message: string; stdout: string; stderr: string };

const collect = (v: string, acc: string[] | undefined): string[] => [...(acc ?? []), v];

function tool(log: Ran[], out: { stdout: string; stderr: string }, columns?: number): Command {
  const rec =
    (command: string) =>
    (...a: unknown[]): void => {
      log.push({ command, args: a.slice(0, -2), opts: { ...(a[a.length - 2] as Record<string, unknown>) } });
    };
  const p = new Command('tool')
    .description('A tool that does things with sources, snapshots and caches, described at some length.')
    .version('1.2.3', '-V, --version')
    .option('--debug', 'print stack traces')
    .configureOutput({ writeOut: (s) => void (out.stdout += s), writeErr: (s) => void (out.stderr += s), outColumns: () => columns, errColumns: () => columns });
  p.command('snap')
    .description('print the snapshot id')
    .addOption(new Option('--distro <distro>', 'debian or ubuntu').choices(['debian', 'ubuntu']))
    .option('--snapshot-base <url>', 'base URL')
    .option('--json', 'print JSON')
    .option('--root <dir>', 'the root', '/')
    .action(rec('snap'));
  p.command('rw')
    .argument('[file...]', 'files to rewrite')
    .description('rewrite files')
    .option('--map <uri=archive>', 'map (repeatable)', collect, [])
    .option('--arch <arch>', 'architectures (repeatable)', collect)
    .addOption(new Option('--stdout', 'print instead').conflicts('dryRun'))
    .option('--dry-run', 'print a diff')
    .option('--ca-bundle', 'write the CA bundle')
    .option('--no-ca-bundle', 'never write it')
    .option('-o, --output <file>', 'where to write', 'out.json')
    .option('--to <time>', 'target', 'latest')
    .action(rec('rw'));
  p.command('gen')
    .description('generate')
    .addOption(new Option('--distro <distro>', 'debian or ubuntu').choices(['debian', 'ubuntu']).makeOptionMandatory())
    .requiredOption('--codename <name>', 'codename')
    .addOption(new Option('--format <format>', 'the format').choices(['deb822', 'one-line']).default('deb822'))
    .action(rec('gen'));
  p.command('one').argument('<a>', 'first').argument('[b]', 'second').option('--no-color', 'plain output').action(rec('one'));
  const grp = p.command('grp').description('a group of commands');
  grp.command('push').argument('[dir]', 'a directory').requiredOption('--to <ref>', 'where').description('push').action(rec('grp push'));
  grp.command('pull').argument('<ref>', 'what').option('--json', 'JSON').description('pull').addHelpText('after', '\nMore text after the help.').action(rec('grp pull'));
  return p;
}

async function run(argv: string[], columns?: number): Promise<Result> {
  const log: Ran[] = [];
  const out = { stdout: '', stderr: '' };
  try {
    await tool(log, out, columns).parseAsync(argv);
    return { ran: log[0]!, ...out };
  } catch (e) {
    if (!(e instanceof CommandLineExit)) throw e;
    return { exit: e.exitCode, code: e.code, message: e.message, ...out };
  }
}

const ran = (command: string, args: unknown[], opts: Record<string, unknown>): Result => ({ ran: { command, args, opts }, stdout: '', stderr: '' });
const usage = (code: string, message: string): Result => ({ exit: 2, code, message, stdout: '', stderr: '' });
const SNAP_DEFAULTS = { root: '/' };
const RW_DEFAULTS = { map: [], output: 'out.json', to: 'latest' };

describe('parsing', () => {
  it('takes an option value from the next argument, after =, or glued to a short flag', async () => {
    expect(await run(['snap', '--snapshot-base', 'http://a/'])).toEqual(ran('snap', [], { ...SNAP_DEFAULTS, snapshotBase: 'http://a/' }));
    expect(await run(['snap', '--snapshot-base=http://a/?x=1'])).toEqual(ran('snap', [], { ...SNAP_DEFAULTS, snapshotBase: 'http://a/?x=1' }));
    expect(await run(['snap', '--root='])).toEqual(ran('snap', [], { root: '' }));
    expect(await run(['rw', '-o', 'a.json'])).toEqual(ran('rw', [[]], { ...RW_DEFAULTS, output: 'a.json' }));
    expect(await run(['rw', '-ob.json'])).toEqual(ran('rw', [[]], { ...RW_DEFAULTS, output: 'b.json' }));
    // -o=x is a short flag glued to its value "=x"
    expect(await run(['rw', '-o=x'])).toEqual(ran('rw', [[]], { ...RW_DEFAULTS, output: '=x' }));
  });

  it('a value that starts with a dash is still the value', async () => {
    expect(await run(['rw', '--to', '--stdout'])).toEqual(ran('rw', [[]], { ...RW_DEFAULTS, to: '--stdout' }));
    expect(await run(['rw', '-o', '-'])).toEqual(ran('rw', [[]], { ...RW_DEFAULTS, output: '-' }));
  });

  it('options stand before, between or after the arguments; -- ends them', async () => {
    expect(await run(['rw', 'a', '--dry-run', 'b', '--to', 'x', 'c'])).toEqual(ran('rw', [['a', 'b', 'c']], { ...RW_DEFAULTS, dryRun: true, to: 'x' }));
    expect(await run(['rw', '--dry-run', '--', '--stdout', '-o', 'x'])).toEqual(ran('rw', [['--stdout', '-o', 'x']], { ...RW_DEFAULTS, dryRun: true }));
    expect(await run(['--', 'rw', '--json'])).toEqual(ran('rw', [['--json']], RW_DEFAULTS));
    // a lone dash and a negative number are arguments
    expect(await run(['rw', '-', '-5', '-1.5e3'])).toEqual(ran('rw', [['-', '-5', '-1.5e3']], RW_DEFAULTS));
    expect(await run(['one', 'x'])).toEqual(ran('one', ['x', undefined], { color: true }));
    expect(await run(['one', 'x', 'y'])).toEqual(ran('one', ['x', 'y'], { color: true }));
  });

  it('camelCases the keys; defaults first, then what was given', async () => {
    expect(await run(['rw', '--dry-run'])).toEqual(ran('rw', [[]], { ...RW_DEFAULTS, dryRun: true }));
    const r = await run(['snap', '--json', '--distro', 'ubuntu']);
    expect(r).toEqual(ran('snap', [], { root: '/', json: true, distro: 'ubuntu' }));
    expect(Object.keys((r as { ran: Ran }).ran.opts)).toEqual(['root', 'json', 'distro']);
  });

  it('--no-x: alone it defaults x to true; beside --x, x is unset until given, and the last one wins', async () => {
    expect(await run(['one', 'a', '--no-color'])).toEqual(ran('one', ['a', undefined], { color: false }));
    expect(await run(['rw'])).toEqual(ran('rw', [[]], RW_DEFAULTS));
    expect(await run(['rw', '--no-ca-bundle'])).toEqual(ran('rw', [[]], { ...RW_DEFAULTS, caBundle: false }));
    expect(await run(['rw', '--ca-bundle'])).toEqual(ran('rw', [[]], { ...RW_DEFAULTS, caBundle: true }));
    expect(await run(['rw', '--ca-bundle', '--no-ca-bundle'])).toEqual(ran('rw', [[]], { ...RW_DEFAULTS, caBundle: false }));
  });

  it('repeatable options collect, from their default or from nothing; a plain option keeps the last', async () => {
    expect(await run(['rw', '--map', 'a=b', '--map=c=d', '--arch', 'amd64', '--arch', 'arm64'])).toEqual(ran('rw', [[]], { ...RW_DEFAULTS, map: ['a=b', 'c=d'], arch: ['amd64', 'arm64'] }));
    expect(await run(['rw', '--to', 'a', '--to', 'b'])).toEqual(ran('rw', [[]], { ...RW_DEFAULTS, to: 'b' }));
  });

  it('the program takes its own options wherever they stand, before and after the command', async () => {
    expect(await run(['--debug', 'snap', '--json'])).toEqual(ran('snap', [], { ...SNAP_DEFAULTS, json: true }));
    expect(await run(['snap', '--json', '--debug'])).toEqual(ran('snap', [], { ...SNAP_DEFAULTS, json: true }));
    // the program's --debug wins over the command's --to wanting a value
    expect(await run(['rw', '--to', '--debug'])).toEqual(usage('optionMissingArgument', "option '--to <time>' argument missing"));
  });

  it('nested commands', async () => {
    expect(await run(['grp', 'push', 'd', '--to', 'r'])).toEqual(ran('grp push', ['d'], { to: 'r' }));
    expect(await run(['grp', 'pull', '--json', 'r'])).toEqual(ran('grp pull', ['r'], { json: true }));
  });
});

describe('stops', () => {
  it('choices, mandatory options and conflicts', async () => {
    expect(await run(['snap', '--distro', 'arch'])).toEqual(usage('invalidArgument', "option '--distro <distro>' argument 'arch' is invalid. Allowed choices are debian, ubuntu."));
    expect(await run(['gen', '--distro', 'debian', '--codename', 'x', '--format=x'])).toEqual(usage('invalidArgument', "option '--format <format>' argument 'x' is invalid. Allowed choices are deb822, one-line."));
    expect(await run(['gen', '--codename', 'x'])).toEqual(usage('missingMandatoryOption', "required option '--distro <distro>' not specified"));
    expect(await run(['gen', '--distro', 'debian'])).toEqual(usage('missingMandatoryOption', "required option '--codename <name>' not specified"));
    expect(await run(['gen', '--distro', 'ubuntu', '--codename', 'noble'])).toEqual(ran('gen', [], { format: 'deb822', distro: 'ubuntu', codename: 'noble' }));
    expect(await run(['grp', 'push'])).toEqual(usage('missingMandatoryOption', "required option '--to <ref>' not specified"));
    expect(await run(['rw', '--dry-run', '--stdout'])).toEqual(usage('conflictingOption', "option '--stdout' cannot be used with option '--dry-run'"));
  });

  it('arguments missing or too many', async () => {
    expect(await run(['one'])).toEqual(usage('missingArgument', "missing required argument 'a'"));
    expect(await run(['grp', 'pull'])).toEqual(usage('missingArgument', "missing required argument 'ref'"));
    expect(await run(['one', 'a', 'b', 'c'])).toEqual(usage('excessArguments', "too many arguments for 'one'. Expected 2 arguments but got 3."));
    expect(await run(['snap', 'x'])).toEqual(usage('excessArguments', "too many arguments for 'snap'. Expected 0 arguments but got 1."));
    expect(await run(['grp', 'push', 'a', 'b', '--to', 'r'])).toEqual(usage('excessArguments', "too many arguments for 'push'. Expected 1 argument but got 2."));
  });

  it('unknown options and commands; an option value missing', async () => {
    expect(await run(['snap', '--nope'])).toEqual(usage('unknownOption', "unknown option '--nope'"));
    expect(await run(['snap', '--json=1'])).toEqual(usage('unknownOption', "unknown option '--json=1'"));
    expect(await run(['rw', '-x'])).toEqual(usage('unknownOption', "unknown option '-x'"));
    // the program's unknown option comes first, and swallows the command name after it
    expect(await run(['--nope', 'snap'])).toEqual(usage('unknownOption', "unknown option '--nope'"));
    expect(await run(['nope', '--json'])).toEqual(usage('unknownCommand', "unknown command 'nope'"));
    expect(await run(['grp', 'nope'])).toEqual(usage('unknownCommand', "unknown command 'nope'"));
    expect(await run(['grp', '--nope'])).toEqual(usage('unknownOption', "unknown option '--nope'"));
    expect(await run(['snap', '--root'])).toEqual(usage('optionMissingArgument', "option '--root <dir>' argument missing"));
    // checked in commander's order: mandatory options before unknown options, choices while parsing
    expect(await run(['gen', '--nope'])).toEqual(usage('missingMandatoryOption', "required option '--distro <distro>' not specified"));
    expect(await run(['snap', '--nope', '--distro', 'x'])).toEqual(usage('invalidArgument', "option '--distro <distro>' argument 'x' is invalid. Allowed choices are debian, ubuntu."));
  });

  it('-V/--version anywhere prints the version on stdout', async () => {
    const version = { exit: 0, code: 'version', message: '1.2.3', stdout: '1.2.3\n', stderr: '' };
    expect(await run(['-V'])).toEqual(version);
    expect(await run(['--version'])).toEqual(version);
    expect(await run(['snap', '-V'])).toEqual(version);
    // the program reads its options before the command reads its own
    expect(await run(['snap', '--distro', 'x', '-V'])).toEqual(version);
    expect(await run(['rw', '-Vx'])).toEqual(version);
  });
});

describe('help', () => {
  const help = (stdout: string, stderr = ''): Result => ({ exit: 0, code: 'help', message: '(help)', stdout, stderr });
  const SNAP_HELP = [
    'Usage: tool snap [options]',
    '',
    'print the snapshot id',
    '',
    'Options:',
    '  --distro <distro>      debian or ubuntu (choices: "debian", "ubuntu")',
    '  --snapshot-base <url>  base URL',
    '  --json                 print JSON',
    '  --root <dir>           the root (default: "/")',
    '  -h, --help             display help for command',
    '',
  ].join('\n');

  it('-h/--help anywhere among the options, even after an unknown one; not after --', async () => {
    for (const argv of [['snap', '-h'], ['snap', '--help'], ['snap', '--json', 'x', '--help'], ['snap', '--nope', '--help'], ['help', 'snap']]) {
      expect(await run(argv)).toEqual(help(SNAP_HELP));
    }
    expect(await run(['rw', '--', '--help'])).toEqual(ran('rw', [['--help']], RW_DEFAULTS));
    // an option that takes a value takes --help as its value
    expect(await run(['snap', '--root', '--help'])).toEqual(ran('snap', [], { root: '--help' }));
  });

  it("the program's help: its options, then its commands and help [command], wrapped to 80 columns", async () => {
    expect(await run(['--help'])).toEqual(
      help(
        [
          'Usage: tool [options] [command]',
          '',
          'A tool that does things with sources, snapshots and caches, described at some',
          'length.',
          '',
          'Options:',
          '  -V, --version           output the version number',
          '  --debug                 print stack traces',
          '  -h, --help              display help for command',
          '',
          'Commands:',
          '  snap [options]          print the snapshot id',
          '  rw [options] [file...]  rewrite files',
          '  gen [options]           generate',
          '  one [options] <a> [b]',
          '  grp                     a group of commands',
          '  help [command]          display help for command',
          '',
        ].join('\n'),
      ),
    );
  });

  it('a bare program or group prints its help on stderr; help with no name or an unknown one', async () => {
    const programHelp = ((await run(['--help'])) as { stdout: string }).stdout;
    const grpHelp = [
      'Usage: tool grp [options] [command]',
      '',
      'a group of commands',
      '',
      'Options:',
      '  -h, --help            display help for command',
      '',
      'Commands:',
      '  push [options] [dir]  push',
      '  pull [options] <ref>  pull',
      '  help [command]        display help for command',
      '',
    ].join('\n');
    expect(await run([])).toEqual(help('', programHelp));
    expect(await run(['grp'])).toEqual(help('', grpHelp));
    expect(await run(['help'])).toEqual(help(programHelp));
    expect(await run(['help', 'nope'])).toEqual(help('', programHelp));
    expect(await run(['grp', '--help'])).toEqual(help(grpHelp));
    expect(await run(['grp', 'help'])).toEqual(help(grpHelp));
    // help names one command, not a path
    expect(await run(['help', 'grp', 'pull'])).toEqual(help(grpHelp));
  });

  it('arguments, text after the help, and the usage line of a nested command', async () => {
    expect(await run(['grp', 'help', 'pull'])).toEqual(
      help(['Usage: tool grp pull [options] <ref>', '', 'pull', '', 'Arguments:', '  ref         what', '', 'Options:', '  --json      JSON', '  -h, --help  display help for command', '', 'More text after the help.', ''].join('\n')),
    );
    expect(await run(['one', '--help'])).toEqual(
      help(['Usage: tool one [options] <a> [b]', '', 'Arguments:', '  a           first', '  b           second', '', 'Options:', '  --no-color  plain output', '  -h, --help  display help for command', ''].join('\n')),
    );
  });

  it("wraps to a terminal's columns, and not at all when the description column would be under 40", async () => {
    const rw = await run(['rw', '--help'], 50);
    expect((rw as { stdout: string }).stdout).toContain('Options:\n  --map <uri=archive>  map (repeatable) (default: [])\n');
    const wide = ((await run(['--help'], 120)) as { stdout: string }).stdout;
    expect(wide).toContain('A tool that does things with sources, snapshots and caches, described at some length.\n');
    const narrow = ((await run(['--help'], 60)) as { stdout: string }).stdout;
    expect(narrow).toContain('\nA tool that does things with sources, snapshots and caches,\ndescribed at some length.\n');
    expect(narrow).toContain('\n  rw [options] [file...]  rewrite files\n');
  });
});
