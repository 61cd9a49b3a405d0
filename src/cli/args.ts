import { UsageError, type ParsedArgs } from './command.js';

/** Typed readers of parsed option values, with usage errors that name the flag. */
export function num(args: ParsedArgs, name: string, fallback: number, check: (v: number) => boolean = Number.isFinite, what = 'a number'): number {
  const raw = args.values[name];
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (typeof raw !== 'string' || !check(v)) throw new UsageError(`--${name} must be ${what}, got '${String(raw)}'`);
  return v;
}

export const int = (args: ParsedArgs, name: string, fallback: number, min = 0): number =>
  num(args, name, fallback, (v) => Number.isInteger(v) && v >= min, `an integer >= ${min}`);

export function str<T extends string>(args: ParsedArgs, name: string, fallback: T, allowed?: readonly T[]): T {
  const raw = args.values[name];
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || (allowed && !allowed.includes(raw as T))) {
    throw new UsageError(`--${name} must be one of ${allowed?.join(', ') ?? 'a string'}, got '${String(raw)}'`);
  }
  return raw as T;
}

/** A string option's value, or undefined when it is not given. */
export const optional = (args: ParsedArgs, name: string): string | undefined => {
  const raw = args.values[name];
  return typeof raw === 'string' ? raw : undefined;
};

export const flag = (args: ParsedArgs, name: string): boolean => args.values[name] === true;

/** Progress lines on stderr unless --quiet; results go to stdout. */
export const logger = (quiet: boolean) => (m: string): void => {
  if (!quiet) process.stderr.write(`${m}\n`);
};
