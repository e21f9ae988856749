#!/usr/bin/env bash
# Prepares a fresh clone: Node.js 24 when the machine's node is older, the npm dependencies of
# the app and every workspace, the workspace builds, the .env file and the SQLite folder.
set -euo pipefail
cd "$(dirname "$0")/.."

required_major=24
local_version=24.21.0

node_major() {
  node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0
}

if [ "$(node_major)" -lt "$required_major" ] && [ ! -x .node/node_modules/node/bin/node ]; then
  echo "setup: node $(node --version 2>/dev/null || echo missing) is older than $required_major; installing Node.js $local_version into .node/"
  npm install --prefix .node --no-save --loglevel=error "node@$local_version"
fi

. scripts/node-env.sh
echo "setup: using node $(node --version) from $(command -v node)"

npm ci --loglevel=error

# ssh2's optional native cipher addon can abort the process with "Assertion failed: (env) !=
# nullptr" when built against Node 24 headers (ssh2 1.17). Without it, ssh2 uses Node's own
# crypto, which is correct and fast enough for backups.
rm -rf node_modules/ssh2/lib/protocol/crypto/build
npm run build --workspaces --if-present

if [ ! -f .env ]; then
  cp .env.example .env
  node ace generate:key
  echo "setup: wrote .env with a new APP_KEY"
fi

mkdir -p tmp
node ace migration:run --force
echo "setup: done. Start the panel with: npm run dev"
