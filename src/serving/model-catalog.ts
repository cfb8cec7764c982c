import { setTimeout as sleep } from 'node:timers/promises';
import { NotFoundError } from '../errors.js';
import type { ModelEvent, ModelEvents } from '../registry/model-events.js';
import type { ModelStore } from '../registry/model-store.js';
import type { ModelRecord, VersionRecord } from '../registry/records.js';
import { ownedBy, type Tenant } from '../registry/tenants.js';

export interface CatalogEntry {
  model: ModelRecord;
  /** Null until the model has a trained version. */
  latest: VersionRecord | null;
}

export interface ModelCatalogOptions {
  models: Pick<ModelStore, 'find' | 'list' | 'latestVersion'>;
  events: Pick<ModelEvents, 'listen'>;
  /** Told of each model deleted, so what was loaded for it goes too. */
  onDeleted(modelId: string): void;
  onError(error: unknown): void;
  /** How long to wait before trying Redis again after the subscription or a reload failed. */
  retryMs?: number;
}

/**
 * Every model and its latest version, in memory, so serving resolves a model
 * without a Redis round trip. Loaded in full at start and again whenever the
 * model events subscription comes back after dropping (what was published
 * meanwhile is lost); between, each event applies as it arrives. Until it is
 * loaded and subscribed, it reads through to the store instead, so a
 * catalog that cannot know is never trusted.
 */
export class ModelCatalog {
  /** Full loads completed: the tests wait on it across a Redis restart. */
  reloads = 0;
  private byId = new Map<string, CatalogEntry>();
  private byName = new Map<string, string>();
  private live = false;
  /** Bumped by each event, so a read of the store that raced one is read again. */
  private generation = 0;
  /** Events heard while a reload reads the store, applied again over what it read. */
  private heardDuringReload: ModelEvent[] | undefined;
  private syncing = false;
  private syncAgain = false;
  private stopListening: (() => Promise<void>) | undefined;
  private readonly closing = new AbortController();

  constructor(private readonly options: ModelCatalogOptions) {}

  /** Subscribes and loads in the background; resolves are read through to the store until that is done. */
  start(): void {
    void this.subscribe();
  }

  async close(): Promise<void> {
    this.closing.abort();
    this.live = false;
    await this.stopListening?.();
    this.byId.clear();
    this.byName.clear();
  }

  /**
   * The model by id or unique name, with its latest version, when `tenant`
   * sees it (its record carries its tenant); another tenant's model is as
   * unknown as a model that does not exist.
   */
  async resolve(idOrName: string, tenant: Tenant): Promise<CatalogEntry> {
    const known = this.live ? (this.byId.get(idOrName) ?? this.byId.get(this.byName.get(idOrName) ?? '')) : undefined;
    const entry = known ?? (await this.readThrough(idOrName));
    ownedBy(tenant, 'model', idOrName, entry.model);
    return entry;
  }

  /** Drops a model this process deleted now, ahead of its event. */
  remove(modelId: string): void {
    const entry = this.byId.get(modelId);
    if (entry) {
      this.byId.delete(modelId);
      if (this.byName.get(entry.model.name) === modelId) this.byName.delete(entry.model.name);
    }
    this.options.onDeleted(modelId);
  }

  private async readThrough(idOrName: string): Promise<CatalogEntry> {
    for (;;) {
      const generation = this.generation;
      const model = await this.options.models.find(idOrName);
      const latest = model && model.latest_version > 0 ? await this.options.models.latestVersion(model.id) : null;
      // An event heard during the reads may be newer than what they returned, and was not applied to an unknown model.
      if (generation !== this.generation) continue;
      if (!model) throw new NotFoundError(`model '${idOrName}' not found`);
      const entry = { model, latest };
      if (this.live) this.put(entry);
      return entry;
    }
  }

  private async subscribe(): Promise<void> {
    while (!this.closing.signal.aborted) {
      try {
        this.stopListening = await this.options.events.listen({ event: (event) => this.apply(event), resubscribed: () => this.resync() });
        if (this.closing.signal.aborted) await this.stopListening();
        else this.resync();
        return;
      } catch (error) {
        this.options.onError(error);
        if (!(await this.pause())) return;
      }
    }
  }

  private resync(): void {
    this.live = false;
    if (this.syncing) {
      this.syncAgain = true;
      return;
    }
    this.syncing = true;
    void this.reloadUntilDone().finally(() => {
      this.syncing = false;
    });
  }

  private async reloadUntilDone(): Promise<void> {
    do {
      this.syncAgain = false;
      try {
        await this.reload();
      } catch (error) {
        this.options.onError(error);
        this.syncAgain = true;
        if (!(await this.pause())) return;
      }
    } while (this.syncAgain && !this.closing.signal.aborted);
    if (!this.closing.signal.aborted) this.live = true;
  }

  private async reload(): Promise<void> {
    this.heardDuringReload = [];
    try {
      const models = await this.options.models.list();
      const latest = await Promise.all(models.map((model) => (model.latest_version > 0 ? this.options.models.latestVersion(model.id) : null)));
      const heard = this.heardDuringReload;
      // Stop recording before replaying: apply() records what it hears, and would append to the list it walks.
      this.heardDuringReload = undefined;
      const previous = this.byId;
      this.byId = new Map();
      this.byName = new Map();
      models.forEach((model, i) => this.put({ model, latest: latest[i] ?? null }));
      for (const event of heard) this.apply(event);
      for (const id of previous.keys()) if (!this.byId.has(id)) this.options.onDeleted(id);
      this.reloads += 1;
    } finally {
      this.heardDuringReload = undefined;
    }
  }

  private apply(event: ModelEvent): void {
    this.generation += 1;
    this.heardDuringReload?.push(event);
    switch (event.type) {
      case 'deleted':
        this.remove(event.model_id);
        return;
      case 'model': {
        const known = this.byId.get(event.model.id);
        if (known) this.put({ model: { ...event.model, latest_version: Math.max(event.model.latest_version, known.model.latest_version) }, latest: known.latest });
        else if (event.model.latest_version === 0) this.put({ model: event.model, latest: null });
        return;
      }
      case 'version': {
        const known = this.byId.get(event.version.model_id);
        if (known && (known.latest?.version ?? 0) < event.version.version) {
          this.put({ model: { ...known.model, latest_version: Math.max(known.model.latest_version, event.version.version) }, latest: event.version });
        }
        return;
      }
    }
  }

  private put(entry: CatalogEntry): void {
    const { id, name } = entry.model;
    const previous = this.byId.get(id);
    if (previous && previous.model.name !== name && this.byName.get(previous.model.name) === id) this.byName.delete(previous.model.name);
    this.byId.set(id, entry);
    this.byName.set(name, id);
  }

  /** False once the catalog closes. */
  private async pause(): Promise<boolean> {
    try {
      await sleep(this.options.retryMs ?? 1000, undefined, { signal: this.closing.signal });
      return true;
    } catch {
      return false;
    }
  }
}
