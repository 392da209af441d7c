import { describe, expect, it } from "vitest";
import { MocoError } from "../../src/moco/errors.js";
import { parseLead } from "../../src/moco/leads.js";
import { recordedLead as recorded } from "../fixtures/moco.js";

describe("lead normalisation", () => {
  it("turns empty-string dates into null and drops the deprecated customer", () => {
    const lead = parseLead({ ...recorded, service_period_from: "", service_period_to: "" });
    expect(lead.closed_on).toBeNull();
    expect(lead.service_period_from).toBeNull();
    expect(lead.service_period_to).toBeNull();
    expect("customer" in lead).toBe(false);
    expect(lead.company).toEqual({ id: 761263107, type: "customer", name: "TestDeal.get_company" });
  });

  it("keeps MOCO's field names and values", () => {
    const lead = parseLead(recorded);
    expect(lead).toMatchObject({
      id: 388481,
      status: "pending",
      money: 200,
      currency: "EUR",
      reminder_date: "2020-01-01",
    });
    expect(lead.category).toEqual({ id: 90586, name: "Kontaktieren", probability: 1 });
  });

  it("fills fields older responses lacked (service periods) with null and tolerates unknown extras", () => {
    const lead = parseLead({ ...recorded, inbox_email_address: "deal-1@inbox.example", brand_new_field: 1 });
    expect(lead.service_period_from).toBeNull();
    expect((lead as Record<string, unknown>).inbox_email_address).toBe("deal-1@inbox.example");
    expect((lead as Record<string, unknown>).brand_new_field).toBe(1);
  });

  it("accepts money sent as a string", () => {
    expect(parseLead({ ...recorded, money: "61000.0" }).money).toBe(61000);
  });

  it("refuses a lead without an id with a server error naming the field", () => {
    const { id: _omit, ...broken } = recorded;
    expect(() => parseLead(broken)).toThrow(MocoError);
    expect(() => parseLead(broken)).toThrow(/id/);
  });
});
