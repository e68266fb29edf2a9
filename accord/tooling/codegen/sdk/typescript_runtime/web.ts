// `connect()` in a browser: every acme API through the edge, over gRPC-Web (fetch).
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { type Acme, createAcme } from "../index.js";
import { type ConnectOptions, toTheEdge } from "./connect.js";

export * from "../index.js";
export type { ConnectOptions } from "./connect.js";

/** Every acme API through the edge at `baseUrl`, over gRPC-Web. */
export function connect(options: ConnectOptions = {}): Acme {
  return createAcme(createGrpcWebTransport(toTheEdge(options)), options);
}
