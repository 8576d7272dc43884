/**
 * A Dockerfile reader for the instructions docker/Dockerfile uses: enough to check the file
 * without a Docker engine and to replay its build stage. Follows Docker's rules for `\` line
 * continuations, comment lines (also inside a continued instruction), `--flag=value` options,
 * and the JSON (exec) form of RUN/CMD/ENTRYPOINT/HEALTHCHECK/VOLUME.
 */

export interface Instruction {
  keyword: string;
  /** Everything after the keyword and its flags, continuations joined with a space. */
  args: string;
  flags: Record<string, string>;
  /** The exec form's argument list, when the arguments are a JSON array. */
  exec?: string[];
  line: number;
}

export interface Stage {
  base: string;
  name: string | undefined;
  instructions: Instruction[];
}

const FLAGGED = new Set(['FROM', 'COPY', 'ADD', 'RUN', 'HEALTHCHECK']);

export function parseDockerfile(text: string): Stage[] {
  const logical: Array<{ text: string; line: number }> = [];
  let pending: { text: string; line: number } | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    const trimmed = raw.trim();
    // Docker drops comment lines and blank lines, also in the middle of a continued instruction.
    if (trimmed.startsWith('#') || (trimmed === '' && pending === undefined)) return;
    if (trimmed === '') return;
    const continued = /\\$/.test(trimmed);
    const part = continued ? trimmed.slice(0, -1).trim() : trimmed;
    pending =
      pending === undefined ? { text: part, line: i + 1 } : { text: `${pending.text} ${part}`, line: pending.line };
    if (!continued) {
      logical.push(pending);
      pending = undefined;
    }
  });
  if (pending !== undefined) throw new Error(`line ${pending.line}: the file ends inside a continued instruction`);

  const stages: Stage[] = [];
  for (const { text: l, line } of logical) {
    const m = /^(\S+)\s*(.*)$/.exec(l);
    if (m === null) continue;
    const keyword = (m[1] as string).toUpperCase();
    let rest = m[2] as string;
    const flags: Record<string, string> = {};
    if (FLAGGED.has(keyword)) {
      let f: RegExpExecArray | null;
      while ((f = /^--([a-z-]+)(?:=(\S*))?\s*/.exec(rest)) !== null) {
        flags[f[1] as string] = f[2] ?? 'true';
        rest = rest.slice(f[0].length);
      }
    }
    const instruction: Instruction = { keyword, args: rest, flags, line };
    const execText = keyword === 'HEALTHCHECK' ? rest.replace(/^CMD\s+/, '') : rest;
    if (execText.startsWith('[')) {
      try {
        const parsed = JSON.parse(execText) as unknown;
        if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string')) instruction.exec = parsed;
      } catch {
        // Not valid JSON: Docker runs it in the shell form, and so do we.
      }
    }
    if (keyword === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest);
      if (from === null) throw new Error(`line ${line}: cannot read FROM ${rest}`);
      stages.push({ base: from[1] as string, name: from[2], instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (stage === undefined) throw new Error(`line ${line}: ${keyword} before the first FROM`);
    stage.instructions.push(instruction);
  }
  return stages;
}

/** `KEY=value KEY2="a b"` (ENV's current form) as a record. */
export function parseEnvArgs(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(args)) !== null) {
    const raw = m[2] as string;
    out[m[1] as string] = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
  }
  return out;
}

/** The source paths and destination of a COPY: JSON form or space-separated. */
export function copyPaths(inst: Instruction): { sources: string[]; dest: string } {
  const parts = inst.exec ?? inst.args.split(/\s+/).filter((p) => p !== '');
  if (parts.length < 2) throw new Error(`line ${inst.line}: COPY needs a source and a destination`);
  return { sources: parts.slice(0, -1), dest: parts.at(-1) as string };
}

/** The last value an instruction sets in a stage (WORKDIR, USER, ENTRYPOINT, ...). */
export function last(stage: Stage, keyword: string): Instruction | undefined {
  return stage.instructions.filter((i) => i.keyword === keyword).at(-1);
}
