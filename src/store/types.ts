/**
 * The lead store: one small asynchronous interface, so that the embedded SQLite store and the
 * PostgreSQL store of a team server are interchangeable (test/store/contract.ts is its behaviour). Rows are plain strings and numbers; the store
 * never interprets a lead body (the domain does). Timestamps are ISO 8601 UTC strings with milliseconds,
 * which sort as text in both databases.
 */
import type { PostgresLocation } from "./postgres/setting.js";

/**
 * The store setting (MOCO_STORE, see location.ts): which implementation openStore() opens and where.
 * Not part of the LeadStore interface: a store tells where it is only by its `where` text.
 */
export type StoreLocation = SqliteLocation | PostgresLocation;
/** Nowhere on disk, or one SQLite file. */
export type SqliteLocation = { kind: "memory" } | { kind: "file"; path: string };

/** One credential scope's bookkeeping (see scopeKey). */
export interface ScopeRow {
  scope: string;
  baseUrl: string;
  createdAt: string;
  /** Last successful sync (null before the first one). */
  syncedAt: string | null;
  /** MOCO's own largest updated_at seen by a sync; the next delta starts here (minus an overlap). */
  cursor: string | null;
  /** Where history begins: the first sync, or the retention cut-off after pruning. */
  historyStart: string | null;
  /** Bumped by every commit: a commit made against an older version is refused (optimistic). */
  version: number;
  /** The last change sequence number used in this scope. */
  lastSeq: number;
  /**
   * Writes of unknown outcome any instance reported in this scope (markUnsure), counted; `settled`: the
   * largest count a committed sync read before its first MOCO request. While unsure > settled, the
   * copy may lack what such a write did, and every instance syncs before answering.
   */
  unsure: number;
  settled: number;
  /** What the latest sync could not reconcile with MOCO, as JSON (the domain's); null: it did. */
  gap: string | null;
  /**
   * The lowest version a copy may refresh from by changedSince(): a copy of an older version (or of a
   * scope created at another `createdAt`) reloads every lead instead.
   */
  refreshFloor: number;
}

export interface StoredLead {
  id: number;
  /** The lead's JSON as the domain wrote it. */
  body: string;
}

/** A lead as a commit wrote it, with that commit's version. */
export interface WrittenLead extends StoredLead {
  written: number;
}

export type ChangeKind = "created" | "updated" | "deleted";
/** "sync": seen when reading MOCO; "own": this server's own write. */
export type ChangeOrigin = "sync" | "own";

export interface ChangeRow {
  seq: number;
  leadId: number;
  seenAt: string;
  kind: ChangeKind;
  origin: ChangeOrigin;
  /** JSON: the lead (created, deleted) or its field changes (updated). */
  data: string;
}

export type NewChange = Omit<ChangeRow, "seq">;

export interface LeadUpsert {
  id: number;
  updatedAt: string;
  body: () => string;
}

/** Everything one sync (or one own write) changes, written in one transaction or not at all. */
export interface Commit {
  /** The scope version the changes were computed against; another version refuses the commit. */
  expectedVersion: number;
  /** Leads to insert or replace; `body()` is called once, while writing, so that a big sync never
   * holds every JSON text at once. */
  upserts: readonly LeadUpsert[];
  deletes: number[];
  changes: NewChange[];
  /** Set by a sync: the new freshness time and cursor. */
  syncedAt?: string;
  cursor?: string;
  /** Set by the first sync. */
  historyStart?: string;
  /** true: the scope's leads are replaced by the staged scan (then `upserts`), and the stage is cleared. */
  fromStage?: boolean;
  /** Set by a sync: the scope's `unsure` as it read it before its first MOCO request (settled only rises). */
  settle?: number;
  /** Set by a sync: what it could not reconcile (JSON), null when it did; absent: kept. */
  gap?: string | null;
}

/** Where a staged full scan stands. */
export interface StagedScan {
  /** The page to read next; null when the last page is in. */
  nextPage: number | null;
  /** MOCO's X-Total on the latest page. */
  total: number | null;
  pages: number;
  /** Epoch ms when the scan began. */
  startedAt: number;
}

export interface ChangeQuery {
  /** Only changes seen strictly after this time. */
  seenAfter?: string;
  /** Only changes seen at or before this time. */
  seenUntil?: string;
  /** Only changes with a sequence number above this (paging cursor). */
  afterSeq?: number;
  leadId?: number;
  /** Default: all. */
  limit?: number;
  /** Default "asc" (oldest first). */
  order?: "asc" | "desc";
}

export interface ScopeInfo {
  scope: string;
  baseUrl: string;
  leads: number;
  changes: number;
  syncedAt: string | null;
  historyStart: string | null;
  oldestChange: string | null;
}

export interface StoreInfo {
  /** Where the store is, for people (the same text as LeadStore.where). */
  where: string;
  /** Bytes the store takes in its database (0 when nothing is kept on disk). */
  sizeBytes: number;
  schemaVersion: number;
  scopes: ScopeInfo[];
}

export class StoreUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StoreUnavailableError";
  }
}

export interface LeadStore {
  /** Where the store is, for logs and the admin listing (never a password). */
  readonly where: string;
  /** False once the store failed (corrupt, locked, unwritable, unreachable): callers fall back to live reads. */
  readonly available: boolean;
  /** Why the store is unavailable. */
  readonly problem: string | undefined;
  /**
   * How many times a store that comes back by itself (PostgreSQL) was lost (its way back marks every
   * scope unsure, so every instance syncs first). Absent: the store never comes back once failed, and a
   * confirm token may then be guarded by this process alone (leads/confirm.ts).
   */
  readonly outages?: number;
  getScope(scope: string): Promise<ScopeRow | undefined>;
  /** Returns the scope, creating it when absent. */
  ensureScope(scope: string, baseUrl: string): Promise<ScopeRow>;
  /** The scope's leads by ascending id; page with `afterId` and `limit` to bound memory. */
  loadLeads(scope: string, page?: { afterId?: number; limit?: number }): Promise<StoredLead[]>;
  /**
   * The leads commits after `version` wrote, by ascending (written, id); page with `after` (the last
   * row's) and `limit`. With removedSince, what changed since `version`: complete only while the
   * scope's refreshFloor is at most `version` (read the scope after).
   */
  writtenSince(
    scope: string,
    version: number,
    page?: { after?: { written: number; id: number }; limit?: number },
  ): Promise<WrittenLead[]>;
  /** The ids of leads commits after `version` deleted and none wrote again, ascending. */
  removedSince(scope: string, version: number): Promise<number[]>;
  /** The updated scope, or undefined when the scope moved past `expectedVersion` (nothing written). */
  commit(scope: string, commit: Commit): Promise<ScopeRow | undefined>;
  /**
   * Counts one write of unknown outcome in the scope (`unsure`, atomically, its version unchanged), so
   * that every instance sharing the store syncs before its next answer; false when there is no such scope.
   */
  markUnsure(scope: string): Promise<boolean>;
  changes(scope: string, query: ChangeQuery): Promise<ChangeRow[]>;
  /** The staged full scan of a scope, if one was begun. */
  stagedScan(scope: string): Promise<StagedScan | undefined>;
  /** Adds one page to the staged scan, in one transaction. */
  stagePage(scope: string, scan: StagedScan, leads: readonly LeadUpsert[]): Promise<void>;
  loadStaged(scope: string, page?: { afterId?: number; limit?: number }): Promise<StoredLead[]>;
  clearStage(scope: string): Promise<void>;
  /** Deletes changes seen before `before` and moves the history start there; returns rows deleted. */
  prune(scope: string, before: string): Promise<number>;
  /** A sync lease, so that several instances sharing one store do not sync the same scope at once. */
  acquireLease(scope: string, owner: string, ttlMs: number): Promise<boolean>;
  releaseLease(scope: string, owner: string): Promise<void>;
  /**
   * Records `key` as taken until `untilMs` (epoch ms), atomically: true only for the one caller that
   * recorded it; false while another caller's record of it stands. A record past its time, by the
   * store's clock (the database's, for a database server), counts as absent: it is replaced, and such
   * records are pruned. Not scoped: keys are unique by themselves
   * (the confirm tokens' hashes, see leads/confirm.ts).
   */
  claim(key: string, untilMs: number): Promise<boolean>;
  /** Removes the record of `key` (a claim given back); nothing when there is none. */
  unclaim(key: string): Promise<void>;
  describe(): Promise<StoreInfo>;
  /**
   * Whether the store is open, migrated and answering now (undefined), or a short reason why not, fit
   * for a public answer (no location, no credentials). Never turns the store unavailable itself.
   */
  ready(): Promise<string | undefined>;
  /** Removes every row of a scope; false if there was none. */
  deleteScope(scope: string): Promise<boolean>;
  close(): Promise<void>;
}
