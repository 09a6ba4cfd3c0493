/**
 * Reads docker/Dockerfile into stages and instructions, so tests can replay the image's build and
 * start steps without Docker and check them against the service's configuration. Enough of the
 * Dockerfile syntax for this project: comments, line continuations, JSON (exec) and shell forms,
 * `--flag=value` options.
 */
import { readFileSync } from 'node:fs';

export interface Instruction {
  op: string;
  /** The text after the flags, continuations joined. */
  args: string;
  flags: Record<string, string>;
  /** The exec form's array, when the arguments are JSON. */
  exec?: string[];
}

export interface Stage {
  name: string;
  from: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  args: Record<string, string>;
  stages: Stage[];
  stage(name: string): Stage;
}

function logicalLines(text: string): string[] {
  const lines: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && current === '')) continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1).trim()} `;
      continue;
    }
    lines.push((current + line).trim());
    current = '';
  }
  return lines.filter(Boolean);
}

function parseInstruction(line: string): Instruction {
  const op = line.split(/\s+/)[0] ?? '';
  let args = line.slice(op.length).trim();
  const flags: Record<string, string> = {};
  for (;;) {
    const m = /^--([a-z-]+)(?:=(\S+))?\s+/.exec(args);
    if (!m) break;
    flags[m[1] as string] = m[2] ?? 'true';
    args = args.slice(m[0].length);
  }
  let exec: string[] | undefined;
  if (args.startsWith('[')) {
    try {
      const parsed = JSON.parse(args) as unknown;
      if (Array.isArray(parsed) && parsed.every((a) => typeof a === 'string')) exec = parsed;
    } catch {
      // Shell form that happens to start with "[".
    }
  }
  return { op: op.toUpperCase(), args, flags, ...(exec ? { exec } : {}) };
}

export function parseDockerfile(text: string): Dockerfile {
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of logicalLines(text)) {
    const instruction = parseInstruction(line);
    if (instruction.op === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
      if (!m) throw new Error(`cannot read FROM ${instruction.args}`);
      const from = (m[1] as string).replace(/\$\{(\w+)\}/g, (_, name: string) => args[name] ?? '');
      stages.push({ name: m[2] ?? String(stages.length), from, instructions: [] });
    } else if (stages.length === 0 && instruction.op === 'ARG') {
      const [name = '', value = ''] = instruction.args.split('=');
      args[name] = value;
    } else {
      const stage = stages[stages.length - 1];
      if (!stage) throw new Error(`${instruction.op} before FROM`);
      stage.instructions.push(instruction);
    }
  }
  return {
    args,
    stages,
    stage(name) {
      const s = stages.find((st) => st.name === name);
      if (!s) throw new Error(`no stage "${name}" in the Dockerfile`);
      return s;
    },
  };
}

export function readDockerfile(path: string): Dockerfile {
  return parseDockerfile(readFileSync(path, 'utf8'));
}

/** ENV lines of a stage as one object (both `ENV A=1 B=2` and `ENV A 1`). */
export function stageEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of stage.instructions.filter((x) => x.op === 'ENV')) {
    const pairs = [...i.args.matchAll(/(\w+)=("[^"]*"|\S+)/g)];
    if (pairs.length === 0) {
      const [name = '', ...value] = i.args.split(/\s+/);
      env[name] = value.join(' ');
    }
    for (const [, name, value] of pairs) env[name as string] = (value as string).replace(/^"|"$/g, '');
  }
  return env;
}

export function only(stage: Stage, op: string): Instruction {
  const found = stage.instructions.filter((i) => i.op === op);
  if (found.length !== 1) throw new Error(`stage ${stage.name}: expected one ${op}, found ${found.length}`);
  return found[0] as Instruction;
}
