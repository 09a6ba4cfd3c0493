/**
 * `backpain-cds terminology gaps` on a small FHIR Bulk Data export: the codes it reports, the ones
 * it must not, gzip, bad lines, and that no patient id, name or typed text ever reaches its output.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { runCli } from '../../src/cli/program.js';
import { TerminologyGaps, type GapRow } from '../../src/cli/terminology/gaps.js';
import { keywordMatcher, redFlagKeywords } from '../../src/knowledge/red-flag-keywords.js';
import { projectRoot } from '../../src/paths.js';
import { knowledge } from '../support/harness.js';
import { captureIo } from '../support/cli.js';

const EXPORT = join(projectRoot, 'test/tools/fixtures/bulk-export');
const EPIC = 'urn:oid:1.2.840.114350.1.13.861.1.7.2.696871';
const LOCAL = 'https://ehr.example.org/fhir/CodeSystem/local-problem';

/** Everything in the export that identifies a patient or is a clinician's own words. */
const PRIVATE = [
  'bulk-pt-a1b2c3',
  'bulk-pt-d4e5f6',
  'bulk-pt-g7h8i9',
  'Examplewoman',
  'Sampleman',
  'Testperson',
  'Whitby',
  'Lymphoma in remission',
  '1950-01-01',
];

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'backpain-gaps-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await runCli(args, io);
  return { code, out: io.stdout(), err: io.stderr() };
}

interface Report {
  files: number;
  lines: number;
  resourcesRead: number;
  gaps: GapRow[];
  textOnly: { redFlag: string; records: number; patients: number }[];
  unreadableLines: number;
  unreadable: { file: string; line: number }[];
}

async function report(...args: string[]): Promise<Report> {
  const { code, out } = await run('terminology', 'gaps', '--json', ...args);
  expect(code).toBe(0);
  return JSON.parse(out) as Report;
}

describe('terminology gaps on a Bulk Data export folder', () => {
  let r: Report;
  beforeAll(async () => {
    r = await report(EXPORT);
  });

  test('reads every NDJSON file, and only the resource types that record red flags', () => {
    expect(r.files).toBe(readdirSync(EXPORT).filter((f) => f.endsWith('.ndjson')).length);
    // 3 Patients are in the export and are not read; one line is broken.
    expect(r.resourcesRead).toBe(r.lines - 3 - 1);
  });

  test('lists each code outside the value sets whose display names a red flag, with counts', () => {
    const rows = r.gaps.map((g) => [g.system, g.code, g.redFlags.join(','), g.records, g.patients]);
    expect(rows).toEqual(
      expect.arrayContaining([
        // Three Conditions of two patients (one by an absolute, versioned reference), two displays.
        [EPIC, '1234567', 'cancer', 3, 2],
        [LOCAL, 'PRB-0552', 'prior-lumbar-surgery', 1, 1],
        [LOCAL, 'PX-77', 'transplant', 1, 1],
        // The sign is in an Observation's value, not its code.
        [LOCAL, 'SADDLE-NUMB', 'cauda-equina', 1, 1],
        ['https://ehr.example.org/fhir/CodeSystem/local-formulary', 'F-1001', 'long-term-steroids', 1, 1],
      ]),
    );
    expect(r.gaps).toHaveLength(5);
    expect(r.gaps[0]).toMatchObject({ code: '1234567', display: 'Metastatic carcinoma of prostate', resourceTypes: ['Condition'] });
  });

  test('leaves out what the value sets hold, what names no red flag, and what a keyword list excludes', () => {
    const codes = r.gaps.map((g) => g.code);
    // C61 and SNOMED 363346000 (written as its OID) are in red-flag-cancer; M54.50 in back-pain;
    // 449813001 in cauda-equina-signs; prednisone by name in systemic-corticosteroids.
    for (const code of ['C61', '363346000', 'M54.50', '449813001', '312615']) expect(codes).not.toContain(code);
    // A family history and a benign neoplasm are not the patient's cancer; a cream is not systemic;
    // "Hives" is not HIV and "Afebrile" is not fever; an oral temperature and a lumbar MRI report name no red flag.
    for (const code of ['Z80.0', 'D12.6', 'F-2040', 'DERM-12', 'GEN-3', '8331-1', 'RAD-LSPINE', '895996', 'EXAM-PERI'])
      expect(codes).not.toContain(code);
  });

  test('counts text-only entries by red flag and never shows their text', () => {
    expect(r.textOnly).toEqual([{ redFlag: 'cancer', records: 1, patients: 1 }]);
  });

  test('names a broken line by file and number only', () => {
    expect(r.unreadableLines).toBe(1);
    expect(r.unreadable[0]?.file).toMatch(/Observation\.ndjson$/);
    expect(r.unreadable[0]?.line).toBe(4);
  });
});

test('no patient id, name, birth date or typed text in the text or JSON output', async () => {
  const text = await run('terminology', 'gaps', EXPORT);
  const json = await run('terminology', 'gaps', '--json', EXPORT);
  expect(text.code).toBe(0);
  expect(text.out).toMatch(/^SYSTEM +CODE +RED FLAGS +RECORDS +PATIENTS +RESOURCES +DISPLAY$/m);
  expect(text.out).toContain('Metastatic carcinoma of prostate');
  for (const out of [text.out, text.err, json.out, json.err]) {
    for (const secret of PRIVATE) expect({ secret, found: out.includes(secret) }).toEqual({ secret, found: false });
  }
});

test('reads gzipped files named on the command line, and --min hides rare codes', async () => {
  const gz = join(tmp, 'Condition.ndjson.gz');
  writeFileSync(gz, gzipSync(readFileSync(join(EXPORT, 'Condition.ndjson'))));
  const all = await report(gz);
  expect(all.files).toBe(1);
  expect(all.gaps.map((g) => g.code).sort()).toEqual(['1234567', 'PRB-0552']);
  const common = await report('--min', '2', gz);
  expect(common.gaps.map((g) => g.code)).toEqual(['1234567']);
  expect(common.textOnly).toEqual([]);
});

test('says what is wrong with its input, with exit code 1', async () => {
  const empty = mkdtempSync(join(tmp, 'empty-'));
  expect(await run('terminology', 'gaps', empty)).toMatchObject({
    code: 1,
    err: expect.stringMatching(/no \*\.ndjson files in this folder/),
  });
  expect(await run('terminology', 'gaps', join(tmp, 'missing'))).toMatchObject({
    code: 1,
    err: expect.stringMatching(/no such file or folder/),
  });
  expect(await run('terminology', 'gaps', '--min', '0', EXPORT)).toMatchObject({
    code: 1,
    err: expect.stringMatching(/--min must be a whole number/),
  });
  const help = await run('terminology', 'gaps', '--help');
  expect(help.out).toMatch(/card log cannot be read for this/);
});

describe('red flag keywords', () => {
  const match = keywordMatcher(redFlagKeywords(knowledge));

  test.each([
    ['Metastatic carcinoma of prostate', ['cancer']],
    ['Malignant tumor of prostate', ['cancer']],
    ['Non-metastatic, benign lesion', []],
    ['Family history of breast cancer', []],
    ['HIV-1 infection', ['hiv']],
    ['Hives', []],
    ['Afebrile', []],
    ['Pyrexia of unknown origin', ['fever']],
    ['Unintentional weight loss', ['weight-loss']],
    ['Intentional weight loss', []],
    ['Awaiting transplantation of kidney', []],
    ['Status post lumbar fusion L4-S1', ['prior-lumbar-surgery']],
    ['dexamethasone 1 MG/ML Ophthalmic Solution', []],
    ['Numbness of saddle area', ['cauda-equina']],
  ])('%s → %j', (text, ids) => {
    expect(match.redFlags(text)).toEqual(ids);
  });

  test('one list per red flag in rules/findings.json, and cauda equina signs, labelled as the rules label them', () => {
    const lists = redFlagKeywords(knowledge);
    for (const f of knowledge.findings.redFlags) expect(lists.find((l) => l.id === f.id)?.label).toBe(f.label);
    expect(lists.find((l) => l.id === knowledge.findings.caudaEquina.id)?.label).toBe(knowledge.findings.caudaEquina.label);
    for (const l of lists) expect(l.keywords.length).toBeGreaterThan(0);
  });

  test('the collector reads resources one at a time, as the NDJSON stream hands them over', () => {
    const gaps = new TerminologyGaps([...knowledge.valueSets.values()], match);
    gaps.add({
      resourceType: 'Condition',
      subject: { reference: 'Patient/x' },
      code: { coding: [{ system: LOCAL, code: 'Q1', display: 'Spinal epidural abscess' }] },
    });
    gaps.add({ resourceType: 'Patient', id: 'x' });
    gaps.add('not a resource');
    expect(gaps.summary()).toEqual({
      resourcesRead: 1,
      gaps: [
        {
          system: LOCAL,
          code: 'Q1',
          display: 'Spinal epidural abscess',
          redFlags: ['spinal-infection'],
          resourceTypes: ['Condition'],
          records: 1,
          patients: 1,
        },
      ],
      textOnly: [],
    });
  });
});
