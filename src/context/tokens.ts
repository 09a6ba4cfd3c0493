/**
 * CDS Hooks 2.0 prefetch tokens: {{context.<root primitive field>}} and the user*Id tokens, which
 * are the bare id of context.userId when it has that type. Anything else is not 2.0 and is refused.
 */
/** Any {{...}}, so a FHIRPath or other non-2.0 token is seen and refused rather than sent on unfilled. */
const TOKEN = /\{\{([^}]*)\}\}/g;

const USER_TOKENS: Record<string, string> = {
  userPractitionerId: 'Practitioner',
  userPractitionerRoleId: 'PractitionerRole',
  userPatientId: 'Patient',
  userRelatedPersonId: 'RelatedPerson',
};

/** The query with its tokens filled, or undefined when a token has no value in this request. */
export function fillTemplate(template: string, context: Record<string, unknown>): string | undefined {
  let missing = false;
  const filled = template.replace(TOKEN, (_, raw: string) => {
    const token = raw.trim();
    let value: unknown;
    if (/^context\.[A-Za-z]+$/.test(token)) {
      value = Object.hasOwn(context, token.slice('context.'.length)) ? context[token.slice('context.'.length)] : undefined;
    } else if (Object.hasOwn(USER_TOKENS, token)) {
      const userId = typeof context.userId === 'string' ? context.userId : '';
      const [type, id] = userId.split('/');
      value = type === USER_TOKENS[token] ? id : undefined;
    }
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      missing = true;
      return '';
    }
    return encodeURIComponent(String(value));
  });
  return missing ? undefined : filled;
}

/** True when every token in the template is a CDS Hooks 2.0 token (checked for our own service definitions). */
export function usesOnly20Tokens(template: string): boolean {
  return [...template.matchAll(TOKEN)].every(([, raw]) => {
    const t = (raw ?? '').trim();
    return /^context\.[A-Za-z]+$/.test(t) || Object.hasOwn(USER_TOKENS, t);
  });
}
