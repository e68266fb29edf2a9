// What a generated client knows of each method from the contracts: whether it is safe to
// retry (idempotency_level), its default deadline, and how its stream resumes.

export interface MethodContract {
  /** The contract's idempotency_level is NO_SIDE_EFFECTS or IDEMPOTENT. */
  readonly idempotent: boolean;
  /** The deadline a call gets when the caller sets none. */
  readonly timeoutMs?: number;
  /** A server stream resumes by naming, in `request`, the `response` field of the last response. */
  readonly resumption?: { readonly request: string; readonly response: string };
}

export interface Lifecycle {
  readonly deprecatedDate: string;
  readonly sunsetDate: string;
  readonly successor: string;
  readonly migrationGuideUrl?: string;
}

export interface ServiceContract {
  readonly typeName: string;
  /** Set when the version is deprecated. */
  readonly lifecycle?: Lifecycle;
  /** By the method's local (camelCase) name. */
  readonly methods: Readonly<Record<string, MethodContract>>;
}
