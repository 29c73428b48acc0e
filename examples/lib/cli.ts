// How the example commands end: main()'s number is the exit code; a ConfigError (bad flags or
// config: the user's to fix) prints its message and exits 2; any other error prints its stack and
// exits 1.
import { ConfigError } from '../../src/plugins/config.ts';

export function runCommand(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      const config = err instanceof ConfigError;
      process.stderr.write(`${err instanceof Error ? (config ? `error: ${err.message}` : (err.stack ?? err.message)) : String(err)}\n`);
      process.exit(config ? 2 : 1);
    },
  );
}
