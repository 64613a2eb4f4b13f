import type { Construct } from 'constructs';
import { magentoApplicationName } from '../../config/names.ts';
import type { Platform } from '../../config/schema.ts';
import { BeanstalkApplication } from '../beanstalk/beanstalk-environment.ts';
import { PlatformStack } from '../platform-stack.ts';

export interface MagentoApplicationStackProps {
  readonly platform: Platform;
}

/**
 * The one Beanstalk application of Magento (document 1), shared by every environment: a release
 * is built once into an application version, deployed to pre-production, then the same version
 * to production (docs/adr/0006). Each environment's stack adds its Beanstalk environments to it.
 */
export class MagentoApplicationStack extends PlatformStack {
  readonly application: BeanstalkApplication;

  constructor(scope: Construct, props: MagentoApplicationStackProps) {
    const { platform } = props;
    super(scope, {
      platform,
      kind: 'MagentoApplication',
      stateful: false,
      description: "storestack: Magento's Beanstalk application (its versions are the releases)",
    });
    this.application = new BeanstalkApplication(this, 'Application', {
      applicationName: magentoApplicationName(platform),
      description: 'Magento 2: front-end and back-office environments of every environment; versions are releases',
    });
  }
}
