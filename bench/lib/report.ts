/** One line of the benchmark's table (and of `rows` in bench/results/latest.json). */
export interface Row {
  part: string;
  measure: string;
  value: string;
  target: string;
  /** null: context, no target. */
  pass: boolean | null;
}
