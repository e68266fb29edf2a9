// A Connect client with the contract's behaviour: the default deadline, retries with
// backoff for methods safe to retry (honouring the server's RetryInfo), typed errors
// (ApiError), and server streams that resume from their cursor after a broken connection.
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { type CallOptions, type Client, Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import type { Lifecycle, MethodContract, ServiceContract } from "./contract.js";
import { ApiError, apiError } from "./errors.js";

export interface RetryPolicy {
  /** Counts the first try; 1 turns retries off. */
  readonly maxAttempts: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly multiplier: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 4,
  initialBackoffMs: 100,
  maxBackoffMs: 5000,
  multiplier: 2,
};

export interface ClientOptions {
  readonly retry?: Partial<RetryPolicy>;
}

type Call = (request: unknown, options?: CallOptions) => unknown;

export function withContract<S extends DescService>(
  service: S,
  transport: Transport,
  contract: ServiceContract,
  options: ClientOptions = {},
): Client<S> {
  const plain = createClient(service, transport) as unknown as Record<string, Call>;
  const retry: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
  if (contract.lifecycle !== undefined) {
    warnDeprecated(contract.typeName, contract.lifecycle);
  }
  const wrapped: Record<string, Call> = {};
  for (const method of service.methods) {
    const name = method.localName;
    const call = plain[name].bind(plain);
    const rules: MethodContract = contract.methods[name] ?? { idempotent: false };
    wrapped[name] = wrap(method, call, rules, retry);
  }
  return wrapped as unknown as Client<S>;
}

function wrap(method: DescMethod, call: Call, rules: MethodContract, retry: RetryPolicy): Call {
  switch (method.methodKind) {
    case "unary":
      return (request, options) => unary(call, request, rules, retry, options);
    case "server_streaming":
      return (request, options) => serverStream(call, request, rules, retry, options);
    default:
      return (request, options) => once(call, request, rules, options);
  }
}

function withTimeout(rules: MethodContract, options: CallOptions | undefined, deadline?: number): CallOptions {
  const chosen = { ...options };
  if (deadline !== undefined) {
    chosen.timeoutMs = Math.max(deadline - Date.now(), 1);
  } else if (chosen.timeoutMs === undefined && rules.timeoutMs !== undefined) {
    chosen.timeoutMs = rules.timeoutMs;
  }
  return chosen;
}

function deadlineOf(rules: MethodContract, options: CallOptions | undefined): number | undefined {
  const timeoutMs = options?.timeoutMs ?? rules.timeoutMs;
  return timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
}

async function unary(
  call: Call,
  request: unknown,
  rules: MethodContract,
  retry: RetryPolicy,
  options: CallOptions | undefined,
): Promise<unknown> {
  const deadline = deadlineOf(rules, options);
  for (let attempt = 1; ; attempt++) {
    try {
      return await call(request, withTimeout(rules, options, deadline));
    } catch (error) {
      const typed = apiError(error);
      const delay = retryDelay(typed, rules, retry, attempt, deadline);
      if (delay === undefined) {
        throw typed;
      }
      await sleep(delay);
    }
  }
}

async function* serverStream(
  call: Call,
  request: unknown,
  rules: MethodContract,
  retry: RetryPolicy,
  options: CallOptions | undefined,
): AsyncGenerator<unknown> {
  const deadline = deadlineOf(rules, options);
  const resumption = rules.resumption;
  let current = request;
  let started = false;
  for (let attempt = 1; ; attempt++) {
    try {
      const responses = call(current, withTimeout(rules, options, deadline)) as AsyncIterable<unknown>;
      for await (const response of responses) {
        started = true;
        attempt = 1;
        if (resumption !== undefined) {
          const position = (response as Record<string, unknown>)[resumption.response];
          current = { ...(request as object), [resumption.request]: position };
        }
        yield response;
      }
      return;
    } catch (error) {
      const typed = apiError(error);
      const resumable = resumption !== undefined || !started;
      const delay = resumable ? retryDelay(typed, rules, retry, attempt, deadline) : undefined;
      if (delay === undefined) {
        throw typed;
      }
      await sleep(delay);
    }
  }
}

async function once(
  call: Call,
  request: unknown,
  rules: MethodContract,
  options: CallOptions | undefined,
): Promise<unknown> {
  try {
    const result = call(request, withTimeout(rules, options));
    return await result;
  } catch (error) {
    throw apiError(error);
  }
}

/** Milliseconds before the next attempt, or undefined: not safe, not worth it, or no time. */
export function retryDelay(
  error: unknown,
  rules: MethodContract,
  retry: RetryPolicy,
  attempt: number,
  deadline: number | undefined,
): number | undefined {
  if (!rules.idempotent || attempt >= retry.maxAttempts || !(error instanceof ApiError)) {
    return undefined;
  }
  const asked = error.retryDelayMs;
  const retryable =
    error.code === Code.Unavailable || (error.code === Code.ResourceExhausted && asked !== undefined);
  if (!retryable) {
    return undefined;
  }
  const ceiling = Math.min(retry.maxBackoffMs, retry.initialBackoffMs * retry.multiplier ** (attempt - 1));
  // Full jitter: clients that failed together do not come back together.
  const delay = asked ?? Math.random() * ceiling;
  if (deadline !== undefined && Date.now() + delay >= deadline) {
    return undefined;
  }
  return delay;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const warned = new Set<string>();

function warnDeprecated(service: string, lifecycle: Lifecycle): void {
  if (warned.has(service)) {
    return;
  }
  warned.add(service);
  const guide = lifecycle.migrationGuideUrl ? `; see ${lifecycle.migrationGuideUrl}` : "";
  const text =
    `${service} is deprecated since ${lifecycle.deprecatedDate} and stops answering after ` +
    `${lifecycle.sunsetDate}: move to ${lifecycle.successor}${guide}`;
  const process = (globalThis as { process?: { emitWarning?: (w: string, t: string) => void } }).process;
  if (process?.emitWarning !== undefined) {
    process.emitWarning(text, "DeprecationWarning");
  } else {
    console.warn(`DeprecationWarning: ${text}`);
  }
}

export { ConnectError };

/** An object whose properties are made by `makers` when first read, then kept. */
export function lazily<T extends Record<string, () => unknown>>(
  makers: T,
): { [K in keyof T]: ReturnType<T[K]> } {
  const made = new Map<string, unknown>();
  const result = {} as { [K in keyof T]: ReturnType<T[K]> };
  for (const [name, make] of Object.entries(makers)) {
    Object.defineProperty(result, name, {
      enumerable: true,
      get: () => {
        if (!made.has(name)) {
          made.set(name, make());
        }
        return made.get(name);
      },
    });
  }
  return result;
}
