/** A card as a clinician reads it, as plain text for a terminal: what `backpain-cds cards` prints. */
import type { Card } from './types.js';

/** Markdown stays readable as text; only emphasis marks and the escapes the renderer adds are taken out. */
function plain(markdown: string): string {
  return markdown
    .replace(/\*\*(.+?)\*\*/g, '$1')
    .replace(/__(.+?)__/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

export function cardText(card: Card): string {
  const out: string[] = [];
  out.push(`[${card.indicator.toUpperCase()}] ${card.summary}`);
  out.push(
    `  Source: ${card.source.label}${card.source.url ? ` <${card.source.url}>` : ''}` +
      `${card.source.topic ? ` (rule ${card.source.topic.code})` : ''}`,
  );
  if (card.detail) {
    out.push('');
    for (const line of plain(card.detail).split('\n')) out.push(line ? `  ${line}` : '');
  }
  if (card.suggestions?.length) {
    out.push('', `  Suggestions (${card.selectionBehavior === 'any' ? 'choose any' : 'choose at most one'}):`);
    card.suggestions.forEach((s, i) => {
      out.push(`    ${i + 1}. ${s.label}${s.isRecommended ? ' (recommended)' : ''}`);
      for (const a of s.actions) {
        const target = a.resourceId ?? (a.resource ? `new ${a.resource.resourceType}` : '');
        out.push(`       - ${a.type}${target ? ` ${target}` : ''}: ${a.description}`);
      }
    });
  }
  if (card.links?.length) {
    out.push('', '  Links:');
    for (const l of card.links) out.push(`    - ${l.label} <${l.url}>`);
  }
  if (card.overrideReasons?.length) {
    out.push('', `  Override reasons: ${card.overrideReasons.map((r) => r.display ?? r.code).join('; ')}`);
  }
  return out.join('\n');
}
