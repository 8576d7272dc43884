/** First line matching `pattern`, as its match; patterns are applied to one line at a time. */
export function matchLine(lines: readonly string[], pattern: RegExp): RegExpExecArray | undefined {
  for (const line of lines) {
    const m = pattern.exec(line);
    if (m) return m;
  }
  return undefined;
}

/** Every line matching `pattern`, as matches. */
export function matchLines(lines: readonly string[], pattern: RegExp): RegExpExecArray[] {
  const out: RegExpExecArray[] = [];
  for (const line of lines) {
    const m = pattern.exec(line);
    if (m) out.push(m);
  }
  return out;
}
