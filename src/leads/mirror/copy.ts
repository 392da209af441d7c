import { log } from "../../log.js";
import type { Lead } from "../../moco/schemas.js";
import type { ChangeOrigin, LeadStore, LeadUpsert, NewChange, ScopeRow } from "../../store/types.js";
import { StoreUnavailableError } from "../../store/types.js";
import {
  type ChangesPage,
  type ChangesQuery,
  diffLeads,
  queryChanges,
  reconstruct,
  type StateAt,
  same,
} from "../history.js";
import { loadAll, type SyncPlan } from "../sync.js";

/** What committing a sync's plan changed in the copy. */
export interface SyncCounts {
  created: number;
  updated: number;
  deleted: number;
  /** The new "as of" time (ISO). */
  syncedAt: string;
}

/** Who made a change MOCO reported (its webhook's X-Moco-User-Id, and the user's name when known). */
export interface Author {
  id: number;
  name?: string;
}

/** A change MOCO reported by webhook: a lead as it is now, a lead deleted, or a note added to a lead. */
export type ExternalChange = { author?: Author } & (
  | { lead: Lead }
  /** `at`: when MOCO deleted it (epoch ms, MOCO's clock): only a lead updated after that comes back. */
  | { deletedId: number; at: number }
  | { note: { leadId: number; text: string } }
);

const MAX_TOMBSTONES = 10_000;
/** Rows per read of the store. */
const PAGE = 200;

type OwnOutcome = { lead: Lead | undefined; change: Pick<NewChange, "kind" | "data"> } | undefined;

/**
 * One scope's leads in memory, as its store holds them: loaded from the store (again when another
 * instance committed), changed only by a commit to the store (a sync's plan, our own writes), and
 * handed out sorted by id. Every change of the leads and the store goes through one lock.
 */
export class LeadCopy {
  private leads = new Map<number, Lead>();
  private current: ScopeRow | undefined;
  /** The row of the leads held while `current` is cleared by a refused commit: the next refresh starts there. */
  private refused: ScopeRow | undefined;
  /** The leads by id, kept until `leads` changes (a warm read then costs no sort). */
  private sorted: { map: Map<number, Lead>; list: readonly Lead[] } | undefined;
  private readonly parts = new SharedParts();
  /** Serialises every change of `leads` and the store (sync commits, own writes). */
  private lock: Promise<unknown> = Promise.resolve();
  private lastSeenMs = 0;
  /** Our own deletes since the running sync started: its older reads must not bring them back. */
  private deletedMeanwhile = new Set<number>();
  /** Leads MOCO reported deleted, and when (epoch ms): an older update arriving late must not revive them. */
  private readonly tombstones = new Map<number, number>();

  constructor(
    private readonly store: LeadStore,
    readonly scope: string,
    private readonly baseUrl: string,
  ) {}

  /** The scope's row as this copy last loaded or committed it; undefined before the first load. */
  get row(): ScopeRow | undefined {
    return this.current;
  }

  get size(): number {
    return this.leads.size;
  }

  /** The leads by id. Do not modify. */
  get byId(): ReadonlyMap<number, Lead> {
    return this.leads;
  }

  /** Every lead, ordered by id, frozen; the same array until the copy changes. */
  list(): readonly Lead[] {
    if (this.sorted?.map !== this.leads) {
      const list = Object.freeze([...this.leads.values()].sort((a, b) => a.id - b.id));
      this.sorted = { map: this.leads, list };
    }
    return this.sorted.list;
  }

  /** A lead as the copy keeps it (equal parts shared with the other leads). */
  keep(lead: Lead): Lead {
    return this.parts.lead(lead);
  }

  /**
   * Loads the scope, and when another instance committed to the same store since, what it changed
   * (every lead again when the store no longer knows all that changed since this copy's version).
   */
  async refresh(): Promise<void> {
    if (!this.store.available) throw new StoreUnavailableError(this.store.problem ?? "store unavailable");
    const row = this.current
      ? await this.store.getScope(this.scope)
      : await this.store.ensureScope(this.scope, this.baseUrl);
    if (!row) throw new StoreUnavailableError("the mirror's scope was deleted from the store");
    if (this.current?.version === row.version) {
      this.current = row; // the same leads; another instance may have reported a write of unknown outcome
      return;
    }
    await this.locked(async () => {
      const held = this.current ?? this.refused;
      const current = await this.store.getScope(this.scope);
      if (!held || !current || !(await this.loadChanges(held, current)))
        this.leads = await loadAll(
          (page) => this.store.loadLeads(this.scope, page),
          (lead) => this.keep(lead),
        );
      this.current = current;
      this.refused = undefined;
    });
  }

  /**
   * Brings the copy from `held` to `current` (or later: commits landing meanwhile are read again by the
   * next refresh, as they are newer than `current`) by what commits after `held` deleted and wrote;
   * false, with the copy untouched, when the store cannot tell all of it. Deletions first: a lead
   * deleted and created again is read as written, whichever of the two reads saw it.
   */
  private async loadChanges(held: ScopeRow, current: ScopeRow): Promise<boolean> {
    const from = held.version;
    const same = (row: ScopeRow) => row.createdAt === held.createdAt && row.refreshFloor <= from;
    if (current.version < from || !same(current)) return false;
    const removed = await this.store.removedSince(this.scope, from);
    const written: Lead[] = [];
    for (let after: { written: number; id: number } | undefined; ; ) {
      const rows = await this.store.writtenSince(this.scope, from, { after, limit: PAGE });
      for (const r of rows) written.push(JSON.parse(r.body) as Lead);
      const last = rows.at(-1);
      if (!last || rows.length < PAGE) break;
      after = { written: last.written, id: last.id };
    }
    // The floor only rises: still at most `from` now, nothing this read needed was dropped meanwhile.
    const after = await this.store.getScope(this.scope);
    if (!after || !same(after)) return false;
    for (const id of removed) this.leads.delete(id);
    for (const lead of written) this.leads.set(lead.id, this.keep(lead));
    this.sorted = undefined;
    return true;
  }

  /** Runs `work` after every change queued before it, and before any queued after. */
  locked<T>(work: () => Promise<T>): Promise<T> {
    const result = this.lock.then(work);
    this.lock = result.catch(() => undefined);
    return result;
  }

  /** A sync begins its reads: own deletes from now on are kept out of what it commits. */
  beginSync(): void {
    this.deletedMeanwhile = new Set();
  }

  /**
   * Our own create or update, from MOCO's answer: in the copy and its history at once, with who asked
   * for it when known (the key's user). Never throws.
   */
  applyWrite(lead: Lead, author?: Author): Promise<boolean> {
    const by = author ? { author } : {};
    return this.ownChange(lead.id, (old) => {
      if (old && Date.parse(old.updated_at) > Date.parse(lead.updated_at)) return undefined;
      if (!old) return { lead, change: { kind: "created", data: JSON.stringify({ ...lead, ...by }) } };
      const changes = diffLeads(old, lead);
      if (changes.length === 0) return undefined;
      return { lead, change: { kind: "updated", data: JSON.stringify({ name: lead.name, changes, ...by }) } };
    });
  }

  /** Our own delete of a lead: out of the copy at once, recorded in its history. Never throws. */
  applyDelete(id: number, author?: Author): Promise<boolean> {
    const by = author ? { author } : {};
    this.deletedMeanwhile.add(id);
    return this.ownChange(id, (old) =>
      old
        ? { lead: undefined, change: { kind: "deleted", data: JSON.stringify({ ...old, ...by }) } }
        : undefined,
    );
  }

  /**
   * A change MOCO reported (its webhook), recorded as seen ("sync") with who made it in the change's
   * data. Idempotent and safe out of order: an older lead never replaces a newer one, the same one
   * records nothing, and a lead deleted here comes back only as a lead updated after its deletion.
   */
  async applyExternal(change: ExternalChange): Promise<boolean> {
    const by = change.author ? { author: change.author } : {};
    if ("deletedId" in change) {
      this.deletedMeanwhile.add(change.deletedId);
      this.tombstones.delete(change.deletedId); // re-inserted last: the oldest leave first past the cap
      this.tombstones.set(change.deletedId, change.at);
      if (this.tombstones.size > MAX_TOMBSTONES)
        this.tombstones.delete(this.tombstones.keys().next().value as number);
      return this.ownChange(
        change.deletedId,
        (old) =>
          old
            ? { lead: undefined, change: { kind: "deleted", data: JSON.stringify({ ...old, ...by }) } }
            : undefined,
        "sync",
      );
    }
    if ("note" in change) {
      const { leadId, text } = change.note;
      return this.ownChange(
        leadId,
        (old) =>
          old && {
            lead: old,
            change: {
              kind: "updated",
              data: JSON.stringify({ name: old.name, changes: [{ field: "note", new: text }], ...by }),
            },
          },
        "sync",
      );
    }
    const { lead } = change;
    const deletedAt = this.leads.has(lead.id) ? undefined : await this.deletedAt(lead.id);
    if (deletedAt !== undefined && Date.parse(lead.updated_at) <= deletedAt) return false;
    return this.ownChange(
      lead.id,
      (old) => {
        if (old && Date.parse(old.updated_at) >= Date.parse(lead.updated_at)) return undefined;
        if (!old) return { lead, change: { kind: "created", data: JSON.stringify({ ...lead, ...by }) } };
        const changes = diffLeads(old, lead);
        return {
          lead,
          change: { kind: "updated", data: JSON.stringify({ name: lead.name, changes, ...by }) },
        };
      },
      "sync",
    );
  }

  /**
   * When this lead was deleted (epoch ms): as MOCO reported it, else (another process, or long ago)
   * when the history saw it deleted, if its newest change is a deletion.
   */
  private async deletedAt(id: number): Promise<number | undefined> {
    const reported = this.tombstones.get(id);
    if (reported !== undefined) return reported;
    const [newest] = await this.store.changes(this.scope, { leadId: id, order: "desc", limit: 1 });
    return newest?.kind === "deleted" ? Date.parse(newest.seenAt) : undefined;
  }

  /**
   * Diffs what a sync read against the copy as it is now (own writes may have landed) and commits,
   * with its gap and `settle` (the scope's `unsure` the sync read before its first request).
   * When another instance committed meanwhile (an own write of its own, or a sync), nothing is
   * committed and the copy loads what that instance stored instead: its result is as good as ours.
   */
  async applySync(plan: SyncPlan, settle: number): Promise<SyncCounts> {
    const outcome = await this.locked(() => this.commitPlan(plan, settle));
    if (outcome.committed) return outcome.counts;
    // Outside the lock: refresh() takes it itself, and would wait for this very commit forever.
    await this.refresh();
    return { ...outcome.counts, syncedAt: this.current?.syncedAt ?? outcome.counts.syncedAt };
  }

  private async commitPlan(
    plan: SyncPlan,
    settle: number,
  ): Promise<{ committed: boolean; counts: SyncCounts }> {
    const row = this.current as ScopeRow;
    const first = plan.staged !== undefined;
    const seenAt = this.seenAt();
    const next = new Map(plan.staged ?? this.leads);
    const upserts: LeadUpsert[] = [];
    const changes: NewChange[] = [];
    const counts = { created: first ? next.size : 0, updated: 0, deleted: 0 };
    // The first sync is the baseline of the history, not thousands of "created" changes.
    const record = (leadId: number, kind: NewChange["kind"], data: unknown) => {
      counts[kind]++;
      if (!first) changes.push({ leadId, seenAt, kind, origin: "sync", data: JSON.stringify(data) });
    };
    for (const [id, lead] of plan.fetched) {
      if (this.deletedMeanwhile.has(id)) continue;
      const old = next.get(id);
      if (old && Date.parse(old.updated_at) > Date.parse(lead.updated_at)) continue;
      if (old && same(old, lead)) continue;
      next.set(id, this.keep(lead));
      upserts.push({ id, updatedAt: lead.updated_at, body: () => JSON.stringify(lead) });
      if (!old) record(id, "created", lead);
      else record(id, "updated", { name: lead.name, changes: diffLeads(old, lead) });
    }
    const gone = plan.deleted.filter((id) => next.has(id));
    for (const id of gone) {
      record(id, "deleted", next.get(id));
      next.delete(id);
    }
    const committed = await this.store.commit(this.scope, {
      expectedVersion: row.version,
      upserts,
      deletes: gone,
      changes,
      syncedAt: seenAt,
      cursor: plan.cursor ?? undefined,
      historyStart: first ? seenAt : undefined,
      fromStage: first,
      settle,
      gap: plan.gap ? JSON.stringify(plan.gap) : null,
    });
    if (!committed) {
      this.refused = row;
      this.current = undefined; // reloaded by applySync
      return { committed: false, counts: { ...counts, syncedAt: seenAt } };
    }
    this.leads = next;
    this.current = committed;
    return { committed: true, counts: { ...counts, syncedAt: committed.syncedAt ?? seenAt } };
  }

  /** What changed, oldest first. */
  changes(query: ChangesQuery): Promise<ChangesPage> {
    return queryChanges(this.store, this.scope, this.current, this.leads, query);
  }

  /** All leads as they stood at `at` (ISO timestamp), rebuilt from the history. */
  stateAt(at: string): Promise<StateAt> {
    return this.locked(() => reconstruct(this.store, this.scope, this.current, this.leads, at));
  }

  /** Drops history before `cutoff` (ISO); returns the number of changes removed. */
  async prune(cutoff: string): Promise<number> {
    return this.locked(async () => {
      const removed = await this.store.prune(this.scope, cutoff);
      const row = await this.store.getScope(this.scope);
      // Only the row of the leads held: another instance's commit meanwhile comes with the next refresh.
      if (row && row.version === this.current?.version) this.current = row;
      return removed;
    });
  }

  /** Strictly increasing per copy, so each sync's changes have their own instant. */
  private seenAt(): string {
    this.lastSeenMs = Math.max(Date.now(), this.lastSeenMs + 1);
    return new Date(this.lastSeenMs).toISOString();
  }

  private async ownChange(
    id: number,
    decide: (old: Lead | undefined) => OwnOutcome,
    origin: ChangeOrigin = "own",
  ): Promise<boolean> {
    try {
      if (!this.store.available || !this.current?.syncedAt) return false;
      return await this.locked(async () => {
        const row = this.current as ScopeRow;
        const outcome = decide(this.leads.get(id));
        if (!outcome) return false;
        const change: NewChange = { leadId: id, seenAt: this.seenAt(), origin, ...outcome.change };
        const { lead } = outcome;
        const committed = await this.store.commit(this.scope, {
          expectedVersion: row.version,
          upserts: lead ? [{ id, updatedAt: lead.updated_at, body: () => JSON.stringify(lead) }] : [],
          deletes: lead ? [] : [id],
          changes: [change],
        });
        if (!committed) {
          this.refused = row;
          this.current = undefined; // another instance moved on: reload before the next read
          return false;
        }
        if (lead) this.leads.set(id, this.keep(structuredClone(lead)));
        else this.leads.delete(id);
        this.sorted = undefined;
        this.current = committed;
        return true;
      });
    } catch (error) {
      if (!(error instanceof StoreUnavailableError))
        log(
          "warn",
          `could not record ${origin === "own" ? "our own write" : "a change MOCO reported"} in the lead mirror`,
        );
      return false;
    }
  }
}

/**
 * Leads share equal parts (user, company, person, category, tag list, empty custom fields) as one frozen
 * object each: a 20,000-lead mirror takes about a third less memory. Frozen, so a caller that tried to
 * change a shared part would fail loudly instead of changing every lead.
 */
class SharedParts {
  private readonly pool = new Map<string, object>();

  lead(lead: Lead): Lead {
    const l = lead as Record<string, unknown>;
    for (const field of ["user", "company", "person", "category", "tags"]) {
      const value = l[field];
      if (value !== null && typeof value === "object") l[field] = this.one(value);
    }
    const custom = l.custom_properties;
    if (custom && typeof custom === "object" && Object.keys(custom).length === 0)
      l.custom_properties = this.one(custom);
    return lead;
  }

  private one(value: object): object {
    const key = JSON.stringify(value);
    const hit = this.pool.get(key);
    if (hit) return hit;
    this.pool.set(key, Object.freeze(value));
    return value;
  }
}
