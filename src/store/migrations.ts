/**
 * Schema versions, applied in order at open; the applied version is kept in meta.schema_version.
 * Only portable SQL: TEXT, BIGINT, composite primary keys, no AUTOINCREMENT (sequence numbers are kept
 * per scope in scopes.last_seq), no JSON functions. A PostgreSQL store can run these statements as
 * written (see docs/store.md).
 */
export interface Migration {
  version: number;
  statements: string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    statements: [
      `CREATE TABLE scopes (
        scope TEXT PRIMARY KEY,
        base_url TEXT NOT NULL,
        created_at TEXT NOT NULL,
        synced_at TEXT,
        cursor TEXT,
        history_start TEXT,
        version BIGINT NOT NULL DEFAULT 0,
        last_seq BIGINT NOT NULL DEFAULT 0,
        lease_owner TEXT,
        lease_until BIGINT NOT NULL DEFAULT 0
      )`,
      `CREATE TABLE leads (
        scope TEXT NOT NULL,
        id BIGINT NOT NULL,
        updated_at TEXT NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (scope, id)
      )`,
      `CREATE TABLE changes (
        scope TEXT NOT NULL,
        seq BIGINT NOT NULL,
        lead_id BIGINT NOT NULL,
        seen_at TEXT NOT NULL,
        kind TEXT NOT NULL,
        origin TEXT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (scope, seq)
      )`,
      "CREATE INDEX changes_by_time ON changes (scope, seen_at)",
      "CREATE INDEX changes_by_lead ON changes (scope, lead_id, seq)",
    ],
  },
  {
    // A first full sync writes each page here as it arrives, so that an interrupted one (even a killed
    // process) goes on from the next page; readers never see these rows.
    version: 2,
    statements: [
      `CREATE TABLE stage_leads (
        scope TEXT NOT NULL,
        id BIGINT NOT NULL,
        updated_at TEXT NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (scope, id)
      )`,
      `CREATE TABLE stage_scans (
        scope TEXT PRIMARY KEY,
        next_page BIGINT,
        total BIGINT,
        pages BIGINT NOT NULL,
        started_at BIGINT NOT NULL
      )`,
    ],
  },
  {
    // Spent confirm tokens, by the SHA-256 of the token (never the token), each kept until `until_ms`
    // (epoch ms): instances sharing the store let a token confirm one write between them.
    version: 3,
    statements: [
      `CREATE TABLE spent_tokens (
        token_hash TEXT PRIMARY KEY,
        until_ms BIGINT NOT NULL
      )`,
      "CREATE INDEX spent_tokens_by_time ON spent_tokens (until_ms)",
    ],
  },
  {
    // What one instance knew of its copy alone, kept with the scope so that every instance sharing the
    // store knows it: writes of unknown outcome not yet covered by a sync, and the latest sync's gap.
    version: 4,
    statements: [
      "ALTER TABLE scopes ADD COLUMN unsure BIGINT NOT NULL DEFAULT 0",
      "ALTER TABLE scopes ADD COLUMN settled BIGINT NOT NULL DEFAULT 0",
      "ALTER TABLE scopes ADD COLUMN gap TEXT",
    ],
  },
  {
    // What each commit changed, so that another instance refreshes its copy by the change instead of
    // reloading the scope: the version that last wrote each lead, the ids deleted (kept for a window
    // of versions), and the lowest version a copy may refresh from (`refresh_floor`, raised by a
    // commit that replaces the scope or drops deletions). `stamped`: the last version whose commit
    // wrote these; a commit by an older server leaves it behind, and no copy refreshes across it.
    version: 5,
    statements: [
      "ALTER TABLE leads ADD COLUMN written BIGINT NOT NULL DEFAULT 0",
      "CREATE INDEX leads_by_written ON leads (scope, written, id)",
      `CREATE TABLE removed_leads (
        scope TEXT NOT NULL,
        id BIGINT NOT NULL,
        written BIGINT NOT NULL,
        PRIMARY KEY (scope, id)
      )`,
      "CREATE INDEX removed_leads_by_written ON removed_leads (scope, written)",
      "ALTER TABLE scopes ADD COLUMN refresh_floor BIGINT NOT NULL DEFAULT 0",
      "ALTER TABLE scopes ADD COLUMN stamped BIGINT NOT NULL DEFAULT 0",
    ],
  },
];

export const SCHEMA_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);
