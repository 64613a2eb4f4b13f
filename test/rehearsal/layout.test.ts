import { describe, expect, it } from 'vitest';
import { instanceId, rehearsalLayout } from '../../src/rehearsal/layout.ts';

describe('the rehearsal layout', () => {
  it('derives every address and port from the base port, and names instances like EC2', () => {
    const layout = rehearsalLayout('/r', { frontends: 2, basePort: 18000 });
    expect(layout.alb.url).toBe('http://127.0.0.1:18000');
    expect([layout.mariadb.port, layout.redis.cache.port, layout.redis.sessions.port]).toEqual([18006, 18007, 18007]);
    expect(
      layout.instances.map((instance) => [instance.id, instance.name, instance.address, instance.port, instance.spare]),
    ).toEqual([
      ['i-00000000000f00001', 'frontend 1', '127.0.10.1', 18080, false],
      ['i-00000000000f00002', 'frontend 2', '127.0.10.2', 18080, false],
      ['i-00000000000f00003', 'frontend 3 (additional batch)', '127.0.10.3', 18080, true],
      ['i-00000000000b00001', 'backOffice 1', '127.0.20.1', 18080, false],
      ['i-00000000000b00002', 'backOffice 2 (additional batch)', '127.0.20.2', 18080, true],
    ]);
    // The engine's failure messages find instances by Beanstalk's id pattern.
    expect(instanceId('frontend', 12)).toMatch(/^i-[0-9a-f]{17}$/);
    expect(layout.instances[0]?.current).toBe('/r/instances/i-00000000000f00001/var/app/current');
  });

  it('refuses front-end counts and ports it cannot lay out', () => {
    expect(() => rehearsalLayout('/r', { frontends: 0 })).toThrow(
      '--frontends 0: between 1 and 50 front-end instances',
    );
    expect(() => rehearsalLayout('/r', { frontends: 2.5 })).toThrow('--frontends 2.5');
    expect(() => rehearsalLayout('/r', { basePort: 80 })).toThrow('the base port 80 must be between 1024 and 65000');
  });
});
