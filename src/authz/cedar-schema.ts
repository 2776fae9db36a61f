/**
 * The Cedar schema policies are written against (published as `schema/toolgate.cedarschema`).
 * Every request toolgate makes of Cedar has this shape; policy files are validated against it at
 * load, so a typo in an attribute is a load error, not a policy that silently never matches.
 *
 * - `Agent` is who the message travels for (stdio: the configured agent; HTTP: the token's subject or
 *   the API key's id), member of its `Group`s.
 * - `Tool`, `Prompt`, `Resource` and `ServerRequest` belong to their `Server`. A tool's `labels` come
 *   from the config (and the label heuristic); `declared` holds the server's own annotations, which
 *   are untrusted: toolgate decides once as declared and once as if the server had declared the
 *   worst, and keeps the stricter answer, so an annotation can tighten a decision, never loosen it.
 * - `context.arguments` holds the call's arguments as tags (`hasTag`, `getTag`): strings as given,
 *   absolute paths normalised (no `..`), other values as JSON, nested keys joined with `.`.
 */
export const CEDAR_SCHEMA = `namespace Toolgate {
  entity Group;
  entity Agent in [Group] { transport: String };
  entity Server;
  entity Arguments tags String;
  type Declared = { readOnly: Bool, destructive: Bool, idempotent: Bool, openWorld: Bool };
  entity Tool in [Server] { server: String, name: String, labels: Set<String>, declared: Declared };
  entity Prompt in [Server] { server: String, name: String };
  entity Resource in [Server] { server: String, uri: String };
  entity ServerRequest in [Server] { server: String, method: String };
  type Time = { hourUtc: Long, weekdayUtc: Long };
  type ListContext = { time: Time };
  type CallContext = { arguments: Arguments, sessionLabels: Set<String>, time: Time };
  action "tools/list" appliesTo { principal: Agent, resource: Tool, context: ListContext };
  action "tools/call" appliesTo { principal: Agent, resource: Tool, context: CallContext };
  action "prompts/list" appliesTo { principal: Agent, resource: Prompt, context: ListContext };
  action "prompts/get" appliesTo { principal: Agent, resource: Prompt, context: CallContext };
  action "resources/list" appliesTo { principal: Agent, resource: Resource, context: ListContext };
  action "resources/read" appliesTo { principal: Agent, resource: Resource, context: CallContext };
  action "server/request" appliesTo { principal: Agent, resource: ServerRequest, context: ListContext };
}
`;
