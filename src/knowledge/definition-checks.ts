/**
 * Checks on rules/findings.json and rules/instruments.json beyond their JSON shape: urgency levels
 * that exist, codes that mean one thing, cut-offs inside their range. Each problem names the field.
 */
import type { Problem } from './problems.js';
import type { FindingsFile, InstrumentsFile } from './schemas.js';

export function checkFindings(file: string, findings: FindingsFile): Problem[] {
  const problems: Problem[] = [];
  const levels = new Set<string>();
  findings.urgencyLevels.forEach((l, i) => {
    if (levels.has(l.id)) problems.push({ file, path: `urgencyLevels[${i}].id`, message: `urgency level "${l.id}" is listed twice` });
    levels.add(l.id);
  });
  findings.redFlags.forEach((d, i) => {
    if (!levels.has(d.urgency.level)) {
      problems.push({
        file,
        path: `redFlags[${i}].urgency.level`,
        message: `"${d.urgency.level}" is not an urgency level: use one of ${[...levels].join(', ')}`,
      });
    }
  });
  return problems;
}

export function checkInstruments(file: string, instruments: InstrumentsFile): Problem[] {
  const problems: Problem[] = [];
  const codes = new Map<string, string>();
  const claim = (code: string, path: string): void => {
    const owner = codes.get(code);
    if (owner)
      problems.push({
        file,
        path,
        message: `code "${code}" is already used at ${owner}; each code in ${instruments.findingSystem.url} must mean one thing`,
      });
    else codes.set(code, path);
  };
  claim(instruments.startBack.psychosocialCode.code, 'startBack.psychosocialCode.code');
  const linkIds = new Set<string>();
  instruments.startBack.items.forEach((item, i) => {
    if (linkIds.has(item.linkId))
      problems.push({ file, path: `startBack.items[${i}].linkId`, message: `duplicate linkId "${item.linkId}"` });
    linkIds.add(item.linkId);
    if (item.type === 'choice') item.answers.forEach((a, j) => claim(a.code, `startBack.items[${i}].answers[${j}].code`));
  });
  instruments.scopic.items.forEach((item, i) => {
    claim(item.code, `scopic.items[${i}].code`);
    if (item.type === 'integer' && !(item.minValue <= item.positiveAbove && item.positiveAbove < item.maxValue)) {
      problems.push({
        file,
        path: `scopic.items[${i}].positiveAbove`,
        message: `must be from minValue (${item.minValue}) to below maxValue (${item.maxValue})`,
      });
    }
  });
  return problems;
}
