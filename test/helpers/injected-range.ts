/**
 * How far a campaign's injected count in another runner (--processes, a lab on the real clock) may
 * lie from the in-process count and still be the same verdict. The real clock may add or miss a
 * few frames of a recording or an interceptor, and a step that replays everything recorded by its
 * time replays what the runner's timings let through: a lost registration is sent again after 2 s
 * between hosts (nodes/lean/provisioning.ts HOST_RETRY) and after 15-45 s in process, so messages
 * the HES holds for a replaced DC go out sooner between hosts (wire group, lean: replay.yaml
 * replays 2 x 3 of secure-hes-tn's confidential messages there against 2 x 1 in process).
 * In range: the attacker reached the wire in both runs or in neither, and within half to twice the
 * in-process count, give or take 3. A run that injected nothing where in process injected
 * something is out of range, however small the in-process count.
 */
export function injectedInRange(inProcess: number, other: number): boolean {
  return other > 0 === inProcess > 0 && other >= inProcess / 2 - 3 && other <= 2 * inProcess + 3;
}
