import { loadKnowledge, type KnowledgeBase } from '../../src/knowledge/load.js';
import type { ValueSetFile } from '../../src/knowledge/schemas.js';
import { compileValueSet, type ValueSet } from '../../src/knowledge/valuesets.js';
import { cardsDir, rulesDir } from '../../src/paths.js';
import { CPT, ICD10, LOINC, RXNORM, SNOMED } from '../support/fhir-builders.js';
import { copyKnowledge } from '../support/knowledge-copy.js';
import { valueSetFile } from '../support/valueset-files.js';

const WHO_ICD10 = 'http://hl7.org/fhir/sid/icd-10';

describe('compileValueSet', () => {
  const vs = compileValueSet(
    valueSetFile({
      id: 'test-set',
      title: 'Test set',
      description: 'For unit tests',
      codes: [
        { system: ICD10, code: 'M54.5', match: 'prefix' },
        { system: ICD10, code: 'M54.89' },
        { system: ICD10, code: 'S33.5', match: 'prefix' },
        { system: SNOMED, code: '279039007', display: 'Low back pain' },
      ],
    }),
  );
  const icd = (code: string): boolean => vs.has({ system: ICD10, code });

  test('keeps the id and title of the file', () => {
    expect(vs.id).toBe('test-set');
    expect(vs.title).toBe('Test set');
  });

  test.each(['M54.5', 'M545', 'M54.50', 'M5450', 'M54.59', 'm54.50'])(
    'prefix M54.5 matches %s (with or without the dot, any case)',
    (code) => {
      expect(icd(code)).toBe(true);
    },
  );

  test.each(['M54.6', 'M546', 'M54.4', 'M54.41', 'M54', 'M5'])('prefix M54.5 does not match %s', (code) => {
    expect(icd(code)).toBe(false);
  });

  test('exact M54.89 matches M54.89 and M5489', () => {
    expect(icd('M54.89')).toBe(true);
    expect(icd('M5489')).toBe(true);
  });

  test('exact M54.89 does not match the longer M54.891 or the shorter M54.8', () => {
    expect(icd('M54.891')).toBe(false);
    expect(icd('M54.8')).toBe(false);
  });

  test('surrounding whitespace in a record code is ignored', () => {
    expect(icd(' M54.50 ')).toBe(true);
  });

  test('the system must match: M54.5 under SNOMED or no system is not in the set; WHO ICD-10 shares the ranges', () => {
    expect(vs.has({ system: SNOMED, code: 'M54.5' })).toBe(false);
    expect(vs.has({ system: WHO_ICD10, code: 'M54.5' })).toBe(true);
    expect(vs.has({ code: 'M54.5' })).toBe(false);
  });

  test('SNOMED codes match exactly, never by prefix and never under the ICD-10-CM system', () => {
    expect(vs.has({ system: SNOMED, code: '279039007' })).toBe(true);
    expect(vs.has({ system: SNOMED, code: '2790390071' })).toBe(false);
    expect(vs.has({ system: SNOMED, code: '27903900' })).toBe(false);
    expect(vs.has({ system: ICD10, code: '279039007' })).toBe(false);
  });

  test('dots are only ignored for ICD-10-CM: a SNOMED code is compared as written', () => {
    const loinc = compileValueSet(valueSetFile({ id: 'l', title: 'L', description: 'd', codes: [{ system: LOINC, code: '8310-5' }] }));
    expect(loinc.has({ system: LOINC, code: '8310-5' })).toBe(true);
    expect(loinc.has({ system: LOINC, code: '83105' })).toBe(false);
  });

  test.each([[{ system: ICD10, code: 545 }], [{ system: 42, code: 'M54.5' }], [{ system: ICD10, code: null }], [{}]])(
    'a coding with a non-string system or code (%j) is not in the set',
    (coding) => {
      expect(vs.has(coding)).toBe(false);
    },
  );

  test('match returns the first coding of the concept that is in the set', () => {
    const coding = vs.match({
      coding: [
        { system: SNOMED, code: '22298006' },
        { system: ICD10, code: 'S33.5XXA', display: 'Sprain of ligaments of lumbar spine' },
        { system: SNOMED, code: '279039007' },
      ],
    });
    expect(coding).toEqual({ system: ICD10, code: 'S33.5XXA', display: 'Sprain of ligaments of lumbar spine' });
  });

  test('match is undefined for no concept, a concept without codings or with no coding in the set', () => {
    expect(vs.match(undefined)).toBeUndefined();
    expect(vs.match({ text: 'Low back pain' })).toBeUndefined();
    expect(vs.match({ coding: [{ system: ICD10, code: 'M54.6' }] })).toBeUndefined();
  });

  describe('text includes and excludes', () => {
    const meds = compileValueSet(
      valueSetFile({
        id: 'meds',
        title: 'Meds',
        description: 'd',
        codes: [{ system: RXNORM, code: '8640' }],
        textIncludes: ['prednisone', 'hydrocortisone', 'fluticasone'],
        textExcludes: ['inhal', 'cream', 'topical'],
      }),
    );

    test('prednisone 5 MG Oral Tablet matches by name (case-insensitive)', () => {
      expect(meds.matchesText('PredniSONE 5 MG Oral Tablet')).toBe(true);
      expect(meds.excludesText('PredniSONE 5 MG Oral Tablet')).toBe(false);
    });

    test('a fluticasone inhaler does not match: the inhaled form is excluded even though the name is listed', () => {
      expect(meds.matchesText('Fluticasone propionate 110 MCG/ACTUAT Metered Dose Inhaler')).toBe(false);
      expect(meds.excludesText('Fluticasone propionate 110 MCG/ACTUAT Metered Dose Inhaler')).toBe(true);
    });

    test('hydrocortisone cream does not match: the topical form is excluded', () => {
      expect(meds.matchesText('Hydrocortisone 1 % Topical Cream')).toBe(false);
      expect(meds.excludesText('Hydrocortisone 1 % Topical Cream')).toBe(true);
    });

    test('a name not listed does not match', () => {
      expect(meds.matchesText('Ibuprofen 400 MG Oral Tablet')).toBe(false);
    });

    test('a set without text lists never matches text', () => {
      expect(vs.matchesText('low back pain')).toBe(false);
      expect(vs.excludesText('topical cream')).toBe(false);
    });
  });
});

describe('the real value sets (rules/valuesets)', () => {
  let kb: KnowledgeBase;
  beforeAll(() => {
    kb = loadKnowledge({ rulesDir, cardsDir });
  });
  const set = (id: string): ValueSet => kb.valueSet(id);
  const icd = (id: string, code: string): boolean => set(id).has({ system: ICD10, code });
  const sct = (id: string, code: string): boolean => set(id).has({ system: SNOMED, code });

  test('each file compiles under its own id', () => {
    const ids = [...kb.valueSets.keys()].sort();
    expect(ids).toEqual([
      'back-pain',
      'body-temperature',
      'cauda-equina-signs',
      'chronic-pain',
      'chronic-primary-pain',
      'gad7-total',
      'lumbar-imaging',
      'lumbar-mri',
      'lumbar-spine-body-site',
      'phq9-item9',
      'phq9-total',
      'red-flag-cancer',
      'red-flag-fever',
      'red-flag-hiv',
      'red-flag-immunosuppression',
      'red-flag-ivdu',
      'red-flag-long-term-steroids',
      'red-flag-neurological-impairment',
      'red-flag-osteoporosis',
      'red-flag-prior-lumbar-surgery',
      'red-flag-spinal-infection',
      'red-flag-transplant',
      'red-flag-trauma',
      'red-flag-weight-loss',
      'referral-exercise',
      'referral-physiotherapy',
      'referral-psychological-therapy',
      'referral-spinal-specialist',
      'sciatica',
      'startback-total',
      'systemic-corticosteroids',
    ]);
  });

  describe('lumbar-imaging', () => {
    test('has CPT 72148 (MRI lumbar spine) and LOINC 30679-5 (MR lumbar spine WO contrast)', () => {
      expect(set('lumbar-imaging').has({ system: CPT, code: '72148' })).toBe(true);
      expect(set('lumbar-imaging').has({ system: LOINC, code: '30679-5' })).toBe(true);
    });

    test.each([
      ['241646009', 'MRI of cervical spine'],
      ['168537006', 'plain X-ray (any body part)'],
      ['241645008', 'MRI of spine (not lumbar)'],
    ])('does NOT have SNOMED %s (%s)', (code) => {
      expect(sct('lumbar-imaging', code)).toBe(false);
    });

    test('does not have CPT 72141 (MRI cervical spine)', () => {
      expect(set('lumbar-imaging').has({ system: CPT, code: '72141' })).toBe(false);
    });

    test.each(['72100', '72110', '72114', '72120', '72131', '72132', '72133', '72148', '72149', '72158'])(
      'has design.md CPT %s',
      (code) => {
        expect(set('lumbar-imaging').has({ system: CPT, code })).toBe(true);
      },
    );

    test.each([
      '24968-0',
      '30679-5',
      '30678-7',
      '24967-2',
      '24963-1',
      '30620-9',
      '24964-9',
      '36402-6',
      '48469-1',
      '24972-2',
      '24970-6',
      '47382-7',
    ])('has design.md LOINC %s', (code) => {
      expect(set('lumbar-imaging').has({ system: LOINC, code })).toBe(true);
    });

    test.each(['394451000119106', '41333006', '433141005', '572091000119106', '840361000', '22791004'])(
      'has design.md SNOMED %s',
      (code) => {
        expect(sct('lumbar-imaging', code)).toBe(true);
      },
    );
  });

  describe('back-pain and sciatica', () => {
    test.each(['M54.40', 'M54.41', 'M54.42', 'M544', 'M54.4'])('back-pain does not contain sciatica code %s (M54.4x)', (code) => {
      expect(icd('back-pain', code)).toBe(false);
      expect(icd('sciatica', code)).toBe(true);
    });

    test.each([
      'M54.5',
      'M54.50',
      'M545',
      'M54.59',
      'M54.89',
      'M54.9',
      'M51.26',
      'M51.36',
      'M47.816',
      'M47.817',
      'M48.061',
      'M48.07',
      'M43.16',
      'M43.17',
      'M53.2X7',
      'M53.86',
      'M53.87',
      'M99.03',
      'M99.04',
      'S33.5XXA',
      'S39.012A',
    ])('back-pain has design.md code %s', (code) => {
      expect(icd('back-pain', code)).toBe(true);
    });

    test.each(['279039007', '278860009', '161891005', '161894002'])('back-pain has SNOMED %s', (code) => {
      expect(sct('back-pain', code)).toBe(true);
    });

    test.each(['M54.6', 'M54.2', 'M54.16', 'M51.16'])('back-pain does not have %s (thoracic, neck or radicular codes)', (code) => {
      expect(icd('back-pain', code)).toBe(false);
    });

    test.each(['M54.10', 'M54.16', 'M54.30', 'M54.31', 'M54.41', 'M51.16', 'M51.17'])('sciatica has %s', (code) => {
      expect(icd('sciatica', code)).toBe(true);
    });

    test('sciatica has SNOMED 23056005 and 128196005', () => {
      expect(sct('sciatica', '23056005')).toBe(true);
      expect(sct('sciatica', '128196005')).toBe(true);
    });

    test.each(['M48.061', 'M48.062', 'M48.07', 'M43.16', 'M43.17'])('stenosis or spondylolisthesis %s is not sciatica', (code) => {
      expect(icd('sciatica', code)).toBe(false);
    });
  });

  describe('red flags and cauda equina', () => {
    test('S33.5XXA (lumbar sprain) is back pain, not a trauma red flag', () => {
      expect(icd('back-pain', 'S33.5XXA')).toBe(true);
      expect(icd('red-flag-trauma', 'S33.5XXA')).toBe(false);
    });

    test('S39.012A (lower back strain) is back pain, not a trauma red flag', () => {
      expect(icd('back-pain', 'S39.012A')).toBe(true);
      expect(icd('red-flag-trauma', 'S39.012A')).toBe(false);
    });

    test('S32.010A (lumbar vertebra fracture) is a trauma red flag and not back pain', () => {
      expect(icd('red-flag-trauma', 'S32.010A')).toBe(true);
      expect(icd('back-pain', 'S32.010A')).toBe(false);
    });

    test('C50.911 (breast cancer) and Z85.3 (history of breast cancer) match red-flag-cancer, with or without the dot', () => {
      expect(icd('red-flag-cancer', 'C50.911')).toBe(true);
      expect(icd('red-flag-cancer', 'C50911')).toBe(true);
      expect(icd('red-flag-cancer', 'Z85.3')).toBe(true);
      expect(icd('red-flag-cancer', 'Z853')).toBe(true);
    });

    test('D05.11 (carcinoma in situ) and Z86.010 (history of colon polyps) are not red-flag-cancer', () => {
      expect(icd('red-flag-cancer', 'D05.11')).toBe(false);
      expect(icd('red-flag-cancer', 'Z86.010')).toBe(false);
    });

    test('G83.4 is a cauda equina sign', () => {
      expect(icd('cauda-equina-signs', 'G83.4')).toBe(true);
      expect(icd('cauda-equina-signs', 'G834')).toBe(true);
    });

    test.each([
      ['red-flag-cancer', ['C18.9', 'C79.51', 'Z85.9'], ['363346000']],
      ['red-flag-hiv', ['B20', 'Z21'], ['86406008']],
      ['red-flag-transplant', ['Z94.0', 'Z94.81'], ['313039003']],
      ['red-flag-osteoporosis', ['M80.08XA', 'M81.0'], ['64859006', '203450003']],
      ['red-flag-immunosuppression', ['D84.9'], ['370388006']],
      ['red-flag-long-term-steroids', ['Z79.52'], []],
      ['red-flag-ivdu', ['F11.10', 'F11.20', 'F13.10', 'F13.20', 'F14.10', 'F14.20', 'F15.10', 'F15.20'], []],
      ['red-flag-neurological-impairment', ['G83.4', 'K59.2', 'M48.062', 'R26.2', 'R29.2', 'M21.371', 'M21.372'], ['299966003']],
      ['red-flag-spinal-infection', ['M46.26', 'M46.36', 'M46.46', 'G06.1', 'A18.01'], ['203241002', '203159006', '202756004']],
      ['red-flag-trauma', ['S32.009A', 'S32.000A', 'S32.10XA', 'S22.000A', 'M48.56XA', 'M80.08XA'], ['11311601000119109']],
      ['red-flag-weight-loss', ['R63.4'], ['448765001', '267024001']],
      ['red-flag-fever', ['R50.9', 'R50.81'], ['386661006']],
      [
        'cauda-equina-signs',
        ['G83.4', 'R33.9', 'R15.9'],
        ['192970008', '782388003', '16846261000119106', '12454008', '782390002', '267064002', '449813001'],
      ],
    ])('%s has the design.md codes', (id, icdCodes, snomedCodes) => {
      for (const code of icdCodes) expect([code, icd(id, code)]).toEqual([code, true]);
      for (const code of snomedCodes) expect([code, sct(id, code)]).toEqual([code, true]);
    });

    test.each([
      ['red-flag-ivdu', 'F11.90', 'opioid use, unspecified'],
      ['red-flag-ivdu', 'F12.10', 'cannabis abuse'],
      ['red-flag-trauma', 'S33.5XXA', 'lumbar sprain'],
      ['red-flag-fever', 'R51.9', 'headache'],
      ['red-flag-immunosuppression', 'D84.1', 'complement defect (only D84.9 is listed)'],
      ['cauda-equina-signs', 'R32', 'urinary incontinence, unspecified'],
    ])('%s does not have %s (%s)', (id, code) => {
      expect(icd(id, code)).toBe(false);
    });
  });

  describe('systemic-corticosteroids', () => {
    test('prednisone 5 MG Oral Tablet matches by name', () => {
      expect(set('systemic-corticosteroids').matchesText('prednisone 5 MG Oral Tablet')).toBe(true);
    });

    test('fluticasone inhaler and hydrocortisone cream do not match', () => {
      expect(set('systemic-corticosteroids').matchesText('fluticasone propionate 50 MCG/ACTUAT Metered Dose Inhaler')).toBe(false);
      expect(set('systemic-corticosteroids').matchesText('Hydrocortisone 10 MG/ML Topical Cream')).toBe(false);
    });

    test('RxNorm 8640 (prednisone) is in the set by code', () => {
      expect(set('systemic-corticosteroids').has({ system: RXNORM, code: '8640' })).toBe(true);
    });
  });
});

describe('ValueSetFile type', () => {
  test('compileValueSet keeps the file it was compiled from', () => {
    const file: ValueSetFile = valueSetFile({ id: 'x', title: 'X', description: 'd', codes: [{ system: SNOMED, code: '1' }] });
    expect(compileValueSet(file).file).toBe(file);
  });
});

describe('code systems in their other spellings', () => {
  const vs = compileValueSet(
    valueSetFile({
      id: 'oid-set',
      title: 'OID set',
      description: 'For unit tests',
      codes: [
        { system: SNOMED, code: '363346000' },
        { system: ICD10, code: 'C', match: 'prefix' },
        { system: RXNORM, code: '312617' },
        { system: LOINC, code: '8331-1' },
        { system: CPT, code: '72148' },
      ],
    }),
  );

  test.each([
    ['urn:oid:2.16.840.1.113883.6.96', '363346000'],
    ['urn:oid:2.16.840.1.113883.6.90', 'C61'],
    ['urn:oid:2.16.840.1.113883.6.88', '312617'],
    ['urn:oid:2.16.840.1.113883.6.1', '8331-1'],
    ['urn:oid:2.16.840.1.113883.6.12', '72148'],
    ['http://snomed.info/sct/', '363346000'],
    // https for http, and the SNOMED edition or version URI that belongs in Coding.version, as EHRs write them.
    ['https://snomed.info/sct', '363346000'],
    ['http://snomed.info/sct/900000000000207008', '363346000'],
    ['http://snomed.info/sct/731000124108/version/20240301', '363346000'],
    ['https://loinc.org', '8331-1'],
    [WHO_ICD10, 'C61'],
    ['urn:oid:2.16.840.1.113883.6.3', 'C50.9'],
  ])('a coding in %s with code %s matches the set written with the FHIR URI', (system, code) => {
    expect(vs.has({ system, code })).toBe(true);
  });

  test.each([
    ['http://snomed.info/sctt', '363346000'],
    ['urn:oid:2.16.840.1.113883.6.97', '363346000'],
    ['http://snomed.info/sct/edition', '363346000'],
    ['http://snomed.info/sctx/900000000000207008', '363346000'],
    [undefined, '363346000'],
  ])('an unknown system %s never matches', (system, code) => {
    expect(vs.has({ system, code })).toBe(false);
  });
});

describe('FHIR compose and expansion', () => {
  const base = valueSetFile({
    id: 'fhir-set',
    codes: [
      { system: ICD10, code: 'C', match: 'prefix' },
      { system: SNOMED, code: '363346000' },
    ],
  });

  test('every expansion.contains entry matches, even one not listed in compose (a SNOMED descendant)', () => {
    const vs = compileValueSet({
      ...base,
      compose: { include: [{ system: SNOMED, filter: [{ property: 'concept', op: 'is-a', value: '363346000' }] }] },
      expansion: {
        ...base.expansion,
        contains: [
          { system: SNOMED, code: '363346000' },
          { system: 'urn:oid:2.16.840.1.113883.6.96', code: '399068003', display: 'Malignant tumor of prostate' },
        ],
      },
    });
    expect(vs.has({ system: SNOMED, code: '399068003' })).toBe(true);
    expect(vs.has({ system: SNOMED, code: '363346000' })).toBe(true);
    // A SNOMED is-a filter is not evaluated at run time: only its listed members match.
    expect(vs.has({ system: SNOMED, code: '93870000' })).toBe(false);
  });

  test('an ICD-10 descendent-of filter matches the children but not the category itself', () => {
    const vs = compileValueSet({
      ...base,
      compose: { include: [{ system: ICD10, filter: [{ property: 'concept', op: 'descendent-of', value: 'Z94' }] }] },
      expansion: { ...base.expansion, contains: [] },
    });
    expect(vs.has({ system: ICD10, code: 'Z94.0' })).toBe(true);
    expect(vs.has({ system: WHO_ICD10, code: 'Z94.1' })).toBe(true);
    expect(vs.has({ system: ICD10, code: 'Z94' })).toBe(false);
  });

  test('compose.exclude wins over include: excluded concepts and excluded ICD-10 families do not match', () => {
    const vs = compileValueSet({
      ...base,
      compose: {
        include: base.compose.include,
        exclude: [
          { system: ICD10, filter: [{ property: 'concept', op: 'is-a', value: 'C44' }] },
          { system: ICD10, concept: [{ code: 'C61' }] },
          { system: 'urn:oid:2.16.840.1.113883.6.96', concept: [{ code: '363346000' }] },
        ],
      },
    });
    expect(vs.has({ system: ICD10, code: 'C50.9' })).toBe(true);
    expect(vs.has({ system: ICD10, code: 'C44.91' })).toBe(false);
    expect(vs.has({ system: WHO_ICD10, code: 'C44' })).toBe(false);
    expect(vs.has({ system: ICD10, code: 'C61' })).toBe(false);
    expect(vs.has({ system: SNOMED, code: '363346000' })).toBe(false);
  });

  test('text words come from the text-includes and text-excludes extensions', () => {
    const vs = compileValueSet({
      ...base,
      extension: [
        { url: 'urn:backpain-cds:valueset:text-includes', valueString: 'Prednisone' },
        { url: 'urn:backpain-cds:valueset:text-excludes', valueString: 'inhal' },
      ],
    });
    expect(vs.matchesText('prednisone 5 MG Oral Tablet')).toBe(true);
    expect(vs.excludesText('budesonide inhalation')).toBe(true);
  });
});

describe('the expansion in force is part of the rules version', () => {
  test('changing only the expansion changes the version', () => {
    const copy = copyKnowledge();
    try {
      const before = loadKnowledge(copy).version;
      // A code the set does not hold (the test is of the mechanism, not of the clinical content).
      expect(loadKnowledge(copy).valueSet('red-flag-cancer').has({ system: SNOMED, code: '38341003' })).toBe(false);
      copy.editJson<ValueSetFile>(
        'rules/valuesets/red-flag-cancer.json',
        (f) => void f.expansion.contains?.push({ system: SNOMED, code: '38341003', display: 'Hypertensive disorder' }),
      );
      const after = loadKnowledge(copy);
      expect(after.version).not.toBe(before);
      expect(after.valueSet('red-flag-cancer').has({ system: SNOMED, code: '38341003' })).toBe(true);
    } finally {
      copy.remove();
    }
  });
});

describe('OID system forms in a value set file', () => {
  test(
    'are accepted and read as the canonical URI: the compiled set, the ' +
      'loaded file and the published resource all say http://snomed.info/sct',
    () => {
      const copy = copyKnowledge();
      try {
        copy.editJson<ValueSetFile>('rules/valuesets/red-flag-hiv.json', (f) => {
          // A code the set does not hold, so the OID-spelt entry is what makes it match.
          f.compose.include.push({
            system: 'urn:oid:2.16.840.1.113883.6.96',
            concept: [{ code: '38341003', display: 'Hypertensive disorder' }],
          });
          f.expansion.contains?.push({ system: 'urn:oid:2.16.840.1.113883.6.96', code: '38341003', display: 'Hypertensive disorder' });
        });
        const vs = loadKnowledge(copy).valueSet('red-flag-hiv');
        expect(vs.has({ system: SNOMED, code: '38341003' })).toBe(true);
        expect(vs.file.compose.include.at(-1)?.system).toBe(SNOMED);
        expect(vs.file.expansion.contains?.at(-1)?.system).toBe(SNOMED);
      } finally {
        copy.remove();
      }
    },
  );
});
