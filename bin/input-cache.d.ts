/** The mtime of each file, by its name (relative to `root` when one is given). */
export function inputMtimes(files: readonly string[], root?: string): Record<string, number>;
/** True when every recorded file still has its recorded mtime (false when one is gone). */
export function inputsUnchanged(inputs: Record<string, number>, root?: string): boolean;
/** Writes `contents` to `file` through a temporary file renamed into place. */
export function writeAtomically(file: string, contents: string | Uint8Array, mode?: number): void;
