/**
 * Intel HEX (the format avr-gcc's toolchain and the Arduino IDE write firmware in) to a flash
 * image. Written here rather than taken from npm: the format is a dozen lines of parsing, and the
 * one file it reads is pinned by its SHA-256 anyway. Each record is `:LLAAAATT<data>CC`: byte
 * count, 16-bit address, type, data and a checksum making the record's bytes sum to 0 mod 256.
 * Types 00 (data), 01 (end of file), 02 and 04 (segment and linear base address) are applied;
 * 03 and 05 (start address) say nothing an AVR needs.
 */
export class HexError extends Error {
  constructor(source: string, line: number, detail: string) {
    super(`${source}, line ${line}: ${detail}`);
    this.name = 'HexError';
  }
}

/** The image, flashBytes long and erased (0xFF) where the file puts nothing. */
export function parseIntelHex(text: string, flashBytes: number, source = 'firmware'): Uint8Array {
  const flash = new Uint8Array(flashBytes).fill(0xff);
  let base = 0;
  let ended = false;
  let last = 0;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    const where = index + 1;
    if (line === '' || ended) return;
    last = where;
    if (!/^:([0-9A-Fa-f]{2}){5,}$/.test(line)) throw new HexError(source, where, 'not an Intel HEX record');
    const bytes = Buffer.from(line.slice(1), 'hex');
    const [count = 0, addrHi = 0, addrLo = 0, type = 0] = bytes;
    if (bytes.length !== count + 5) throw new HexError(source, where, `record says ${count} data bytes, holds ${bytes.length - 5}`);
    if (bytes.reduce((sum, b) => sum + b, 0) % 256 !== 0) throw new HexError(source, where, 'checksum mismatch');
    const data = bytes.subarray(4, 4 + count);
    switch (type) {
      case 0x00: {
        const at = base + ((addrHi << 8) | addrLo);
        if (at + count > flashBytes)
          throw new HexError(source, where, `data at 0x${at.toString(16)} lies beyond the ${flashBytes}-byte flash`);
        flash.set(data, at);
        return;
      }
      case 0x01:
        ended = true;
        return;
      case 0x02:
      case 0x04:
        if (count !== 2) throw new HexError(source, where, 'a base address record holds 2 bytes');
        base = data.readUInt16BE(0) * (type === 0x02 ? 16 : 65_536);
        return;
      case 0x03:
      case 0x05:
        return;
      default:
        throw new HexError(source, where, `unknown record type 0x${type.toString(16).padStart(2, '0')}`);
    }
  });
  if (!ended) throw new HexError(source, last, 'no end-of-file record (truncated?)');
  return flash;
}
