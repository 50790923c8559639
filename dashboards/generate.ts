/**
 * Writes the dashboards (dashboards/json/) and Grafana's provisioning files
 * (dashboards/provisioning/) from the code in this directory:
 *
 *   npx tsx dashboards/generate.ts
 *
 * Both are committed; a test fails when they differ from what this produces.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gridbenchDashboard } from './gridbench-dashboard';
import { renderProvisioning } from './provisioning';

export const DASHBOARDS_ROOT = dirname(fileURLToPath(import.meta.url));

/** Path relative to dashboards/ to file content. */
export function renderAll(): Record<string, string> {
  const files: Record<string, string> = { 'json/gridbench.json': JSON.stringify(gridbenchDashboard(), null, 2) + '\n' };
  for (const [path, text] of Object.entries(renderProvisioning())) files[`provisioning/${path}`] = text;
  return files;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const [path, text] of Object.entries(renderAll())) {
    const target = join(DASHBOARDS_ROOT, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, text);
    console.log(`wrote dashboards/${path}`);
  }
}
