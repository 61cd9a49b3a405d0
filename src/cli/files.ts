/**
 * The files a command line names, read before any GPU work: a missing file, a directory where a
 * file belongs, an empty file or a file of the wrong kind becomes one line (an InputError) that
 * names the argument, the path and what to give instead.
 */
import { readdirSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { FormatError } from '../errors.js';
import { describeContent } from '../data/sniff.js';
import { InputError } from './command.js';

/** An argument that names a file: how the user wrote it, what it must hold, and how to get one. */
export interface FileRole {
  /** e.g. 'CHECKPOINT', '--images'. */
  arg: string;
  /** A noun phrase: 'a checkpoint'. */
  expects: string;
  /** What to give instead, imperative: 'give a .safetensors written by robustlens …'. */
  fix: string;
  /** File name endings to suggest when the path is a directory (e.g. ['.safetensors', '.pt']). */
  suffixes?: readonly string[];
}

export const CHECKPOINT_FIX = 'give a .safetensors written by robustlens (train, study, distill) or a PyTorch state dict (.pt/.pth from torch.save(model.state_dict(), path))';

export const checkpointRole = (arg: string): FileRole => ({ arg, expects: 'a checkpoint', fix: CHECKPOINT_FIX, suffixes: ['.safetensors', '.pt', '.pth'] });

/** Why Node could not open a path, in words, for the error codes a user can cause. */
const FS_REASONS: Record<string, string> = {
  ENOENT: 'does not exist',
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'has a part that is a file, not a directory',
  EACCES: 'cannot be read (permission denied)',
  EPERM: 'cannot be read (operation not permitted)',
  ELOOP: 'is a loop of symbolic links',
  ENAMETOOLONG: 'is too long a name',
};

/** A Node file-system error (with its code and path) as one line, or null for any other error. */
export function fsErrorLine(e: unknown): string | null {
  const err = e as { code?: unknown; path?: unknown; syscall?: unknown };
  if (typeof err?.code !== 'string' || typeof err.path !== 'string' || !(err.code in FS_REASONS)) return null;
  return `${err.path} ${FS_REASONS[err.code]}; check the path`;
}

/** The matching files directly inside `dir`, for "give the file inside it (…)". */
function filesInside(dir: string, suffixes: readonly string[] = []): string[] {
  try {
    return readdirSync(dir).filter((n) => suffixes.some((s) => n.endsWith(s)) && statSync(`${dir}/${n}`).isFile()).sort();
  } catch {
    return [];
  }
}

/** Read a file a command line names, or an InputError naming the argument, the path and the fix. */
export async function readInput(path: string, role: FileRole): Promise<Uint8Array> {
  const where = `${role.arg} ${path}`;
  try {
    const st = await stat(path);
    if (st.isDirectory()) {
      const inside = filesInside(path, role.suffixes);
      const hint = inside.length ? ` (it holds ${inside.slice(0, 4).join(', ')}${inside.length > 4 ? ', …' : ''})` : '';
      throw new InputError(`${where} is a directory, not a file${hint}; ${role.fix}`);
    }
    if (!st.isFile()) throw new InputError(`${where} is not a regular file; ${role.fix}`);
    if (st.size === 0) throw new InputError(`${where} is empty (0 bytes): was it cut off while being written? ${capitalise(role.fix)}`);
    const b = await readFile(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    if (e instanceof InputError) throw e;
    const code = (e as { code?: string }).code;
    if (code && code in FS_REASONS) throw new InputError(`${where} ${FS_REASONS[code]}; ${code === 'ENOENT' || code === 'ENOTDIR' ? `check the path, or ${role.fix}` : role.fix}`);
    throw e;
  }
}

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * Parse a file's bytes; a FormatError becomes an InputError that says what the file looks like
 * and what to give instead, keeping the reader's own words (which name the byte at fault).
 */
export function parseInput<T>(bytes: Uint8Array, path: string, role: FileRole, parse: (bytes: Uint8Array, file: string) => T): T {
  try {
    return parse(bytes, path);
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    const kind = describeContent(bytes);
    throw new InputError(`${role.arg} ${path} is not ${role.expects}${kind ? `: it looks like ${kind}` : ''} (${e.message}); ${role.fix}`);
  }
}

/** Check that a directory a command line names exists and is one (before any GPU work). */
export async function checkDirectory(path: string, arg: string, holds: string): Promise<void> {
  let st;
  try {
    st = await stat(path);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code && code in FS_REASONS) throw new InputError(`${arg} ${path} ${FS_REASONS[code]}; give the directory that holds ${holds}`);
    throw e;
  }
  if (!st.isDirectory()) throw new InputError(`${arg} ${path} is a file, not a directory; give the directory that holds ${holds}`);
}
