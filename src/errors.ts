/**
 * Local, typed errors. Every code is a stable `DOMAIN_REASON` literal listed in docs/errors.md:
 * users alert on them, so they are never renamed. Only `transport/to-json-rpc-error.ts` turns these
 * into wire errors.
 */
export class GatewayError<C extends string = string> extends Error {
  readonly code: C;
  constructor(code: C, message: string, opts?: { cause?: unknown }) {
    super(message, opts);
    this.name = new.target.name;
    this.code = code;
  }
}

/** As `instanceof GatewayError`, which narrows to `GatewayError<any>`: this keeps the code a string. */
export const isGatewayError = (error: unknown): error is GatewayError =>
  error instanceof GatewayError;

export type ConfigErrorCode =
  'CONFIG_INVALID' | 'CONFIG_UNREADABLE' | 'CONFIG_RELOAD_REFUSED' | 'CONFIG_AUTH_REQUIRED';
export class ConfigError extends GatewayError<ConfigErrorCode> {}

export type PolicyErrorCode =
  | 'POLICY_TOOL_DENIED'
  | 'POLICY_PROMPT_DENIED'
  | 'POLICY_RESOURCE_DENIED'
  | 'POLICY_SERVER_REQUEST_DENIED';
export class PolicyError extends GatewayError<PolicyErrorCode> {}

export type RouteErrorCode =
  'ROUTE_UNKNOWN_SERVER' | 'ROUTE_BAD_NAME' | 'ROUTE_BAD_CURSOR' | 'ROUTE_UNROUTABLE';
export class RouteError extends GatewayError<RouteErrorCode> {}

export type LimitErrorCode =
  | 'LIMIT_MESSAGE_TOO_LARGE'
  | 'LIMIT_TOO_DEEP'
  | 'LIMIT_TIMEOUT'
  | 'LIMIT_CONCURRENCY'
  | 'LIMIT_BATCH_REJECTED';
export class LimitError extends GatewayError<LimitErrorCode> {}

export type FrameErrorCode =
  'FRAME_PARSE_ERROR' | 'FRAME_INVALID_UTF8' | 'FRAME_INVALID_JSONRPC' | 'FRAME_INVALID_PARAMS';
export class FrameError extends GatewayError<FrameErrorCode> {}

export type UpstreamErrorCode =
  'UPSTREAM_UNAVAILABLE' | 'UPSTREAM_CRASHED' | 'UPSTREAM_ERROR' | 'UPSTREAM_INVALID_RESPONSE';
export class UpstreamError extends GatewayError<UpstreamErrorCode> {
  /** The upstream's own JSON-RPC error, forwarded when it is a plain application error. */
  readonly upstream?: { code: number; message: string };
  constructor(
    code: UpstreamErrorCode,
    message: string,
    opts?: { cause?: unknown; upstream?: { code: number; message: string } },
  ) {
    super(code, message, opts);
    if (opts?.upstream) this.upstream = opts.upstream;
  }
}

export type ClientErrorCode = 'CLIENT_CAPABILITY_MISSING';
export class ClientError extends GatewayError<ClientErrorCode> {}

export type HttpErrorCode =
  | 'HTTP_HOST_REJECTED'
  | 'HTTP_ORIGIN_REJECTED'
  | 'HTTP_BODY_TOO_LARGE'
  | 'HTTP_UNSUPPORTED_MEDIA_TYPE'
  | 'HTTP_SESSION_UNKNOWN'
  | 'HTTP_SESSION_FORBIDDEN'
  | 'HTTP_METHOD_NOT_ALLOWED'
  | 'HTTP_NOT_FOUND'
  | 'HTTP_TOO_MANY_SESSIONS'
  | 'HTTP_CALLER_SESSIONS'
  | 'HTTP_BODY_TIMEOUT'
  | 'HTTP_UNAUTHORIZED'
  | 'HTTP_INSUFFICIENT_SCOPE'
  | 'HTTP_TOKEN_IN_QUERY'
  | 'HTTP_METRICS_FORBIDDEN';
export class HttpError extends GatewayError<HttpErrorCode> {}

/** Live definitions against the lock (pins/): a changed item, or one the lock does not know. */
export type PinErrorCode = 'PIN_MISSING' | 'PIN_HASH_MISMATCH';
export class PinError extends GatewayError<PinErrorCode> {}

/** The lock file itself: absent where required, invalid, edited by hand, or an unpinned spec. */
export type LockErrorCode =
  | 'LOCK_MISSING'
  | 'LOCK_INVALID'
  | 'LOCK_TAMPERED'
  | 'LOCK_UNPINNED'
  | 'LOCK_SERVER_MISSING'
  | 'LOCK_POISONED'
  | 'LOCK_SERVER_EXITED'
  | 'LOCK_SERVER_TIMEOUT'
  | 'LOCK_SERVER_FAILED';
export class LockError extends GatewayError<LockErrorCode> {}

/** Package identity (packages/): tampered install, bad provenance, wrong signer, unreachable registry. */
export type PackageErrorCode =
  | 'PACKAGE_TAMPERED'
  | 'PACKAGE_PROVENANCE_INVALID'
  | 'PACKAGE_IDENTITY_MISMATCH'
  | 'PACKAGE_REGISTRY_ERROR'
  | 'PACKAGE_SIGNATURE_INVALID'
  | 'PACKAGE_NOT_INSTALLED'
  | 'PACKAGE_INSTALL_FAILED'
  | 'PACKAGE_GRAPH_TOO_LARGE'
  | 'PACKAGE_UNMANAGED_LAUNCHER'
  | 'PACKAGE_SDIST_REFUSED'
  | 'PACKAGE_STORE_UNSAFE'
  | 'PACKAGE_SOURCE_REFUSED';
export class PackageError extends GatewayError<PackageErrorCode> {}

/** The start policy on known advisories (packages/advisory-gate.ts, `advisories:` in the config). */
export type AdvisoryErrorCode =
  'ADVISORY_REFUSED' | 'ADVISORY_UNCHECKED' | 'ADVISORY_REPORT_INVALID';
export class AdvisoryError extends GatewayError<AdvisoryErrorCode> {}

export type SandboxErrorCode =
  | 'SANDBOX_UNAVAILABLE'
  | 'SANDBOX_LIMIT_EXCEEDED'
  | 'SANDBOX_UNSUPPORTED'
  | 'SANDBOX_ARGUMENT_CHANGED'
  | 'SANDBOX_BIND_WRITABLE'
  | 'SANDBOX_UNREACHABLE';
export class SandboxError extends GatewayError<SandboxErrorCode> {}

/** Egress decisions: the proxy answers the sandboxed server with 403/502 and logs one of these. */
export type EgressErrorCode =
  | 'EGRESS_HOST_DENIED'
  | 'EGRESS_PORT_DENIED'
  | 'EGRESS_ADDRESS_DENIED'
  | 'EGRESS_DNS_FAILED'
  | 'EGRESS_REDIRECT_DENIED'
  | 'EGRESS_BAD_REQUEST'
  | 'EGRESS_CONNECT_FAILED'
  | 'EGRESS_UNLOGGED';

export type SecretErrorCode = 'SECRET_UNAVAILABLE';
export class SecretError extends GatewayError<SecretErrorCode> {}

export type AuditErrorCode =
  'AUDIT_APPEND_FAILED' | 'AUDIT_KEY_INVALID' | 'AUDIT_STORE_INVALID' | 'AUDIT_STORE_UNAVAILABLE';
export class AuditError extends GatewayError<AuditErrorCode> {}

/** Content defenses (output/): a result that breaks its tool's contract or the size, depth, item or URI limits. */
export type OutputErrorCode =
  | 'OUTPUT_SCHEMA_MISMATCH'
  | 'OUTPUT_SCHEMA_INVALID'
  | 'OUTPUT_TOO_LARGE'
  | 'OUTPUT_TOO_DEEP'
  | 'OUTPUT_TOO_MANY_ITEMS'
  | 'OUTPUT_URI_DENIED';
export class OutputError extends GatewayError<OutputErrorCode> {}

/** Content defenses (sanitize/): hidden characters in text shown to the model, in `block` mode. */
export type SanitizeErrorCode = 'SANITIZE_HIDDEN_TEXT';
export class SanitizeError extends GatewayError<SanitizeErrorCode> {}

/** Content defenses (detect/): injection or poisoning found, or a call to a definition hidden as poisoned. */
export type DetectErrorCode =
  | 'DETECT_INJECTION'
  | 'DETECT_POISONED_DEFINITION'
  | 'DETECT_POISONED_INSTRUCTIONS'
  | 'DETECT_UNSAFE_ARGUMENTS';
export class DetectError extends GatewayError<DetectErrorCode> {}

/**
 * Content defenses (the walk that detect/, sanitize/ and secrets/ share): a value they cannot read
 * whole (too deep, too many strings) or cannot clean without two keys merging; refused, never passed unread.
 */
export type ContentErrorCode = 'CONTENT_KEY_COLLISION' | 'CONTENT_TOO_COMPLEX';
export class ContentError extends GatewayError<ContentErrorCode> {}

/** Content defenses (secrets/): a credential anywhere in an outgoing message, arguments, keys, URIs and `_meta` included (exfiltration). */
export type LeakErrorCode = 'LEAK_SECRET_IN_ARGUMENTS';
export class LeakError extends GatewayError<LeakErrorCode> {}

/** `toolgate init --from`: importing a client's MCP config, and wrapping or unwrapping it. */
export type InitErrorCode =
  | 'INIT_SOURCE_UNREADABLE'
  | 'INIT_SOURCE_INVALID'
  | 'INIT_OUTPUT_EXISTS'
  | 'INIT_ALREADY_WRAPPED'
  | 'INIT_NOT_WRAPPED'
  | 'INIT_WRAP_CHANGED';
export class InitError extends GatewayError<InitErrorCode> {}

/** `toolgate serve`: the front's address cannot be bound (in use, privileged, not this machine's). */
export type ServeErrorCode = 'SERVE_LISTEN_FAILED';
export class ServeError extends GatewayError<ServeErrorCode> {}

/** `toolgate sbom` and `toolgate deps`: the SBOM of locked npm servers, and offline OSV advisories. */
export type SbomErrorCode =
  | 'SBOM_NO_LOCK'
  | 'SBOM_UNKNOWN_SERVER'
  | 'SBOM_TREE_CHANGED'
  | 'SBOM_OSV_INVALID'
  | 'SBOM_REGISTRY_UNREACHABLE'
  | 'SBOM_REGISTRY_INVALID';
export class SbomError extends GatewayError<SbomErrorCode> {}

/** Agent authorization (authz/): Cedar policy, information-flow rules, approval and rate limits. */
export type AuthzErrorCode =
  | 'AUTHZ_DENIED'
  | 'AUTHZ_POLICY_INVALID'
  | 'AUTHZ_EVALUATION_FAILED'
  | 'FLOW_DENIED'
  | 'FLOW_APPROVAL_REQUIRED'
  | 'APPROVAL_DENIED'
  | 'APPROVAL_TIMEOUT'
  | 'APPROVAL_STATE_INVALID'
  | 'APPROVAL_UNKNOWN'
  | 'RATE_LIMITED';
export class AuthzError extends GatewayError<AuthzErrorCode> {}

/** State shared by replicas (cluster/): the shared store could not answer, so the call is refused. */
export type ClusterErrorCode = 'CLUSTER_STORE_UNAVAILABLE';
export class ClusterError extends GatewayError<ClusterErrorCode> {}

export type ErrorCode =
  | ClusterErrorCode
  | AuthzErrorCode
  | InitErrorCode
  | SbomErrorCode
  | OutputErrorCode
  | SanitizeErrorCode
  | DetectErrorCode
  | LeakErrorCode
  | ContentErrorCode
  | AuditErrorCode
  | SandboxErrorCode
  | EgressErrorCode
  | SecretErrorCode
  | PinErrorCode
  | LockErrorCode
  | PackageErrorCode
  | AdvisoryErrorCode
  | ConfigErrorCode
  | PolicyErrorCode
  | RouteErrorCode
  | LimitErrorCode
  | FrameErrorCode
  | UpstreamErrorCode
  | ClientErrorCode
  | HttpErrorCode;

/** `toolgate redteam` could not stage its hostile servers or start the gateway: nothing was proven. */
export type RedteamErrorCode = 'REDTEAM_SETUP_FAILED';
export class RedteamError extends GatewayError<RedteamErrorCode> {}
