/** Named errors of smgw-tls mode. A channel error ends one channel; it never stops the bench. */
export class TlsChannelError extends Error {
  constructor(
    readonly code: 'RESET' | 'TIMEOUT' | 'OVERFLOW',
    message: string,
  ) {
    super(message);
    this.name = 'TlsChannelError';
  }
}

/** Invalid configuration of smgw-tls mode, naming the option. */
export class TlsConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TlsConfigError';
  }
}
