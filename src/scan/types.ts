/** What `toolgate scan` reports. Pure data: rules produce it, formatters print it. */
export type Severity = 'low' | 'medium' | 'high';
export const SEVERITIES = ['low', 'medium', 'high'] as const satisfies readonly Severity[];
export const severityRank = (s: Severity): number => SEVERITIES.indexOf(s);

export type RuleId =
  | 'unpinned-package'
  | 'plain-secret'
  | 'shell-launch'
  | 'plain-http'
  | 'no-sandbox'
  | 'broad-allowlist'
  | 'shared-tool-name'
  | 'poisoned-definition'
  | 'server-not-started';

/** Where a finding sits: the file, a JSON pointer into it (RFC 6901), and its line when known. */
interface Location {
  readonly file: string;
  readonly pointer: string;
  readonly line?: number;
  readonly column?: number;
}

export interface Finding {
  readonly rule: RuleId;
  readonly severity: Severity;
  readonly server: string;
  readonly location: Location;
  /** Never holds a credential: rules name the key and the credential's kind, not its value. */
  readonly message: string;
  readonly fix: string;
}

/** One server as a config file declares it, in one shape whatever the client. */
export interface ScanServer {
  readonly name: string;
  readonly file: string;
  /** JSON pointer of the server's object in the file. */
  readonly pointer: string;
  /** `toolgate` for a toolgate config; else the client shape the file was read as. */
  readonly source: ConfigKind;
  readonly command?: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly url?: string;
  /** Pointer suffix of the URL field (`url`, `serverUrl`, `httpUrl`). */
  readonly urlKey?: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Container image (toolgate container servers). */
  readonly image?: string;
  /** A local process runs outside any sandbox: every raw client server, a toolgate `sandbox: false`. */
  readonly unsandboxed: boolean;
  /** toolgate allowlists (absent for client configs, which have none). */
  readonly allow?: Readonly<Record<'tools' | 'prompts' | 'resources', readonly string[]>>;
}

export type ConfigKind =
  'toolgate' | 'mcpServers' | 'vscode-servers' | 'vscode-settings' | 'claude-code-projects';

/** Pointer segment escaping (RFC 6901). */
export const pointerOf = (...segments: readonly (string | number)[]): string =>
  segments.map((s) => '/' + String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
