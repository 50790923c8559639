import type { MetricsOutput, Sample, SampleSink } from '../../core/metrics';

/**
 * Several outputs behind one: what the runner hands its Metrics hooks (`sink`). One output that
 * throws cannot stop the others from getting samples or from being stopped.
 */
export class MetricsOutputs implements MetricsOutput {
  /** Errors thrown by an output's addSamples (which must not happen, but must not spread). */
  addErrors = 0;

  constructor(readonly outputs: readonly MetricsOutput[]) {}

  readonly sink: SampleSink = (sample) => this.addSamples([sample]);

  async start(): Promise<void> {
    await Promise.all(this.outputs.map((o) => o.start()));
  }

  addSamples(samples: readonly Sample[]): void {
    for (const output of this.outputs) {
      try {
        output.addSamples(samples);
      } catch {
        this.addErrors++;
      }
    }
  }

  async stop(): Promise<void> {
    const results = await Promise.allSettled(this.outputs.map((o) => o.stop()));
    const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, errors.map((e) => (e as Error).message ?? String(e)).join('; '));
  }

  /** What each output reports (for summary.json), in the order of the outputs. */
  reports(): { output: string; report: unknown }[] {
    return this.outputs.flatMap((o) => {
      const report = (o as { report?: () => unknown }).report;
      return typeof report === 'function' ? [{ output: o.constructor.name, report: report.call(o) }] : [];
    });
  }
}
