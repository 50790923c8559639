import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseIntelHex } from './intel-hex';
import { fileFromTarball } from './tarball';

/**
 * The firmware the emulated board runs: StandardFirmata for the Arduino Uno, as the prebuilt
 * Intel HEX file that the npm package avrgirl-arduino 5.0.1 ships (junk/hex/uno/). Neither its
 * source nor a binary is kept in this repository: `gridbench boards firmware` (and the emulated
 * board tests' set-up) takes the package's tarball from the npm registry with `npm pack` (the
 * tarball alone, no dependencies, no scripts), checks it against the registry's integrity pinned
 * here, takes out that one file, checks its SHA-256, and keeps it in node_modules/.cache.
 * Licences and provenance: nodes/boards/README.md.
 */
export const STANDARD_FIRMATA = {
  /** As the running firmware reports itself (REPORT_FIRMWARE): StandardFirmata.ino 2.4. */
  name: 'StandardFirmata',
  package: 'avrgirl-arduino@5.0.1',
  /** dist.integrity of that version in the npm registry. */
  integrity: 'sha512-wF9wJhhRG6vDinBxTuFRR3iIaVDMjJfce2wW7JwmbXJquzoGu3HIK5SnvDqNplsi3hcOS+p+15m1z9kt3IwgdQ==',
  path: 'package/junk/hex/uno/StandardFirmata.cpp.hex',
  sha256: '6d57ea7cf30e26c9c2f3a01ee37907d2c951f8bc9c27f84dddad12fa9c8b8f36',
} as const;

/** ATmega328P: 32 KiB of flash. */
export const FLASH_BYTES = 32_768;

export const FETCH_COMMAND = 'npx gridbench boards firmware';

const DEFAULT_DIR = fileURLToPath(new URL('../../../node_modules/.cache/gridbench/firmware/', import.meta.url));

export class FirmwareError extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = 'FirmwareError';
  }
}

/** Where the checked hex file is kept once fetched: GRIDBENCH_FIRMWARE_DIR, or node_modules/.cache/gridbench/firmware. */
export function firmwarePath(): string {
  return join(cacheDir(), 'StandardFirmata-uno.hex');
}

const cacheDir = (): string => process.env.GRIDBENCH_FIRMWARE_DIR || DEFAULT_DIR;

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** The flash image of the fetched StandardFirmata; a FirmwareError naming the command to run when it is not there. */
export function loadStandardFirmata(): Uint8Array {
  const path = firmwarePath();
  if (!existsSync(path)) {
    throw new FirmwareError(
      `StandardFirmata for the emulated board is not in ${path}: run \`${FETCH_COMMAND}\` once (it takes the prebuilt hex of ${STANDARD_FIRMATA.package} from the npm registry)`,
    );
  }
  const bytes = readFileSync(path);
  if (sha256(bytes) !== STANDARD_FIRMATA.sha256) {
    throw new FirmwareError(`${path} is not the pinned StandardFirmata (SHA-256 differs): delete it and run \`${FETCH_COMMAND}\``);
  }
  return parseIntelHex(bytes.toString('latin1'), FLASH_BYTES, path);
}

/** A flash image from any Intel HEX file (a StandardFirmata you built, another sketch). */
export function loadHexFile(path: string): Uint8Array {
  if (!existsSync(path)) throw new FirmwareError(`firmware file ${path} does not exist`);
  return parseIntelHex(readFileSync(path, 'latin1'), FLASH_BYTES, path);
}

/**
 * Makes sure the checked hex is in the cache, fetching it if it is not; resolves with its path
 * and whether it had to be fetched. Rejects with a FirmwareError naming what failed.
 */
export async function fetchStandardFirmata(): Promise<{ path: string; fetched: boolean }> {
  const path = firmwarePath();
  if (existsSync(path) && sha256(readFileSync(path)) === STANDARD_FIRMATA.sha256) return { path, fetched: false };
  const work = mkdtempSync(join(tmpdir(), 'gridbench-firmware-'));
  try {
    const tarball = join(work, await npmPack(STANDARD_FIRMATA.package, work));
    const tgz = readFileSync(tarball);
    const integrity = `sha512-${createHash('sha512').update(tgz).digest('base64')}`;
    if (integrity !== STANDARD_FIRMATA.integrity) {
      throw new FirmwareError(
        `${STANDARD_FIRMATA.package}: the tarball's integrity ${integrity} is not the pinned ${STANDARD_FIRMATA.integrity}`,
      );
    }
    const hex = fileFromTarball(tgz, STANDARD_FIRMATA.path);
    if (!hex) throw new FirmwareError(`${STANDARD_FIRMATA.package} has no ${STANDARD_FIRMATA.path}`);
    if (sha256(hex) !== STANDARD_FIRMATA.sha256)
      throw new FirmwareError(`${STANDARD_FIRMATA.path}: SHA-256 ${sha256(hex)} is not the pinned one`);
    parseIntelHex(hex.toString('latin1'), FLASH_BYTES, STANDARD_FIRMATA.path);
    mkdirSync(cacheDir(), { recursive: true });
    // Written aside and renamed: test files fetching at once never read half a file.
    const partial = `${path}.${process.pid}.partial`;
    writeFileSync(partial, hex);
    renameSync(partial, path);
    return { path, fetched: true };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** `npm pack SPEC`: the registry's tarball of one package version, nothing else; resolves with its file name. */
function npmPack(spec: string, into: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'npm',
      ['pack', spec, '--pack-destination', into, '--json', '--ignore-scripts', '--silent'],
      { timeout: 120_000, maxBuffer: 4 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const why = (stderr || error?.message || '').trim().split('\n').slice(-3).join(' ');
        if (error) {
          reject(
            new FirmwareError(
              `\`npm pack ${spec}\` failed (no access to the npm registry?): ${why}. Run \`${FETCH_COMMAND}\` where the registry can be reached`,
            ),
          );
          return;
        }
        try {
          const [packed] = JSON.parse(stdout) as Array<{ filename: string }>;
          if (!packed?.filename) throw new Error('no file name in its output');
          resolve(packed.filename);
        } catch (err) {
          reject(new FirmwareError(`\`npm pack ${spec}\` gave no tarball: ${(err as Error).message}`));
        }
      },
    );
  });
}
