// Project rule: every field that has a default documents it, in its description,
// as "Default: ...". This walks the whole platform schema to enforce it.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { platformSchema } from '../../src/config/schema.ts';

interface DefaultedField {
  /** Where the field sits, e.g. `network.flowLogs.retentionDays`; `[]` marks an array element. */
  readonly path: string;
  readonly description: string | undefined;
}

interface Walk {
  /** Every field wrapped in a default. */
  readonly defaults: DefaultedField[];
  /** Every path visited, to show the walk reached the whole tree. */
  readonly visited: Set<string>;
  /** Schema kinds the walker does not know how to enter; must stay empty. */
  readonly unknownKinds: Set<string>;
}

/** The parts of a zod 4 definition the walker reads. */
interface Def {
  readonly type: string;
  readonly shape?: Record<string, z.core.$ZodType>;
  readonly element?: z.core.$ZodType;
  readonly innerType?: z.core.$ZodType;
  readonly options?: readonly z.core.$ZodType[];
  readonly in?: z.core.$ZodType;
  readonly out?: z.core.$ZodType;
  readonly left?: z.core.$ZodType;
  readonly right?: z.core.$ZodType;
  readonly keyType?: z.core.$ZodType;
  readonly valueType?: z.core.$ZodType;
  readonly items?: readonly z.core.$ZodType[];
  readonly rest?: z.core.$ZodType | null;
  readonly getter?: () => z.core.$ZodType;
}

/** Kinds with no schema inside them. */
const LEAF_KINDS = new Set([
  'string',
  'number',
  'int',
  'boolean',
  'bigint',
  'literal',
  'enum',
  'null',
  'undefined',
  'any',
  'unknown',
  'never',
  'date',
  'template_literal',
  'custom',
  'transform',
]);

/** Kinds that wrap one schema in `innerType`. */
const WRAPPER_KINDS = new Set([
  'optional',
  'nullable',
  'default',
  'prefault',
  'readonly',
  'catch',
  'nonoptional',
  'success',
  'promise',
]);

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/**
 * Visits `schema` at `path`. `ancestors` holds the schemas being walked above it, to stop
 * on recursive (lazy) schemas; a schema shared by two fields (the subnet schema, the CIDR
 * string) is still visited at each of its paths.
 */
function walk(schema: z.core.$ZodType, path: string, into: Walk, ancestors = new Set<z.core.$ZodType>()): void {
  if (ancestors.has(schema)) return;
  ancestors.add(schema);
  try {
    visit(schema, path, into, ancestors);
  } finally {
    ancestors.delete(schema);
  }
}

function visit(schema: z.core.$ZodType, path: string, into: Walk, ancestors: Set<z.core.$ZodType>): void {
  into.visited.add(path);
  const def = schema._zod.def as unknown as Def;
  const next = (child: z.core.$ZodType | null | undefined, childPath: string) => {
    if (child) walk(child, childPath, into, ancestors);
  };

  if (def.type === 'default') {
    into.defaults.push({ path, description: z.globalRegistry.get(schema)?.description });
  }

  if (def.type === 'object') {
    for (const [key, child] of Object.entries(def.shape ?? {})) next(child, join(path, key));
  } else if (def.type === 'array') {
    next(def.element, `${path}[]`);
  } else if (WRAPPER_KINDS.has(def.type)) {
    next(def.innerType, path);
  } else if (def.type === 'union') {
    // Discriminated unions are unions with a discriminator in zod 4.
    for (const option of def.options ?? []) next(option, path);
  } else if (def.type === 'pipe') {
    next(def.in, path);
    next(def.out, path);
  } else if (def.type === 'intersection') {
    next(def.left, path);
    next(def.right, path);
  } else if (def.type === 'record' || def.type === 'map') {
    next(def.keyType, `${path}{key}`);
    next(def.valueType, `${path}{}`);
  } else if (def.type === 'set') {
    next(def.valueType, `${path}{}`);
  } else if (def.type === 'tuple') {
    for (const [i, item] of (def.items ?? []).entries()) next(item, `${path}[${i}]`);
    next(def.rest, `${path}[]`);
  } else if (def.type === 'lazy') {
    if (def.getter) next(def.getter(), path);
  } else if (!LEAF_KINDS.has(def.type)) {
    into.unknownKinds.add(`${def.type} at ${path || '(root)'}`);
  }
}

function walkSchema(schema: z.core.$ZodType): Walk {
  const result: Walk = { defaults: [], visited: new Set(), unknownKinds: new Set() };
  walk(schema, '', result);
  return result;
}

describe('every field that has a default documents it', () => {
  const result = walkSchema(platformSchema);

  it('the walker reaches the whole schema, through arrays and the VPN routing union', () => {
    // GIVEN the platform schema, walked
    // THEN known leaves in every kind of container were visited
    expect([...result.visited]).toEqual(
      expect.arrayContaining([
        'project',
        'aws.availabilityZones[]',
        'network.privateSubnets[].cidr',
        'network.flowLogs.retentionDays',
        'network.flowLogs.trafficType',
        'network.vpn.amazonSideAsn',
        'network.vpn.connections[].routing.type',
        'network.vpn.connections[].routing.cidrs[]',
        'network.vpn.connections[].routing.asn',
        'gateway.whitelist[]',
        'environments[].magento.frontend.instances',
      ]),
    );
    // AND no part of it was skipped as unknown
    expect([...result.unknownKinds]).toEqual([]);
  });

  it('the walker finds the known defaulted fields', () => {
    // GIVEN the platform schema, walked
    // THEN the fields the schema defaults were all found (so the rule below cannot pass vacuously)
    expect(result.defaults.map((field) => field.path)).toEqual(
      expect.arrayContaining([
        'project',
        'network.flowLogs',
        'network.flowLogs.retentionDays',
        'network.flowLogs.trafficType',
        'network.vpn.amazonSideAsn',
      ]),
    );
  });

  it('each defaulted field has a description stating "Default:"', () => {
    // GIVEN every defaulted field
    // WHEN its description is read
    const undocumented = result.defaults
      .filter((field) => !field.description?.includes('Default:'))
      .map(
        (field) =>
          `${field.path}: ${field.description === undefined ? 'no description' : JSON.stringify(field.description)}`,
      );
    // THEN each one says what the default is
    expect(undocumented).toEqual([]);
  });

  it('the check catches an undocumented default', () => {
    // GIVEN a schema with one documented and two undocumented defaults, one behind a union and a pipe
    const schema = z.strictObject({
      documented: z.number().default(1).describe('A number. Default: 1.'),
      silent: z.string().default('x'),
      nested: z.array(
        z.discriminatedUnion('kind', [
          z.object({
            kind: z.literal('a'),
            value: z.string().optional().pipe(z.string().default('y').describe('No mention.')),
          }),
          z.object({ kind: z.literal('b') }),
        ]),
      ),
    });
    // WHEN it is walked
    const walked = walkSchema(schema);
    // THEN both undocumented defaults are found, and the documented one passes
    const undocumented = walked.defaults.filter((field) => !field.description?.includes('Default:')).map((f) => f.path);
    expect(undocumented).toEqual(['silent', 'nested[].value']);
    expect(walked.defaults.map((f) => f.path)).toContain('documented');
  });
});
