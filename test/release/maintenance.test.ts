// The maintenance rules on their own: the ALB's limits (5 condition values a rule, a 1024-byte page).
import { describe, expect, it } from 'vitest';
import { MAX_CONDITION_VALUES, maintenanceRules } from '../../src/release/maintenance.ts';

const base = { page: '<p>maintenance</p>', frontendTargetGroupArn: 'tg/front', backOfficeTargetGroupArn: 'tg/back' };

describe('maintenanceRules', () => {
  it('splits many exempt addresses over rules of at most 5 condition values, back office first', () => {
    // GIVEN nine exempt addresses
    const exemptCidrs = Array.from({ length: 9 }, (_, i) => `198.51.100.${i + 1}/32`);
    // WHEN the rules are built
    const rules = maintenanceRules({ ...base, exemptCidrs });
    // THEN each holds at most 5 values, every address reaches both the back office and the front end
    for (const rule of rules) {
      expect(rule.conditions.reduce((sum, condition) => sum + condition.values.length, 0)).toBeLessThanOrEqual(
        MAX_CONDITION_VALUES,
      );
    }
    const toBackOffice = rules.filter(
      (rule) => rule.action.type === 'forward' && rule.action.targetGroupArn === 'tg/back',
    );
    const exemptToFront = rules.filter(
      (rule) =>
        rule.action.type === 'forward' &&
        rule.action.targetGroupArn === 'tg/front' &&
        rule.conditions[0]?.field === 'source-ip',
    );
    expect(toBackOffice.flatMap((rule) => rule.conditions[1]?.values ?? [])).toEqual(exemptCidrs);
    expect(exemptToFront.flatMap((rule) => rule.conditions[0]?.values ?? [])).toEqual(exemptCidrs);
    expect(toBackOffice).toHaveLength(3);
    expect(exemptToFront).toHaveLength(2);
    expect(rules.at(-1)?.action).toEqual({
      type: 'fixed-response',
      statusCode: '503',
      contentType: 'text/html',
      body: base.page,
    });
  });

  it('still serves the statics and media and answers 503 without any exempt address', () => {
    const rules = maintenanceRules({ ...base, exemptCidrs: [] });
    expect(rules.map((rule) => rule.conditions[0]?.values)).toEqual([
      ['/static/*', '/pub/static/*', '/media/*', '/pub/media/*'],
      ['/*'],
    ]);
  });

  it('refuses a page larger than an ALB fixed response holds, naming the config path', () => {
    expect(() => maintenanceRules({ ...base, exemptCidrs: [], page: 'é'.repeat(513) })).toThrow(
      'the maintenance page is 1026 bytes; an ALB fixed response holds at most 1024 (release.maintenance.page)',
    );
  });
});
