// Runs one of our tutorial steps exactly as a reader gets it: the step's exported
// createServer(options) from steps/<folder>/server.ts, with an empty environment (so the step
// generates its secret into DATA_DIR as on a first run) and its log going to stdout, where the
// orchestrator counts lines printed after start-up as warnings.
// Usage: node --import tsx bench/servers/step.ts 03-file-store   (DATA_DIR set by the orchestrator)
import type { Server } from "node:http";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { serve } from "./serve.ts";

interface StepModule {
  createServer(options: { dataDir: string; env: Record<string, string | undefined>; log?: (message: string) => void }): Server | Promise<Server>;
}

const folder = process.argv[2] ?? "";
const dataDir = process.env.DATA_DIR;
if (!/^\d\d-[a-z0-9-]+$/.test(folder) || !dataDir) {
  console.error("usage: DATA_DIR=<dir> step.ts <NN-step-folder>");
  process.exit(2);
}
const stepsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../steps");
const step = (await import(pathToFileURL(path.join(stepsDir, folder, "server.ts")).href)) as StepModule;
const server = await step.createServer({ dataDir, env: {}, log: (message) => console.log(message) });
await serve(server);
