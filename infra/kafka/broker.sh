#!/usr/bin/env bash
# A real, single-node Apache Kafka broker (KRaft, no ZooKeeper) run from its Maven Central jars,
# without Docker. Needs only Java 17+ and Maven. See infra/kafka/README.md.
#
#   infra/kafka/broker.sh start     start (or find running) and print KAFKA_BROKERS=127.0.0.1:<port>
#   infra/kafka/broker.sh stop      stop cleanly (SIGTERM, then SIGKILL after a timeout)
#   infra/kafka/broker.sh restart   stop, then start; the data is kept
#   infra/kafka/broker.sh status    print running/stopped; exit 0 if running, 1 if not
#   infra/kafka/broker.sh libs      only resolve the jars into the cache (e.g. to warm a CI cache)
#   infra/kafka/broker.sh log       print the path of the broker log
#
# stdout carries only the KAFKA_BROKERS=... line of `start`/`restart` (and the word of `status`),
# so `eval "$(infra/kafka/broker.sh start)"` works; everything else goes to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

KAFKA_VERSION="${KAFKA_VERSION:-4.4.0}"
port_given="${KAFKA_PORT:+yes}"
KAFKA_PORT="${KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT_GIVEN="${KAFKA_CONTROLLER_PORT:-}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}"
KAFKA_CACHE_DIR="${KAFKA_CACHE_DIR:-$HOME/.cache/indicator-ledger/kafka-$KAFKA_VERSION/libs}"
KAFKA_STATE_DIR="${KAFKA_STATE_DIR:-$repo/.cache/kafka}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms128m -Xmx512m}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"

libs="$KAFKA_CACHE_DIR"
state="$KAFKA_STATE_DIR"
data="$state/data"
logs="$state/logs"
pid_file="$state/kafka.pid"
props="$state/server.properties"
log4j="$state/log4j2.properties"
tools_log4j="$state/log4j2-tools.properties"
broker_log="$logs/server.log"
console_log="$logs/console.log"
brokers="127.0.0.1:$KAFKA_PORT"

say() { printf 'kafka: %s\n' "$*" >&2; }
die() {
  say "error: $*"
  exit 1
}

need() { command -v "$1" >/dev/null 2>&1 || die "'$1' is not installed (the broker needs Java 17+ and Maven)"; }

# --- jars ---------------------------------------------------------------------------------------

# Resolves org.apache.kafka:kafka_2.13 and its runtime dependencies into $libs, once: a marker file
# names the version that was resolved completely, so later runs skip Maven altogether.
resolve_libs() {
  local marker="$libs/.resolved"
  if [[ -f "$marker" && "$(cat "$marker")" == "$KAFKA_VERSION" ]]; then return 0; fi
  need mvn
  mkdir -p "$(dirname "$libs")"
  local tmp
  tmp="$(mktemp -d "$(dirname "$libs")/.libs.XXXXXX")"
  say "resolving Apache Kafka $KAFKA_VERSION jars from Maven Central into $libs (once)..."
  if ! mvn -B -q -f "$here/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" >"$tmp.mvn.log" 2>&1; then
    tail -n 40 "$tmp.mvn.log" >&2
    rm -rf "$tmp" "$tmp.mvn.log"
    die "could not resolve org.apache.kafka:kafka_2.13:$KAFKA_VERSION with mvn"
  fi
  rm -f "$tmp.mvn.log"
  [[ -f "$tmp/kafka_2.13-$KAFKA_VERSION.jar" ]] || die "kafka_2.13-$KAFKA_VERSION.jar missing after mvn"
  echo "$KAFKA_VERSION" >"$tmp/.resolved"
  rm -rf "$libs"
  mv "$tmp" "$libs"
  say "resolved $(find "$libs" -name '*.jar' | wc -l) jars"
}

# --- configuration ------------------------------------------------------------------------------

write_config() {
  mkdir -p "$data" "$logs"
  # The controller quorum is static (controller.quorum.voters) rather than bootstrapped with
  # --standalone: a static voter's endpoint is read from this file at every start, so the ports can
  # change between runs without reformatting the storage.
  cat >"$props" <<EOF
# Written by infra/kafka/broker.sh at every start: edit the script, not this file.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$data
metadata.log.dir=$data

# One broker: every internal topic has one replica, or it is never created.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=5
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=5
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
default.replication.factor=1
min.insync.replicas=1
num.partitions=1

# Services create their topics explicitly, with their partitions and configuration.
auto.create.topics.enable=false
delete.topic.enable=true
group.initial.rebalance.delay.ms=0

num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.retention.hours=168
EOF

  cat >"$log4j" <<EOF
# Written by infra/kafka/broker.sh: the broker logs to a file, not the console.
status = warn
# Kafka shuts down in its own shutdown hook: keep logging until it is done.
shutdownHook = disable
appender.file.type = RollingFile
appender.file.name = file
appender.file.fileName = $broker_log
appender.file.filePattern = $logs/server.log.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 20MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
logger.request.name = kafka.request.logger
logger.request.level = warn
logger.authorizer.name = kafka.authorizer.logger
logger.authorizer.level = warn
EOF

  cat >"$tools_log4j" <<EOF
# The command-line tools run by broker.sh only log warnings, to stderr.
status = warn
appender.err.type = Console
appender.err.name = err
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.err.ref = err
EOF
}

# Runs a Kafka command-line tool class from the cached jars; its stdout goes to stderr.
run_tool() {
  java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Dlog4j2.configurationFile="$tools_log4j" \
    -cp "$libs/*" "$@" 1>&2
}

format_storage() {
  if [[ -f "$data/meta.properties" ]]; then return 0; fi
  local cluster_id
  # A cluster id is 16 random bytes in URL-safe base64 without padding (what `random-uuid` prints).
  cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
  # An id starting with "-" would be read as an option by the tool's argument parser.
  while [[ "$cluster_id" == -* ]]; do cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"; done
  say "formatting KRaft storage in $data (cluster id $cluster_id)"
  run_tool kafka.tools.StorageTool format --cluster-id "$cluster_id" --config "$props" --ignore-formatted \
    || die "formatting the storage failed"
}

# --- process ------------------------------------------------------------------------------------

# The pid of our broker if it is running (the pid file names a live java running kafka.Kafka with our
# configuration), else nothing.
running_pid() {
  [[ -f "$pid_file" ]] || return 1
  local pid
  pid="$(cat "$pid_file" 2>/dev/null || true)"
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "kafka.Kafka $props" || return 1
  echo "$pid"
}

# The address of the running broker, from the configuration it was started with (KAFKA_PORT may
# differ now).
running_brokers() {
  local listener
  listener="$(grep -m1 '^advertised.listeners=' "$props" 2>/dev/null | sed 's|.*://||')"
  echo "${listener:-$brokers}"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

tail_log() {
  say "last lines of $broker_log:"
  tail -n 30 "$broker_log" >&2 2>/dev/null || true
  if [[ -s "$console_log" ]]; then
    say "last lines of $console_log:"
    tail -n 15 "$console_log" >&2 || true
  fi
}

# A broker that did not become ready is not left behind half-started.
give_up() {
  tail_log
  say "stopping the broker that did not become ready (pid $1)"
  kill -KILL "$1" 2>/dev/null || true
  rm -f "$pid_file" "$state/.ready"
  die "$2"
}

# Ready means: the process lives, the broker logged that it started, its port accepts connections and
# a metadata request (list the topics through the admin client) succeeds.
# With "quick", a broker that already passed that check once is not asked again.
wait_ready() {
  local pid="$1" quick="${2:-}" deadline=$((SECONDS + KAFKA_START_TIMEOUT))
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail_log
      die "the broker exited during start-up"
    fi
    if port_open "$KAFKA_PORT" && grep -q 'Kafka Server started' "$broker_log" 2>/dev/null; then break; fi
    if ((SECONDS >= deadline)); then
      give_up "$pid" "the broker was not ready after ${KAFKA_START_TIMEOUT}s (KAFKA_START_TIMEOUT)"
    fi
    sleep 0.2
  done
  if [[ -n "$quick" && -f "$state/.ready" && "$(cat "$state/.ready")" == "$pid" ]]; then return 0; fi
  while ! timeout 30 java -Xmx128m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
    -Dlog4j2.configurationFile="$tools_log4j" -cp "$libs/*" \
    org.apache.kafka.tools.TopicCommand --bootstrap-server "$brokers" --list >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      give_up "$pid" "the broker does not answer a metadata request after ${KAFKA_START_TIMEOUT}s"
    fi
    sleep 0.5
  done
  echo "$pid" >"$state/.ready"
}

start() {
  need java
  local pid
  if pid="$(running_pid)"; then
    brokers="$(running_brokers)"
    KAFKA_PORT="${brokers##*:}"
    wait_ready "$pid" quick
    say "already running (pid $pid)"
    echo "KAFKA_BROKERS=$brokers"
    return 0
  fi
  for port in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
    port_open "$port" && die "port $port is already in use by another process (set KAFKA_PORT)"
  done
  resolve_libs
  write_config
  format_storage
  : >"$console_log"
  [[ -f "$broker_log" ]] && mv -f "$broker_log" "$broker_log.previous"
  local started=$SECONDS
  # setsid: the broker outlives the shell that started it and gets no signal meant for its group.
  # shellcheck disable=SC2086
  setsid java $KAFKA_HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$log4j" -Dkafka.logs.dir="$logs" \
    -cp "$libs/*" kafka.Kafka "$props" </dev/null >>"$console_log" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$pid_file"
  say "started Apache Kafka $KAFKA_VERSION (pid $pid), log $broker_log; waiting until it is ready..."
  wait_ready "$pid"
  say "ready after $((SECONDS - started))s"
  echo "KAFKA_BROKERS=$brokers"
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$pid_file"
    say "not running"
    return 0
  fi
  say "stopping (pid $pid)..."
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + KAFKA_STOP_TIMEOUT))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      say "still running after ${KAFKA_STOP_TIMEOUT}s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.2
  done
  rm -f "$pid_file"
  say "stopped"
}

status() {
  local pid
  if pid="$(running_pid)"; then
    echo "running (pid $pid, KAFKA_BROKERS=$(running_brokers))"
    return 0
  fi
  echo "stopped"
  return 1
}

# One command at a time per state dir: two test runs starting the broker at once must not both
# format or launch it.
locked() {
  mkdir -p "$state"
  exec 9>"$state/.lock"
  flock -w 300 9 || die "another broker.sh is busy with $state"
  "$@"
}

case "${1:-}" in
start) locked start ;;
stop) locked stop ;;
restart)
  # Unless KAFKA_PORT says otherwise, the broker comes back on the port it had.
  if [[ -z "$port_given" ]] && running_pid >/dev/null; then
    brokers="$(running_brokers)"
    KAFKA_PORT="${brokers##*:}"
    KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT_GIVEN:-$((KAFKA_PORT + 1))}"
  fi
  locked stop
  locked start
  ;;
status) status ;;
libs) resolve_libs ;;
log) echo "$broker_log" ;;
*)
  echo "usage: $0 start|stop|restart|status|libs|log" >&2
  exit 2
  ;;
esac
