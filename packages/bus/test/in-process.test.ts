import { getInProcessBus } from '../src/index.ts';
import { busContract } from '../src/testing/index.ts';

let n = 0;
busContract('in-process', async () => {
  const bus = getInProcessBus();
  return { bus, topic: () => `test-topic-${++n}`, cleanup: () => bus.close() };
});
