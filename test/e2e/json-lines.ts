/**
 * Checks of log lines: each one JSON object, and no object in it with a key twice. `JSON.parse`
 * keeps the last of two equal keys without a word, so the keys are read by a small tokenizer of
 * its own (RFC 8259's grammar; the values are then parsed by JSON.parse).
 */

/** The keys repeated within one object of `text`, as `path.key`; throws if `text` is not JSON. */
export function duplicateKeys(text: string): string[] {
  let i = 0;
  const repeated: string[] = [];
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} at ${i} in ${text.slice(0, 200)}`);
  };
  const space = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  const string = (): string => {
    const start = i;
    if (text[i] !== '"') fail('a string expected');
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    if (text[i] !== '"') fail('an unterminated string');
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (path: string): void => {
    space();
    const c = text[i];
    if (c === '{') {
      i++;
      const seen = new Set<string>();
      space();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        space();
        const key = string();
        if (seen.has(key)) repeated.push(`${path}${key}`);
        seen.add(key);
        space();
        if (text[i++] !== ':') fail('":" expected');
        value(`${path}${key}.`);
        space();
        const next = text[i++];
        if (next === '}') return;
        if (next !== ',') fail('"," or "}" expected');
      }
    }
    if (c === '[') {
      i++;
      space();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (let n = 0; ; n++) {
        value(`${path}${n}.`);
        space();
        const next = text[i++];
        if (next === ']') return;
        if (next !== ',') fail('"," or "]" expected');
      }
    }
    if (c === '"') {
      string();
      return;
    }
    const literal = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i));
    if (!literal) fail('a value expected');
    i += (literal as RegExpExecArray)[0].length;
  };
  value('');
  space();
  if (i !== text.length) fail('the end expected');
  // The tokenizer accepted it: JSON.parse must too (it checks the escapes and numbers once more).
  JSON.parse(text);
  return repeated;
}

export interface LogLine {
  readonly line: string;
  readonly entry: Record<string, unknown>;
}

/**
 * The lines of a log, each checked: a JSON object with no repeated key. Returns the problems (a
 * line that is not one, with why) and the parsed lines.
 */
export function checkLogLines(text: string): { lines: LogLine[]; problems: string[] } {
  const lines: LogLine[] = [];
  const problems: string[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      const repeated = duplicateKeys(line);
      const entry = JSON.parse(line) as unknown;
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
        problems.push(`not a JSON object: ${line}`);
      else if (repeated.length > 0) problems.push(`repeats ${repeated.join(', ')}: ${line}`);
      else lines.push({ line, entry: entry as Record<string, unknown> });
    } catch (error) {
      problems.push(`not JSON (${(error as Error).message.split(' at ')[0]}): ${line}`);
    }
  }
  return { lines, problems };
}

/** The fields every line carries (docs/operations.md, "Logs"), and what they hold. */
export function missingBaseFields(entry: Record<string, unknown>, service: string): string[] {
  const missing: string[] = [];
  if (typeof entry.level !== 'number') missing.push('level');
  if (typeof entry.time !== 'string' || Number.isNaN(Date.parse(entry.time))) missing.push('time');
  if (typeof entry.msg !== 'string') missing.push('msg');
  if (entry.service !== service) missing.push(`service=${service}`);
  if (entry.name !== service) missing.push(`name=${service}`);
  return missing;
}
