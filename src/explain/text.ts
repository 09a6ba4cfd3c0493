/** The explain trace as text for a terminal: what `backpain-cds explain` prints. */
import { describeLeaf, type ConditionTrace, type ExplainTrace, type FactTrace } from './trace.js';

function factValue(f: FactTrace): string {
  return f.unknown ? 'unknown' : JSON.stringify(f.value);
}

function evidence(f: FactTrace): string[] {
  const lines = (f.evidence ?? []).map(
    (e) => `from ${e.reference}${e.date ? ` (${e.date})` : ''}: ${e.label ? `${e.label}: ` : ''}${e.display}`,
  );
  if (f.note) lines.push(f.note);
  return lines;
}

function conditionLines(c: ConditionTrace, facts: Map<string, FactTrace>, indent: string): string[] {
  const mark = c.result ? '✔' : '✘';
  if ('all' in c || 'any' in c) {
    const [op, list] = 'all' in c ? ['all', c.all] : ['any', c.any];
    return [`${indent}${mark} ${op} of:`, ...list.flatMap((x) => conditionLines(x, facts, `${indent}  `))];
  }
  if ('not' in c) return [`${indent}${mark} not:`, ...conditionLines(c.not, facts, `${indent}  `)];
  const fact = facts.get(c.fact);
  // Beside a condition, the resources; a long note is in the Facts section already.
  const lines = fact ? evidence(fact).filter((l, i) => i < (fact.evidence?.length ?? 0) || l.length <= 100) : [];
  const from = lines.map((l) => `${indent}      ${l}`);
  return [`${indent}${mark} ${describeLeaf(c)}`, ...from];
}

export function traceText(trace: ExplainTrace): string {
  const out: string[] = [];
  out.push(`Service ${trace.service} (${trace.hook}) at ${trace.requestTime}`);
  out.push(`Rules ${trace.rulesFile ?? '(none)'}, version ${trace.rulesVersion}`);
  if (!trace.evaluated) {
    out.push('', trace.reason ?? 'Not evaluated.');
    return out.join('\n');
  }
  if (trace.orders) out.push(`Orders in scope: ${trace.orders.map((o) => `${o.reference} (${o.display})`).join('; ')}`);
  const facts = new Map((trace.facts ?? []).map((f) => [f.name, f]));

  out.push('', 'Facts');
  for (const f of trace.facts ?? []) {
    out.push(`  ${f.name} = ${factValue(f)}`);
    for (const line of evidence(f)) out.push(`      ${line}`);
  }

  out.push('', 'Rules');
  for (const r of trace.rules ?? []) {
    const replaced = r.fired && (r.outcomes ?? []).every((o) => !o.shown);
    const silent = r.fired && (r.outcomes ?? []).some((o) => o.silent);
    out.push(
      `  ${r.fired ? (silent ? '◌' : replaced ? '⤳' : '✔') : '✘'} ${r.id}: ${r.title}${r.mode === 'silent' ? ' [silent mode]' : ''}`,
    );
    out.push(`      ${r.why}`);
    out.push(...conditionLines(r.conditions, facts, '      '));
  }

  out.push('', `Cards returned: ${trace.cards?.length ? trace.cards.join(', ') : 'none'}`);
  if (trace.unknowns?.length) {
    out.push('', 'Could not be decided from the record');
    for (const u of trace.unknowns) out.push(`  - ${u}`);
  }
  return out.join('\n');
}
