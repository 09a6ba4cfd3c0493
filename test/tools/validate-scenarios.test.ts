/**
 * `validate` over scenario folders: sub-folders are read, and an id used twice (scenario, patient
 * or resource) is an error naming both files, because every scenario is loaded into one FHIR server.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateFiles } from '../../src/cli/validate-files.js';
import { rulesDir, cardsDir } from '../../src/paths.js';
import { scenariosDir } from '../../src/demo/scenarios/load.js';

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'backpain-scenarios-'));
  mkdirSync(join(tmp, 'nested'));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

const base = (): Record<string, unknown> & { id: string; patient: { id: string }; resources: { id: string }[] } =>
  JSON.parse(readFileSync(join(scenariosDir, 'imaging-defer-acute-41-days.json'), 'utf8')) as ReturnType<typeof base>;

function validate(): { scenarios: number; problems: { file: string; path: string; message: string }[] } {
  const report = validateFiles({ rulesDir, cardsDir, scenariosDir: tmp });
  return { scenarios: report.counts.scenarios, problems: report.problems.filter((p) => p.severity === 'error') };
}

test('scenarios in a sub-folder are read and checked like the others', () => {
  cpSync(join(scenariosDir, 'imaging-defer-acute-41-days.json'), join(tmp, 'imaging-defer-acute-41-days.json'));
  const nested = base();
  nested.id = 'nested-copy';
  nested.patient.id = 'nested-patient';
  nested.resources.forEach((r, i) => (r.id = `nested-${i}`));
  (nested.draftOrders as { id: string }[]).forEach((r, i) => (r.id = `nested-order-${i}`));
  nested.expect = { 'back-pain-imaging-select': ['not-a-rule'] };
  writeFileSync(join(tmp, 'nested', 'nested-copy.json'), JSON.stringify(nested));
  const { scenarios, problems } = validate();
  expect(scenarios).toBe(2);
  expect(problems).toEqual([
    expect.objectContaining({ path: 'expect.back-pain-imaging-select[0]', message: expect.stringMatching(/"not-a-rule" is not a rule/) }),
  ]);
});

test('a scenario, patient or resource id used in two files is an error that names the other file', () => {
  cpSync(join(scenariosDir, 'imaging-defer-acute-41-days.json'), join(tmp, 'imaging-defer-acute-41-days.json'));
  const copy = base();
  copy.resources[0]!.id = 'copy-own-resource';
  writeFileSync(join(tmp, 'nested', 'copy.json'), JSON.stringify(copy));
  const messages = validate().problems.map((p) => `${p.path}: ${p.message}`);
  expect(messages).toEqual(
    expect.arrayContaining([
      expect.stringMatching(
        /^id: scenario id "imaging-defer-acute-41-days" is also used in .*imaging-defer-acute-41-days\.json: give it an id of its own$/,
      ),
      expect.stringMatching(/^patient\.id: Patient\/\S+ is also used in /),
      expect.stringMatching(/^draftOrders\[0\]\.id: ServiceRequest\/\S+ is also used in /),
    ]),
  );
  expect(messages.some((m) => m.startsWith('resources[0].id'))).toBe(false);
});
