// The rendered nginx rules and .user.ini served for real: nginx and php-fpm on loopback, in the
// Amazon Linux 2023 PHP platform's layout, over a fixture Magento release and its shares
// (fixtures.ts). Fails, never skips, when nginx or php-fpm is missing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderMagentoNginx } from '../../../../../src/assets/beanstalk/magento/nginx/render.ts';
import { DEFAULT_PHP_SETTINGS, renderUserIni } from '../../../../../src/assets/beanstalk/magento/php/render.ts';
import { freePort, MagentoInstance } from './fixtures.ts';

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly headers: Headers;
}

describe('the Magento nginx rules under the real nginx and php-fpm', () => {
  let instance: MagentoInstance;

  beforeAll(async () => {
    instance = new MagentoInstance();
    instance.port = await freePort();
    instance.write('var/app/current/pub/.user.ini', renderUserIni(DEFAULT_PHP_SETTINGS));
    instance.writeNginx(renderMagentoNginx(instance.props()));
    await instance.startPhpFpm();
    await instance.startNginx();
  });

  afterAll(async () => {
    await instance?.stop();
  });

  async function get(path: string, init?: RequestInit): Promise<Answer> {
    const response = await fetch(instance.url(path), { redirect: 'manual', ...init });
    return { status: response.status, body: await response.text(), headers: response.headers };
  }

  it('passes nginx -t with the platform layout and the bundle php.conf in place', () => {
    const result = instance.testNginxConfig();

    expect(result.output).toMatch(/test is successful/);
    expect(result.status).toBe(0);
  });

  it.each(['/pub/health_check.php', '/health_check.php'])(
    'runs pub/health_check.php through php-fpm: %s',
    async (path) => {
      const answer = await get(path);

      expect(answer.status).toBe(200);
      expect(answer.body).toBe('ok');
    },
  );

  it.each([
    ['/pub/static/version101/x.css', 'release 101'],
    ['/static/version101/x.css', 'release 101'],
    ['/static/version100/x.css', 'release 100'],
    ['/pub/static/version100/x.css', 'release 100'],
  ])('serves %s from its own version directory on the statics share', async (path, content) => {
    const answer = await get(path);

    expect(answer.status).toBe(200);
    expect(answer.body).toBe(`${content}\n`);
    expect(answer.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(answer.headers.get('content-type')).toMatch(/^text\/css/);
  });

  it('lets pages on other names load fonts from the versioned statics', async () => {
    const answer = await get('/static/version101/frontend/Client/dlm/fr_FR/fonts/a.woff2');

    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBe('*');
  });

  it.each(['/static/version102/x.css', '/pub/static/version102/x.css', '/static/version101/missing.css'])(
    'answers a plain 404 for %s: no other release, no static.php, no long cache',
    async (path) => {
      const answer = await get(path);

      expect(answer.status).toBe(404);
      expect(answer.body).not.toMatch(/release 10|static\.php|front controller/);
      expect(answer.headers.get('cache-control')).toBeNull();
    },
  );

  it.each(['/static/x.css', '/pub/static/x.css'])(
    'serves an unversioned static URL from the release pub/static, briefly cached: %s',
    async (path) => {
      const answer = await get(path);

      expect(answer.status).toBe(200);
      expect(answer.body).toBe('release 101\n');
      expect(answer.headers.get('cache-control')).toBe('public, max-age=300');
    },
  );

  it('hands a missing unversioned static file to static.php, as Magento does', async () => {
    const answer = await get('/static/frontend/Client/dlm/fr_FR/missing.js');

    expect(answer.status).toBe(200);
    expect(answer.body).toBe('static.php resource=frontend/Client/dlm/fr_FR/missing.js\n');
  });

  it.each(['/pub/media/catalog/product/a.jpg', '/media/catalog/product/a.jpg'])(
    'serves media straight from the media share: %s',
    async (path) => {
      const answer = await get(path);

      expect(answer.status).toBe(200);
      expect(answer.body).toBe('JPEG product a');
      expect(answer.headers.get('content-type')).toBe('image/jpeg');
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
    },
  );

  it('serves the wysiwyg renditions Magento keeps in media/.renditions', async () => {
    const answer = await get('/pub/media/.renditions/wysiwyg/banner.jpg');

    expect(answer.status).toBe(200);
    expect(answer.body).toBe('JPEG rendition banner');
  });

  it('serves an existing resized image from the share, without PHP', async () => {
    const answer = await get('/pub/media/catalog/product/cache/0f1e2d/a/b/ab.jpg');

    expect(answer.status).toBe(200);
    expect(answer.body).toBe('JPEG resized ab');
  });

  it.each(['/pub/media/catalog/product/cache/0f1e2d/c/d/cd.jpg', '/media/catalog/product/cache/0f1e2d/c/d/cd.jpg'])(
    'hands a missing resized image to get.php as a /media/ request: %s',
    async (path) => {
      const answer = await get(`${path}?x=1`);

      expect(answer.status).toBe(200);
      expect(answer.body).toBe(
        'get.php\nREQUEST_URI=/media/catalog/product/cache/0f1e2d/c/d/cd.jpg?x=1\nSCRIPT_NAME=/get.php\n',
      );
    },
  );

  it('answers a missing media file outside the resize cache with a plain 404, without PHP', async () => {
    const answer = await get('/pub/media/catalog/product/missing.jpg');

    expect(answer.status).toBe(404);
    expect(answer.body).not.toMatch(/get\.php|front controller/);
  });

  it('never caches media archives and data files', async () => {
    const answer = await get('/media/export/report.csv');

    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
  });

  it.each([
    '/pub/evil.php',
    '/evil.php',
    '/evil.php/some/path',
    '/EVIL.PHP',
    '/cron.php',
    '/pub/index.php',
    '/errors/processor.php',
    '/errors/default/page.phtml',
    '/static/version101/evil.php',
    '/pub/static/version101/evil.php',
    '/media/evil.php',
    '/pub/media/evil.php',
    '/vendor/autoload.php',
  ])('neither runs nor sends as source a PHP file that is not an entry point: %s', async (path) => {
    const answer = await get(path);

    expect([403, 404]).toContain(answer.status);
    expect(answer.body).not.toContain('EXECUTED');
    expect(answer.body).not.toContain('<?php');
  });

  it.each([
    ['/app/etc/env.php', 'env-php-secret'],
    ['/var/log/system.log', 'system-log-secret'],
    ['/.htaccess', 'htaccess-secret'],
    ['/.user.ini', 'memory_limit'],
    ['/pub/.user.ini', 'memory_limit'],
    ['/.git/config', 'git-secret'],
    ['/errors/local.xml', 'errors-local-secret'],
    ['/static/version101/.htaccess', 'statics-htaccess-secret'],
    ['/media/.htaccess', 'media-htaccess-secret'],
    ['/media/.renditions/.secret', 'rendition-dotfile-secret'],
    ['/media/customer/b/a/ba.pdf', 'customer-file-secret'],
    ['/pub/media/import/products.csv', 'import-secret'],
    ['/setup/index.php', 'EXECUTED'],
  ])('denies %s', async (path, secret) => {
    const answer = await get(path);

    expect([403, 404]).toContain(answer.status);
    expect(answer.body).not.toContain(secret);
  });

  it.each(['/some/category.html', '/', '/customer/account/login/'])(
    'sends other URLs to the front controller: %s',
    async (path) => {
      const answer = await get(`${path}?utm=1`);

      expect(answer.status).toBe(200);
      expect(answer.body).toContain('front controller\n');
      expect(answer.body).toContain(`REQUEST_URI=${path}?utm=1\n`);
    },
  );

  it('applies the rendered pub/.user.ini to every request php-fpm runs', async () => {
    const answer = await get('/some/category.html');

    expect(answer.body).toContain(`memory_limit=${DEFAULT_PHP_SETTINGS.memoryLimit}\n`);
    expect(answer.body).toContain(`max_execution_time=${DEFAULT_PHP_SETTINGS.maxExecutionTimeSeconds}\n`);
  });

  it('serves files of pub/ such as the error pages skin', async () => {
    const answer = await get('/errors/default/css/styles.css');

    expect(answer.status).toBe(200);
    expect(answer.body).toBe('error-skin-css\n');
  });

  it('runs the error pages Magento serves over HTTP', async () => {
    const answer = await get('/errors/report.php?id=1');

    expect(answer.status).toBe(200);
    expect(answer.body).toBe('errors/report.php');
  });

  it('takes a form post up to clientMaxBodySize on a storefront URL, and refuses a larger one', async () => {
    const accepted = await get('/checkout/cart/add', { method: 'POST', body: 'a'.repeat(1_500_000) });
    const refused = await get('/checkout/cart/add', { method: 'POST', body: 'a'.repeat(3_000_000) });

    expect(accepted.status).toBe(200);
    expect(accepted.body).toContain('body_bytes=1500000\n');
    expect(refused.status).toBe(413);
  });

  it('compresses CSS through the load balancer (a proxied request)', async () => {
    instance.write('mnt/storestack/magento-statics/version101/big.css', `${'body { color: red; }\n'.repeat(500)}`);

    const response = await fetch(instance.url('/static/version101/big.css'), {
      headers: { 'Accept-Encoding': 'gzip', Via: '1.1 cloudfront' },
    });

    expect(response.status).toBe(200);
    expect(response.headers.get('content-encoding')).toBe('gzip');
  });
});

describe('the bundle php.conf on platforms that put the root elsewhere', () => {
  it('passes nginx -t when the platform sets root in its server block', async () => {
    const instance = new MagentoInstance();
    try {
      instance.port = await freePort();
      instance.writeNginx(renderMagentoNginx(instance.props()), { rootInServerBlock: true });

      const result = instance.testNginxConfig();

      expect(result.output).toMatch(/test is successful/);
      expect(result.status).toBe(0);
    } finally {
      await instance.stop();
    }
  });
});
