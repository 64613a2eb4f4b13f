import { describe, expect, it } from 'vitest';
import {
  comparePlatformVersions,
  newestSolutionStack,
  parseSolutionStack,
  readSolutionStackName,
  rewriteSolutionStackName,
  SolutionStackError,
} from '../../src/config/solution-stack.ts';

const PHP83 = (version: string) => `64bit Amazon Linux 2023 v${version} running PHP 8.3`;

describe('parseSolutionStack', () => {
  it('takes a PHP platform apart', () => {
    expect(parseSolutionStack('64bit Amazon Linux 2023 v4.7.5 running PHP 8.3')).toEqual({
      name: '64bit Amazon Linux 2023 v4.7.5 running PHP 8.3',
      os: '64bit Amazon Linux 2023',
      platformVersion: [4, 7, 5],
      language: 'PHP',
      languageVersion: '8.3',
    });
  });

  it.each([
    ['64bit Amazon Linux 2 v3.9.2 running PHP 8.1', '64bit Amazon Linux 2', [3, 9, 2], 'PHP', '8.1'],
    ['64bit Amazon Linux 2023 v6.5.0 running Node.js 22', '64bit Amazon Linux 2023', [6, 5, 0], 'Node.js', '22'],
    ['64bit Amazon Linux 2023 v4.10.0 running Docker', '64bit Amazon Linux 2023', [4, 10, 0], 'Docker', undefined],
    [
      '64bit Windows Server Core 2019 v2.17.1 running IIS 10.0',
      '64bit Windows Server Core 2019',
      [2, 17, 1],
      'IIS',
      '10.0',
    ],
    ['64bit Amazon Linux 2018.03 v2.9.26 running PHP 7.2', '64bit Amazon Linux 2018.03', [2, 9, 26], 'PHP', '7.2'],
  ])('parses %s', (name, os, platformVersion, language, languageVersion) => {
    expect(parseSolutionStack(name)).toEqual({ name, os, platformVersion, language, languageVersion });
  });

  it.each([
    '',
    'PHP 8.3',
    '64bit Amazon Linux 2023 running PHP 8.3',
    '64bit Amazon Linux 2023 v4.7.5',
    '64bit Amazon Linux 2023 4.7.5 running PHP 8.3',
    '64bit Amazon Linux 2023 v4.7.x running PHP 8.3',
    ' 64bit Amazon Linux 2023 v4.7.5 running PHP 8.3',
    '64bit Amazon Linux 2023 v4.7.5 running PHP 8.3 ',
  ])('rejects %j', (name) => {
    expect(parseSolutionStack(name)).toBeUndefined();
  });
});

describe('comparePlatformVersions', () => {
  it('compares numerically, component by component', () => {
    expect(comparePlatformVersions([4, 10, 0], [4, 9, 3])).toBeGreaterThan(0);
    expect(comparePlatformVersions([4, 7, 5], [4, 7, 12])).toBeLessThan(0);
    expect(comparePlatformVersions([5, 0, 0], [4, 99, 99])).toBeGreaterThan(0);
    expect(comparePlatformVersions([4, 7], [4, 7, 0])).toBe(0);
  });
});

describe('newestSolutionStack', () => {
  it('orders versions numerically, not as text (v4.10.0 > v4.9.3)', () => {
    expect(newestSolutionStack([PHP83('4.9.3'), PHP83('4.10.0'), PHP83('4.2.1')], PHP83('4.7.5'))).toBe(
      PHP83('4.10.0'),
    );
    expect(newestSolutionStack([PHP83('4.7.12'), PHP83('4.7.9')], PHP83('4.7.5'))).toBe(PHP83('4.7.12'));
  });

  it('stays on the PHP version of the pin, never moving 8.3 to a newer 8.4 or a 8.30', () => {
    const names = [
      '64bit Amazon Linux 2023 v4.9.0 running PHP 8.4',
      '64bit Amazon Linux 2023 v4.9.0 running PHP 8.30',
      '64bit Amazon Linux 2023 v4.9.0 running PHP 8',
      PHP83('4.8.0'),
    ];
    expect(newestSolutionStack(names, PHP83('4.7.5'))).toBe(PHP83('4.8.0'));
  });

  it('ignores other operating systems and other languages', () => {
    const names = [
      '64bit Amazon Linux 2 v9.0.0 running PHP 8.3',
      '64bit Amazon Linux 2023 v9.0.0 running Node.js 8.3',
      '64bit Amazon Linux 2023 v9.0.0 running Docker',
      '64bit Windows Server 2022 v9.0.0 running IIS 10.0',
      'not a solution stack',
      PHP83('4.7.6'),
    ];
    expect(newestSolutionStack(names, PHP83('4.7.5'))).toBe(PHP83('4.7.6'));
  });

  it('returns the pin when nothing newer is offered on its branch', () => {
    expect(newestSolutionStack([PHP83('4.7.5'), PHP83('4.6.0')], PHP83('4.7.5'))).toBe(PHP83('4.7.5'));
    expect(
      newestSolutionStack([PHP83('4.6.0'), '64bit Amazon Linux 2023 v4.9.0 running PHP 8.4'], PHP83('4.7.5')),
    ).toBe(PHP83('4.7.5'));
  });

  it('fails when nothing at all is offered on the branch of the pin', () => {
    const names = ['64bit Amazon Linux 2023 v4.9.0 running PHP 8.4', '64bit Amazon Linux 2 v3.9.0 running PHP 8.3'];
    expect(() => newestSolutionStack(names, PHP83('4.7.5'))).toThrow(
      new SolutionStackError(
        'no solution stack on the branch 64bit Amazon Linux 2023 / PHP 8.3 among the 2 offered (is the branch retired, or is it another region?)',
      ),
    );
    expect(() => newestSolutionStack([], PHP83('4.7.5'))).toThrow(/among the 0 offered/);
  });

  it('fails when the pin is not a solution stack name', () => {
    expect(() => newestSolutionStack([PHP83('4.7.5')], 'PHP 8.3 please')).toThrow(
      new SolutionStackError('"PHP 8.3 please" is not a solution stack name'),
    );
  });
});

const CONFIG = `export const platform = {
  magento: {
    // The Elastic Beanstalk platform, moved on purpose by \`npm run refresh-platform\`.
    solutionStackName: '64bit Amazon Linux 2023 v4.7.5 running PHP 8.3',
    mounts: [{ path: 'pub/media', share: 'client-media' }],
  },
} satisfies PlatformInput;
`;

describe('readSolutionStackName', () => {
  it('reads the pin of a .ts configuration', () => {
    expect(readSolutionStackName(CONFIG)).toBe(PHP83('4.7.5'));
  });

  it('reads the pin of a .json configuration', () => {
    expect(
      readSolutionStackName('{ "magento": { "solutionStackName": "64bit Amazon Linux 2023 v4.7.5 running PHP 8.3" } }'),
    ).toBe(PHP83('4.7.5'));
  });

  it('ignores a pin on a comment line', () => {
    const text = CONFIG.replace(
      '    solutionStackName:',
      "    // was: solutionStackName: '64bit Amazon Linux 2023 v4.6.0 running PHP 8.3',\n    solutionStackName:",
    );
    expect(readSolutionStackName(text)).toBe(PHP83('4.7.5'));
  });

  it('fails, naming the source, when the field is missing', () => {
    const text = CONFIG.replace(/ {4}solutionStackName.*\n/, '');
    expect(() => readSolutionStackName(text, 'config/platform.ts')).toThrow(
      new SolutionStackError("config/platform.ts: expected exactly one solutionStackName: '...' field, found 0"),
    );
  });

  it('fails, naming the lines, when the field is there twice', () => {
    const text = `${CONFIG}const other = { solutionStackName: '64bit Amazon Linux 2023 v4.0.0 running PHP 8.2' };\n`;
    expect(() => readSolutionStackName(text, 'config/platform.ts')).toThrow(
      new SolutionStackError(
        "config/platform.ts: expected exactly one solutionStackName: '...' field, found 2 (lines 4, 8)",
      ),
    );
  });
});

describe('rewriteSolutionStackName', () => {
  it('replaces the pin and nothing else', () => {
    const rewritten = rewriteSolutionStackName(CONFIG, PHP83('4.10.0'));
    expect(rewritten).toBe(CONFIG.replace('v4.7.5', 'v4.10.0'));
    expect(readSolutionStackName(rewritten)).toBe(PHP83('4.10.0'));
  });

  it('keeps the quotes and the spacing of the file', () => {
    const text =
      '{\n  "magento": {\n    "solutionStackName" :  "64bit Amazon Linux 2023 v4.7.5 running PHP 8.3"\n  }\n}\n';
    expect(rewriteSolutionStackName(text, PHP83('4.8.0'))).toBe(text.replace('v4.7.5', 'v4.8.0'));
  });

  it('leaves a commented-out pin alone', () => {
    const text = `// solutionStackName: '${PHP83('4.6.0')}'\n${CONFIG}`;
    expect(rewriteSolutionStackName(text, PHP83('4.8.0'))).toBe(
      `// solutionStackName: '${PHP83('4.6.0')}'\n${CONFIG.replace('v4.7.5', 'v4.8.0')}`,
    );
  });

  it('fails when the field is not there exactly once', () => {
    expect(() => rewriteSolutionStackName('export const platform = {};\n', PHP83('4.8.0'), 'my.ts')).toThrow(
      "my.ts: expected exactly one solutionStackName: '...' field, found 0",
    );
    expect(() => rewriteSolutionStackName(CONFIG + CONFIG, PHP83('4.8.0'), 'my.ts')).toThrow(
      "my.ts: expected exactly one solutionStackName: '...' field, found 2 (lines 4, 11)",
    );
  });

  it('refuses to write something that is not a solution stack name', () => {
    expect(() => rewriteSolutionStackName(CONFIG, "64bit Amazon Linux 2023 v4.8.0 running PHP 8.3', evil: '")).toThrow(
      SolutionStackError,
    );
    expect(() => rewriteSolutionStackName(CONFIG, 'PHP 8.3')).toThrow('"PHP 8.3" is not a solution stack name');
  });
});
