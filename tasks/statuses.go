package tasks

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/uptrace/bun"

	"p06/rbac"
	"p06/store"
)

// Kept statuses. A task's status as of a day (taskStatusCase over its
// tally) changes only on the days its facts change, an assignment is made,
// completed (completed_on) or passes its due date (the day after it), and
// the day after the task's own due date. So it is kept, per task and scope,
// as spans of days (task_statuses): for the whole country and for each
// subtree at depth 1 (a ministry or a province) holding one of the task's
// assignments, each span with the number of the scope's assignments then.
// The same spans as counts per day (task_status_days) answer "how many
// tasks in each status as of D" as a sum over at most a few thousand rows,
// whatever the number of tasks. Each assignment's own status (and the due
// date in force) is kept too, as the spans of its facts' versions cut where
// it changes (assignment_statuses, per depth-1 scope): a progress report's
// rows of a province read them instead of every assignment's facts.
//
// The spans are computed by the status rule itself (statusSpansSQL: the
// assignment's and the task's CASE of status.go, at each day a status may
// change) and rewritten, in the transaction of the change, for the tasks
// whose facts changed (refreshStatuses: SaveFacts, insertAssignments);
// BuildStatuses fills them in bulk (the migration, the generator).

// OpenEnd is the valid_to of a span that has not ended.
const openEnd = "9999-12-31"

// allKinds is the kind of the rows of task_status_days that count every
// document kind: the sums without a kind read a few thousand rows per
// scope rather than seven times as many.
const allKinds DocKind = ""

// keptScope reports whether the statuses judged on sc are kept: sc reads
// one subtree, the whole country or one at depth 1. It returns its path.
func keptScope(sc rbac.Scope) (string, bool) {
	if len(sc.Read) != 1 {
		return "", false
	}
	p := sc.Read[0]
	return p, strings.HasPrefix(p, rbac.RootPath) && strings.HasSuffix(p, "/") && strings.Count(p, "/") <= 3
}

// dayAfter is the SQL for the day after the date expression x.
func dayAfter(db bun.IDB, x string) string {
	if dialectOf(db) == store.Postgres {
		return "to_char(CAST(" + x + " AS date) + 1, 'YYYY-MM-DD')"
	}
	return "date(" + x + ", '+1 day')"
}

// topOf is the SQL for the path of the depth-1 unit at or above the unit at
// path (a column), below the root: "/VN/46/" for "/VN/46/H01/".
func topOf(db bun.IDB, path string) string {
	n := fmt.Sprint(len(rbac.RootPath))
	find := "instr"
	if dialectOf(db) == store.Postgres {
		find = "strpos"
	}
	return "substr(" + path + ", 1, " + n + " + " + find + "(substr(" + path + ", " + n + " + 1), '/'))"
}

// piecesSQL is the start of statusSpansSQL and assignmentSpansSQL (its
// condition's arguments once): the CTEs f (every version of the tasks'
// assignments' facts that holds a day), b (each version's cuts: its first
// day, the completion date, the day after the due date) and p (the pieces
// between the cuts, each with the assignment's status at its start, which
// holds until its end, till: NULL for open).
func piecesSQL(db bun.IDB, taskCond string) string {
	due1 := dayAfter(db, "due_date")
	return "WITH f AS (SELECT xf.id, xf.valid_from, xf.valid_to, xf.state, xf.due_date, xf.completed_on, xa.id AS assignment_id, xa.task_id, xa.org_unit_id, xa.role" +
		" FROM tasks AS t JOIN assignments AS xa ON xa.task_id = t.id JOIN assignment_facts AS xf ON xf.assignment_id = xa.id" +
		" WHERE " + taskCond + " AND (xf.valid_to IS NULL OR xf.valid_to > xf.valid_from))," +
		" b AS (SELECT id, valid_from AS at FROM f" +
		" UNION SELECT id, completed_on FROM f WHERE state = 'DONE' AND completed_on > valid_from AND (valid_to IS NULL OR completed_on < valid_to)" +
		" UNION SELECT id, " + due1 + " FROM f WHERE due_date IS NOT NULL AND " + due1 + " > valid_from AND (valid_to IS NULL OR " + due1 + " < valid_to))," +
		" p AS (SELECT xf.assignment_id, xf.task_id, xf.org_unit_id, xf.role, xf.due_date, b.at, COALESCE(LEAD(b.at) OVER (PARTITION BY b.id ORDER BY b.at), xf.valid_to) AS till, " +
		assignmentStatusCase("xf.due_date", "b.at") + " AS status FROM b JOIN f AS xf ON xf.id = b.id JOIN tasks AS xt ON xt.id = xf.task_id)"
}

// assignmentSpansSQL selects the kept statuses of the assignments of the
// tasks t matching taskCond (its arguments once): the pieces of
// piecesSQL, each with its assignee's kept scope (the depth-1 subtree, or
// the root's path).
func assignmentSpansSQL(db bun.IDB, taskCond string) string {
	return piecesSQL(db, taskCond) +
		" SELECT p.assignment_id, p.at AS valid_from, COALESCE(p.till, '" + openEnd + "') AS valid_to," +
		" CASE WHEN u.depth = 0 THEN u.path ELSE " + topOf(db, "u.path") + " END AS scope, p.status, p.due_date, p.task_id, p.org_unit_id, p.role" +
		" FROM p JOIN org_units AS u ON u.id = p.org_unit_id"
}

// statusSpansSQL selects the spans of the tasks t matching taskCond (its
// arguments given three times: statusSpansArgs): task_id, scope, valid_from,
// valid_to, status, assignments, kind. In steps:
//   - f: every version of the tasks' assignments' facts that holds a day;
//   - b, p: each version cut where its status may change (its first day,
//     the completion date, the day after the due date), each piece with
//     the assignment's status at its start (assignmentStatusCase);
//   - tu, ts: the kept scopes of each unit (the root, its depth-1 unit)
//     and the (scope, task) pairs: every task nationally, and each scope
//     where it has an assignment;
//   - c, e, d, s: the tally of each pair on each day something changes, as
//     the running sum of the pieces' counts (c: tallyTerms) from their start,
//     taken back at their end; days the task was recorded and the day
//     after its due date are added, for the rule of a task without
//     assignments;
//   - st: the task's status on those days (taskStatusCase), from the day
//     it was recorded;
//   - k, and the result: days where the status or the count changes, each
//     holding until the next.
func statusSpansSQL(db bun.IDB, taskCond string) string {
	terms := tallyTerms("p.status", "p.role")
	var plus, cols, minus, zero, sum, run []string
	for _, c := range terms {
		plus = append(plus, c[1]+" AS "+c[0])
		cols = append(cols, "c."+c[0])
		minus = append(minus, "0 - c."+c[0])
		zero = append(zero, "0")
		sum = append(sum, "SUM("+c[0]+") AS "+c[0])
		run = append(run, "SUM("+c[0]+") OVER w AS "+c[0])
	}
	return piecesSQL(db, taskCond) + "," +
		" tu AS (SELECT u.id AS unit_id, k.path AS scope FROM org_units AS u JOIN org_units AS k ON k.depth = 0 WHERE u.id IN (SELECT org_unit_id FROM f)" +
		" UNION ALL SELECT u.id, " + topOf(db, "u.path") + " FROM org_units AS u WHERE u.depth >= 1 AND u.id IN (SELECT org_unit_id FROM f))," +
		" ts AS (SELECT tu.scope, xa.task_id FROM tasks AS t JOIN assignments AS xa ON xa.task_id = t.id JOIN tu ON tu.unit_id = xa.org_unit_id WHERE " + taskCond +
		" UNION SELECT k.path, t.id FROM tasks AS t JOIN org_units AS k ON k.depth = 0 WHERE " + taskCond + ")," +
		" c AS (SELECT p.task_id, p.org_unit_id, p.at, p.till, " + strings.Join(plus, ", ") + " FROM p)," +
		" e AS (SELECT tu.scope, c.task_id, c.at AS day, " + strings.Join(cols, ", ") + " FROM c JOIN tu ON tu.unit_id = c.org_unit_id" +
		" UNION ALL SELECT tu.scope, c.task_id, c.till, " + strings.Join(minus, ", ") + " FROM c JOIN tu ON tu.unit_id = c.org_unit_id WHERE c.till IS NOT NULL" +
		" UNION ALL SELECT ts.scope, ts.task_id, t.recorded_on, " + strings.Join(zero, ", ") + " FROM ts JOIN tasks AS t ON t.id = ts.task_id" +
		" UNION ALL SELECT ts.scope, ts.task_id, " + dayAfter(db, "t.due_date") + ", " + strings.Join(zero, ", ") +
		" FROM ts JOIN tasks AS t ON t.id = ts.task_id WHERE t.due_date IS NOT NULL)," +
		" d AS (SELECT scope, task_id, day, " + strings.Join(sum, ", ") + " FROM e GROUP BY scope, task_id, day)," +
		" s AS (SELECT scope, task_id, day, " + strings.Join(run, ", ") + " FROM d WINDOW w AS (PARTITION BY scope, task_id ORDER BY day))," +
		" st AS (SELECT s.scope, s.task_id, s.day, " + taskStatusCase("s.day") + " AS status, CAST(s.n_a AS INTEGER) AS n" +
		" FROM s JOIN tasks AS t ON t.id = s.task_id WHERE s.day >= t.recorded_on)," +
		" ch AS (SELECT scope, task_id, day, status, n, LAG(status) OVER w AS ps, LAG(n) OVER w AS pn FROM st WINDOW w AS (PARTITION BY scope, task_id ORDER BY day))," +
		" k AS (SELECT scope, task_id, day, status, n FROM ch WHERE ps IS NULL OR ps <> status OR pn <> n)" +
		" SELECT k.task_id, k.scope, k.day AS valid_from, COALESCE(LEAD(k.day) OVER (PARTITION BY k.scope, k.task_id ORDER BY k.day), '" + openEnd + "') AS valid_to," +
		" k.status, k.n AS assignments, dk.kind FROM k JOIN tasks AS t ON t.id = k.task_id JOIN documents AS dk ON dk.id = t.document_id"
}

// statusSpansArgs are the arguments of statusSpansSQL for its condition's.
func statusSpansArgs(args ...any) []any { return append(append(args, args...), args...) }

// statusSpan is a row of task_statuses.
type statusSpan struct {
	bun.BaseModel `bun:"table:task_statuses,alias:task_statuses"`
	TaskID        int64   `bun:"task_id"`
	Scope         string  `bun:"scope"`
	ValidFrom     string  `bun:"valid_from"`
	ValidTo       string  `bun:"valid_to"`
	Status        Status  `bun:"status"`
	Assignments   int     `bun:"assignments"`
	Kind          DocKind `bun:"kind"`
}

// statusDay is a row of task_status_days.
type statusDay struct {
	bun.BaseModel `bun:"table:task_status_days,alias:task_status_days"`
	Scope         string  `bun:"scope"`
	Day           string  `bun:"day"`
	Kind          DocKind `bun:"kind"`
	Status        Status  `bun:"status"`
	Tasks         int     `bun:"tasks"`
	Assignments   int     `bun:"assignments"`
}

// addDays adds rows of task_status_days to the counts there.
const addDays = "CONFLICT (scope, day, kind, status) DO UPDATE SET tasks = task_status_days.tasks + excluded.tasks," +
	" assignments = task_status_days.assignments + excluded.assignments"

// refreshStatuses rewrites the kept statuses of the tasks ids from their
// facts as they now are, in db's transaction: the spans that changed are
// replaced and their days' counts moved. Run it after the change, in the
// same transaction. The days before the change keep their spans (their
// facts did not change), so past answers stay as they were.
func refreshStatuses(ctx context.Context, db bun.IDB, ids ...int64) error {
	if dialectOf(db) == store.Postgres {
		// Writers of one task take turns, so each computes from the facts
		// the one before it committed (each statement of a READ COMMITTED
		// transaction sees what was committed before it).
		if _, err := db.NewSelect().TableExpr("tasks").Column("id").Where("id IN (?)", bun.In(ids)).Order("id").For("UPDATE").Exec(ctx); err != nil {
			return fmt.Errorf("tasks: locking tasks %v: %w", ids, err)
		}
	}
	// The assignments' spans are few per task: rewritten whole.
	if _, err := db.NewDelete().TableExpr("assignment_statuses").Where("task_id IN (?)", bun.In(ids)).Exec(ctx); err != nil {
		return fmt.Errorf("tasks: removing assignment statuses of tasks %v: %w", ids, err)
	}
	if _, err := db.NewRaw(insertAssignmentSpans+assignmentSpansSQL(db, "t.id IN (?)"), bun.In(ids)).Exec(ctx); err != nil {
		return fmt.Errorf("tasks: keeping assignment statuses of tasks %v: %w", ids, err)
	}
	var fresh, old []statusSpan
	if err := db.NewRaw(statusSpansSQL(db, "t.id IN (?)"), statusSpansArgs(bun.In(ids))...).Scan(ctx, &fresh); err != nil {
		return fmt.Errorf("tasks: statuses of tasks %v: %w", ids, err)
	}
	if err := db.NewSelect().Model(&old).Where("task_id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
		return fmt.Errorf("tasks: kept statuses of tasks %v: %w", ids, err)
	}
	had := make(map[statusSpan]bool, len(old))
	for _, sp := range old {
		had[sp] = true
	}
	// The moves of the days' counts, per day and status.
	sums := map[statusDay][2]int{}
	move := func(sp statusSpan, sign int) {
		add := func(day string, n int) {
			for _, kind := range []DocKind{sp.Kind, allKinds} {
				k := statusDay{Scope: sp.Scope, Day: day, Kind: kind, Status: sp.Status}
				v := sums[k]
				sums[k] = [2]int{v[0] + n, v[1] + n*sp.Assignments}
			}
		}
		add(sp.ValidFrom, sign)
		if sp.ValidTo != openEnd {
			add(sp.ValidTo, -sign)
		}
	}
	var added []statusSpan
	for _, sp := range fresh {
		if had[sp] {
			delete(had, sp)
			continue
		}
		added = append(added, sp)
		move(sp, 1)
	}
	if len(added) == 0 && len(had) == 0 {
		return nil
	}
	if len(had) > 0 {
		var conds []string
		var args []any
		for sp := range had {
			conds = append(conds, "(task_id = ? AND scope = ? AND valid_from = ?)")
			args = append(args, sp.TaskID, sp.Scope, sp.ValidFrom)
			move(sp, -1)
		}
		if _, err := db.NewDelete().TableExpr("task_statuses").Where(strings.Join(conds, " OR "), args...).Exec(ctx); err != nil {
			return fmt.Errorf("tasks: removing statuses of tasks %v: %w", ids, err)
		}
	}
	if len(added) > 0 {
		if _, err := db.NewInsert().Model(&added).Exec(ctx); err != nil {
			return fmt.Errorf("tasks: keeping statuses of tasks %v: %w", ids, err)
		}
	}
	// In the key's order: concurrent writers lock the rows they share in
	// the same order.
	rows := make([]statusDay, 0, len(sums))
	for k, v := range sums {
		if v != [2]int{} {
			k.Tasks, k.Assignments = v[0], v[1]
			rows = append(rows, k)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.Scope != b.Scope {
			return a.Scope < b.Scope
		}
		if a.Day != b.Day {
			return a.Day < b.Day
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Status < b.Status
	})
	if _, err := db.NewInsert().Model(&rows).On(addDays).Exec(ctx); err != nil {
		return fmt.Errorf("tasks: counting statuses of tasks %v: %w", ids, err)
	}
	return nil
}

// BuildStatuses computes the kept statuses of the tasks from id from on and
// of their assignments, which have none yet, in bulk (db is a transaction):
// the seeds and the generator after loading their rows (the migrations fill
// each table for existing rows). The tasks' spans 250 tasks a statement, so each statement's sorts stay in memory (on
// PostgreSQL with a larger work_mem for the transaction) and each stays
// well within the pool's read timeout on a busy machine (the seeds run it
// on the ordinary pool).
func BuildStatuses(ctx context.Context, db bun.IDB, from int64) error {
	if err := buildTaskStatuses(ctx, db, from); err != nil {
		return err
	}
	return buildAssignmentStatuses(ctx, db, from)
}

// buildTaskStatuses is BuildStatuses for the tasks' spans.
func buildTaskStatuses(ctx context.Context, db bun.IDB, from int64) error {
	var last int64
	if err := db.NewRaw("SELECT COALESCE(MAX(id), 0) FROM tasks").Scan(ctx, &last); err != nil {
		return fmt.Errorf("tasks: building kept statuses: %w", err)
	}
	if dialectOf(db) == store.Postgres {
		if _, err := db.ExecContext(ctx, "SET LOCAL work_mem = '64MB'"); err != nil {
			return fmt.Errorf("tasks: building kept statuses: %w", err)
		}
	}
	const chunk = 250
	for lo := from; lo <= last; lo += chunk {
		hi := lo + chunk
		if _, err := db.NewRaw("INSERT INTO task_statuses (task_id, scope, valid_from, valid_to, status, assignments, kind) "+
			statusSpansSQL(db, "t.id >= ? AND t.id < ?"), statusSpansArgs(lo, hi)...).Exec(ctx); err != nil {
			return fmt.Errorf("tasks: building kept statuses: %w", err)
		}
		// Each span counts on its first day and is taken back on its end,
		// under its kind and under every kind ('').
		// (WHERE 1 = 1: SQLite reads an ON after a bare FROM as a join's.)
		var parts []string
		var args []any
		for _, kind := range []string{"kind", "''"} {
			parts = append(parts, "SELECT scope, valid_from AS day, "+kind+" AS kind, status, 1 AS n, assignments AS a FROM task_statuses WHERE task_id >= ? AND task_id < ?",
				"SELECT scope, valid_to, "+kind+", status, -1, 0 - assignments FROM task_statuses WHERE task_id >= ? AND task_id < ? AND valid_to <> ?")
			args = append(args, lo, hi, lo, hi, openEnd)
		}
		if _, err := db.NewRaw("INSERT INTO task_status_days (scope, day, kind, status, tasks, assignments)"+
			" SELECT scope, day, kind, status, SUM(n), SUM(a) FROM ("+strings.Join(parts, " UNION ALL ")+
			") AS x WHERE 1 = 1 GROUP BY scope, day, kind, status ON "+addDays, args...).Exec(ctx); err != nil {
			return fmt.Errorf("tasks: counting kept statuses: %w", err)
		}
	}
	return nil
}

// insertAssignmentSpans is the INSERT of assignmentSpansSQL's rows.
const insertAssignmentSpans = "INSERT INTO assignment_statuses (assignment_id, valid_from, valid_to, scope, status, due_date, task_id, org_unit_id, role) "

// buildAssignmentStatuses is BuildStatuses for the assignments' spans:
// 1,000 tasks a statement.
func buildAssignmentStatuses(ctx context.Context, db bun.IDB, from int64) error {
	var last int64
	if err := db.NewRaw("SELECT COALESCE(MAX(id), 0) FROM tasks").Scan(ctx, &last); err != nil {
		return fmt.Errorf("tasks: building kept assignment statuses: %w", err)
	}
	const chunk = 1000
	for lo := from; lo <= last; lo += chunk {
		if _, err := db.NewRaw(insertAssignmentSpans+assignmentSpansSQL(db, "t.id >= ? AND t.id < ?"), lo, lo+chunk).Exec(ctx); err != nil {
			return fmt.Errorf("tasks: building kept assignment statuses: %w", err)
		}
	}
	return nil
}

func init() {
	store.RegisterMigration("20261209010001", "task_statuses_backfill", func(ctx context.Context, tx bun.Tx) error {
		return buildTaskStatuses(ctx, tx, 0)
	})
	store.RegisterMigration("20261220020001", "assignment_statuses_backfill", func(ctx context.Context, tx bun.Tx) error {
		return buildAssignmentStatuses(ctx, tx, 0)
	})
}

// keptDays selects the rows of task_status_days of the kept scopes paths
// up to the end of asOf, of the document kinds given (any: the rows of
// kind ”, which count every kind): the sum of a column over them, per
// scope and status, is the count as of asOf. Every count of the kept
// statuses (Summary's, the reports') is such a sum.
func (s *Store) keptDays(paths []string, asOf store.Date, kinds []DocKind) *bun.SelectQuery {
	q := s.db.NewSelect().TableExpr("task_status_days").Where("scope IN (?) AND day <= ?", bun.In(paths), asOf.String())
	if len(kinds) > 0 {
		return q.Where("kind IN (?)", bun.In(kinds))
	}
	return q.Where("kind = ?", allKinds)
}

// keptRow is a kept count: a scope's tasks and assignments in a status.
type keptRow struct {
	Scope       string `bun:"scope"`
	Status      Status `bun:"status"`
	Tasks       int    `bun:"tasks"`
	Assignments int    `bun:"assignments"`
}

// keptStatusCounts counts the tasks of each kept scope among paths by
// status as of asOf, and the scope's assignments then, in one statement.
func (s *Store) keptStatusCounts(ctx context.Context, paths []string, asOf store.Date, kinds []DocKind) ([]keptRow, error) {
	var rows []keptRow
	err := s.keptDays(paths, asOf, kinds).ColumnExpr("scope, status, SUM(tasks) AS tasks, SUM(assignments) AS assignments").
		GroupExpr("scope, status").Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("tasks: kept status counts: %w", err)
	}
	return rows, nil
}

// keptCounts counts the tasks in the kept scope path by status as of asOf,
// and the scope's assignments then (of the document kinds given, if any).
func (s *Store) keptCounts(ctx context.Context, path string, asOf store.Date, kinds []DocKind, out *Summary) error {
	rows, err := s.keptStatusCounts(ctx, []string{path}, asOf, kinds)
	if err != nil {
		return fmt.Errorf("tasks: summary statuses: %w", err)
	}
	for _, r := range rows {
		if r.Tasks != 0 {
			out.ByStatus[r.Status] = r.Tasks
		}
		out.Tasks += r.Tasks
		out.Assignments += r.Assignments
	}
	return nil
}

// keptTaskStatuses sets in out the kept status in scope path as of asOf of
// each task among ids that has a span that day.
func (s *Store) keptTaskStatuses(ctx context.Context, path string, asOf store.Date, ids []int64, out map[int64]Status) error {
	var rows []struct {
		TaskID int64  `bun:"task_id"`
		Status Status `bun:"status"`
	}
	d := asOf.String()
	if err := s.db.NewSelect().TableExpr("task_statuses AS ks").ColumnExpr("ks.task_id, ks.status").
		Where("ks.scope = ? AND ks.task_id IN (?) AND ks.valid_from <= ? AND ks.valid_to > ?", path, bun.In(ids), d, d).
		Scan(ctx, &rows); err != nil {
		return fmt.Errorf("tasks: kept task statuses: %w", err)
	}
	for _, r := range rows {
		out[r.TaskID] = r.Status
	}
	return nil
}
