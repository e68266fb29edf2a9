// `connect()` in a browser: every acme API through the edge, over gRPC-Web (fetch).
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { type Acme, createAcme } from "../index.js";
import type { ClientOptions } from "./client.js";
import { type Credentials, credentialsInterceptor } from "./credentials.js";

export * from "../index.js";

export interface ConnectOptions extends Credentials, ClientOptions {
  /** The edge; http://127.0.0.1:50050 (what `make run` starts) by default. */
  readonly baseUrl?: string;
}

/** Every acme API through the edge at `baseUrl`, over gRPC-Web. */
export function connect(options: ConnectOptions = {}): Acme {
  const transport = createGrpcWebTransport({
    baseUrl: options.baseUrl ?? "http://127.0.0.1:50050",
    interceptors: [credentialsInterceptor(options)],
  });
  return createAcme(transport, options);
}
