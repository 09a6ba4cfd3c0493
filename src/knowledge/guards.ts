/**
 * Engine event ids of the conditions inside a card: a suggestion's offerWhen and a detail block's
 * when. Rule ids have no "#", so these never collide with a rule's own event.
 */
export function suggestionGuardId(ruleId: string, index: number): string {
  return `${ruleId}#${index}`;
}

export function detailGuardId(ruleId: string, index: number): string {
  return `${ruleId}#detail-${index}`;
}
