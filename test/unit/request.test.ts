import { parseHookRequest, type ParseResult } from '../../src/hooks/request.js';
import { LUMBAR_MRI, bundleOf, draftOrder } from '../support/fhir-builders.js';

type Json = Record<string, unknown>;

const HOOK_INSTANCE = 'd1577c69-dfbe-44ad-ba6d-3e05e953b2ea';

/** A valid order-select request; `edit` changes a fresh copy (its body and its context). */
function selectRequest(edit?: (body: Json, context: Json) => void): Json {
  const context: Json = {
    userId: 'Practitioner/123',
    patientId: 'p1',
    encounterId: 'e1',
    selections: ['ServiceRequest/o1'],
    draftOrders: bundleOf([draftOrder('o1'), draftOrder('o2', LUMBAR_MRI)]),
  };
  const body: Json = {
    hookInstance: HOOK_INSTANCE,
    hook: 'order-select',
    fhirServer: 'https://ehr.example.org/fhir',
    fhirAuthorization: {
      access_token: 'secret',
      token_type: 'Bearer',
      expires_in: 300,
      scope: 'user/Patient.read',
      subject: 'backpain-cds',
    },
    context,
    prefetch: { patient: { resourceType: 'Patient', id: 'p1', birthDate: '1980-04-12' }, conditions: null },
  };
  edit?.(body, context);
  return body;
}

function signRequest(edit?: (body: Json, context: Json) => void): Json {
  return selectRequest((body, context) => {
    body.hook = 'order-sign';
    delete context.selections;
    edit?.(body, context);
  });
}

function issuesOf(result: ParseResult): { path: string; message: string }[] {
  if (result.ok) throw new Error('expected the request to be rejected');
  return result.issues;
}

describe('valid requests pass', () => {
  test('order-select with selections, draftOrders, fhirServer, fhirAuthorization and prefetch', () => {
    const result = parseHookRequest('order-select', selectRequest());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.request.hook).toBe('order-select');
    expect(result.request.context.userId).toBe('Practitioner/123');
    expect(result.request.context.selections).toEqual(['ServiceRequest/o1']);
    expect(result.request.context.draftOrders?.entry).toHaveLength(2);
    expect(result.request.prefetch?.conditions).toBeNull();
  });

  test('order-sign without selections', () => {
    expect(parseHookRequest('order-sign', signRequest()).ok).toBe(true);
  });

  test('draftOrders without a Bundle type', () => {
    const body = selectRequest((_, context) => {
      // Bundle.type is required in FHIR, but a hook only needs the entries.
      context.draftOrders = { resourceType: 'Bundle', entry: [{ resource: draftOrder('o1') }] };
    });
    expect(parseHookRequest('order-select', body).ok).toBe(true);
  });

  test('PractitionerRole user for order-select', () => {
    expect(
      parseHookRequest(
        'order-select',
        selectRequest((_, c) => void (c.userId = 'PractitionerRole/r-1')),
      ).ok,
    ).toBe(true);
  });

  test('no fhirServer, fhirAuthorization, prefetch or encounterId', () => {
    const body = selectRequest((b, c) => {
      delete b.fhirServer;
      delete b.fhirAuthorization;
      delete b.prefetch;
      delete c.encounterId;
    });
    expect(parseHookRequest('order-select', body).ok).toBe(true);
  });

  test('fhirServer without fhirAuthorization (an open server)', () => {
    expect(
      parseHookRequest(
        'order-select',
        selectRequest((b) => void delete b.fhirAuthorization),
      ).ok,
    ).toBe(true);
  });

  test('token_type "bearer" in lower case', () => {
    const body = selectRequest((b) => {
      b.fhirAuthorization = { access_token: 'secret', token_type: 'bearer' };
    });
    expect(parseHookRequest('order-select', body).ok).toBe(true);
  });

  test('an OperationOutcome as a prefetch value', () => {
    const body = selectRequest((b) => {
      b.prefetch = { patient: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'timeout' }] } };
    });
    expect(parseHookRequest('order-select', body).ok).toBe(true);
  });

  test('extra unknown fields and extension are ignored and passed through, at the top and in context', () => {
    const extension = { 'com.example.ehr': { region: 'north' } };
    const body = selectRequest((b, c) => {
      b.extension = extension;
      b.somethingNew = 42;
      c.extension = extension;
      c.futureField = ['x'];
    });
    const result = parseHookRequest('order-select', body);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const request = result.request as unknown as Json & { context: Json };
    expect(request.extension).toEqual(extension);
    expect(request.somethingNew).toBe(42);
    expect(request.context.extension).toEqual(extension);
    expect(request.context.futureField).toEqual(['x']);
  });

  test.each([
    ['Encounter/e-1', 'e-1'],
    ['e-1', 'e-1'],
    [null, undefined],
  ])('encounterId written %s is read as %s (no service reads it; a null is as good as absent)', (written, read) => {
    const body = {
      hookInstance: HOOK_INSTANCE,
      hook: 'patient-view',
      context: { userId: 'Patient/1', patientId: '1', encounterId: written },
    };
    const result = parseHookRequest('patient-view', body);
    expect(result.ok && result.request.context.encounterId).toBe(read);
  });

  test('an encounterId that is no id is still refused', () => {
    const body = {
      hookInstance: HOOK_INSTANCE,
      hook: 'patient-view',
      context: { userId: 'Patient/1', patientId: '1', encounterId: 'a b' },
    };
    expect(issuesOf(parseHookRequest('patient-view', body))).toEqual([{ path: 'context.encounterId', message: 'must be a FHIR id' }]);
  });

  test('patient-view accepts a Patient user', () => {
    const body = { hookInstance: HOOK_INSTANCE, hook: 'patient-view', context: { userId: 'Patient/1', patientId: '1' } };
    expect(parseHookRequest('patient-view', body).ok).toBe(true);
  });
});

describe('invalid requests fail with an issue whose path names the field', () => {
  test('missing userId', () => {
    expect(
      issuesOf(
        parseHookRequest(
          'order-select',
          selectRequest((_, c) => void delete c.userId),
        ),
      ),
    ).toEqual([{ path: 'context.userId', message: 'is required' }]);
  });

  test('missing patientId on order-sign', () => {
    expect(
      issuesOf(
        parseHookRequest(
          'order-sign',
          signRequest((_, c) => void delete c.patientId),
        ),
      ),
    ).toEqual([{ path: 'context.patientId', message: 'is required' }]);
  });

  test('userId Patient/1 on order-select (only Practitioner or PractitionerRole may order)', () => {
    expect(
      issuesOf(
        parseHookRequest(
          'order-select',
          selectRequest((_, c) => void (c.userId = 'Patient/1')),
        ),
      ),
    ).toEqual([{ path: 'context.userId', message: 'must be a reference like Practitioner/123 (one of Practitioner, PractitionerRole)' }]);
  });

  test('userId without a type (a bare id)', () => {
    expect(
      issuesOf(
        parseHookRequest(
          'order-select',
          selectRequest((_, c) => void (c.userId = '123')),
        ),
      )[0]?.path,
    ).toBe('context.userId');
  });

  test('selections not an array', () => {
    const issues = issuesOf(
      parseHookRequest(
        'order-select',
        selectRequest((_, c) => void (c.selections = 'ServiceRequest/o1')),
      ),
    );
    expect(issues).toEqual([{ path: 'context.selections', message: 'Invalid input: expected array, received string' }]);
  });

  test('selections empty', () => {
    expect(
      issuesOf(
        parseHookRequest(
          'order-select',
          selectRequest((_, c) => void (c.selections = [])),
        ),
      )[0]?.path,
    ).toBe('context.selections');
  });

  test('selections missing on order-select', () => {
    expect(
      issuesOf(
        parseHookRequest(
          'order-select',
          selectRequest((_, c) => void delete c.selections),
        ),
      ),
    ).toEqual([{ path: 'context.selections', message: 'is required' }]);
  });

  test('a selection not in draftOrders names its index', () => {
    const body = selectRequest((_, c) => void (c.selections = ['ServiceRequest/o1', 'ServiceRequest/o9']));
    expect(issuesOf(parseHookRequest('order-select', body))).toEqual([
      { path: 'context.selections[1]', message: 'selection "ServiceRequest/o9" is not an order in context.draftOrders' },
    ]);
  });

  test('a selection of the right id but the wrong type is not in draftOrders', () => {
    const body = selectRequest((_, c) => void (c.selections = ['MedicationRequest/o1']));
    expect(issuesOf(parseHookRequest('order-select', body))[0]?.path).toBe('context.selections[0]');
  });

  test('draftOrders that is not a Bundle', () => {
    const body = selectRequest((_, c) => void (c.draftOrders = { resourceType: 'ServiceRequest', id: 'o1' }));
    expect(issuesOf(parseHookRequest('order-select', body))[0]?.path).toBe('context.draftOrders.resourceType');
  });

  test('fhirAuthorization without fhirServer', () => {
    expect(
      issuesOf(
        parseHookRequest(
          'order-select',
          selectRequest((b) => void delete b.fhirServer),
        ),
      ),
    ).toEqual([{ path: 'fhirServer', message: 'fhirServer is required when fhirAuthorization is present' }]);
  });

  test('fhirServer that is not an http(s) URL', () => {
    expect(
      issuesOf(
        parseHookRequest(
          'order-select',
          selectRequest((b) => void (b.fhirServer = 'ftp://ehr.example.org/fhir')),
        ),
      ),
    ).toEqual([{ path: 'fhirServer', message: 'fhirServer must be an http(s) URL' }]);
  });

  test('fhirAuthorization with a token_type other than Bearer', () => {
    const body = selectRequest((b) => void (b.fhirAuthorization = { access_token: 'x', token_type: 'Basic' }));
    expect(issuesOf(parseHookRequest('order-select', body))).toEqual([
      { path: 'fhirAuthorization.token_type', message: 'must be "Bearer"' },
    ]);
  });

  test('hookInstance not a UUID', () => {
    expect(
      issuesOf(
        parseHookRequest(
          'order-select',
          selectRequest((b) => void (b.hookInstance = 'instance-1')),
        ),
      ),
    ).toEqual([{ path: 'hookInstance', message: 'hookInstance must be a UUID' }]);
  });

  test('hookInstance missing', () => {
    expect(
      issuesOf(
        parseHookRequest(
          'order-select',
          selectRequest((b) => void delete b.hookInstance),
        ),
      )[0]?.path,
    ).toBe('hookInstance');
  });

  test('wrong hook name for the service (order-sign sent to an order-select service)', () => {
    expect(
      issuesOf(
        parseHookRequest(
          'order-select',
          selectRequest((b) => void (b.hook = 'order-sign')),
        ),
      ),
    ).toEqual([{ path: 'hook', message: 'hook must be "order-select" for this service' }]);
  });

  test('a prefetch value that is a string', () => {
    const issues = issuesOf(
      parseHookRequest(
        'order-select',
        selectRequest((b) => void (b.prefetch = { patient: 'Patient/p1' })),
      ),
    );
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe('prefetch.patient');
  });

  test('a prefetch value without resourceType', () => {
    const issues = issuesOf(
      parseHookRequest(
        'order-select',
        selectRequest((b) => void (b.prefetch = { patient: { id: 'p1' } })),
      ),
    );
    expect(issues[0]?.path).toBe('prefetch.patient.resourceType');
  });

  test('a patientId that is not a FHIR id', () => {
    expect(
      issuesOf(
        parseHookRequest(
          'order-select',
          selectRequest((_, c) => void (c.patientId = 'p 1')),
        ),
      ),
    ).toEqual([{ path: 'context.patientId', message: 'must be a FHIR id' }]);
  });

  test('no context at all', () => {
    expect(
      issuesOf(
        parseHookRequest(
          'order-select',
          selectRequest((b) => void delete b.context),
        ),
      ),
    ).toEqual([{ path: 'context', message: 'is required' }]);
  });

  test.each([null, 'a string', [1, 2], 42])('a body that is not an object (%p) is rejected with an issue at the root', (body) => {
    const issues = issuesOf(parseHookRequest('order-select', body));
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe('');
  });

  test('several problems are all reported', () => {
    const body = selectRequest((b, c) => {
      b.hookInstance = 'x';
      delete c.userId;
    });
    expect(
      issuesOf(parseHookRequest('order-select', body))
        .map((i) => i.path)
        .sort(),
    ).toEqual(['context.userId', 'hookInstance']);
  });
});
