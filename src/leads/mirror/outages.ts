import type { LeadStore } from "../../store/types.js";

/**
 * The store's outages, as one mirror has seen them. While the store was lost, writes reached MOCO but
 * not the store, and its copy may still look fresh; so each outage this mirror has not seen counts as a
 * write of unknown outcome (`onOutage`), and the mirror syncs with MOCO before it answers again. A
 * mirror made after an outage syncs once too: it cannot tell whether its copy predates the outage.
 */
export class StoreOutages {
  private seen = 0;

  constructor(
    private readonly store: LeadStore,
    private readonly onOutage: () => void,
  ) {}

  /** Calls `onOutage` once if the store was lost since the last check. */
  check(): void {
    const outages = this.store.outages ?? 0;
    if (outages === this.seen) return;
    this.seen = outages;
    this.onOutage();
  }
}
