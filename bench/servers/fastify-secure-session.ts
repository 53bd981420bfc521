// fastify 5 + @fastify/secure-session: a stateless session, the whole data encrypted into the
// cookie (libsodium secretbox). Nothing is stored on the server, so there is no store to lose
// updates in, and no way to revoke a session before it expires.
import Fastify from "fastify";
import secureSession from "@fastify/secure-session";
import { createHash } from "node:crypto";
import { benchSecret, serve } from "./serve.ts";

const app = Fastify({ logger: false });
await app.register(secureSession, {
  key: createHash("sha256").update(benchSecret).digest(), // 32 bytes, as secretbox needs
  cookie: { path: "/", httpOnly: true, sameSite: "lax" },
});
app.get("/", async (request, reply) => {
  const views = (Number(request.session.get("views" as never)) || 0) + 1;
  request.session.set("views" as never, views as never);
  reply.type("text/plain; charset=utf-8");
  return `Views: ${views}`;
});

await app.listen({ port: 0, host: "127.0.0.1" });
await serve(app.server);
