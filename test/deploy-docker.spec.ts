import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';

/** Dockerfile instructions, comments and line continuations removed. */
const instructions = readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8')
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));
const dockerignore = readFileSync(new URL('../.dockerignore', import.meta.url), 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));

/** The instructions of one stage, by its name. */
function stage(name: string): string[] {
  const start = instructions.findIndex((line) => new RegExp(`^FROM \\S+ AS ${name}$`).test(line));
  expect([name, start >= 0]).toEqual([name, true]);
  const next = instructions.findIndex((line, index) => index > start && line.startsWith('FROM '));
  return instructions.slice(start, next === -1 ? undefined : next);
}

describe('Dockerfile (issue #5.7)', () => {
  it('builds from a supported Node.js LTS image', () => {
    expect(instructions[0]).toBe('ARG NODE_IMAGE=node:24-slim');
    expect(instructions.filter((line) => line.startsWith('FROM '))).toEqual([
      'FROM ${NODE_IMAGE} AS build',
      'FROM ${NODE_IMAGE} AS runtime',
    ]);
  });

  it('installs the lockfile exactly and compiles in the build stage', () => {
    expect(stage('build')).toEqual([
      'FROM ${NODE_IMAGE} AS build',
      'WORKDIR /app',
      'COPY package.json package-lock.json ./',
      'RUN npm ci --no-audit --no-fund',
      'COPY tsconfig.json tsconfig.build.json nest-cli.json ./',
      'COPY src ./src',
      'RUN npm run build',
    ]);
  });

  it('ships production dependencies and dist/ only, as the node user, with node as PID 1', () => {
    expect(stage('runtime')).toEqual([
      'FROM ${NODE_IMAGE} AS runtime',
      'ENV NODE_ENV=production',
      'WORKDIR /app',
      'COPY package.json package-lock.json ./',
      'RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force',
      'COPY --from=build /app/dist ./dist',
      'USER node',
      'EXPOSE 9090',
      'CMD ["node", "dist/main.js"]',
    ]);
  });

  it('has no HEALTHCHECK: Kubernetes probes the app', () => {
    expect(instructions.filter((line) => /^HEALTHCHECK\b/i.test(line))).toEqual([]);
  });

  it('lets only the build inputs into the context', () => {
    expect(dockerignore).toEqual([
      '*',
      '!package.json',
      '!package-lock.json',
      '!tsconfig.json',
      '!tsconfig.build.json',
      '!nest-cli.json',
      '!src/',
      'src/**/*.spec.ts',
    ]);
  });
});
