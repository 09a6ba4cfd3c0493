import type { OperationOutcome, OperationOutcomeIssue } from 'fhir/r4.js';

export type IssueCode = OperationOutcomeIssue['code'];

export interface Issue {
  code: IssueCode;
  diagnostics: string;
  expression?: string;
}

export function operationOutcome(issues: Issue[], severity: 'error' | 'fatal' = 'error'): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: issues.map((i) => ({
      severity,
      code: i.code,
      diagnostics: i.diagnostics,
      ...(i.expression ? { expression: [i.expression] } : {}),
    })),
  };
}

/** An error that becomes an HTTP status with an OperationOutcome body. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly issues: Issue[],
    readonly headers: Record<string, string> = {},
  ) {
    super(issues.map((i) => i.diagnostics).join('; '));
    this.name = 'HttpError';
  }
}
