/** Operator log lines: one JSON object each on stderr (stdout belongs to the MCP stdio front). */
export const logLine = (
  level: 'info' | 'warn' | 'error',
  message: string,
  extra: Record<string, unknown> = {},
): void => {
  process.stderr.write(
    JSON.stringify({ time: new Date().toISOString(), level, message, ...extra }) + '\n',
  );
};
