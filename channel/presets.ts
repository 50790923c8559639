import type { LinkProfile } from './profile';

/**
 * Named link profiles. Each number says where it comes from; the loss rates and queue sizes are
 * not standardised: they are illustrative defaults that a scenario overrides with what it measured.
 *
 * Byte-time overhead: PHY preamble and frame-control symbols are not bytes, but they occupy the
 * medium. They are expressed as the bytes that would take the same time at the preset's bit rate,
 * so a frame of B bytes takes (B + overheadBytes) * 8 / bitRate seconds per PHY frame (docs/DESIGN.md section 5).
 */

/**
 * G3-PLC, CENELEC-A band (ITU-T G.9903, PHY parameters of its CENELEC-A annex): 36 subcarriers,
 * 400 kHz sampling, 256-point FFT + 22-sample cyclic prefix = 0.695 ms per OFDM symbol; preamble
 * 6.08 ms; frame control header 13 symbols = 9.04 ms. Normal mode FEC: convolutional code 1/2
 * and Reed-Solomon (255,239), hence the 239-byte PSDU. MAC: IEEE 802.15.4 with 6LoWPAN; about
 * 25 bytes of MAC header, compressed IPv6/UDP header and FCS. Retries: IEEE 802.15.4
 * macMaxFrameRetries default 3. CSMA/CA random backoff is approximated as jitter.
 */
const G3_SYMBOL_MS = (256 + 22) / 400;
const G3_HEADER_MS = 6.08 + 13 * G3_SYMBOL_MS;
const G3_MAC_BYTES = 25;

/** D8PSK, the fastest modulation: 36 carriers * 3 bit * 1/2 (CC) * 239/255 (RS) per symbol. */
const G3_D8PSK_BPS = Math.round((36 * 3 * 0.5 * (239 / 255)) / (G3_SYMBOL_MS / 1000));
/** ROBO, the robust mode: DBPSK, 4x repetition, CC 1/2, RS (255,245): 36 * 1 * 1/2 * 245/255 / 4. */
const G3_ROBO_BPS = Math.round((36 * 1 * 0.5 * (245 / 255)) / 4 / (G3_SYMBOL_MS / 1000));
/** ROBO payload is bounded by the 252-symbol frame: 252 * 36 / 4 / 2 bits, less RS parity (10 bytes). */
const G3_ROBO_MAX_PSDU = Math.floor((252 * 36) / 4 / 2 / 8) - 10;

const headerBytes = (headerMs: number, bps: number): number => Math.round((headerMs / 1000) * (bps / 8));

/**
 * PRIME 1.3, CENELEC-A (ITU-T G.9904): 96 data subcarriers + 1 pilot, OFDM symbol 2.24 ms
 * (2.048 ms + 192 us cyclic prefix), preamble 2.048 ms, PHY header 2 symbols. DBPSK with FEC
 * (convolutional 1/2), the robust rate: 96 * 1 * 1/2 bit per symbol = 21.4 kbit/s (the spec's
 * rate table: 21.4 to 128.6 kbit/s). Payload at most 63 symbols = 378 bytes at this rate. MAC:
 * generic MAC header 3 + packet header 6 + CRC 4 bytes. ARQ is optional in PRIME and off here.
 */
const PRIME_SYMBOL_MS = 2.24;
const PRIME_DBPSK_FEC_BPS = Math.round((96 * 1 * 0.5) / (PRIME_SYMBOL_MS / 1000));
const PRIME_HEADER_MS = 2.048 + 2 * PRIME_SYMBOL_MS;

/** TCP/IPv4 headers without options, carried once per segment on IP links. */
const TCP_IP_BYTES = 40;

export const PRESETS = {
  /** No serialization, latency or loss: for unit tests and the forwarding benchmark. */
  'pass-through': {
    bitRate: 0,
    overheadBytes: 0,
    maxPsdu: null,
    maxFrameBytes: 1 << 20,
    latencyMs: 0,
    jitter: { distribution: 'none', ms: 0 },
    loss: { model: 'bernoulli', p: 0 },
    retries: 0,
    queueFrames: 1_000_000,
    duplex: 'full',
  },
  'g3-plc-cenelec-a': {
    bitRate: G3_D8PSK_BPS,
    overheadBytes: headerBytes(G3_HEADER_MS, G3_D8PSK_BPS) + G3_MAC_BYTES,
    maxPsdu: 239,
    // IPv6 minimum MTU, which 6LoWPAN must carry (RFC 4944).
    maxFrameBytes: 1280,
    latencyMs: 2,
    jitter: { distribution: 'uniform', ms: 10 },
    loss: { model: 'bernoulli', p: 0.02 },
    retries: 3,
    queueFrames: 64,
    duplex: 'half',
  },
  'g3-plc-cenelec-a-robo': {
    bitRate: G3_ROBO_BPS,
    overheadBytes: headerBytes(G3_HEADER_MS, G3_ROBO_BPS) + G3_MAC_BYTES,
    maxPsdu: G3_ROBO_MAX_PSDU,
    maxFrameBytes: 1280,
    latencyMs: 2,
    jitter: { distribution: 'uniform', ms: 10 },
    loss: { model: 'bernoulli', p: 0.005 },
    retries: 3,
    queueFrames: 64,
    duplex: 'half',
  },
  'prime-1.3-cenelec-a': {
    bitRate: PRIME_DBPSK_FEC_BPS,
    overheadBytes: headerBytes(PRIME_HEADER_MS, PRIME_DBPSK_FEC_BPS) + 13,
    maxPsdu: 378,
    maxFrameBytes: 1280,
    latencyMs: 2,
    jitter: { distribution: 'uniform', ms: 10 },
    loss: { model: 'bernoulli', p: 0.02 },
    retries: 0,
    queueFrames: 64,
    duplex: 'half',
  },
  /**
   * GPRS, coding scheme CS-2 (3GPP TS 45.003: 13.4 kbit/s per timeslot), multislot class 10
   * (3GPP TS 45.002 Annex B: 4 downlink / 2 uplink slots): 53.6 kbit/s down, 26.8 kbit/s up.
   * Round-trip times of 500 to 700 ms are typical of GPRS, so 300 ms one way plus exponential
   * jitter. Per segment: TCP/IP plus about 10 bytes of SNDCP/LLC headers. TCP hides radio loss.
   */
  gprs: {
    bitRate: 4 * 13_400,
    uplinkBitRate: 2 * 13_400,
    overheadBytes: TCP_IP_BYTES + 10,
    maxPsdu: 1460,
    maxFrameBytes: 1 << 16,
    latencyMs: 300,
    jitter: { distribution: 'exponential', ms: 50 },
    loss: { model: 'bernoulli', p: 0 },
    retries: 0,
    queueFrames: 256,
    duplex: 'full',
  },
  /**
   * ADSL2+ (ITU-T G.992.5 Annex A), a typical sync of 16 Mbit/s down, 1 Mbit/s up; the ATM cell
   * tax (48 payload bytes per 53-byte cell) is folded into the bit rate. Per segment: TCP/IP,
   * PPPoE 8, Ethernet 18, AAL5 trailer 8 bytes. Latency: interleaving plus backhaul, about 10 ms.
   */
  dsl: {
    bitRate: Math.round((16_000_000 * 48) / 53),
    uplinkBitRate: Math.round((1_000_000 * 48) / 53),
    overheadBytes: TCP_IP_BYTES + 8 + 18 + 8,
    maxPsdu: 1452,
    maxFrameBytes: 1 << 16,
    latencyMs: 10,
    jitter: { distribution: 'uniform', ms: 2 },
    loss: { model: 'bernoulli', p: 0 },
    retries: 0,
    queueFrames: 512,
    duplex: 'full',
  },
  /**
   * Fast Ethernet (IEEE 802.3 100BASE-TX): 100 Mbit/s; per frame preamble+SFD 8, header 14,
   * FCS 4, inter-frame gap 12 bytes, plus TCP/IP; MTU 1500.
   */
  lan: {
    bitRate: 100_000_000,
    overheadBytes: 8 + 14 + 4 + 12 + TCP_IP_BYTES,
    maxPsdu: 1460,
    maxFrameBytes: 1 << 16,
    latencyMs: 0.1,
    jitter: { distribution: 'none', ms: 0 },
    loss: { model: 'bernoulli', p: 0 },
    retries: 0,
    queueFrames: 1024,
    duplex: 'full',
  },
} as const satisfies Record<string, LinkProfile>;

export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];
