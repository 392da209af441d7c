// The fixed part of the seed: names, companies, categories, field definitions. seed.ts combines them with
// a seeded PRNG into leads. Near-misses are deliberate ("Beispiel AG" / "Beispiel GmbH", user "Nicola Keller"
// / contact "Nicola Bianchi", umlauts and accents) so that name resolution gets exercised.

import type { CompanyType, CustomPropertyKind } from "./types.js";

export const UNITS = {
  management: { id: 909175374, name: "Geschäftsleitung" },
  sales: { id: 909175375, name: "Sales" },
  consulting: { id: 909175376, name: "Consulting" },
} as const;

export interface UserSeed {
  firstname: string;
  lastname: string;
  unit: keyof typeof UNITS;
  active?: boolean;
  extern?: boolean;
}

/** The first user owns the sandbox API key (GET /profile, GET /session). */
export const USERS: readonly UserSeed[] = [
  { firstname: "Anna", lastname: "Schmid", unit: "management" },
  { firstname: "Nicola", lastname: "Keller", unit: "sales" },
  { firstname: "Jonas", lastname: "Weber", unit: "sales" },
  { firstname: "Lea", lastname: "Brunner", unit: "consulting" },
  { firstname: "Marco", lastname: "Rossi", unit: "consulting" },
  { firstname: "Tim", lastname: "Berger", unit: "consulting", extern: true },
  { firstname: "Sophie", lastname: "Dubois", unit: "sales", active: false },
];

export const USER_EMAIL_DOMAIN = "agentur-beispiel.ch";

export interface CompanySeed {
  name: string;
  type: CompanyType;
  country: "CH" | "DE" | "AT" | "US";
  currency: "CHF" | "EUR" | "USD";
  domain: string;
  address: string;
  /** Contact people: [firstname, lastname, gender, job position]. */
  people: readonly (readonly [string, string, "F" | "M", string])[];
}

export const COMPANIES: readonly CompanySeed[] = [
  {
    name: "Beispiel AG",
    type: "customer",
    country: "CH",
    currency: "CHF",
    domain: "beispiel-ag.ch",
    address: "Bahnhofstrasse 1\n8001 Zürich",
    people: [
      ["Max", "Muster", "M", "CEO"],
      ["Sandra", "Meier", "F", "Leiterin Marketing"],
    ],
  },
  {
    name: "Beispiel GmbH",
    type: "customer",
    country: "DE",
    currency: "EUR",
    domain: "beispiel-gmbh.de",
    address: "Beispielstrasse 123\n12345 Beispielstadt",
    people: [["Erika", "Mustermann", "F", "Einkauf"]],
  },
  {
    name: "Müller & Söhne GmbH",
    type: "customer",
    country: "DE",
    currency: "EUR",
    domain: "mueller-soehne.de",
    address: "Hauptstraße 7\n80331 München",
    people: [
      ["Jürgen", "Müller", "M", "Geschäftsführer"],
      ["Zoë", "Hartmann", "F", "Projektleiterin"],
    ],
  },
  {
    name: "Café Zürich AG",
    type: "customer",
    country: "CH",
    currency: "CHF",
    domain: "cafe-zuerich.ch",
    address: "Limmatquai 42\n8001 Zürich",
    people: [["Nicola", "Bianchi", "M", "Inhaber"]],
  },
  {
    name: "Alpenblick Hotels AG",
    type: "customer",
    country: "CH",
    currency: "CHF",
    domain: "alpenblick-hotels.ch",
    address: "Dorfstrasse 12\n3920 Zermatt",
    people: [["Corinne", "Favre", "F", "Head of Sales"]],
  },
  {
    name: "Nordlicht Software GmbH",
    type: "customer",
    country: "DE",
    currency: "EUR",
    domain: "nordlicht-software.de",
    address: "Speicherstadt 5\n20457 Hamburg",
    people: [["Lars", "Petersen", "M", "CTO"]],
  },
  {
    name: "Seeland Logistik AG",
    type: "customer",
    country: "CH",
    currency: "CHF",
    domain: "seeland-logistik.ch",
    address: "Industriering 3\n3250 Lyss",
    people: [["Beat", "Zimmermann", "M", "Leiter Informatik"]],
  },
  {
    name: "Rheintal Maschinenbau GmbH",
    type: "customer",
    country: "AT",
    currency: "EUR",
    domain: "rheintal-maschinenbau.at",
    address: "Werkstraße 18\n6850 Dornbirn",
    people: [["Katharina", "Gruber", "F", "Marketing"]],
  },
  {
    name: "Lumen Labs SA",
    type: "customer",
    country: "CH",
    currency: "CHF",
    domain: "lumenlabs.ch",
    address: "Rue du Rhône 8\n1204 Genève",
    people: [["Élodie", "Martin", "F", "COO"]],
  },
  {
    name: "Fischer Bau AG",
    type: "customer",
    country: "CH",
    currency: "CHF",
    domain: "fischer-bau.ch",
    address: "Gewerbestrasse 21\n6330 Cham",
    people: [["Reto", "Fischer", "M", "Inhaber"]],
  },
  {
    name: "Brightwave Inc.",
    type: "customer",
    country: "US",
    currency: "USD",
    domain: "brightwave.example.com",
    address: "500 Market Street\nSan Francisco, CA 94105",
    people: [["Emily", "Carter", "F", "VP Marketing"]],
  },
  {
    name: "Stadtwerke Musterstadt",
    type: "organization",
    country: "DE",
    currency: "EUR",
    domain: "stadtwerke-musterstadt.de",
    address: "Am Markt 1\n54321 Musterstadt",
    people: [["Thomas", "Schneider", "M", "Abteilungsleiter Digitales"]],
  },
  {
    name: "Verein Kulturfabrik",
    type: "organization",
    country: "CH",
    currency: "CHF",
    domain: "kulturfabrik.ch",
    address: "Fabrikweg 4\n3011 Bern",
    people: [["Mia", "Huber", "F", "Geschäftsstelle"]],
  },
  {
    name: "Stiftung Bergwald",
    type: "organization",
    country: "CH",
    currency: "CHF",
    domain: "bergwald.ch",
    address: "Waldweg 2\n7000 Chur",
    people: [["Urs", "Baumann", "M", "Stiftungsrat"]],
  },
  {
    name: "Druckerei Graf AG",
    type: "supplier",
    country: "CH",
    currency: "CHF",
    domain: "druckerei-graf.ch",
    address: "Druckergasse 9\n9000 St. Gallen",
    people: [["Daniel", "Graf", "M", "Kundenberater"]],
  },
  {
    name: "Pixelwerk Agentur GmbH",
    type: "supplier",
    country: "DE",
    currency: "EUR",
    domain: "pixelwerk.de",
    address: "Kastanienallee 30\n10435 Berlin",
    people: [["Julia", "Wagner", "F", "Art Director"]],
  },
];

/** A fresh German MOCO account's pipeline stages ("Akquise-Stufen"). */
export const CATEGORIES: readonly (readonly [string, number])[] = [
  ["Kontaktieren", 1],
  ["Angebot erstellen", 30],
  ["Angebot verschickt", 35],
  ["Verhandlungen", 60],
  ["Mündliche Zusage", 90],
];

export interface CustomPropertySeed {
  name: string;
  entity: "Deal" | "Company";
  kind: CustomPropertyKind;
  placeholder?: string;
  defaults?: readonly string[];
}

export const CUSTOM_PROPERTIES: readonly CustomPropertySeed[] = [
  {
    name: "Quelle",
    entity: "Deal",
    kind: "Select",
    defaults: ["Empfehlung", "Website", "Messe", "Kaltakquise", "Partner"],
  },
  { name: "Projektcode", entity: "Deal", kind: "String", placeholder: "z. B. PRJ-2025-014" },
  { name: "Rahmenvertrag", entity: "Deal", kind: "Boolean" },
  {
    name: "Leistungen",
    entity: "Deal",
    kind: "MultiSelect",
    defaults: ["Beratung", "Design", "Entwicklung", "Hosting", "Support"],
  },
  { name: "Entscheid bis", entity: "Deal", kind: "Date" },
  { name: "Angebots-Link", entity: "Deal", kind: "Link", placeholder: "https://…" },
  {
    name: "Branche",
    entity: "Company",
    kind: "Select",
    defaults: ["Handel", "Industrie", "Tourismus", "Öffentliche Hand", "Kultur"],
  },
];

/** [name, color]; the Deal tags are the ones leads are seeded with. */
export const DEAL_TAGS: readonly (readonly [string, string])[] = [
  ["Bestandskunde", "#22c55e"],
  ["Neukunde", "#3b82f6"],
  ["Relaunch", "#a855f7"],
  ["Retainer", "#14b8a6"],
  ["Strategisch", "#f97316"],
  ["Wichtig", "#ef4444"],
];
export const COMPANY_TAGS: readonly (readonly [string, string])[] = [
  ["Key Account", "#eab308"],
  ["Partner", "#64748b"],
];

export const PROJECTS: readonly string[] = [
  "Website-Relaunch",
  "Wartungsvertrag",
  "Intranet-Erneuerung",
  "Onlineshop-Migration",
  "CRM-Integration",
  "Mobile App",
  "SEO-Audit",
  "Hosting & Support",
  "Datenplattform",
  "Workshop Digitalstrategie",
  "Newsletter-Automation",
  "Barrierefreiheits-Audit",
  "Kundenportal",
  "API-Anbindung ERP",
  "Brand Refresh",
  "Cloud Migration",
  "Analytics Dashboard",
  "UX Research",
  "Schulung Content-Team",
  "Support Retainer",
];

export const INFO_TEXTS: readonly string[] = [
  "Erstkontakt an der Messe in Basel.",
  "Budget noch offen, Entscheid im nächsten Quartal.",
  "Follow-up call scheduled with the CTO.",
  "Angebot v2 mit reduziertem Umfang verschickt.",
  "Customer asked for references in retail.",
  "Konkurrenzangebot liegt vor (ca. 15 % günstiger).",
  "Wartet auf Freigabe durch den Verwaltungsrat.",
  "Kickoff possible early next year.",
  "Ansprechperson wechselt per Ende Monat.",
  "Pilotprojekt zuerst, danach Rollout auf alle Standorte.",
];

export const COMMENT_TEXTS: readonly string[] = [
  "Erstgespräch geführt, Bedarf ist klar.",
  "Angebot telefonisch besprochen – Rückmeldung bis Ende Woche.",
  "<div>Budget bestätigt: <strong>ca. 40k</strong></div>",
  "Sent the revised proposal by email.",
  "Kunde wünscht eine Referenz aus der Branche.",
  "Meeting verschoben auf nächste Woche.",
  "Decision maker is now the new Head of Digital.",
  "<ul><li>Scope reduziert</li><li>Termin fix</li></ul>",
];
