// What `connect()` takes and gives its transport, in Node (node.ts) and in a browser (web.ts):
// the edge's address and the caller's credentials on every call.
import type { Interceptor } from "@connectrpc/connect";
import type { ClientOptions } from "./client.js";
import { type Credentials, credentialsInterceptor } from "./credentials.js";

export interface ConnectOptions extends Credentials, ClientOptions {
  /** The edge; http://127.0.0.1:50050 (what `make run` starts) by default. */
  readonly baseUrl?: string;
}

/** The transport settings of either kind: where the edge is, and the credentials. */
export function toTheEdge(options: ConnectOptions): { baseUrl: string; interceptors: Interceptor[] } {
  return {
    baseUrl: options.baseUrl ?? "http://127.0.0.1:50050",
    interceptors: [credentialsInterceptor(options)],
  };
}
