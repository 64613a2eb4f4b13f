// renderMagentoNginx without a server: the files it returns and the props it refuses. What the
// rules do is pinned by serve.test.ts, against the real nginx and php-fpm.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_HEALTH_CHECK_PATH,
  MAGENTO_NGINX_SNIPPET_PATH,
  type MagentoNginxProps,
  renderMagentoNginx,
} from '../../../../../src/assets/beanstalk/magento/nginx/render.ts';

function sampleProps(overrides: Partial<MagentoNginxProps> = {}): MagentoNginxProps {
  return {
    staticsRoot: '/mnt/storestack/magento-statics',
    mediaRoot: '/mnt/storestack/client-media',
    healthCheckPath: DEFAULT_HEALTH_CHECK_PATH,
    phpFpmSocket: '/run/php-fpm/www.sock',
    clientMaxBodySize: '64m',
    ...overrides,
  };
}

function render(overrides: Partial<MagentoNginxProps> = {}): string {
  const files = renderMagentoNginx(sampleProps(overrides));
  expect(files).toHaveLength(1);
  return files[0]?.content ?? '';
}

describe('renderMagentoNginx', () => {
  it('ships one file named php.conf, replacing the platform php.conf and its run-any-.php handler', () => {
    const files = renderMagentoNginx(sampleProps());

    expect(files.map((file) => file.path)).toEqual(['.platform/nginx/conf.d/elasticbeanstalk/php.conf']);
    expect(MAGENTO_NGINX_SNIPPET_PATH).toBe('.platform/nginx/conf.d/elasticbeanstalk/php.conf');
  });

  it('renders the same text for the same props', () => {
    expect(render()).toBe(render());
  });

  it('serves from the release pub/ under /var/app/current by default', () => {
    expect(render()).toContain('    root /var/app/current/pub;');
  });

  it('sets nothing at server level, where a platform directive of the same name would fail nginx -t', () => {
    const topLevel = render()
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith(' ') && !line.startsWith('#'));

    expect(topLevel.filter((line) => !/^location .* \{$/.test(line) && line !== '}')).toEqual([]);
  });

  it('passes PHP to the php-fpm socket it is given', () => {
    const content = render({ phpFpmSocket: '/run/php-fpm/magento.sock' });

    expect(content).toContain('fastcgi_pass unix:/run/php-fpm/magento.sock;');
    expect(content).not.toContain('fastcgi_pass php-fpm;');
  });

  it('serves versioned statics from the statics share and media from the media share', () => {
    const content = render({ staticsRoot: '/mnt/s/statics', mediaRoot: '/mnt/s/media' });

    expect(content).toContain('root /mnt/s/statics;\n    try_files /$storestack_static_file =404;');
    expect(content).toContain('root /mnt/s/media;');
  });

  it('routes a custom health check path to health_check.php, and keeps /health_check.php', () => {
    const content = render({ healthCheckPath: '/healthz' });

    expect(content).toContain('location = /healthz {\n    rewrite ^ /health_check.php last;\n}');
    expect(content).toContain('location = /health_check.php {');
  });

  it('renders /health_check.php once when it is the health check path', () => {
    const content = render({ healthCheckPath: '/health_check.php' });

    expect(content.match(/location = \/health_check\.php \{/g)).toHaveLength(1);
  });

  it('applies the body size and the read timeout to every PHP location', () => {
    const content = render({ clientMaxBodySize: '128m', fastcgiReadTimeoutSeconds: 900 });
    const phpLocations = content.match(/fastcgi_pass /g)?.length ?? 0;

    expect(phpLocations).toBe(8);
    expect(content.match(/client_max_body_size 128m;/g)).toHaveLength(phpLocations + 1);
    expect(content.match(/fastcgi_read_timeout 900s;/g)).toHaveLength(phpLocations);
  });

  it('defaults the read timeout to 600 s, Magento web requests limit', () => {
    expect(render()).toContain('fastcgi_read_timeout 600s;');
  });

  it.each([
    ['staticsRoot', { staticsRoot: 'mnt/statics' }, /staticsRoot "mnt\/statics" must be an absolute path/],
    ['mediaRoot', { mediaRoot: '/mnt/client media' }, /mediaRoot "\/mnt\/client media" must be a plain absolute path/],
    ['mediaRoot', { mediaRoot: '/mnt/media/' }, /mediaRoot "\/mnt\/media\/" must be a plain absolute path/],
    ['phpFpmSocket', { phpFpmSocket: '/run/../www.sock' }, /phpFpmSocket "\/run\/..\/www.sock" must be a plain/],
    ['phpFpmSocket', { phpFpmSocket: '' }, /phpFpmSocket is required/],
    ['documentRoot', { documentRoot: '/var/app/current/pub;' }, /documentRoot .* must be a plain absolute path/],
    [
      'mediaRoot',
      { mediaRoot: '/mnt/storestack/magento-statics/media' },
      /staticsRoot \/mnt\/storestack\/magento-statics and mediaRoot \/mnt\/storestack\/magento-statics\/media must be separate/,
    ],
    [
      'healthCheckPath',
      { healthCheckPath: 'pub/health_check.php' },
      /healthCheckPath "pub\/health_check.php" must be a plain URL path/,
    ],
    ['healthCheckPath', { healthCheckPath: '/health?x=1' }, /healthCheckPath "\/health\?x=1" must be a plain URL path/],
    ['healthCheckPath', { healthCheckPath: '' }, /healthCheckPath is required/],
    [
      'healthCheckPath',
      { healthCheckPath: '/index.php' },
      /healthCheckPath \/index.php is another Magento entry point/,
    ],
    ['healthCheckPath', { healthCheckPath: '/pub/static/ok' }, /healthCheckPath \/pub\/static\/ok must not be under/],
    ['clientMaxBodySize', { clientMaxBodySize: '64MB' }, /clientMaxBodySize "64MB" must be an nginx size/],
    ['clientMaxBodySize', { clientMaxBodySize: '0' }, /clientMaxBodySize "0" must be an nginx size above zero/],
    ['fastcgiReadTimeoutSeconds', { fastcgiReadTimeoutSeconds: 0 }, /fastcgiReadTimeoutSeconds must be a positive/],
    ['fastcgiReadTimeoutSeconds', { fastcgiReadTimeoutSeconds: 1.5 }, /fastcgiReadTimeoutSeconds must be a positive/],
  ])('refuses an invalid %s, naming it', (_prop, overrides, message) => {
    expect(() => renderMagentoNginx(sampleProps(overrides))).toThrow(message);
  });

  it('lists every invalid prop in one error', () => {
    expect(() =>
      renderMagentoNginx(sampleProps({ staticsRoot: 'relative', clientMaxBodySize: 'big', healthCheckPath: 'x' })),
    ).toThrow(/Invalid Magento nginx props:\n {2}- staticsRoot.*\n {2}- healthCheckPath.*\n {2}- clientMaxBodySize/);
  });
});
