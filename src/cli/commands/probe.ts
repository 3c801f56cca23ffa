import type { Command } from 'commander';
import type { CliIo, ExitCode } from '../io.js';

// Placeholder: replaced by the module that implements `probe`.
export function register(_program: Command, _io: CliIo, _setExit: (c: ExitCode) => void): void {}
