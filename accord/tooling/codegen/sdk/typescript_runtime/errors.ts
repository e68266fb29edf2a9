// Errors as one typed class carrying the decoded google.rpc.Status details: the ErrorInfo
// reason and metadata, RetryInfo, QuotaFailure and BadRequest field violations.
import { Code, ConnectError } from "@connectrpc/connect";
import {
  BadRequestSchema,
  ErrorInfoSchema,
  QuotaFailureSchema,
  RetryInfoSchema,
  type BadRequest_FieldViolation,
  type QuotaFailure_Violation,
} from "../gen/google/rpc/error_details_pb.js";

export { Code };

export class ApiError extends Error {
  /** The status code, e.g. Code.NotFound. */
  readonly code: Code;
  /** Its name as gRPC spells it, e.g. "NOT_FOUND". */
  readonly codeName: string;
  /** ErrorInfo.reason: what went wrong, for programs; "" when the server gave none. */
  readonly reason: string;
  /** ErrorInfo.metadata: facts a program may act on (a field, a limit, a successor). */
  readonly metadata: Record<string, string>;
  /** RetryInfo: how long the server asks the caller to wait, in milliseconds. */
  readonly retryDelayMs: number | undefined;
  readonly quotaViolations: QuotaFailure_Violation[];
  readonly fieldViolations: BadRequest_FieldViolation[];
  /** The response trailers, as the server sent them. */
  readonly trailers: Headers;
  override readonly cause: ConnectError;

  constructor(error: ConnectError) {
    super(error.rawMessage);
    this.name = "ApiError";
    this.cause = error;
    this.code = error.code;
    this.codeName = codeName(error.code);
    const info = error.findDetails(ErrorInfoSchema)[0];
    this.reason = info?.reason ?? "";
    this.metadata = { ...(info?.metadata ?? {}) };
    const retry = error.findDetails(RetryInfoSchema)[0]?.retryDelay;
    this.retryDelayMs =
      retry === undefined ? undefined : Number(retry.seconds) * 1000 + retry.nanos / 1e6;
    this.quotaViolations = error.findDetails(QuotaFailureSchema).flatMap((q) => q.violations);
    this.fieldViolations = error.findDetails(BadRequestSchema).flatMap((b) => b.fieldViolations);
    this.trailers = error.metadata;
  }

  override toString(): string {
    const reason = this.reason ? ` [${this.reason}]` : "";
    return `${this.codeName}${reason}: ${this.message}`;
  }
}

/** The typed error for anything a call throws (other errors are returned unchanged). */
export function apiError(error: unknown): unknown {
  if (error instanceof ApiError) {
    return error;
  }
  if (error instanceof ConnectError) {
    return new ApiError(error);
  }
  return error;
}

function codeName(code: Code): string {
  return (Code[code] ?? "Unknown").replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}
