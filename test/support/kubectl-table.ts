// Reads what `kubectl get` prints: a table whose columns start where its header's names start (kubectl aligns
// them), so an empty cell stays an empty cell instead of shifting the cells after it.

export interface KubectlTable {
  /** The header's names, e.g. ['NAME', 'READY', 'LAST SUCCESS']. */
  columns: string[];
  /** One object per row: column name → the cell's text ('' when empty). */
  rows: Record<string, string>[];
}

/** Parses the table whose header is the first line of `text` that `isHeader` accepts (default: the first line). */
export function parseKubectlTable(text: string, isHeader: (line: string) => boolean = () => true): KubectlTable {
  const lines = text.split('\n');
  const at = lines.findIndex(isHeader);
  if (at < 0) throw new Error(`no table header in:\n${text}`);
  const header = lines[at] as string;
  // Names are separated by two or more spaces (a name may hold one, as LAST SUCCESS does).
  const starts = [...header.matchAll(/\S+(?: \S+)*/g)].map((m) => ({ name: m[0], start: m.index }));
  const rows: Record<string, string>[] = [];
  for (const line of lines.slice(at + 1)) {
    // The table ends at a blank line or at one whose text does not line up with the columns (what follows it).
    if (line.trim() === '' || starts.some((c) => c.start > 0 && c.start < line.length && line[c.start - 1] !== ' ')) break;
    rows.push(Object.fromEntries(starts.map((c, i) => [c.name, line.slice(c.start, starts[i + 1]?.start ?? line.length).trim()])));
  }
  return { columns: starts.map((c) => c.name), rows };
}
