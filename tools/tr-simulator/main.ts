import { runTrCli } from './cli.js';

// Entry point of `npm run tr-simulator`: see cli.ts for the options.
try {
  const { finished } = await runTrCli(process.argv.slice(2));
  process.exitCode = await finished;
} catch (error) {
  console.error(
    'threat response simulator failed:',
    error instanceof Error ? error.message : error,
  );
  process.exitCode = 1;
}
