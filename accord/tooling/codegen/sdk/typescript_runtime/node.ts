// `connect()` in Node: every acme API through the edge, over gRPC (HTTP/2).
import { createGrpcTransport } from "@connectrpc/connect-node";
import { type Acme, createAcme } from "../index.js";
import { type ConnectOptions, toTheEdge } from "./connect.js";

export * from "../index.js";
export type { ConnectOptions } from "./connect.js";

/** Every acme API through the edge at `baseUrl`, over gRPC. */
export function connect(options: ConnectOptions = {}): Acme {
  return createAcme(createGrpcTransport(toTheEdge(options)), options);
}
