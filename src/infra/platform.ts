import type { App } from 'aws-cdk-lib';
import type { Platform } from '../config/schema.ts';
import { AppsDataStack } from './stacks/apps-data-stack.ts';
import { AppsStack } from './stacks/apps-stack.ts';
import { DataStack } from './stacks/data-stack.ts';
import { EdgeMonitoringStack } from './stacks/edge-monitoring-stack.ts';
import { EdgeStack } from './stacks/edge-stack.ts';
import { MagentoApplicationStack } from './stacks/magento-application-stack.ts';
import { MagentoStack } from './stacks/magento-stack.ts';
import { MonitoringStack } from './stacks/monitoring-stack.ts';
import { NetworkStack } from './stacks/network-stack.ts';
import { OpsDataStack } from './stacks/ops-data-stack.ts';
import { OpsStack } from './stacks/ops-stack.ts';
import { StorageStack } from './stacks/storage-stack.ts';

/** Every stack of the platform, shared ones and one set per environment. */
export interface PlatformStacks {
  readonly network: NetworkStack;
  readonly storage: StorageStack;
  readonly appsData: AppsDataStack;
  /** Per environment name. */
  readonly data: ReadonlyMap<string, DataStack>;
  readonly magentoApplication: MagentoApplicationStack;
  /** Per environment name. */
  readonly magento: ReadonlyMap<string, MagentoStack>;
  readonly opsData: OpsDataStack;
  readonly ops: OpsStack;
  readonly apps: AppsStack;
  readonly edge: EdgeStack;
  readonly monitoring: MonitoringStack;
  /** CloudFront's alarms, in us-east-1. */
  readonly edgeMonitoring: EdgeMonitoringStack;
}

/**
 * Adds the whole platform to an app: the shared stacks, then one set per
 * environment (DESIGN.md, "Stacks"). Decisions are made here in TypeScript,
 * never with CloudFormation conditions.
 */
export function buildPlatform(app: App, platform: Platform): PlatformStacks {
  const network = new NetworkStack(app, { platform });
  const storage = new StorageStack(app, { platform, network });
  const data = new Map(
    platform.environments.map((environment) => [
      environment.name,
      new DataStack(app, { platform, environment, network }),
    ]),
  );
  const appsData = new AppsDataStack(app, { platform, network });
  const magentoApplication = new MagentoApplicationStack(app, { platform });
  const magento = new Map(
    platform.environments.map((environment) => [
      environment.name,
      new MagentoStack(app, {
        platform,
        environment,
        network,
        storage,
        data: data.get(environment.name) as DataStack,
        application: magentoApplication,
      }),
    ]),
  );
  const opsData = new OpsDataStack(app, { platform, network });
  const ops = new OpsStack(app, { platform, network, opsData });
  const apps = new AppsStack(app, { platform, network, storage, appsData, ops });
  const edge = new EdgeStack(app, { platform, magento, apps });
  const monitoring = new MonitoringStack(app, { platform, network, storage, data, appsData, magento, ops });
  const edgeMonitoring = new EdgeMonitoringStack(app, { platform, edge });
  return {
    network,
    storage,
    appsData,
    data,
    magentoApplication,
    magento,
    opsData,
    ops,
    apps,
    edge,
    monitoring,
    edgeMonitoring,
  };
}
