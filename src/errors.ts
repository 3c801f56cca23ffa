/**
 * Every error the library throws on purpose is a ReproSourcesError. The CLI prints
 * `repro-sources: ${subject}: ${message}` and maps `exitCode` to the process exit code:
 * 2 for bad usage or bad input (nothing was changed), 1 for runtime failures.
 */

export type ErrorCode =
  | 'USAGE'
  | 'INPUT'
  | 'EPOCH'
  | 'NOT_FOUND'
  | 'HTTP'
  | 'NETWORK'
  | 'REGISTRY'
  | 'INTEGRITY'
  | 'UNSAFE_PATH'
  | 'MISSING_TOOL'
  | 'APT'
  | 'ABORTED';

export class ReproSourcesError extends Error {
  override name = 'ReproSourcesError';
  readonly code: ErrorCode;
  /** What the error is about: a file:line, a flag, a URL, a value. */
  readonly subject: string;
  readonly exitCode: 1 | 2;

  constructor(code: ErrorCode, subject: string, message: string, options?: { cause?: unknown; exitCode?: 1 | 2 }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.subject = subject;
    this.exitCode = options?.exitCode ?? (isInputCode(code) ? 2 : 1);
  }
}

function isInputCode(code: ErrorCode): boolean {
  return code === 'USAGE' || code === 'INPUT' || code === 'EPOCH' || code === 'UNSAFE_PATH';
}

/** A flag or argument the user gave is wrong. */
export class UsageError extends ReproSourcesError {
  override name = 'UsageError';
  constructor(subject: string, message: string) {
    super('USAGE', subject, message);
  }
}

/** A file or value the user gave cannot be used; `line`/`column` are 1-based when known. */
export class InputError extends ReproSourcesError {
  override name = 'InputError';
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly column: number | undefined;
  constructor(file: string | undefined, message: string, pos?: { line?: number; column?: number }) {
    super('INPUT', formatLocation(file, pos?.line, pos?.column), message);
    this.file = file;
    this.line = pos?.line;
    this.column = pos?.column;
  }
}

/** A SOURCE_DATE_EPOCH, date or snapshot id that breaks a rule. */
export class EpochError extends ReproSourcesError {
  override name = 'EpochError';
  constructor(subject: string, message: string) {
    super('EPOCH', subject, message);
  }
}

/** Content whose digest or size differs from what was promised. */
export class IntegrityError extends ReproSourcesError {
  override name = 'IntegrityError';
  readonly expected: string;
  readonly actual: string;
  constructor(subject: string, expected: string, actual: string) {
    super('INTEGRITY', subject, `digest mismatch: expected ${expected}, got ${actual}`);
    this.expected = expected;
    this.actual = actual;
  }
}

export function formatLocation(file: string | undefined, line?: number, column?: number): string {
  let s = file ?? '<input>';
  if (line !== undefined) s += `:${line}`;
  if (line !== undefined && column !== undefined) s += `:${column}`;
  return s;
}

export function isReproSourcesError(e: unknown): e is ReproSourcesError {
  return e instanceof ReproSourcesError;
}

/** An error as one line: its code (a syscall's, zlib's) and message. */
export function describe(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: string }).code;
    return code && code !== 'DEADLINE' ? `${code}: ${e.message}` : e.message;
  }
  return String(e);
}
