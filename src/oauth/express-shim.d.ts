// express ships no types and @types/express is not a dependency; this is the little we use of it
// (the SDK's auth handlers are Express routers; we only create an app and mount them).
declare module "express" {
  import type { IncomingMessage, ServerResponse } from "node:http";

  export type Request = IncomingMessage;
  export type Response = ServerResponse;
  export type NextFunction = (error?: unknown) => void;
  export interface Application {
    (req: Request, res: Response, next: NextFunction): void;
    use(...handlers: unknown[]): Application;
    set(setting: string, value: unknown): Application;
    disable(setting: string): Application;
  }
  export default function express(): Application;
}
