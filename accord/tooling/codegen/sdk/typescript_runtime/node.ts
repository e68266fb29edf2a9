// `connect()` in Node: every acme API through the edge, over gRPC (HTTP/2).
import { createGrpcTransport } from "@connectrpc/connect-node";
import { type Acme, createAcme } from "../index.js";
import type { ClientOptions } from "./client.js";
import { type Credentials, credentialsInterceptor } from "./credentials.js";

export * from "../index.js";

export interface ConnectOptions extends Credentials, ClientOptions {
  /** The edge; http://127.0.0.1:50050 (what `make run` starts) by default. */
  readonly baseUrl?: string;
}

/** Every acme API through the edge at `baseUrl`, over gRPC. */
export function connect(options: ConnectOptions = {}): Acme {
  const transport = createGrpcTransport({
    baseUrl: options.baseUrl ?? "http://127.0.0.1:50050",
    interceptors: [credentialsInterceptor(options)],
  });
  return createAcme(transport, options);
}
