import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';

/** The applications whose instances reach the data tier, besides Magento. */
export const SATELLITE_APPS = ['pim', 'connector', 'mirakl'] as const;
export type SatelliteApp = (typeof SATELLITE_APPS)[number];

export interface ConsumerSecurityGroupsProps {
  readonly vpc: ec2.IVpc;
  /** The environments, each with its Magento instances. */
  readonly environments: readonly string[];
  /** Prefix of the groups' names: `<prefix>-magento-prod`. */
  readonly namePrefix: string;
}

/**
 * The security groups that identify who may reach the data tier: the Magento instances
 * of each environment, and each satellite application. They carry no ingress rule;
 * the databases, caches, search domains and file shares admit them by reference.
 * They live in the Network stack, upstream of every other, so that the stateful stacks
 * can admit them without depending on the stacks that run the instances, which attach
 * them later (docs/adr/0005).
 */
export class ConsumerSecurityGroups extends Construct {
  private readonly magentoGroups = new Map<string, ec2.SecurityGroup>();
  private readonly appGroups = new Map<SatelliteApp, ec2.SecurityGroup>();

  constructor(scope: Construct, id: string, props: ConsumerSecurityGroupsProps) {
    super(scope, id);
    const create = (id: string, name: string, description: string) =>
      new ec2.SecurityGroup(this, id, {
        vpc: props.vpc,
        securityGroupName: `${props.namePrefix}-${name}`,
        description,
        // Instances reach AWS APIs, the package mirrors and each other's services.
        allowAllOutbound: true,
      });
    for (const environment of props.environments) {
      // The environment name is the group's identity: a renamed environment is a new one.
      this.magentoGroups.set(
        environment,
        create(`Magento-${environment}`, `magento-${environment}`, `Magento instances of ${environment}`),
      );
    }
    for (const app of SATELLITE_APPS) {
      this.appGroups.set(app, create(`App-${app}`, app, `${app} instances`));
    }
    this.databaseAdmin = create('DatabaseAdmin', 'database-admin', 'phpMyAdmin: administers every database');
  }

  /** The group of phpMyAdmin, which every database admits (document: phpMyAdmin on EC2). */
  readonly databaseAdmin: ec2.SecurityGroup;

  /** The group every Magento instance (front end and back office) of the environment wears. */
  magento(environment: string): ec2.ISecurityGroup {
    const group = this.magentoGroups.get(environment);
    if (!group) throw new Error(`no Magento security group for environment ${environment}`);
    return group;
  }

  /** The group a satellite application's instances wear. */
  app(app: SatelliteApp): ec2.ISecurityGroup {
    return this.appGroups.get(app) as ec2.SecurityGroup;
  }
}
