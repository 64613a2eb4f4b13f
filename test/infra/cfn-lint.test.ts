import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cfnLint, DirectoryLintCache, type RunProcess } from '../../src/infra/gates/cfn-lint.ts';

function templates(contents: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'storestack-lint-'));
  for (const [file, text] of Object.entries(contents)) writeFileSync(join(dir, file), text);
  return dir;
}

/** A fake cfn-lint that records what it was asked to lint and reports one warning per template. */
function recordingLinter(calls: string[][]): RunProcess {
  return async (_command, args) => {
    const files = args.slice(args.indexOf('--') + 1);
    calls.push(files);
    return {
      exitCode: 4,
      stderr: '',
      stdout: JSON.stringify(
        files.flatMap((file) => [
          {
            Filename: file,
            Level: 'Warning',
            Message: `warned ${file}`,
            Rule: { Id: 'W1001' },
            Location: { Path: ['Resources'] },
          },
          { Filename: file, Level: 'Informational', Message: 'fyi', Rule: { Id: 'I3011' }, Location: { Path: [] } },
        ]),
      ),
    };
  };
}

describe('cfn-lint gate', () => {
  it('reports errors and warnings, not informational notes, and passes the ignored checks', async () => {
    const cwd = templates({ 'a.template.json': '{"A":1}' });
    const calls: string[][] = [];
    let seenArgs: readonly string[] = [];
    const run: RunProcess = async (command, args, dir) => {
      seenArgs = args;
      return recordingLinter(calls)(command, args, dir);
    };
    const result = await cfnLint({ templates: ['a.template.json'], cwd, run });
    expect(result).toEqual({
      available: true,
      cached: 0,
      findings: [
        {
          rule: 'W1001',
          level: 'Warning',
          file: 'a.template.json',
          path: 'Resources',
          message: 'warned a.template.json',
        },
      ],
    });
    expect(seenArgs).toEqual(['--format', 'json', '--ignore-checks', 'W3010', 'W3005', '--', 'a.template.json']);
  });

  it('lints only the templates whose content changed since their last lint', async () => {
    const cwd = templates({ 'a.template.json': '{"A":1}', 'b.template.json': '{"B":1}' });
    const cache = new DirectoryLintCache(mkdtempSync(join(tmpdir(), 'storestack-lint-cache-')));
    const calls: string[][] = [];
    const options = { templates: ['a.template.json', 'b.template.json'], cwd, run: recordingLinter(calls), cache };

    const first = await cfnLint(options);
    writeFileSync(join(cwd, 'b.template.json'), '{"B":2}');
    const second = await cfnLint(options);

    expect(calls).toEqual([['a.template.json', 'b.template.json'], ['b.template.json']]);
    expect(second).toEqual({ ...first, cached: 1 });
  });

  it('is unavailable, not passed, when cfn-lint is not installed', async () => {
    const cwd = templates({ 'a.template.json': '{}' });
    expect(await cfnLint({ templates: ['a.template.json'], cwd, run: async () => undefined })).toEqual({
      available: false,
    });
  });

  it('fails loudly when cfn-lint crashes instead of linting', async () => {
    const cwd = templates({ 'a.template.json': '{}' });
    const crash: RunProcess = async () => ({ exitCode: 1, stdout: '', stderr: 'Traceback...\nKeyError: x' });
    await expect(cfnLint({ templates: ['a.template.json'], cwd, run: crash })).rejects.toThrow(
      /cfn-lint could not lint the templates \(exit 1: Traceback... \| KeyError: x\)/,
    );
  });
});
