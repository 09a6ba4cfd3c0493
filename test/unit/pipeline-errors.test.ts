/**
 * The pipeline's failures: the stages throw them in domain terms, and src/http alone gives each its
 * status and OperationOutcome. Run in process against the real pipeline and a real express app.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { patientContextReader } from '../../src/context/patient-context.js';
import { parseHookRequest, type HookRequest } from '../../src/hooks/request.js';
import { SERVICES, type HookName, type ServiceDefinition } from '../../src/hooks/services.js';
import { errorHandler, fromPipeline } from '../../src/http/errors.js';
import { createLogger } from '../../src/log.js';
import { answer, type PipelineDeps } from '../../src/pipeline/answer.js';
import { InvalidRequest, isPipelineFailure, PatientDataUnavailable, type PipelineFailure } from '../../src/pipeline/errors.js';
import { knowledge } from '../support/harness.js';
import { NOW, PATIENT_ID, bundleOf, draftOrder, patient } from '../support/fhir-builders.js';

const deps: PipelineDeps = { readContext: patientContextReader() };
const service = (id: string): ServiceDefinition => {
  const found = SERVICES.find((s) => s.id === id);
  if (!found) throw new Error(`no service ${id}`);
  return found;
};
const select = service('back-pain-imaging-select');
const stratified = service('back-pain-stratified-care');

function request(hook: HookName, body: Record<string, unknown>): HookRequest {
  const context = {
    userId: 'Practitioner/doc',
    patientId: PATIENT_ID,
    ...(hook === 'patient-view' ? {} : { draftOrders: bundleOf([draftOrder('o1')]) }),
    ...(hook === 'order-select' ? { selections: ['ServiceRequest/o1'] } : {}),
  };
  const parsed = parseHookRequest(hook, { hook, hookInstance: 'd3b5e0f4-6c1a-4f7e-9a53-2a9c1f1e8b10', context, ...body });
  if (!parsed.ok) throw new Error(`test request is invalid: ${JSON.stringify(parsed.issues)}`);
  return parsed.request;
}

async function failureOf(s: ServiceDefinition, r: HookRequest): Promise<PipelineFailure> {
  const err = await answer({ service: s, request: r, knowledge, now: NOW, deadline: () => AbortSignal.timeout(5_000) }, deps).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isPipelineFailure(err)) throw new Error(`expected a pipeline failure, got ${String(err)}`);
  return err;
}

describe('the pipeline throws domain errors, not HTTP errors', () => {
  test('a missing prefetch key with no fhirServer to read it from is PatientDataUnavailable', async () => {
    const err = await failureOf(select, request('order-select', {}));
    expect(err).toBeInstanceOf(PatientDataUnavailable);
    expect(err.message).toMatch(
      /^prefetch "\w+" is missing, incomplete or an OperationOutcome, and the request has no fhirServer to fetch it from$/,
    );
    expect(err).not.toHaveProperty('status');
  });

  test('a prefetch of the wrong resource type is InvalidRequest naming the key', async () => {
    const prefetch = Object.fromEntries(Object.keys(stratified.prefetch).map((k) => [k, bundleOf([])]));
    const err = await failureOf(stratified, request('patient-view', { prefetch: { ...prefetch, patient: bundleOf([]) } }));
    expect(err).toBeInstanceOf(InvalidRequest);
    expect(err).toMatchObject({
      message: 'prefetch "patient" must be a Patient, null or an OperationOutcome',
      expression: 'prefetch.patient',
    });
  });

  test('a prefetched Patient that is not context.patientId is InvalidRequest', async () => {
    const prefetch = Object.fromEntries(Object.keys(stratified.prefetch).map((k) => [k, bundleOf([], 'searchset')]));
    const err = await failureOf(
      stratified,
      request('patient-view', { prefetch: { ...prefetch, patient: patient('1980-04-12', 'someone-else') } }),
    );
    expect(err).toMatchObject({
      name: 'InvalidRequest',
      message: 'the prefetched Patient is not context.patientId',
      expression: 'prefetch.patient',
    });
  });
});

describe('src/http maps each domain error to its status and OperationOutcome', () => {
  test('PatientDataUnavailable is 412 not-found', () => {
    const http = fromPipeline(new PatientDataUnavailable('could not read "conditions" from fhirServer: timeout'));
    expect(http.status).toBe(412);
    expect(http.issues).toEqual([{ code: 'not-found', diagnostics: 'could not read "conditions" from fhirServer: timeout' }]);
  });

  test('InvalidRequest is 400 invalid, with the field at fault as the expression', () => {
    expect(fromPipeline(new InvalidRequest('the prefetched Patient is not context.patientId', 'prefetch.patient'))).toMatchObject({
      status: 400,
      issues: [{ code: 'invalid', diagnostics: 'the prefetched Patient is not context.patientId', expression: 'prefetch.patient' }],
    });
    expect(fromPipeline(new InvalidRequest('no field')).issues).toEqual([{ code: 'invalid', diagnostics: 'no field' }]);
  });

  describe('errorHandler sends them', () => {
    let server: Server;
    let base: string;
    beforeAll(async () => {
      const app = express();
      app.get('/unavailable', () => {
        throw new PatientDataUnavailable('prefetch "patient" has more pages and the request has no fhirServer to read them from');
      });
      app.get('/invalid', async () => {
        await Promise.resolve();
        throw new InvalidRequest('prefetch "conditions" must be a Bundle, null or an OperationOutcome', 'prefetch.conditions');
      });
      app.use(errorHandler(createLogger('silent')));
      server = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    test.each([
      [
        '/unavailable',
        412,
        {
          severity: 'error',
          code: 'not-found',
          diagnostics: 'prefetch "patient" has more pages and the request has no fhirServer to read them from',
        },
      ],
      [
        '/invalid',
        400,
        {
          severity: 'error',
          code: 'invalid',
          diagnostics: 'prefetch "conditions" must be a Bundle, null or an OperationOutcome',
          expression: ['prefetch.conditions'],
        },
      ],
    ])('GET %s answers %i with an OperationOutcome', async (path, status, issue) => {
      const res = await fetch(base + path);
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
      expect(await res.json()).toEqual({ resourceType: 'OperationOutcome', issue: [issue] });
    });
  });
});
