#!/usr/bin/env bash
# Proves the Dockerfile's steps without a Docker engine (issue #5.7):
#
#   1. build context  — the repository's files (git ls-files: tracked and new,
#                       not ignored), reduced to what the Dockerfile COPYs and
#                       .dockerignore lets through;
#   2. build stage    — `npm run build` there (node_modules: the repository's,
#                       installed from the same lockfile by `npm ci`; set
#                       VERIFY_IMAGE_FULL_CI=1 to run a fresh `npm ci` instead);
#   3. runtime stage  — package.json + lockfile, `npm ci --omit=dev`, dist/ copied
#                       in; no dev dependency may be present;
#   4. run            — `node dist/main.js` with a valid environment, poll
#                       /healthz/ready until 200, SIGTERM, expect exit status 0.
#
# Usage: scripts/verify-image-steps.sh   (about a minute; needs the npm registry
# or a warm npm cache for step 3). Exits non-zero with a reason on failure.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/relay-image-XXXXXX")"
relay_pid=''

cleanup() {
  if [[ -n "$relay_pid" ]] && kill -0 "$relay_pid" 2>/dev/null; then kill -KILL "$relay_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n==> %s\n' "$*"; }
fail() { printf 'verify-image-steps: %s\n' "$*" >&2; exit 1; }

step '1. build context (git ls-files, filtered like .dockerignore)'
mkdir -p "$work/repo" "$work/build" "$work/runtime"
# Tracked and new (not ignored) files; a tracked file deleted in the working tree is skipped.
(
  cd "$root"
  git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' file; do if [[ -e "$file" ]]; then printf '%s\0' "$file"; fi; done |
    tar --null -T - -cf -
) | tar -C "$work/repo" -xf -
for path in package.json package-lock.json tsconfig.json tsconfig.build.json nest-cli.json src; do
  [[ -e "$work/repo/$path" ]] || fail "the Dockerfile copies $path, which the repository lacks"
  cp -R "$work/repo/$path" "$work/build/"
done
find "$work/build/src" \( -name '*.spec.ts' -o -name '*.e2e-spec.ts' \) -delete

step '2. build stage: npm run build'
if [[ "${VERIFY_IMAGE_FULL_CI:-0}" == 1 ]]; then
  (cd "$work/build" && npm ci --no-audit --no-fund)
else
  ln -s "$root/node_modules" "$work/build/node_modules"
fi
(cd "$work/build" && npm run --silent build)
[[ -f "$work/build/dist/main.js" ]] || fail 'the build produced no dist/main.js'
# The image ships the relay only: no simulator, demo, generator or test code.
leaked="$(cd "$work/build/dist" && find . \( -path '*simulator*' -o -path '*demo*' -o -path '*openapi-document*' \
  -o -path '*generate-openapi*' -o -name '*.spec.js' -o -name '*.e2e-spec.js' -o -path '*bench*' \) -print | head -n 5)"
[[ -z "$leaked" ]] || fail "dist/ holds non-production code: $leaked"
grep -rlq 'Sim&ulat=or' "$work/build/dist" && fail "dist/ holds the simulator's demo password"

step '3. runtime stage: npm ci --omit=dev, then dist/'
cp "$work/build/package.json" "$work/build/package-lock.json" "$work/runtime/"
(cd "$work/runtime" && npm ci --omit=dev --no-audit --no-fund --prefer-offline)
cp -R "$work/build/dist" "$work/runtime/dist"
# (typescript is absent from this list: @nestjs/swagger depends on it at runtime.)
for dev in jest @nestjs/cli @nestjs/testing @swc/core eslint supertest; do
  [[ ! -e "$work/runtime/node_modules/$dev" ]] || fail "dev dependency $dev is in the runtime image"
done

step '4. run node dist/main.js, wait for /healthz/ready, SIGTERM'
# The runtime stage's environment, as the Dockerfile sets it.
node_options="$(sed -n 's/^ENV NODE_OPTIONS=//p' "$root/Dockerfile")"
secret="$(node -e "process.stdout.write(require('node:crypto').randomBytes(32).toString('base64url'))")"
log="$work/relay.log"
(
  cd "$work/runtime"
  exec env -i PATH="$PATH" NODE_ENV=production NODE_OPTIONS="$node_options" AUTH_MODE=secret JWT_SECRET="$secret" \
    HOST=127.0.0.1 PORT=0 LOG_LEVEL=info SHUTDOWN_TIMEOUT_MS=5000 node dist/main.js
) >"$log" 2>&1 &
relay_pid=$!

port=''
for _ in $(seq 1 150); do
  port="$(grep -o '"port":[0-9]*' "$log" | head -n1 | cut -d: -f2 || true)"
  [[ -n "$port" ]] && break
  kill -0 "$relay_pid" 2>/dev/null || { cat "$log" >&2; fail 'the relay exited during start-up'; }
  sleep 0.2
done
[[ -n "$port" ]] || { cat "$log" >&2; fail 'the relay did not log its port'; }

ready=0
for _ in $(seq 1 100); do
  if node -e "fetch(process.argv[1]).then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))" \
    "http://127.0.0.1:$port/healthz/ready"; then
    ready=1
    break
  fi
  sleep 0.2
done
[[ "$ready" == 1 ]] || { cat "$log" >&2; fail '/healthz/ready never answered 200'; }
echo "ready on port $port"

kill -TERM "$relay_pid"
set +e
wait "$relay_pid"
status=$?
set -e
relay_pid=''
[[ "$status" == 0 ]] || { cat "$log" >&2; fail "exit status $status after SIGTERM, expected 0"; }
grep -q '"msg":"Shutting down: draining in-flight requests"' "$log" || fail 'no graceful shutdown in the log'
echo 'image steps verified: production dependencies suffice, ready, clean exit 0 on SIGTERM'
