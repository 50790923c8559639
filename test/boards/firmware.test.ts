import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RealClock } from '../../core/clock';
import { NO_METRICS } from '../../core/metrics';
import { Random } from '../../core/random';
import { BoardError } from '../../nodes/boards/board';
import { createBoard } from '../../nodes/boards/create-board';
import { fetchStandardFirmata, firmwarePath, FLASH_BYTES, STANDARD_FIRMATA } from '../../nodes/boards/emulated/firmware';
import { HexError, parseIntelHex } from '../../nodes/boards/emulated/intel-hex';

const empty = mkdtempSync(join(tmpdir(), 'gridbench-no-firmware-'));
afterAll(() => rmSync(empty, { recursive: true, force: true }));
beforeAll(async () => {
  await fetchStandardFirmata();
}, 180_000);

function gridbench(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/cli/gridbench.ts', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('Intel HEX', () => {
  it('reads the fetched StandardFirmata into a 32 KiB flash image: the reset vector jumps past the interrupt table', () => {
    const flash = parseIntelHex(readFileSync(firmwarePath(), 'latin1'), FLASH_BYTES);
    expect(flash).toHaveLength(32_768);
    // jmp 0x00e8 (word address 0x74): 0x940c 0x0074, little-endian words
    expect([...flash.subarray(0, 4)]).toEqual([0x0c, 0x94, 0x74, 0x00]);
    expect(flash[FLASH_BYTES - 1]).toBe(0xff);
  });

  it.each([
    ['a bad checksum', ':0100000000FE\n:00000001FF\n', 'fw.hex, line 1: checksum mismatch'],
    ['a short record', ':0200000000FE\n:00000001FF\n', 'fw.hex, line 1: record says 2 data bytes, holds 1'],
    ['no end record', ':0100000000FF\n', 'fw.hex, line 1: no end-of-file record (truncated?)'],
    ['data beyond the flash', ':02FFFF00000000\n:00000001FF\n', 'fw.hex, line 1: data at 0xffff lies beyond the 32768-byte flash'],
    ['something else', 'hello\n', 'fw.hex, line 1: not an Intel HEX record'],
  ])('refuses %s, naming file and line', (_what, text, message) => {
    expect(() => parseIntelHex(text, FLASH_BYTES, 'fw.hex')).toThrow(HexError);
    expect(() => parseIntelHex(text, FLASH_BYTES, 'fw.hex')).toThrow(message);
  });

  it('applies extended linear address records', () => {
    const flash = parseIntelHex(':020000040000FA\n:01001000AB44\n:00000001FF\n', 64);
    expect(flash[0x10]).toBe(0xab);
  });
});

describe('StandardFirmata for the emulated board', () => {
  it('is pinned: the cached file is the hex avrgirl-arduino 5.0.1 ships, by SHA-256', async () => {
    const { createHash } = await import('node:crypto');
    expect(createHash('sha256').update(readFileSync(firmwarePath())).digest('hex')).toBe(STANDARD_FIRMATA.sha256);
    expect(await fetchStandardFirmata()).toEqual({ path: firmwarePath(), fetched: false });
  });

  it('an emulated board without it is a BoardError naming the command that fetches it', () => {
    const saved = process.env.GRIDBENCH_FIRMWARE_DIR;
    process.env.GRIDBENCH_FIRMWARE_DIR = empty;
    try {
      const clock = new RealClock();
      let error: unknown;
      try {
        createBoard({ kind: 'emulated' }, { tn: 'tn1.001', clock, random: new Random(1), metrics: NO_METRICS });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(BoardError);
      expect((error as BoardError).code).toBe('NO_FIRMWARE');
      expect((error as BoardError).message).toContain('run `npx gridbench boards firmware` once');
    } finally {
      if (saved === undefined) delete process.env.GRIDBENCH_FIRMWARE_DIR;
      else process.env.GRIDBENCH_FIRMWARE_DIR = saved;
    }
  });

  it('an emulated board needs the real clock', async () => {
    const { VirtualClock } = await import('../../core/clock');
    expect(() =>
      createBoard({ kind: 'emulated' }, { tn: 'tn1.001', clock: new VirtualClock(), random: new Random(1), metrics: NO_METRICS }),
    ).toThrow('an emulated board runs on the real clock');
  });

  it('`gridbench boards firmware` without the registry exits 1 naming the command to run where it can be reached', async () => {
    const cache = mkdtempSync(join(empty, 'npm-cache-'));
    const result = await gridbench(['boards', 'firmware'], {
      GRIDBENCH_FIRMWARE_DIR: empty,
      npm_config_registry: 'http://127.0.0.1:9/',
      npm_config_cache: cache,
      npm_config_fetch_retries: '0',
      npm_config_offline: 'false',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('`npm pack avrgirl-arduino@5.0.1` failed');
    expect(result.stderr).toContain('Run `npx gridbench boards firmware` where the registry can be reached');
  });
});
