/** The gateway's version, reported to servers and clients. Kept in step with package.json by a test. */
export const VERSION = '0.1.0';
