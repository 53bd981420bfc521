// fastify 5 + @fastify/cookie + @fastify/session with its default in-memory store.
import Fastify from "fastify";
import cookie from "@fastify/cookie";
import session from "@fastify/session";
import { benchSecret, serve } from "./serve.ts";

const app = Fastify({ logger: false });
await app.register(cookie);
await app.register(session, {
  secret: benchSecret,
  saveUninitialized: false,
  cookie: { secure: false, httpOnly: true, sameSite: "lax" },
});
app.get("/", async (request, reply) => {
  const views = (Number(request.session.get("views" as never)) || 0) + 1;
  request.session.set("views" as never, views as never);
  reply.type("text/plain; charset=utf-8");
  return `Views: ${views}`;
});

await app.listen({ port: 0, host: "127.0.0.1" });
await serve(app.server);
