// The redis-server of the specs and the benchmark is tools/lib/redis-server.ts;
// the specs under src/qualys/ still import it from here.
export * from '../../tools/lib/redis-server.js';
