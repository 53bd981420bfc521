// express 5 + express-session + session-file-store (one JSON file per session), store defaults
// except the directory. Its warnings go to stdout through logFn; the orchestrator counts them.
import express from "express";
import session from "express-session";
import createFileStore from "session-file-store";
import { benchSecret, serve } from "./serve.ts";

const FileStore = createFileStore(session);
const app = express();
app.use(
  session({
    secret: benchSecret,
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: "lax" },
    store: new FileStore({ path: process.env.DATA_DIR }),
  }),
);
app.get("/", (req, res) => {
  const data = req.session as unknown as { views?: number };
  data.views = (data.views ?? 0) + 1;
  res.type("text/plain").send(`Views: ${data.views}`);
});

await serve(app.listen(0, "127.0.0.1"));
