import type { ToolAnnotations } from "@modelcontextprotocol/sdk/types.js";
import type { z } from "zod";
import type { Config } from "../config.js";
import type { CallOptions, MocoClient } from "../moco/client.js";

/** What a tool handler gets: its dependencies and the call's own signal, deadline and channels. */
export interface ToolContext {
  moco: MocoClient;
  config: Config;
  signal: AbortSignal;
  /** Epoch ms by which the whole tool call must finish. */
  deadline: number;
  /** Signal and deadline, ready to pass to every MOCO call. */
  call: CallOptions;
  /** Reports progress when the caller asked for it; a no-op otherwise. */
  progress: (done: number, total: number | undefined, message: string) => Promise<void>;
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
}

/** Keeps each tool's argument type tied to its own schema while the registry holds them all. */
export const defineTool = <Input extends z.ZodObject>(tool: Tool<Input>): Tool => tool as unknown as Tool;
