// The few members of npm's own libraries toolgate uses (they ship no types).

declare module '@npmcli/arborist' {
  interface ArboristNode {
    readonly name: string;
    readonly version: string;
    readonly integrity: string | null;
    readonly resolved: string | null;
    readonly isLink: boolean;
    readonly isRoot: boolean;
    readonly children: ReadonlyMap<string, ArboristNode>;
    readonly edgesOut: ReadonlyMap<string, { readonly spec: string }>;
    /** Every node of the tree (root only), by location. */
    readonly inventory: ReadonlyMap<string, ArboristNode>;
  }
  export default class Arborist {
    constructor(options: Record<string, unknown> & { path: string });
    buildIdealTree(options?: Record<string, unknown>): Promise<ArboristNode>;
    reify(options?: Record<string, unknown>): Promise<ArboristNode>;
  }
}

declare module 'pacote' {
  const pacote: {
    manifest(
      spec: string,
      options?: Record<string, unknown>,
    ): Promise<{ name: string; version: string; _integrity?: string; bin?: unknown }>;
  };
  export default pacote;
}

declare module 'npm-registry-fetch' {
  /** The fetch Response of make-fetch-happen (minipass-fetch), as far as toolgate reads it. */
  interface RegistryResponse {
    readonly status: number;
    buffer(): Promise<Buffer>;
  }
  export default function npmFetch(
    url: string,
    options?: Record<string, unknown>,
  ): Promise<RegistryResponse>;
}

declare module 'npm-package-arg' {
  /** npm's reading of a `name@spec`: `type` is version, range, tag, alias, git, remote, file or directory. */
  const npa: {
    resolve(name: string, spec: string): { readonly type: string };
  };
  export default npa;
}
