/**
 * Fault-test instrumentation: with LEDGER_CRASH_AT=`service:point` the process kills itself with
 * SIGKILL the Nth time (LEDGER_CRASH_AFTER, default 1) it reaches that point. Unset, it does nothing.
 */
export function crashHook(service: string, at: string | undefined, after = 1): (point: string) => void {
  if (!at) return () => undefined;
  let reached = 0;
  return (point) => {
    if (`${service}:${point}` !== at) return;
    reached++;
    if (reached >= after) {
      process.stderr.write(`crash point ${at} reached: killing the process\n`);
      process.kill(process.pid, 'SIGKILL');
    }
  };
}
