/**
 * The metrics schema: every measurement the bench writes, with its tags and fields. Nodes, the
 * channel and the runner emit through the Metrics hook using these names; the dashboards and the
 * README's schema table are generated from this one list.
 *
 * Tags are for grouping and stay low-cardinality (run, scenario, mode, segment, dc, tn, board,
 * attack, goal, reason...). Per-frame values (counters, byte counts, latencies) are fields.
 * Every sample also carries the run's tags: run, scenario, mode.
 */
export interface MeasurementSpec {
  readonly description: string;
  readonly tags: readonly string[];
  readonly fields: Readonly<Record<string, string>>;
}

export const RUN_TAGS = ['run', 'scenario', 'mode'] as const;

export const MEASUREMENTS = {
  automation_latency: {
    description: 'An automation command accepted by a TN: latency from the DC handing it to the wire.',
    tags: ['segment', 'dc', 'tn', 'board'],
    fields: {
      latency_ms: 'DC send to accepted by the TN (after signature check and compute profile delay)',
      counter: 'the DC counter of the command',
    },
  },
  automation_command: {
    description:
      "An automation command issued for a segment (by its DC in lean, by the HES down every TN's channel in smgw-tls), by the scenario's workload or a campaign step.",
    tags: ['segment', 'dc'],
    fields: {
      addressed: 'TNs the command is addressed to',
      bytes: 'bytes the command puts on the segment, every repeat or TLS record counted (protocol frames, without PHY overhead)',
    },
  },
  automation_delivery: {
    description:
      "One automation command's delivery on its segment, from the runner: TNs that accepted it against TNs it was addressed to, and what it cost on the segment. Timed at the command's issue; emitted once its TNs had until the segment's next command (or the end of the run) to accept it.",
    tags: ['segment', 'dc'],
    fields: {
      addressed: 'TNs the command was addressed to',
      accepted: 'TNs that accepted it',
      ratio: 'accepted / addressed (0..1)',
      bytes: 'bytes the command put on the segment, every repeat or TLS record counted (protocol frames, without PHY overhead)',
    },
  },
  relay_switch: {
    description: 'A relay switched by an accepted automation command, as reported back by the board feedback pin.',
    tags: ['segment', 'dc', 'tn', 'board'],
    fields: {
      latency_ms: 'DC send to the pin change reported by the board',
      processing_ms: "TN receive to relay command issued (the TN's own processing)",
      state: 'relay state after the switch (true = closed)',
    },
  },
  relay_timeout: {
    description:
      "A relay switch a board issued whose feedback input did not report the change within the board's feedback timeout (a broken feedback wire, a relay that did not move, a board that lost its pin setup).",
    tags: ['segment', 'dc', 'tn', 'board'],
    fields: { count: 'always 1', state: 'relay state asked for (true = closed)', timeout_ms: 'the feedback timeout that ran out' },
  },
  frame_accepted: {
    description: 'A protocol message accepted by a node after every check.',
    tags: ['role', 'class', 'segment', 'dc', 'tn'],
    fields: {
      count:
        'frames the point stands for: 1; under per-segment tagging (metrics.tagging) one point per 10 s, segment, role and class (bench/metrics/accepted-fold.ts)',
      counter: 'the counter or version the message carried (of a folded point: the highest)',
      sender: 'claimed and verified sender id (not in a folded point)',
    },
  },
  frame_rejected: {
    description:
      'A frame a node refused, counted by reason (decode errors, bad signatures, stale counters...); attack names the attack whose frame it was.',
    tags: ['role', 'class', 'reason', 'segment', 'dc', 'tn', 'attack'],
    fields: { count: 'always 1', from: 'link-level sender' },
  },
  meter_round: {
    description: 'A meter reading round at the HES: request sent to all TNs until responses are in or the round times out.',
    tags: [],
    fields: {
      counter: 'HES counter of the request',
      duration_ms: 'request sent to last response (or timeout)',
      responses: 'responses accepted',
      missing: 'TNs that did not answer in time',
      retries: 'times the request was multicast again for TNs that had not answered (lean)',
    },
  },
  firmware_install: {
    description: 'A firmware image installed by a TN.',
    tags: ['segment', 'dc', 'tn'],
    fields: { version: 'installed version', duration_ms: 'manifest received to installed' },
  },
  bootstrap: {
    description: 'A node finished bootstrapping (certificates verified).',
    tags: ['role', 'segment', 'dc', 'tn'],
    fields: {
      duration_ms:
        "bootstrap started to certificates verified (a lean TN sends its first registration at a random time within its segment's spread: docs/DESIGN.md 2.1)",
      registrations: 'lean: registrations (a TN) or certificate requests (a DC) the node sent until enrolled; absent in smgw-tls',
    },
  },
  handshake: {
    description: 'A TLS handshake of one TN channel (smgw-tls mode).',
    tags: ['segment', 'dc', 'tn', 'reason', 'kind'],
    fields: {
      duration_ms: 'connect to secure',
      bytes_up: 'TLS bytes TN to HES during the handshake',
      bytes_down: 'TLS bytes HES to TN during the handshake',
      full: 'true for a full handshake, false for a resumed one',
    },
  },
  storm: {
    description: 'A renegotiation storm: many TN channels of one segment re-handshaking together.',
    tags: ['segment', 'dc', 'reason'],
    fields: {
      tns: 'channels involved',
      duration_s: 'first handshake start to last finish',
      bound_s:
        'lower bound N * S * 8 / R from the segment bit rate; 0 when not computed (no handshake of the storm completed in full: all failed or resumed)',
      bytes: 'handshake bytes on the segment',
    },
  },
  handshakes_in_progress: {
    description: 'TLS handshakes in progress on a segment, sampled periodically.',
    tags: ['segment', 'dc'],
    fields: { value: 'handshakes started and not yet finished' },
  },
  channel: {
    description: 'Channel emulator counters per link direction, sampled periodically (deltas since the previous sample).',
    tags: ['link', 'segment', 'direction', 'kind'],
    fields: {
      frames_offered: 'frames handed to the link',
      bytes_offered: 'bytes handed to the link',
      frames_delivered: 'frames delivered to a receiver',
      bytes_delivered: 'bytes delivered',
      drops_loss: 'frames lost on the medium',
      drops_queue: 'frames dropped at a full queue',
      drops_attack: 'frames dropped by an interceptor',
      queue_delay_ms: 'mean time from enqueue to start of transmission over the interval',
      utilization: 'fraction of the interval the medium was busy (0..1)',
    },
  },
  channel_rejected: {
    description:
      'Frames the channel refused, by reason: unknown-identity, unauthenticated (a client that did not prove its identity to the broker), not-registered (a node the broker does not know at the moment: lost in a restart or a disconnection), not-neighbour (no link to the destination), oversize, closed (sent after close), malformed-envelope, receiver-absent (nobody attached at the destination).',
    tags: ['reason'],
    fields: { count: 'always 1', from: 'claimed sender' },
  },
  operator_rejected: {
    description:
      "What a lab's node host refused on its operator channel (gridbench node --operator), by reason: unauthenticated (a client that failed the CURVE handshake: no key, or not the operator's), malformed (not a message the host takes: undecodable, an unknown type, a field of the wrong type or naming no node of the scenario), not-offered (bootstrap, start, stop: only a --processes parent orders those), no-hello (a message on a connection that did not say hello last: an operation queued before a reconnection, or from an operator another one took over from; never run), failed (handling the message threw; the host goes on with the next). The operator's side (gridbench campaign, a --processes parent) counts what it refused of a host's requests for a replacement unit's credential or registration (bench/runner/campaign-relay.ts): not-its-node (a node outside the host's selection), not-pending (no replacement of it under way), again (its replacement already had that request), not-issued (a registration whose certificate is not the one the operator issued for that replacement); and what it dropped of a host's reports about nodes not its own (not-its-node: oracle events, keys; count is how many in one message).",
    tags: ['reason'],
    fields: { count: 'always 1', from: "the peer: its address, or its routing id in hex; at the operator's side, the host" },
  },
  operator_backlog_dropped: {
    description:
      "Events a lab's node host (gridbench node --operator) dropped from what it keeps for an operator that connects later (30 s of what its nodes sent, every distinct certificate they issued) beyond its bounds (250,000 events, 64 MiB, 100,000 certificates; bench/runner/operator-backlog.ts): an operator that connects while a dropped event would still have been kept is told how many, and its verdict says it is incomplete.",
    tags: [],
    fields: { count: 'events dropped at once' },
  },
  attack: {
    description:
      'Attack outcome per goal (the seven security goals, availability for jamming and flooding): frames the attacker put on the wire and what the victims did with them.',
    tags: ['goal', 'attack', 'segment'],
    fields: {
      injected: 'attacker frames put on the wire',
      accepted: 'violations: attacker frames or effects a node accepted (must stay 0)',
      rejected: 'attacker frames a node refused',
    },
  },
  crypto_ops: {
    description: 'Crypto operations performed, per operation and backend, sampled periodically (deltas).',
    tags: ['op', 'backend', 'role'],
    fields: { count: 'operations in the interval' },
  },
  board: {
    description:
      'Board status changes of a TN, by status: attached, failed, reattached (attached again after a failure or a reset), reset (the board restarted with its port open, from its reset button, a brown-out or another program opening the port, and announced its firmware again unasked; its pins are configured again and it is reattached once its feedback input reports).',
    tags: ['tn', 'board', 'status', 'segment', 'dc'],
    fields: {
      up: '1 when attached, 0 when failed or reset',
      port: 'serial path or virtual id',
      error: 'the fault, or what the reset looked like',
    },
  },
  event: {
    description:
      "Something a person wants to see on the dashboard's time axis (its annotations), by kind: campaign-step (a step of an attack campaign began), power-restored (every TN of a segment lost and regained power), storm (a renegotiation storm, timed at its start), board-reset (a board restarted with its port open).",
    tags: ['kind', 'campaign', 'segment', 'dc', 'tn'],
    fields: {
      text: 'what happened, in a sentence',
      duration_ms: 'how long it lasted, where it lasts (a storm), else 0',
    },
  },
} as const satisfies Record<string, MeasurementSpec>;

export type MeasurementName = keyof typeof MEASUREMENTS;
