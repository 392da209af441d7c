// The README's first command: start the built server on the sandbox the way Claude Desktop does
// (a child process over stdio) and show what an assistant would see, through the official SDK client.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const transport = new StdioClientTransport({
  command: process.execPath,
  args: [new URL("../dist/index.js", import.meta.url).pathname, "--sandbox"],
  stderr: "inherit",
});
const client = new Client({ name: "moco-leads-demo", version: "1.0.0" });
await client.connect(transport);

const { tools } = await client.listTools();
console.log(
  `\nConnected to ${client.getServerVersion()?.name} ${client.getServerVersion()?.version}; tools:`,
);
for (const tool of tools) console.log(`  ${tool.name.padEnd(22)} ${tool.title ?? ""}`);

const call = async (name, args) => {
  console.log(`\n> ${name} ${JSON.stringify(args)}`);
  const result = await client.callTool({ name, arguments: args });
  if (result.isError) throw new Error(result.content[0]?.text);
  return result;
};

const listed = await call("list_leads", { status: "pending", per_page: 8 });
const { leads, total, next_page } = listed.structuredContent;
for (const lead of leads) {
  const money = `${lead.money.toLocaleString("de-CH")} ${lead.currency}`;
  console.log(
    `  #${String(lead.id).padEnd(5)} ${lead.name.slice(0, 42).padEnd(42)} ${money.padStart(14)}  ` +
      `${(lead.stage ?? "").padEnd(18)} reminder ${lead.reminder_date ?? "—"}`,
  );
}
console.log(`  (${leads.length} of ${total} pending leads; next page: ${next_page ?? "none"})`);

const first = leads[0];
const got = await call("get_lead", { id: first.id });
console.log(`  ${got.content[0].text.split("\n")[0]}`);

const due = await call("list_leads", { user: "me", due: "this_week" });
console.log(`  ${due.content[0].text.split("\n")[0]}`);

const summary = await call("pipeline_summary", { status: "open", group_by: "stage", top: 0 });
console.log(`  ${summary.content[0].text.split("\n")[0]}`);

const bad = await client.callTool({ name: "create_lead", arguments: { name: "Beispiel AG", money: -1 } });
console.log(
  `\n> create_lead with bad input → isError=${bad.isError}\n  ${bad.content[0].text.replace(/\n/g, "\n  ")}`,
);

await client.close();
