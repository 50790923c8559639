/**
 * Delivery of each automation command: the TNs that accepted it (`automation_latency` samples of
 * its segment) against the TNs it was addressed to (its `automation_command` sample), folded from
 * a mode's samples as they pass (run-results.ts), so in-process and --processes runs agree. A
 * command's TNs have until the segment's next command, or the end of the mode, to accept it; then
 * its `automation_delivery` sample goes out, timed at the command's issue.
 */
import type { Sample } from '../../core/metrics';

interface OpenCommand {
  readonly issued: Sample;
  accepted: number;
}

const num = (v: unknown) => (typeof v === 'number' ? v : Number(v ?? 0));

export class DeliveryTally {
  private readonly open = new Map<string, OpenCommand>();

  constructor(private readonly emit: (sample: Sample) => void) {}

  observe(sample: Sample): void {
    const dc = sample.tags.dc;
    if (dc === undefined) return;
    if (sample.measurement === 'automation_command') {
      this.close(dc);
      this.open.set(dc, { issued: sample, accepted: 0 });
    } else if (sample.measurement === 'automation_latency') {
      const command = this.open.get(dc);
      if (command) command.accepted++;
    }
  }

  /** The mode ended: every command still open goes out with what it got. */
  finish(): void {
    for (const dc of [...this.open.keys()]) this.close(dc);
  }

  private close(dc: string): void {
    const command = this.open.get(dc);
    if (!command) return;
    this.open.delete(dc);
    const { issued, accepted } = command;
    const addressed = num(issued.fields.addressed);
    this.emit({
      measurement: 'automation_delivery',
      tags: issued.tags,
      fields: { addressed, accepted, ratio: addressed > 0 ? accepted / addressed : 0, bytes: num(issued.fields.bytes) },
      time: issued.time,
    });
  }
}
