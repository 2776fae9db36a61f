// Ordinary calls to the memory and everything servers, the way an assistant uses them day to day:
// their results are benign tool outputs.

export interface Call {
  readonly tool: string;
  readonly arguments: Record<string, unknown>;
}

const people = [
  ['Ada Marsh', 'person', ['Works on the billing service', 'Prefers code review in the morning']],
  [
    'Billing Service',
    'project',
    ['Written in Go', 'Deployed every Tuesday', 'Owned by the payments team'],
  ],
  ['Payments Team', 'team', ['Five engineers', 'On call rotation is weekly']],
  [
    'Quarterly Planning',
    'event',
    ['Held in the second week of January', 'Agenda shared a week before'],
  ],
  [
    'Ravi Chen',
    'person',
    ['Leads the data platform', 'Based in Toronto', 'Speaks at the internal tech talks'],
  ],
  ['Data Platform', 'project', ['Runs nightly ETL jobs', 'Stores events in Parquet files']],
] as const;

export const MEMORY_CALLS: readonly Call[] = [
  {
    tool: 'create_entities',
    arguments: {
      entities: people.map(([name, entityType, observations]) => ({
        name,
        entityType,
        observations: [...observations],
      })),
    },
  },
  {
    tool: 'create_relations',
    arguments: {
      relations: [
        { from: 'Ada Marsh', to: 'Payments Team', relationType: 'member of' },
        { from: 'Payments Team', to: 'Billing Service', relationType: 'owns' },
        { from: 'Ravi Chen', to: 'Data Platform', relationType: 'leads' },
        { from: 'Data Platform', to: 'Billing Service', relationType: 'receives events from' },
      ],
    },
  },
  {
    tool: 'add_observations',
    arguments: {
      observations: [
        { entityName: 'Ada Marsh', contents: ['Asked for the migration plan by Friday'] },
        {
          entityName: 'Billing Service',
          contents: ['Latency p99 is 180 ms after the cache change'],
        },
      ],
    },
  },
  { tool: 'read_graph', arguments: {} },
  { tool: 'search_nodes', arguments: { query: 'billing' } },
  { tool: 'search_nodes', arguments: { query: 'Toronto' } },
  { tool: 'search_nodes', arguments: { query: 'weekly' } },
  { tool: 'open_nodes', arguments: { names: ['Ada Marsh', 'Data Platform'] } },
  {
    tool: 'delete_observations',
    arguments: {
      deletions: [
        { entityName: 'Ada Marsh', observations: ['Prefers code review in the morning'] },
      ],
    },
  },
  { tool: 'open_nodes', arguments: { names: ['Ada Marsh'] } },
  { tool: 'delete_entities', arguments: { entityNames: ['Quarterly Planning'] } },
  { tool: 'read_graph', arguments: {} },
];

export const EVERYTHING_CALLS: readonly Call[] = [
  { tool: 'echo', arguments: { message: 'Hello from the test client' } },
  { tool: 'echo', arguments: { message: 'Please summarise the last three commits on main.' } },
  { tool: 'get-sum', arguments: { a: 17, b: 25 } },
  { tool: 'get-sum', arguments: { a: -3.5, b: 10 } },
  { tool: 'get-annotated-message', arguments: { messageType: 'success' } },
  { tool: 'get-annotated-message', arguments: { messageType: 'error' } },
  { tool: 'get-annotated-message', arguments: { messageType: 'debug' } },
  { tool: 'get-structured-content', arguments: { location: 'New York' } },
  { tool: 'get-structured-content', arguments: { location: 'Chicago' } },
  { tool: 'get-structured-content', arguments: { location: 'Los Angeles' } },
  { tool: 'get-resource-links', arguments: { count: 3 } },
  { tool: 'get-resource-reference', arguments: { resourceType: 'Text', resourceId: 1 } },
  { tool: 'get-resource-reference', arguments: { resourceType: 'Text', resourceId: 4 } },
  { tool: 'toggle-simulated-logging', arguments: {} },
  { tool: 'toggle-subscriber-updates', arguments: {} },
];
