#!/usr/bin/env bash
# A real, single-node Apache Kafka broker (KRaft, no ZooKeeper) run from its Maven Central jars,
# without Docker. Needs only Java 17+ and Maven. See infra/kafka/README.md.
#
#   infra/kafka/broker.sh start     start (or find running) and print export KAFKA_BROKERS=127.0.0.1:<port>
#   infra/kafka/broker.sh stop      stop cleanly (SIGTERM, then SIGKILL after a timeout)
#   infra/kafka/broker.sh restart   stop, then start; the data is kept
#   infra/kafka/broker.sh status    print running/stopped; exit 0 if running, 1 if not
#   infra/kafka/broker.sh libs      only resolve the jars into the cache (e.g. to warm a CI cache)
#   infra/kafka/broker.sh log       print the path of the broker log
#
# stdout carries only the `export KAFKA_BROKERS=...` line of `start`/`restart` (and the word of
# `status`), so `eval "$(infra/kafka/broker.sh start)"` sets and exports it for the commands run from
# that shell afterwards (`pnpm start:ingestion`…); everything else goes to stderr.
#
# KAFKA_SASL=scram starts a broker that authenticates its clients with SASL/SCRAM-SHA-512 and
# authorizes them with ACLs (state in .cache/kafka-sasl, port 19192 unless set); `start` then also
# prints export KAFKA_SASL_MECHANISM=scram-sha-512 and export KAFKA_SASL_USERS_FILE=<the users'
# passwords>.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

KAFKA_VERSION="${KAFKA_VERSION:-4.4.0}"
KAFKA_SASL="${KAFKA_SASL:-off}"
case "$KAFKA_SASL" in
off) sasl="" ;;
scram) sasl="scram" ;;
*)
  echo "kafka: error: KAFKA_SASL must be off or scram, not '$KAFKA_SASL'" >&2
  exit 2
  ;;
esac
port_given="${KAFKA_PORT:+yes}"
# A SASL broker has its own defaults (port, state dir), so that it can run beside the plaintext one.
default_port=19092 default_state="$repo/.cache/kafka"
if [[ -n "$sasl" ]]; then default_port=19192 default_state="$repo/.cache/kafka-sasl"; fi
KAFKA_PORT="${KAFKA_PORT:-$default_port}"
KAFKA_CONTROLLER_PORT_GIVEN="${KAFKA_CONTROLLER_PORT:-}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}"
KAFKA_CACHE_DIR="${KAFKA_CACHE_DIR:-$HOME/.cache/indicator-ledger/kafka-$KAFKA_VERSION/libs}"
KAFKA_STATE_DIR="${KAFKA_STATE_DIR:-$default_state}"
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
# SASL mode: the SCRAM users' passwords (KAFKA_SASL_PASSWORD_<USER>=..., generated at format time)
# and the admin client's settings for the command-line tools (--command-config).
users_file="$state/scram-users.env"
admin_config="$state/admin-client.properties"
# The broker's own user (a super user: inter-broker traffic and the admin's work), the services'
# and two integrators'. Each service authenticates as its own user; docs/topics.md lists the ACLs.
scram_users=(ledger-admin ledger-ingestion ledger-scoring ledger-projection ledger-int-a ledger-int-b)

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

# --- SASL/SCRAM users ---------------------------------------------------------------------------

# KAFKA_SASL_PASSWORD_LEDGER_INT_A for ledger-int-a.
password_var() { printf 'KAFKA_SASL_PASSWORD_%s' "$(printf '%s' "$1" | tr 'a-z-' 'A-Z_')"; }

password_of() {
  local value
  value="$(sed -n "s/^$(password_var "$1")=//p" "$users_file" 2>/dev/null | head -n1)"
  [[ -n "$value" ]] || die "no password for SCRAM user $1 in $users_file"
  printf '%s' "$value"
}

# The passwords are generated once per state dir, before the storage is formatted with them, and
# kept (mode 0600) for the clients. Hex only: the format tool's [name=...,password=...] syntax and the
# JAAS config need no quoting then.
ensure_users_file() {
  if [[ -f "$users_file" ]]; then
    local user
    for user in "${scram_users[@]}"; do password_of "$user" >/dev/null; done
    chmod 600 "$users_file"
    return 0
  fi
  [[ -f "$data/meta.properties" ]] &&
    die "$state was formatted without SCRAM users (KAFKA_SASL=off): delete it (stopped) for a SASL broker, or use another KAFKA_STATE_DIR"
  local tmp="$users_file.tmp" user
  (
    umask 077
    {
      echo "# SCRAM-SHA-512 passwords of the broker in $state, written by infra/kafka/broker.sh once."
      for user in "${scram_users[@]}"; do
        echo "$(password_var "$user")=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')"
      done
    } >"$tmp"
  )
  mv -f "$tmp" "$users_file"
}

jaas_of() {
  printf 'org.apache.kafka.common.security.scram.ScramLoginModule required username="%s" password="%s";' \
    "$1" "$(password_of "$1")"
}

# --- configuration ------------------------------------------------------------------------------

# The listeners: PLAINTEXT for the clients, or (KAFKA_SASL=scram) SASL_PLAINTEXT with SCRAM-SHA-512
# and ACLs. The controller listener is PLAINTEXT in both.
listener_config() {
  if [[ -z "$sasl" ]]; then
    cat <<EOF
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
EOF
    return 0
  fi
  cat <<EOF
listeners=CLIENT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=CLIENT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,CLIENT:SASL_PLAINTEXT

# Clients authenticate with SCRAM-SHA-512 (users created at format time, KIP-900; passwords in
# $users_file). The broker talks to itself on the client listener as ledger-admin.
sasl.enabled.mechanisms=SCRAM-SHA-512
inter.broker.listener.name=CLIENT
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.client.scram-sha-512.sasl.jaas.config=$(jaas_of ledger-admin)

# ACLs decide, and no ACL means no access. ledger-admin may do anything. The broker reaches its
# controller on the PLAINTEXT controller listener, where its principal is User:ANONYMOUS: KRaft's
# StandardAuthorizer refuses the broker's registration and heartbeats (CLUSTER_ACTION) unless that
# principal is a super user. No client listener is PLAINTEXT, so only a connection to the
# controller port is ANONYMOUS, but whoever reaches that port is a super user: a broker for
# development and tests on one trusted host (infra/kafka/README.md).
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:ledger-admin;User:ANONYMOUS
EOF
}

write_config() {
  mkdir -p "$data" "$logs"
  # The SASL broker's configuration holds the admin's password.
  [[ -n "$sasl" ]] && umask 077
  # The controller quorum is static (controller.quorum.voters) rather than bootstrapped with
  # --standalone: a static voter's endpoint is read from this file at every start, so the ports can
  # change between runs without reformatting the storage.
  cat >"$props" <<EOF
# Written by infra/kafka/broker.sh at every start: edit the script, not this file.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
$(listener_config)
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
# With ACLs, every refusal is logged (at info): "Principal = User:... is Denied operation = ...".
logger.authorizer.level = $([[ -n "$sasl" ]] && echo info || echo warn)
EOF

  if [[ -n "$sasl" ]]; then
    cat >"$admin_config" <<EOF
# The broker's super user, for the command-line tools (--command-config): written by broker.sh.
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=$(jaas_of ledger-admin)
EOF
    chmod 600 "$props" "$admin_config"
  fi

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
  local scram=() user
  if [[ -n "$sasl" ]]; then
    for user in "${scram_users[@]}"; do
      scram+=(--add-scram "SCRAM-SHA-512=[name=$user,password=$(password_of "$user")]")
    done
  fi
  say "formatting KRaft storage in $data (cluster id $cluster_id)${sasl:+ with SCRAM users ${scram_users[*]}}"
  local output
  # The tool prints the bootstrap records, the SCRAM users' salted keys among them: not those.
  if ! output="$(run_tool kafka.tools.StorageTool format --cluster-id "$cluster_id" --config "$props" \
    --ignore-formatted "${scram[@]}" 2>&1)"; then
    printf '%s\n' "$output" | grep -v '^Bootstrap metadata:' >&2 || true
    die "formatting the storage failed"
  fi
  printf '%s\n' "$output" | grep -v '^Bootstrap metadata:' >&2 || true
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

# "scram" if the running broker was started with KAFKA_SASL=scram (from its configuration), else "".
running_sasl() {
  if grep -q '^sasl.enabled.mechanisms=' "$props" 2>/dev/null; then echo scram; fi
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
  # The SASL broker is asked as its super user.
  local auth=()
  [[ -n "$sasl" ]] && auth=(--command-config "$admin_config")
  while ! timeout 30 java -Xmx128m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
    -Dlog4j2.configurationFile="$tools_log4j" -cp "$libs/*" \
    org.apache.kafka.tools.TopicCommand --bootstrap-server "$brokers" --list "${auth[@]}" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      give_up "$pid" "the broker does not answer a metadata request after ${KAFKA_START_TIMEOUT}s"
    fi
    sleep 0.5
  done
  echo "$pid" >"$state/.ready"
}

# What `start` prints on stdout: one `export VAR=value` per line (the value shell-quoted), for `eval`:
# exported, so that the programs started from that shell see them too.
print_settings() {
  printf 'export KAFKA_BROKERS=%q\n' "$brokers"
  if [[ -n "$sasl" ]]; then
    echo "export KAFKA_SASL_MECHANISM=scram-sha-512"
    printf 'export KAFKA_SASL_USERS_FILE=%q\n' "$users_file"
  fi
}

# A state dir keeps the mode it was formatted in: SCRAM users exist only if they were added then.
check_mode() {
  if [[ -z "$sasl" && -f "$users_file" ]]; then
    die "$state was formatted for KAFKA_SASL=scram: set KAFKA_SASL=scram, or use another KAFKA_STATE_DIR"
  fi
  if [[ -n "$sasl" ]]; then ensure_users_file; fi
}

start() {
  need java
  local pid
  if pid="$(running_pid)"; then
    if [[ "$(running_sasl)" != "$sasl" ]]; then
      die "the broker running from $state has KAFKA_SASL=$([[ -n "$(running_sasl)" ]] && echo scram || echo off), not $KAFKA_SASL: stop it first"
    fi
    brokers="$(running_brokers)"
    KAFKA_PORT="${brokers##*:}"
    wait_ready "$pid" quick
    say "already running (pid $pid)"
    print_settings
    return 0
  fi
  check_mode
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
  print_settings
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
    # KAFKA_BROKERS last: its value runs to the closing parenthesis.
    local sasl_running
    sasl_running="$(running_sasl)"
    echo "running (pid $pid, ${sasl_running:+KAFKA_SASL=scram, }KAFKA_BROKERS=$(running_brokers))"
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
