import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  InvalidRundeckJobsError,
  type RundeckJob,
  type RundeckJobsProps,
  renderRundeckJobs,
  stableJobUuid,
} from '../../../src/assets/rundeck/jobs.ts';
import { STORESTACK, sampleJobsProps } from './fixtures.ts';

/** PyYAML (a YAML 1.1 parser, like Rundeck's SnakeYAML, of which it is the model), when installed. */
const PYYAML = spawnSync('python3', ['-c', 'import yaml'], { encoding: 'utf8' }).status === 0;

/** The text parsed by PyYAML, as JSON. */
function parseYaml(text: string): unknown {
  const result = spawnSync(
    'python3',
    ['-c', 'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'],
    { input: text, encoding: 'utf8' },
  );
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout);
}

// The job options Rundeck substitutes, checked by it first (the ref's regex, the strategy's values).
// biome-ignore lint/suspicious/noTemplateCurlyInString: Rundeck's option syntax, not a template
const OPTIONS = ' --ref ${option.ref} --strategy ${option.strategy}';

function jobs(props: RundeckJobsProps = sampleJobsProps()): RundeckJob[] {
  return JSON.parse(renderRundeckJobs(props)) as RundeckJob[];
}

describe('renderRundeckJobs', () => {
  it('holds exactly the two deployment jobs, each running storestack release magento for its environment', () => {
    const parsed = jobs();

    expect(parsed.map((job) => [job.name, job.sequence.commands])).toEqual([
      ['Deploy magento PROD', [{ exec: `${STORESTACK} release magento --env prod${OPTIONS}` }]],
      ['Deploy magento PREPROD', [{ exec: `${STORESTACK} release magento --env preprod${OPTIONS}` }]],
    ]);
  });

  it('writes the fields of Rundeck job definitions', () => {
    const [prod] = jobs();

    expect(prod).toEqual({
      uuid: stableJobUuid('client-magento', 'Deploy magento PROD'),
      name: 'Deploy magento PROD',
      description: expect.stringContaining('prod environment'),
      loglevel: 'INFO',
      options: [
        {
          name: 'ref',
          description: expect.stringContaining('git branch, tag or commit'),
          required: true,
          value: 'master',
          regex: '^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$',
        },
        {
          name: 'strategy',
          description: expect.stringContaining('safe'),
          required: true,
          value: 'safe',
          values: ['safe', 'classic'],
          enforced: true,
        },
      ],
      executionEnabled: true,
      scheduleEnabled: true,
      multipleExecutions: false,
      nodeFilterEditable: false,
      sequence: {
        keepgoing: false,
        strategy: 'node-first',
        commands: [{ exec: `${STORESTACK} release magento --env prod${OPTIONS}` }],
      },
    });
    // The ref option's pattern refuses anything a shell would read as more than one word.
    const pattern = new RegExp(prod?.options[0]?.regex ?? '');
    expect(['master', 'v2.4.7-client.12', 'feature/x', '0a1b2c3'].every((ref) => pattern.test(ref))).toBe(true);
    expect(['', '-rf', 'x; reboot', 'a b', '$(id)', '`id`'].some((ref) => pattern.test(ref))).toBe(false);
  });

  it('takes the environments, their labels, the command and the group from the props', () => {
    const parsed = jobs({
      projectName: 'other',
      environments: [{ name: 'staging-2', label: 'Staging 2' }],
      storestackCommand: '/usr/local/bin/storestack',
      group: 'release/magento',
    });

    expect(parsed).toHaveLength(1);
    expect(parsed[0]?.name).toBe('Deploy magento Staging 2');
    expect(parsed[0]?.group).toBe('release/magento');
    expect(parsed[0]?.sequence.commands).toEqual([
      { exec: `/usr/local/bin/storestack release magento --env staging-2${OPTIONS}` },
    ]);
  });

  it('gives each job a stable uuid of the project and the job name (a re-import updates it)', () => {
    const [first, second] = jobs();

    expect(jobs()[0]?.uuid).toBe(first?.uuid);
    expect(first?.uuid).not.toBe(second?.uuid);
    expect(first?.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(jobs({ ...sampleJobsProps(), projectName: 'other' })[0]?.uuid).not.toBe(first?.uuid);
  });

  it('is YAML Rundeck accepts: a list at the top level, no tabs, every string double-quoted', () => {
    const text = renderRundeckJobs(sampleJobsProps());

    expect(text.startsWith('[\n')).toBe(true);
    expect(text.endsWith(']\n')).toBe(true);
    expect(text).not.toContain('\t');
    // Every mapping key and string value is a double-quoted scalar.
    for (const line of text.split('\n').filter((l) => l.includes(':'))) {
      expect(line).toMatch(/^\s*"[A-Za-z]+": (?:"(?:[^"\\]|\\.)*"|true|false|\{|\[),?$/);
    }
  });

  it.skipIf(!PYYAML)('parses with a YAML parser (PyYAML) to the same jobs, pretty and compact', () => {
    const text = renderRundeckJobs(sampleJobsProps());

    expect(parseYaml(text)).toEqual(JSON.parse(text));
    expect(parseYaml(JSON.stringify(JSON.parse(text)))).toEqual(JSON.parse(text));
  });

  it('lists every invalid field', () => {
    const props: RundeckJobsProps = {
      projectName: 'client magento',
      environments: [
        { name: 'Prod', label: 'PROD' },
        { name: 'preprod', label: 'PROD' },
        { name: 'preprod', label: 'x"y' },
      ],
      storestackCommand: 'storestack; rm -rf /',
      group: '/deploy',
    };

    let error: unknown;
    try {
      renderRundeckJobs(props);
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(InvalidRundeckJobsError);
    expect((error as InvalidRundeckJobsError).problems).toEqual([
      'projectName "client magento" must match [A-Za-z0-9_-]+',
      expect.stringContaining('storestackCommand "storestack; rm -rf /" must be an absolute path'),
      expect.stringContaining('group "/deploy"'),
      'environments[0].name "Prod" must match [a-z][a-z0-9-]*',
      'environments[1].label PROD is already the label of environments[0]',
      'environments[2].name preprod is already the name of environments[1]',
      'environments[2].label "x\\"y" must match [A-Za-z0-9][A-Za-z0-9 _-]*',
    ]);
  });

  it('refuses an empty list of environments', () => {
    expect(() => renderRundeckJobs({ ...sampleJobsProps(), environments: [] })).toThrow(
      'environments must list at least one environment',
    );
  });
});
