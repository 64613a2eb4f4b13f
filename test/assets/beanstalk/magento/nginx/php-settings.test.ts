// Magento's PHP settings: the .user.ini, the Beanstalk phpini options and the system ini file.
// (Beside the nginx tests: serve.test.ts also checks that php-fpm applies the rendered .user.ini.)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PHP_SETTINGS,
  PHPINI_NAMESPACE,
  type PhpSettings,
  phpSizeBytes,
  renderPhpEbextension,
  renderPhpIniOptionSettings,
  renderSystemPhpIni,
  renderUserIni,
  SYSTEM_PHP_INI_PATH,
} from '../../../../../src/assets/beanstalk/magento/php/render.ts';

function settings(overrides: Partial<Record<keyof PhpSettings, unknown>> = {}): PhpSettings {
  return { ...DEFAULT_PHP_SETTINGS, ...overrides } as PhpSettings;
}

/** The `key = value` lines of an ini text, as a map (comments and blank lines dropped). */
function iniValues(text: string): Map<string, string> {
  return new Map(
    text
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith(';'))
      .map((line) => {
        const [key = '', value = ''] = line.split(' = ');
        return [key, value];
      }),
  );
}

describe('DEFAULT_PHP_SETTINGS', () => {
  it("holds Magento 2.4's production recommendations", () => {
    expect(DEFAULT_PHP_SETTINGS).toMatchObject({
      memoryLimit: '2G',
      maxExecutionTimeSeconds: 600,
      realpathCacheSize: '10M',
      realpathCacheTtlSeconds: 7200,
      opcacheMemoryMb: 512,
      opcacheMaxAcceleratedFiles: 60000,
      displayErrors: false,
      zlibOutputCompression: false,
    });
  });
});

describe('renderUserIni', () => {
  it('writes the per-request limits the deploy job used to edit by hand', () => {
    expect(iniValues(renderUserIni(DEFAULT_PHP_SETTINGS))).toEqual(
      new Map([
        ['memory_limit', '2G'],
        ['max_execution_time', '600'],
        ['upload_max_filesize', '64M'],
        ['post_max_size', '64M'],
        ['max_input_vars', '10000'],
        ['zlib.output_compression', 'Off'],
        ['display_errors', 'Off'],
        ['session.auto_start', 'Off'],
      ]),
    );
  });

  it('holds no setting that PHP ignores in a .user.ini (PHP_INI_SYSTEM)', () => {
    const keys = [...iniValues(renderUserIni(DEFAULT_PHP_SETTINGS)).keys()];

    expect(keys.filter((key) => key.startsWith('opcache.') || key.startsWith('realpath_cache'))).toEqual([]);
  });

  it('follows the settings it is given', () => {
    const values = iniValues(renderUserIni(settings({ memoryLimit: '4G', maxExecutionTimeSeconds: 1800 })));

    expect(values.get('memory_limit')).toBe('4G');
    expect(values.get('max_execution_time')).toBe('1800');
  });
});

describe('renderPhpIniOptionSettings', () => {
  it('sets document_root /pub and the php.ini limits in the phpini namespace', () => {
    const options = renderPhpIniOptionSettings(DEFAULT_PHP_SETTINGS);

    expect(options).toEqual([
      { namespace: 'aws:elasticbeanstalk:container:php:phpini', optionName: 'document_root', value: '/pub' },
      { namespace: PHPINI_NAMESPACE, optionName: 'memory_limit', value: '2G' },
      { namespace: PHPINI_NAMESPACE, optionName: 'max_execution_time', value: '600' },
      { namespace: PHPINI_NAMESPACE, optionName: 'zlib.output_compression', value: 'Off' },
      { namespace: PHPINI_NAMESPACE, optionName: 'display_errors', value: 'Off' },
      { namespace: PHPINI_NAMESPACE, optionName: 'allow_url_fopen', value: 'On' },
    ]);
  });

  it('names each option once', () => {
    const names = renderPhpIniOptionSettings(DEFAULT_PHP_SETTINGS).map((option) => option.optionName);

    expect(new Set(names).size).toBe(names.length);
  });

  it('turns booleans into the On and Off the platform takes', () => {
    const options = renderPhpIniOptionSettings(settings({ zlibOutputCompression: true, allowUrlFopen: false }));
    const value = (name: string) => options.find((option) => option.optionName === name)?.value;

    expect(value('zlib.output_compression')).toBe('On');
    expect(value('allow_url_fopen')).toBe('Off');
  });
});

describe('renderSystemPhpIni', () => {
  it('writes the OPcache and realpath cache settings only php.ini may set', () => {
    const values = iniValues(renderSystemPhpIni(DEFAULT_PHP_SETTINGS));

    expect(values.get('realpath_cache_size')).toBe('10M');
    expect(values.get('realpath_cache_ttl')).toBe('7200');
    expect(values.get('opcache.memory_consumption')).toBe('512');
    expect(values.get('opcache.max_accelerated_files')).toBe('60000');
    expect(values.get('opcache.save_comments')).toBe('1');
    expect(values.get('opcache.validate_timestamps')).toBe('1');
  });
});

describe('renderPhpEbextension', () => {
  it('writes the system ini file to php.d through an .ebextensions files entry', () => {
    const document = JSON.parse(renderPhpEbextension(DEFAULT_PHP_SETTINGS));

    expect(Object.keys(document)).toEqual(['files']);
    expect(document.files[SYSTEM_PHP_INI_PATH]).toEqual({
      mode: '000644',
      owner: 'root',
      group: 'root',
      content: renderSystemPhpIni(DEFAULT_PHP_SETTINGS),
    });
  });

  it('writes an ini file the real PHP reads', () => {
    const directory = mkdtempSync(join(tmpdir(), 'storestack-php-ini-'));
    const ini = join(directory, '99-storestack-magento.ini');
    const { content } = JSON.parse(renderPhpEbextension(settings({ realpathCacheSize: '12M' }))).files[
      SYSTEM_PHP_INI_PATH
    ];
    writeFileSync(ini, content);
    try {
      const output = execFileSync('php', ['-n', '-c', ini, '-r', 'echo ini_get("realpath_cache_size");'], {
        encoding: 'utf8',
      });
      expect(output).toBe('12M');
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('PHP settings validation', () => {
  it.each([
    ['2G', 2 * 1024 ** 3],
    ['64M', 64 * 1024 ** 2],
    ['64m', 64 * 1024 ** 2],
    ['512K', 512 * 1024],
    ['1048576', 1048576],
  ])('reads the PHP size %s', (value, bytes) => {
    expect(phpSizeBytes(value)).toBe(bytes);
  });

  it.each(['-1', '0', '2GB', '1.5G', ' 64M', '64 M', 'M', '', '064M'])('refuses %j as a size', (value) => {
    expect(phpSizeBytes(value)).toBeUndefined();
  });

  it.each([
    ['memoryLimit', { memoryLimit: '-1' }, /memoryLimit "-1" is not a PHP size/],
    ['uploadMaxFilesize', { uploadMaxFilesize: '64MB' }, /uploadMaxFilesize "64MB" is not a PHP size/],
    ['postMaxSize', { postMaxSize: 64 }, /postMaxSize 64 is not a PHP size/],
    ['realpathCacheSize', { realpathCacheSize: '10 M' }, /realpathCacheSize "10 M" is not a PHP size/],
    [
      'maxExecutionTimeSeconds',
      { maxExecutionTimeSeconds: 0 },
      /maxExecutionTimeSeconds must be a whole number of at least 1/,
    ],
    ['maxExecutionTimeSeconds', { maxExecutionTimeSeconds: 60.5 }, /maxExecutionTimeSeconds must be a whole number/],
    ['maxInputVars', { maxInputVars: 500 }, /maxInputVars must be a whole number of at least 1000 \(got 500\)/],
    [
      'opcacheMemoryMb',
      { opcacheMemoryMb: '512' },
      /opcacheMemoryMb must be a whole number of at least 64 \(got "512"\)/,
    ],
    ['displayErrors', { displayErrors: 'Off' }, /displayErrors must be true or false \(got "Off"\)/],
    ['postMaxSize', { postMaxSize: '32M' }, /postMaxSize 32M is below uploadMaxFilesize 64M/],
    ['memoryLimit', { memoryLimit: '32M' }, /memoryLimit 32M is below postMaxSize 64M/],
  ])('refuses an invalid %s, naming it', (_name, overrides, message) => {
    const invalid = settings(overrides);

    expect(() => renderUserIni(invalid)).toThrow(message);
    expect(() => renderPhpIniOptionSettings(invalid)).toThrow(message);
    expect(() => renderSystemPhpIni(invalid)).toThrow(message);
  });

  it('lists every invalid setting in one error', () => {
    expect(() => renderUserIni(settings({ memoryLimit: 'lots', maxInputVars: 0 }))).toThrow(
      /Invalid PHP settings:\n {2}- memoryLimit.*\n {2}- maxInputVars/,
    );
  });
});
