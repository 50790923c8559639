/**
 * Byte helpers for the whole bench, taken from @noble (already the crypto's dependency) rather than
 * written again. fromHex throws on malformed hex (odd length, a non-hex digit): callers that take
 * hex from a user check its shape first and name the field.
 */
import { numberToBytesBE } from '@noble/curves/utils.js';

export {
  bytesToHex as toHex,
  hexToBytes as fromHex,
  bytesToNumberBE as bytesToBigInt,
  concatBytes,
  equalBytes,
} from '@noble/curves/utils.js';

/** A non-negative integer below 2^256 as 32 bytes big-endian. */
export const bigIntTo32Bytes = (v: bigint): Uint8Array => numberToBytesBE(v, 32);
