/**
 * The pipeline order of stages (MOCO's deal categories), the one rule wherever stages are listed or
 * grouped: by win probability, then by name, then by id. No imports, so the pipeline view (bundled
 * on its own for the browser) uses this very function.
 */
export interface StageKey {
  probability: number;
  name: string;
  id?: number;
}

export const stageOrder = (a: StageKey, b: StageKey): number =>
  a.probability - b.probability ||
  (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) ||
  (a.id ?? 0) - (b.id ?? 0);
