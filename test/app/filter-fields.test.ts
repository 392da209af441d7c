import { describe, expect, it } from "vitest";
import { MOCO_FILTERS } from "../../src/app/view/filters.js";
import { leadFilterShape } from "../../src/replies/schemas/filters.js";

// The view re-calls list_leads / pipeline_summary with the filters it was opened with; a filter the
// tools take but the view does not know would be dropped without a word when the view refreshes.
describe("the view's filter fields", () => {
  it("are exactly the lead filters the tools take", () => {
    const tools = Object.keys(leadFilterShape).sort();
    expect(tools.length).toBeGreaterThan(10);
    expect([...MOCO_FILTERS].sort()).toEqual(tools);
  });
});
