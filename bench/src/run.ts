/**
 * One run of one workload in a fresh process (so peak RSS is this run's own), printing one JSON
 * line. main.ts spawns it K times and takes medians.
 *   run.ts append <events> <path>      run.ts replay <events> <storePath> <queries>
 *   run.ts fold|scoring <events> <storePath> <queries>      run.ts http-single|http-batch 0 <seconds>
 *   run.ts start <events> <storePath>      run.ts read-floor <events> <storePath>
 *   run.ts http-floor-node|http-floor-stack 0 <seconds>
 *   run.ts kafka-throughput <submissions>            run.ts kafka-freshness 0 <seconds> <rate>
 *   run.ts calibrate
 */
import { APPEND_BATCH, appendDataset } from './append.ts';
import { asOfRankings } from './asof.ts';
import { calibrate } from './calibrate.ts';
import { httpLoad } from './http.ts';
import { kafkaFreshness } from './kafka-freshness.ts';
import { kafkaThroughput } from './kafka-throughput.ts';
import { readFloor } from './read-floor.ts';
import { foldOnly, rebuildProjection, scoringFold } from './replay.ts';
import { allInOneStart } from './start.ts';

const [workload, eventsArg, path = '', queriesArg = '2000', seedArg = '6'] = process.argv.slice(2);
const events = Number(eventsArg);
const seed = Number(seedArg);

switch (workload) {
  case 'calibrate': {
    console.log(JSON.stringify(calibrate()));
    break;
  }
  case 'append': {
    console.log(JSON.stringify(await appendDataset(path, events, seed, APPEND_BATCH)));
    break;
  }
  case 'replay':
  case 'fold':
  case 'scoring': {
    const { index, ...replay } =
      workload === 'replay'
        ? await rebuildProjection(path, `${path}.projection`)
        : workload === 'fold'
          ? await foldOnly(path)
          : await scoringFold(path);
    const asOf = asOfRankings(index, Number(queriesArg), seed);
    console.log(JSON.stringify({ ...replay, asOf }));
    break;
  }
  case 'start': {
    console.log(JSON.stringify(await allInOneStart(path)));
    break;
  }
  case 'http-floor-node':
  case 'http-floor-stack': {
    const target = workload === 'http-floor-node' ? 'node' : 'stack';
    console.log(JSON.stringify(await httpLoad('single', Number(path || 15), 16, target)));
    break;
  }
  case 'read-floor': {
    console.log(JSON.stringify(await readFloor(path, events)));
    break;
  }
  case 'http-single':
  case 'http-batch': {
    const single = workload === 'http-single';
    console.log(
      JSON.stringify(
        await httpLoad(
          single ? 'single' : 'batch',
          Number(path || 15),
          Number(queriesArg === '2000' ? (single ? 16 : 2) : queriesArg),
        ),
      ),
    );
    break;
  }
  case 'kafka-throughput': {
    console.log(JSON.stringify(await kafkaThroughput(events)));
    break;
  }
  case 'kafka-freshness': {
    console.log(JSON.stringify(await kafkaFreshness(Number(queriesArg), Number(path || 15))));
    break;
  }
  default:
    throw new Error(`unknown workload ${workload}`);
}
