// The same as express-session-file.ts with session-file-store's `secret` option, which encrypts
// each file (the ArcGIS tutorial's setup). The store derives its key with a slow KDF on every read
// and write, so expect single-digit requests per second: that is the point of this row.
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
    store: new FileStore({ path: process.env.DATA_DIR, secret: benchSecret }),
  }),
);
app.get("/", (req, res) => {
  const data = req.session as unknown as { views?: number };
  data.views = (data.views ?? 0) + 1;
  res.type("text/plain").send(`Views: ${data.views}`);
});

await serve(app.listen(0, "127.0.0.1"));
