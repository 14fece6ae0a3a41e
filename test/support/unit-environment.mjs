// The unit tier's Jest environment: Node's, with every way out of the process
// closed for the length of one spec file. A unit spec that listens, connects
// or starts a child process fails with an error that names the e2e tier,
// instead of quietly becoming an end-to-end test. Core modules are the worker's
// own (shared with the next spec file), so teardown puts everything back.
import childProcess from 'node:child_process';
import net from 'node:net';
import { TestEnvironment } from 'jest-environment-node';

const CHILD_PROCESS_FUNCTIONS = [
  'spawn',
  'spawnSync',
  'fork',
  'exec',
  'execSync',
  'execFile',
  'execFileSync',
];

function refuse(what) {
  return function refused() {
    throw new Error(
      `${what} in a unit spec: unit specs run without sockets or child processes; ` +
        'name the file *.e2e-spec.ts to run it in the e2e tier (npm run test:e2e)',
    );
  };
}

export default class UnitEnvironment extends TestEnvironment {
  saved = [];

  replace(target, key, what) {
    this.saved.push([target, key, target[key]]);
    target[key] = refuse(what);
  }

  async setup() {
    await super.setup();
    this.replace(net.Server.prototype, 'listen', 'net.Server#listen');
    this.replace(net.Socket.prototype, 'connect', 'net.Socket#connect');
    for (const name of CHILD_PROCESS_FUNCTIONS)
      this.replace(childProcess, name, `child_process.${name}`);
  }

  async teardown() {
    for (const [target, key, original] of this.saved.reverse()) target[key] = original;
    this.saved = [];
    await super.teardown();
  }
}
