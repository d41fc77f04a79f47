import { ConfigError } from './config.error.js';
import { parseSandboxEnv } from './sandbox.env.js';

describe('sandbox settings', () => {
  it('keeps everything on loopback by default: a free emulator port, the vault on PORT', () => {
    expect(parseSandboxEnv({ PORT: '3100' })).toEqual({
      emulatorHost: '127.0.0.1',
      emulatorPort: 0,
      publicUrl: 'http://127.0.0.1:3100',
      emulatorPublicUrl: undefined,
    });
  });

  it('takes the listeners and the addresses a browser uses, as compose sets them', () => {
    expect(
      parseSandboxEnv({
        PORT: '3000',
        SANDBOX_EMULATOR_HOST: '0.0.0.0',
        SANDBOX_EMULATOR_PORT: '4100',
        SANDBOX_PUBLIC_URL: 'http://127.0.0.1:8080/',
        SANDBOX_EMULATOR_PUBLIC_URL: 'http://127.0.0.1:8041',
      }),
    ).toEqual({
      emulatorHost: '0.0.0.0',
      emulatorPort: 4100,
      publicUrl: 'http://127.0.0.1:8080',
      emulatorPublicUrl: 'http://127.0.0.1:8041',
    });
  });

  it.each([
    ['SANDBOX_PUBLIC_URL', 'http://127.0.0.1:3000/vault'],
    ['SANDBOX_PUBLIC_URL', 'ftp://127.0.0.1'],
    ['SANDBOX_EMULATOR_PUBLIC_URL', 'localhost:4100'],
    ['SANDBOX_EMULATOR_PORT', '65536'],
  ])('refuses %s=%s, naming it', (variable, value) => {
    expect(() => parseSandboxEnv({ [variable]: value })).toThrow(ConfigError);
    expect(() => parseSandboxEnv({ [variable]: value })).toThrow(new RegExp(`^${variable}: `));
  });
});
