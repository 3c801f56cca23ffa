/**
 * Every command, in the order `--help` lists them. A command module only defines flags and
 * imports its implementation inside the action (lazy), so startup stays cheap.
 */
import type { Command } from 'commander';
import type { CliIo, ExitCode } from '../io.js';
import { register as snapshot } from './snapshot.js';
import { register as generate } from './generate.js';
import { register as rewrite } from './rewrite.js';
import { register as restore } from './restore.js';
import { register as probe } from './probe.js';
import { register as resolve } from './resolve.js';
import { register as cache } from './cache.js';
import { register as warm } from './warm.js';
import { register as serve } from './serve.js';
import { register as diff } from './diff.js';
import { register as bump } from './bump.js';

export type Register = (program: Command, io: CliIo, setExit: (c: ExitCode) => void) => void;

export const COMMANDS: readonly Register[] = [snapshot, generate, rewrite, restore, probe, resolve, cache, warm, serve, diff, bump];
