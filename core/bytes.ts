/**
 * Byte helpers for the whole bench, taken from @noble (already the crypto's dependency) rather than
 * written again. fromHex throws on malformed hex (odd length, a non-hex digit): callers that take
 * hex from a user check its shape first and name the field.
 */
import { numberToBytesBE } from '@noble/curves/utils.js';

export { hexToBytes as fromHex, bytesToNumberBE as bytesToBigInt, concatBytes, equalBytes } from '@noble/curves/utils.js';

/**
 * Lower-case hex of bytes, as one flat string. Not noble's bytesToHex: it appends a digit pair at
 * a time, so a hex kept for the run (a TN's fingerprint on the allow-list, its keys in the HES's
 * records) stayed a chain of a cons string per byte in V8's heap until something flattened it
 * (issue 13: a million TNs' worth). Copied into a pooled Buffer, not viewed: a view would give a
 * small array an ArrayBuffer of its own for good.
 */
export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** A non-negative integer below 2^256 as 32 bytes big-endian. */
export const bigIntTo32Bytes = (v: bigint): Uint8Array => numberToBytesBE(v, 32);
