/**
 * The layer rules of docs/ARCHITECTURE.md, checked by `npm run lint`:
 *
 *   core/      clock, random, transport, metrics, topology, PHY arithmetic, bytes: imports no layer
 *   channel/   the emulated wire: builds on core/ only (it is handed a frame classifier)
 *   nodes/     protocol, modes, boards, oracle: builds on core/ only; one mode never imports another
 *   bench/     runner, CLI, campaigns, metrics outputs: may use everything below it
 *   dashboards/ reads the metrics schema in core/
 *
 * Tests may wire layers together, so test files are exempt from the layer rules, not from cycles.
 */
const { existsSync, readdirSync } = require('node:fs');
const { join } = require('node:path');

const notTest = '(?<!\\.test\\.ts)$';
/** A mode is a folder under nodes/ with a definition.ts (nodes/modes.ts registers it). */
const modes = readdirSync(join(__dirname, 'nodes')).filter((d) => existsSync(join(__dirname, 'nodes', d, 'definition.ts')));
const modeFolders = `^nodes/(${modes.join('|')})/`;
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'an import cycle', from: {}, to: { circular: true } },
    {
      name: 'core-imports-no-layer',
      severity: 'error',
      from: { path: `^core/.*${notTest}` },
      to: { path: '^(nodes|channel|bench|dashboards)/' },
    },
    {
      name: 'channel-builds-on-core',
      severity: 'error',
      from: { path: `^channel/.*${notTest}` },
      to: { path: '^(nodes|bench|dashboards)/' },
    },
    { name: 'nodes-build-on-core', severity: 'error', from: { path: `^nodes/.*${notTest}` }, to: { path: '^(channel|bench|dashboards)/' } },
    {
      name: 'modes-are-independent',
      severity: 'error',
      comment: 'a mode is one folder: lean and smgw-tls share only what lies outside both',
      from: { path: modeFolders },
      to: { path: modeFolders, pathNot: '^nodes/$1/' },
    },
    {
      name: 'dashboards-read-core',
      severity: 'error',
      from: { path: `^dashboards/.*${notTest}` },
      to: { path: '^(nodes|channel|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|results)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
