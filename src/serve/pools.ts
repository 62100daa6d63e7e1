// The server's view of its pool directory: validates pool names from URLs and keeps one open handle per pool
// (pool files are opened once per process, see src/pool/open-files.ts).
import { PlasmiteError } from "../errors.ts";
import { Client, type PoolHandle } from "../api/client.ts";

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Only plain names: no separators, no "..", no leading dot, no NUL. */
export function checkPoolName(name: string): string {
  if (!NAME.test(name) || name.includes("..")) {
    throw new PlasmiteError("Usage", `invalid pool name '${name.slice(0, 80)}'`, {
      hint: "Pool names are letters, digits, '.', '_' and '-' (no path separators, no '..').",
    });
  }
  return name;
}

export class ServedPools {
  readonly client: Client;
  private readonly open = new Map<string, PoolHandle>();

  constructor(dir: string) {
    this.client = new Client(dir);
  }

  get(name: string): PoolHandle {
    checkPoolName(name);
    let handle = this.open.get(name);
    // A pool deleted or recreated behind the server's back must not keep receiving writes into the old file.
    if (handle && handle.pool.stillLinked()) return handle;
    if (handle) {
      handle.close();
      this.open.delete(name);
    }
    try {
      handle = this.client.openPool(name);
    } catch (err) {
      throw withoutPath(err, name);
    }
    this.open.set(name, handle);
    return handle;
  }

  create(name: string, sizeBytes: number): PoolHandle {
    checkPoolName(name);
    let handle: PoolHandle;
    try {
      handle = this.client.createPool(name, { sizeBytes });
    } catch (err) {
      throw withoutPath(err, name);
    }
    this.open.get(name)?.close();
    this.open.set(name, handle);
    return handle;
  }

  delete(name: string): void {
    checkPoolName(name);
    try {
      this.client.deletePool(name);
    } catch (err) {
      throw withoutPath(err, name);
    }
    this.open.get(name)?.close();
    this.open.delete(name);
  }

  list(): string[] {
    return this.client.listPools().map((p) => p.name).filter((n) => NAME.test(n));
  }

  closeAll(): void {
    for (const h of this.open.values()) h.close();
    this.open.clear();
  }
}

/** Errors name the pool, not the server's file (clients never see the directory layout). */
function withoutPath(err: unknown, name: string): unknown {
  if (!(err instanceof PlasmiteError) || !err.path) return err;
  const message = err.message.split(err.path).join(name);
  const hint = err.kind === "NotFound" ? `Create it first: POST /v0/pools {"pool":"${name}"} (or pls poke URL --create).` : err.kind === "AlreadyExists" ? "Use the existing pool, or delete it first." : err.hint;
  return new PlasmiteError(err.kind, message, { hint, seq: err.seq, offset: err.offset });
}
