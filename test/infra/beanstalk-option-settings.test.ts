import { describe, expect, it } from 'vitest';
import { OptionSettings } from '../../src/infra/beanstalk/option-settings.ts';

describe('OptionSettings', () => {
  it('renders every option once, sorted by namespace and name, values as strings', () => {
    const settings = new OptionSettings()
      .set('aws:elasticbeanstalk:command', 'BatchSize', 1)
      .setAll('aws:autoscaling:asg', { MinSize: 4, MaxSize: 4 })
      .set('aws:elasticbeanstalk:command', 'DeploymentPolicy', 'RollingWithAdditionalBatch');
    expect(settings.toCloudFormation()).toEqual([
      { namespace: 'aws:autoscaling:asg', optionName: 'MaxSize', value: '4' },
      { namespace: 'aws:autoscaling:asg', optionName: 'MinSize', value: '4' },
      { namespace: 'aws:elasticbeanstalk:command', optionName: 'BatchSize', value: '1' },
      {
        namespace: 'aws:elasticbeanstalk:command',
        optionName: 'DeploymentPolicy',
        value: 'RollingWithAdditionalBatch',
      },
    ]);
  });

  it('accepts the same value twice but refuses a conflicting one, naming the option and both values', () => {
    const settings = new OptionSettings()
      .set('aws:autoscaling:asg', 'MinSize', 4)
      .set('aws:autoscaling:asg', 'MinSize', '4');
    expect(() => settings.set('aws:autoscaling:asg', 'MinSize', 2)).toThrow(
      'aws:autoscaling:asg:MinSize is set twice: "4" and "2"',
    );
  });

  it('keeps options of distinct named resources apart', () => {
    const settings = new OptionSettings()
      .set('aws:elbv2:listenerrule', 'PathPatterns', '/backend/*', 'backend')
      .set('aws:elbv2:listenerrule', 'PathPatterns', '/*', 'frontend');
    expect(settings.toCloudFormation()).toHaveLength(2);
    expect(settings.get('aws:elbv2:listenerrule', 'PathPatterns')).toBeUndefined();
  });
});
