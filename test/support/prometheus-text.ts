/**
 * The samples of one series in a Prometheus text exposition, by their label
 * text: `{'operation="search",outcome="success"': 2}`.
 */
export function seriesOf(exposition: string, name: string): Record<string, number> {
  const samples: Record<string, number> = {};
  for (const line of exposition.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    samples[match[2] ?? ''] = Number(match[3]);
  }
  return samples;
}
