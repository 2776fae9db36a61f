// The few members of npm's own libraries toolgate uses (they ship no types).

declare module '@npmcli/arborist' {
  interface ArboristNode {
    readonly version: string;
    readonly integrity: string | null;
    readonly children: ReadonlyMap<string, ArboristNode>;
  }
  export default class Arborist {
    constructor(options: Record<string, unknown> & { path: string });
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
