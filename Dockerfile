# syntax=docker/dockerfile:1
# Qualys IOC relay: multi-stage build on a supported Node.js LTS (24).
# The version is pinned in .node-version too (CI runs the tests on exactly this
# Node; test/node-version.spec.ts keeps the two equal). Pin the base image by
# digest in your registry mirror for reproducible builds.
ARG NODE_IMAGE=node:24.22.3-slim

# --- build: full install from the lockfile, compile TypeScript to dist/ ------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
RUN npm run build

# --- runtime: production dependencies and the compiled code only -------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
# The relay's live heap is small (~30-40 MiB under load); without a cap V8
# sizes the old generation from the host's memory and lets it grow to ~280 MiB
# RSS under sustained load before collecting. 160 MiB keeps peak RSS near
# 170 MiB at the same throughput (npm run bench, part 4).
ENV NODE_OPTIONS=--max-old-space-size=160
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# Files stay root-owned and read-only to the process; the pod also mounts the
# root filesystem read-only. Kubernetes runs it as UID 1000 (= node).
USER node
EXPOSE 9090
# No HEALTHCHECK: Kubernetes probes /healthz/live and /healthz/ready.
# node itself is PID 1 (no npm wrapper), so SIGTERM reaches the graceful shutdown.
CMD ["node", "dist/main.js"]
