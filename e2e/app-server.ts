// Runs an app's own server command (`vite`, `next dev`, `next start`) on a free port, as its
// developer would, and stops it with everything it started.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

export interface AppServer {
  origin: string;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

const exited = (child: ChildProcess) => new Promise<void>((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));

/** Starts `node <args>` in `cwd` (`{port}` in args is replaced) and waits until `/` answers. */
export async function startAppServer(args: string[], cwd: string, env: Record<string, string> = {}, timeoutMs = 120_000): Promise<AppServer> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, args.map((a) => a.replace('{port}', String(port))), { cwd, detached: true, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(-child.pid!, 'SIGTERM');
      await Promise.race([exited(child), new Promise((r) => setTimeout(r, 5_000))]);
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    }
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited (${child.exitCode}):\n${output}`);
    const ok = await fetch(`${origin}/`, { signal: AbortSignal.timeout(60_000) }).then((r) => r.status < 500, () => false);
    if (ok) return { origin, close };
    if (Date.now() > deadline) {
      await close();
      throw new Error(`${args.join(' ')} did not answer on ${origin} in ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
