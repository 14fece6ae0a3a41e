import { EventEmitter } from 'node:events';
import type { CliIo } from '../../tools/lib/simulator-server.js';

/** A simulator CLI's output and signals in memory: what it printed, and an emitter to signal it. */
export function recordingIo(): CliIo & {
  lines: string[];
  errors: string[];
  signals: EventEmitter;
} {
  const lines: string[] = [];
  const errors: string[] = [];
  return {
    lines,
    errors,
    out: (line) => lines.push(line),
    err: (line) => errors.push(line),
    signals: new EventEmitter(),
  };
}
