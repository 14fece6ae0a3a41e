// `npm test` needs a real redis-server (the Redis stores are tested against
// one, never a mock). Silent when it is on the PATH; installs the Debian
// package when it can (root with apt-get, as in CI containers); otherwise
// says in one line what to install.
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

function onPath(command) {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir || '.', command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

const MISSING =
  'redis-server is required by the tests: install the Debian package redis-server (apt-get install redis-server)';

if (!onPath('redis-server')) {
  if (process.getuid?.() !== 0 || !onPath('apt-get')) {
    console.error(MISSING);
    process.exit(1);
  }
  // Quiet, but errors (stderr) still show.
  const quiet = {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  };
  try {
    execFileSync('apt-get', ['update', '-qq'], quiet);
    execFileSync(
      'apt-get',
      ['install', '-y', '-qq', '--no-install-recommends', 'redis-server'],
      quiet,
    );
  } catch {
    // the verification below names what is missing
  }
  if (!onPath('redis-server')) {
    console.error(MISSING);
    process.exit(1);
  }
}
