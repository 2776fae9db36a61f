// Import rules for src/: no module cycles, and the layers of docs/architecture.md, lowest first. A layer
// imports only from itself and the layers below it; the three leaf files import nothing from src/.
const DEFENSES = [
  'allowlist',
  'pins',
  'sandbox',
  'egress',
  'secrets',
  'sanitize',
  'detect',
  'output',
  'audit',
  'credentials',
  'packages',
  'authz',
  'auth',
  'cluster',
];
const COMMANDS = ['check', 'scan', 'sbom', 'init', 'tools'];
const LAYERS = [
  ['core'],
  ['config'],
  DEFENSES,
  ['transport'],
  ['upstream'],
  ['gateway'],
  ['front'],
  // Command domains use anything below cli and each other (acyclic, checked by no-circular).
  COMMANDS,
  ['cli'],
];

// Defenses stay independent of each other; each edge that exists, and why it is sound.
const DEFENSE_EDGES = {
  // The audit log redacts configured secrets from clear values with the secret scanner itself.
  audit: ['secrets'],
  // Content detection reuses the secret scanner (leaks), hidden-character stripping and URI checks.
  detect: ['secrets', 'sanitize', 'output'],
  // The egress proxy writes its decision to the audit log before it opens a connection (AUD-1).
  egress: ['audit'],
  // Installed packages are checked against the lock's package entries (pins own the lock format).
  packages: ['pins'],
  // Pinned definitions are screened by the content detector before they are accepted.
  pins: ['detect'],
  // A sandboxed server's only way out is the egress proxy the sandbox starts for it.
  sandbox: ['egress'],
  // An authenticated caller becomes an agent with its configured groups, as authz defines agents.
  auth: ['authz'],
  // A secret is matched after hidden characters are stripped, so zero-width splits cannot hide it.
  secrets: ['sanitize'],
  // The shared rate store implements the buckets authz defines, on Redis.
  cluster: ['authz'],
};

const folders = (names) => `^src/(${names.join('|')})/`;

const layerRules = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `layer-${layer.length === 1 ? layer[0] : i === 2 ? 'defenses' : 'commands'}`,
  comment: `${layer.join(', ')} must not import a higher layer`,
  severity: 'error',
  from: { path: folders(layer) },
  to: { path: folders(LAYERS.slice(i + 1).flat()) },
}));

const defenseRules = DEFENSES.map((defense) => ({
  name: `defense-${defense}`,
  comment: `${defense} must not import another defense beyond the edges listed in DEFENSE_EDGES`,
  severity: 'error',
  from: { path: `^src/${defense}/` },
  to: {
    path: folders(
      DEFENSES.filter((d) => d !== defense && !(DEFENSE_EDGES[defense] ?? []).includes(d)),
    ),
  },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'a module cycle makes load order and layering depend on import order',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'leaf-files',
      comment: 'errors.ts, version.ts and log.ts are used by every layer, so they import none',
      severity: 'error',
      from: { path: '^src/(errors|version|log)\\.ts$' },
      to: { path: '^src/' },
    },
    ...layerRules,
    ...defenseRules,
  ],
  options: {
    // Tests may reach across layers to drive real parts; the rules are about the shipped code.
    exclude: { path: '\\.test\\.ts$' },
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: a layer that names a higher layer's types depends on it.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};
