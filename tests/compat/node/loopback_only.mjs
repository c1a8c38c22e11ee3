// Loaded with `node --import` before a test script: a connection to anything but loopback is refused (the
// socket fails as if the host were unreachable) and its host is appended to $TENANTD_NODE_REFUSED, so a
// test can assert that a client never reached for the internet (instance discovery, 169.254.169.254).
import { appendFileSync } from "node:fs";
import net from "node:net";

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);
const connect = net.Socket.prototype.connect;

function target(args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  if (first !== null && typeof first === "object") return first;
  return { port: first, host: typeof args[1] === "string" ? args[1] : undefined };
}

net.Socket.prototype.connect = function (...args) {
  const { host, path } = target(args);
  if (path == null && host != null && !LOOPBACK.has(host)) {
    if (process.env.TENANTD_NODE_REFUSED) appendFileSync(process.env.TENANTD_NODE_REFUSED, `${host}\n`);
    process.nextTick(() => this.destroy(Object.assign(new Error(`connect EHOSTUNREACH ${host}`),
                                                      { code: "EHOSTUNREACH" })));
    return this;
  }
  return connect.apply(this, args);
};
