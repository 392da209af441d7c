import type { ToolAnnotations } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { LeadsContext } from "../leads/context.js";

/**
 * The contract between the server and its tools: a tool is data (name, schemas, annotations) and a
 * handler that gets only what it uses. server.ts registers every tool in one loop behind one error boundary.
 */
export interface ToolContext extends LeadsContext {
  signal: AbortSignal;
  /** Epoch ms by which the whole tool call must finish. */
  deadline: number;
  /** Asks the human a question, when the client supports elicitation; undefined otherwise. */
  confirm: ((message: string) => Promise<boolean>) | undefined;
}

export interface ToolOutput {
  /** The structured result, matching the tool's output schema. */
  data: Record<string, unknown>;
  /** One or two plain sentences that lead the text mirror. */
  summary: string;
}

export interface Tool<Input extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  input: Input;
  output: z.ZodObject;
  annotations: Required<
    Pick<ToolAnnotations, "readOnlyHint" | "destructiveHint" | "idempotentHint" | "openWorldHint">
  >;
  run(args: z.output<Input>, ctx: ToolContext): Promise<ToolOutput>;
  /**
   * For a write: what the caller should do when the call may have reached MOCO although no answer
   * came back (the error boundary says so and adds this next step).
   */
  uncertain?(args: z.output<Input>, startedAt: Date): string;
}

/** Keeps each tool's argument type tied to its own schema while the registry holds them all. */
export const defineTool = <Input extends z.ZodObject>(tool: Tool<Input>): Tool => tool as unknown as Tool;

/**
 * A tool's arguments: unknown keys are refused (never silently dropped), and the refusal lists the
 * keys the tool does take, so the caller can fix the call in one go. `explain` teaches about a key
 * the tool knows it does not take (a field MOCO derives, e.g. probability): why, and what to do.
 */
export function strictInput<Shape extends z.ZodRawShape>(
  shape: Shape,
  explain: (key: string) => string | undefined = () => undefined,
) {
  const keys = Object.keys(shape).join(", ");
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code !== "unrecognized_keys") return undefined;
      const taught = issue.keys.flatMap((k) => explain(k) ?? []);
      const unknown = issue.keys.filter((k) => explain(k) === undefined);
      const rest =
        unknown.length > 0 ? [`unknown argument ${unknown.map((k) => JSON.stringify(k)).join(", ")}`] : [];
      // Every key explained: the list of keys would only bury the explanation.
      return rest.length > 0 ? `${[...taught, ...rest].join("; ")}; this takes: ${keys}` : taught.join("; ");
    },
  });
}
