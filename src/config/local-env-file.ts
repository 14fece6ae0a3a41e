import { existsSync } from 'node:fs';

/**
 * Reads `.env` from the working directory into `process.env`, for local runs
 * of the service and the JWT CLI; in Kubernetes the variables come from the
 * pod spec and there is no such file. Variables already set win.
 */
export function loadLocalEnvFile(path = '.env'): void {
  // process.loadEnvFile exists from Node 20.12; on older 20.x there is no .env support.
  const { loadEnvFile } = process as { loadEnvFile?: (file: string) => void };
  if (loadEnvFile && existsSync(path)) loadEnvFile(path);
}
