/**
 * The flags every process the bench starts runs with: TypeScript by type stripping, and quiet about
 * the two warnings that are not ours (kafkajs sets a negative timeout once per process on Node ≥ 23,
 * see infra/kafka/README.md).
 */
export const NODE_FLAGS = [
  '--experimental-strip-types',
  '--disable-warning=ExperimentalWarning',
  '--disable-warning=TimeoutNegativeWarning',
];
