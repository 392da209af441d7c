/**
 * The shared MOCO rate budget's table, the same in SQLite and PostgreSQL: `limit` rows per scope (a
 * MOCO account's base URL), each a slot that is free from `free_at` (epoch ms) on, or held by the
 * request named `holder` until it is released or `free_at` (its lease) passes. Created by the budget
 * itself (IF NOT EXISTS), so the lead store's schema version does not change.
 */
export const BUDGET_TABLE = `CREATE TABLE IF NOT EXISTS budget_slots (
  scope TEXT NOT NULL,
  slot BIGINT NOT NULL,
  free_at BIGINT NOT NULL,
  holder TEXT,
  PRIMARY KEY (scope, slot)
)`;

/** The free slot a request takes is the one free longest: found by this index, not by reading every slot. */
export const BUDGET_INDEX =
  "CREATE INDEX IF NOT EXISTS budget_slots_free ON budget_slots (scope, free_at, slot)";
