export const serve = async (_configPath: string, _listen: string): Promise<void> => {
  throw new Error('not yet');
};
