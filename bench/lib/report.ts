/** One line of the benchmark's table (and of `rows` in bench/results/latest.json). */
export interface Row {
  part: string;
  measure: string;
  value: string;
  target: string;
  /** null: context, no target. */
  pass: boolean | null;
}

/** What one part of the benchmark measured. */
export interface PartResult {
  /** Its lines of the table. */
  rows: Row[];
  /** Its figures in bench/results/latest.json, by key. */
  report: Record<string, unknown>;
  /** Broken or error answers the relay gave during the part (any makes the run fail). */
  badAnswers: number;
}

/** The table `npm run bench` prints: one line per row, columns padded. */
export function formatTable(rows: readonly Row[]): string {
  const headers: Row = {
    part: '#',
    measure: 'measure',
    value: 'value',
    target: 'target',
    pass: null,
  };
  const cells = (row: Row) => [
    row.part,
    row.measure,
    row.value,
    row.target,
    row === headers ? 'result' : row.pass === null ? '' : row.pass ? 'PASS' : 'MISS',
  ];
  const table = [headers, ...rows].map(cells);
  const widths = table[0].map((_, c) => Math.max(...table.map((line) => line[c].length)));
  const line = (cols: string[]) =>
    cols
      .map((col, c) => col.padEnd(widths[c]))
      .join('  ')
      .trimEnd();
  return [line(table[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...table.slice(1).map(line)]
    .map((text) => `${text}\n`)
    .join('');
}

export function progress(text: string): void {
  process.stderr.write(`bench: ${text}\n`);
}
