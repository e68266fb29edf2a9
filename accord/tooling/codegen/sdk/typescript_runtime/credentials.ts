// Who the caller is: a bearer token (fixed, or a function returning the current one) or an
// API key. An interceptor adds it to every call, so a refreshed token takes effect at once.
import type { Interceptor } from "@connectrpc/connect";

export type TokenSource = string | (() => string | Promise<string>);

export interface Credentials {
  /** `authorization: Bearer <token>`; a function is called before every call. */
  token?: TokenSource;
  /** `x-api-key: <key>`, for programs that hold a key instead of a token. */
  apiKey?: string;
}

export function credentialsInterceptor(credentials: Credentials): Interceptor {
  const { token, apiKey } = credentials;
  if (token !== undefined && apiKey !== undefined) {
    throw new Error("give a token or an API key, not both");
  }
  return (next) => async (request) => {
    if (token !== undefined) {
      const value = typeof token === "function" ? await token() : token;
      if (!value) {
        throw new Error("the token source returned no token");
      }
      request.header.set("authorization", `Bearer ${value}`);
    } else if (apiKey !== undefined) {
      request.header.set("x-api-key", apiKey);
    }
    return next(request);
  };
}
