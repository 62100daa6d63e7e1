// Test-only: real nats-server processes on loopback (random free ports, JetStream in a temporary directory),
// alone or as a 3-node JetStream cluster, that tests, the campaign and the benchmark start, restart and stop;
// and `pls bridge` child processes. Never used by the library.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";

export const NATS_SERVER = process.env.PLASMITE_NATS_SERVER ?? (existsSync("/usr/sbin/nats-server") ? "/usr/sbin/nats-server" : "nats-server");
const MAIN = join(import.meta.dir, "..", "cli", "main.ts");

/** True when a nats-server binary is there to run. */
export function natsServerAvailable(): boolean {
  return Bun.spawnSync(["sh", "-c", `command -v ${NATS_SERVER}`]).exitCode === 0;
}

/** A loopback TCP port nothing listens on right now. */
export function freePort(): number {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = server.port;
  server.stop(true);
  return port;
}

export interface NatsServer {
  url: string;
  port: number;
  /** SIGKILL (a crash); start() brings it back on the same port and store. */
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

interface ServerSpec {
  name: string;
  port: number;
  storeDir: string;
  extra: string[];
}

async function launch(spec: ServerSpec): Promise<Subprocess> {
  mkdirSync(spec.storeDir, { recursive: true });
  const proc = Bun.spawn([NATS_SERVER, "-js", "-sd", spec.storeDir, "-a", "127.0.0.1", "-p", String(spec.port), "-n", spec.name, ...spec.extra], { stdout: "ignore", stderr: "ignore" });
  await waitForPort(spec.port, 10_000);
  return proc;
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const socket = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
      socket.end();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`nats-server did not listen on ${port}`);
      await Bun.sleep(25);
    }
  }
}

function serverHandle(spec: ServerSpec): NatsServer & { proc(): Subprocess | null } {
  let proc: Subprocess | null = null;
  return {
    url: `nats://127.0.0.1:${spec.port}`,
    port: spec.port,
    proc: () => proc,
    async start() {
      proc = await launch(spec);
    },
    async kill() {
      proc?.kill("SIGKILL");
      await proc?.exited;
      proc = null;
    },
    async stop() {
      proc?.kill("SIGTERM");
      await proc?.exited;
      proc = null;
    },
  };
}

/** One nats-server with JetStream; `extra` adds flags (e.g. --user u --pass p). */
export async function startNats(root: string, extra: string[] = []): Promise<NatsServer> {
  const spec = { name: "n1", port: freePort(), storeDir: join(root, "nats-store"), extra };
  const server = serverHandle(spec);
  await server.start();
  return server;
}

/** A 3-node JetStream cluster on loopback; `url` lists every node (clients fail over). */
export async function startNatsCluster(root: string): Promise<{ nodes: NatsServer[]; url: string; stop(): Promise<void> }> {
  const routePorts = [freePort(), freePort(), freePort()];
  const routes = routePorts.map((p) => `nats://127.0.0.1:${p}`).join(",");
  const nodes = routePorts.map((routePort, i) =>
    serverHandle({
      name: `n${i + 1}`,
      port: freePort(),
      storeDir: join(root, `nats-store-${i + 1}`),
      extra: ["--cluster_name", "plasmite-test", "--cluster", `nats://127.0.0.1:${routePort}`, "--routes", routes],
    }),
  );
  await Promise.all(nodes.map((n) => n.start()));
  return {
    nodes,
    url: nodes.map((n) => n.url).join(","),
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
}

const running = new Set<Subprocess>();

/** SIGKILLs every bridge startBridge started that still runs (a failed test leaves none behind). */
export async function killBridges(): Promise<void> {
  for (const proc of running) proc.kill("SIGKILL");
  await Promise.all([...running].map((p) => p.exited));
  running.clear();
}

/** `pls --dir DIR bridge ARGS` in the background, stderr collected (JSON notices). */
export function startBridge(dir: string, args: string[]): { proc: Subprocess<"ignore", "ignore", "pipe">; stderr(): Promise<string> } {
  const proc = Bun.spawn([process.execPath, MAIN, "--dir", dir, "bridge", ...args], { stdin: "ignore", stdout: "ignore", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } });
  running.add(proc);
  void proc.exited.then(() => running.delete(proc));
  let text: Promise<string> | null = null;
  return { proc, stderr: () => (text ??= new Response(proc.stderr).text()) };
}

/** Polls `check` every `everyMs` until it returns true or `timeoutMs` passes (then throws `what`). */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string, everyMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(everyMs);
  }
}
