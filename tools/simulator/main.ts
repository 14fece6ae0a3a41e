import { runCli } from './cli.js';

// Entry point of `npm run simulator`: see cli.ts for the options.
try {
  const { finished } = await runCli(process.argv.slice(2));
  process.exitCode = await finished;
} catch (error) {
  console.error('qualys simulator failed:', error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
