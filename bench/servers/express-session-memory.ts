// express 5 + express-session with its default MemoryStore: the setup most tutorials copy.
// Configured as express-session's own README recommends (resave: false, saveUninitialized: false),
// which is the fairest setting for it: fewer writes than the tutorials' resave: true.
import express from "express";
import session from "express-session";
import { benchSecret, serve } from "./serve.ts";

const app = express();
app.use(
  session({
    secret: benchSecret,
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: "lax" },
  }),
);
app.get("/", (req, res) => {
  const data = req.session as unknown as { views?: number };
  data.views = (data.views ?? 0) + 1;
  res.type("text/plain").send(`Views: ${data.views}`);
});

await serve(app.listen(0, "127.0.0.1"));
