/** gridbench presets: the channel presets a scenario can name, with their main figures. */
import { PRESETS } from '../../../channel/presets';
import type { Command } from '../command';

export const command: Command = {
  summary: 'list the channel presets (bit rate, uplink, overhead, PSDU, latency, loss, queue)',
  async run(argv) {
    if (argv.includes('--json')) {
      console.log(JSON.stringify(PRESETS, null, 2));
      return 0;
    }
    const rows = Object.entries(PRESETS).map(([name, p]) => [
      name,
      p.bitRate ? `${(p.bitRate / 1000).toFixed(1)} kbit/s` : 'unlimited',
      'uplinkBitRate' in p ? `${(p.uplinkBitRate / 1000).toFixed(1)} kbit/s` : '-',
      `${p.overheadBytes} B`,
      p.maxPsdu ? `${p.maxPsdu} B` : '-',
      `${p.latencyMs} ms`,
      p.loss.model === 'bernoulli' ? `${(p.loss.p * 100).toFixed(1)} %` : 'gilbert-elliott',
      String(p.queueFrames),
      p.duplex,
    ]);
    const header = ['preset', 'bit rate', 'uplink', 'overhead', 'PSDU', 'latency', 'loss', 'queue', 'duplex'];
    const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => r[i]!.length)));
    for (const r of [header, ...rows]) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
    console.log('\ngridbench presets --json prints every field; sources are documented in channel/presets.ts');
    return 0;
  },
};
