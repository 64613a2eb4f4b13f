// Where commands write. Commands never touch the console: they receive an Output,
// so tests read exactly what a user would see.

export interface Output {
  /** A line of the command's result (standard output). */
  line(text?: string): void;
  /** A line about a problem or progress (standard error). */
  error(text: string): void;
  /** A machine-readable result (standard output), for `--json`. */
  json(value: unknown): void;
}

/** The process's standard streams. */
export class StdOutput implements Output {
  line(text = ''): void {
    process.stdout.write(`${text}\n`);
  }

  error(text: string): void {
    process.stderr.write(`${text}\n`);
  }

  json(value: unknown): void {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }
}

/** Keeps everything written, for tests. */
export class MemoryOutput implements Output {
  readonly lines: string[] = [];
  readonly errors: string[] = [];

  line(text = ''): void {
    this.lines.push(text);
  }

  error(text: string): void {
    this.errors.push(text);
  }

  json(value: unknown): void {
    this.lines.push(JSON.stringify(value, null, 2));
  }

  get stdout(): string {
    return this.lines.join('\n');
  }

  get stderr(): string {
    return this.errors.join('\n');
  }
}

/** Renders rows as an aligned text table. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
  const render = (cells: readonly string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [render(header), render(widths.map((width) => '-'.repeat(width))), ...rows.map(render)];
}
