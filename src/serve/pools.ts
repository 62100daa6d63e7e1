// The server's view of its pool directory: validates pool names from URLs and keeps one open handle per pool
// (pool files are opened once per process, see src/pool/open-files.ts). Appends never block the event loop:
// a locked pool is waited for on timers, at most the lock timeout, then 423 (see src/pool/write-lock.ts).
import { PlasmiteError } from "../errors.ts";
import { Client, type PoolHandle } from "../api/client.ts";
import type { Durability } from "../api/client.ts";
import type { CheckedTags, DataText } from "../api/message-text.ts";

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

  constructor(dir: string, lockTimeoutMs?: number) {
    this.client = new Client(dir, { lockTimeoutMs });
  }

  get(name: string): PoolHandle {
    checkPoolName(name);
    let handle = this.open.get(name);
    // A pool deleted or recreated behind the server's back must not keep receiving writes into the old file.
    if (handle && handle.stillLinked()) return handle;
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

  /**
   * Appends data texts (see PoolHandle.appendDataTexts) to the pool `name`, in request order per pool; returns the
   * first seq. NotFound when the pool was deleted or replaced before the append was stored in the pool's file.
   */
  async append(name: string, dataTexts: readonly DataText[], tags: CheckedTags, durability: Durability, times: number[]): Promise<number> {
    const handle = this.get(name);
    // the wait for the lock may outlast the handle (a delete, a replacement): the mapping must outlast the wait
    const release = handle.retain();
    try {
      const seq = await handle.appendDataTextsAsync(dataTexts, tags, durability, times);
      if (!handle.stillLinked()) throw replaced(name);
      return seq;
    } catch (err) {
      if (err instanceof PlasmiteError && err.kind !== "NotFound" && !handle.stillLinked()) throw replaced(name);
      throw withoutPath(err, name);
    } finally {
      release();
    }
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

function replaced(name: string): PlasmiteError {
  return new PlasmiteError("NotFound", `pool ${name} was deleted or replaced during the append; nothing was stored in it`, {
    hint: "Retry the append: it goes to the pool now under that name, if there is one.",
  });
}

/** Errors name the pool, not the server's file (clients never see the directory layout). */
function withoutPath(err: unknown, name: string): unknown {
  if (!(err instanceof PlasmiteError) || !err.path) return err;
  const message = err.message.split(err.path).join(name);
  const hint = err.kind === "NotFound" ? `Create it first: POST /v0/pools {"pool":"${name}"} (or pls poke URL --create).` : err.kind === "AlreadyExists" ? "Use the existing pool, or delete it first." : err.hint;
  return new PlasmiteError(err.kind, message, { hint, seq: err.seq, offset: err.offset });
}
