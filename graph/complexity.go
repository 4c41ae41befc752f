package graph

import (
	"context"
	"p06/alerts"
	"sync"
	"sync/atomic"
	"time"

	"p06/graph/model"
	"p06/kpi"
	"p06/org"
	"p06/store"
	"p06/tasks"
)

// Prices. A field costs 1 and a list multiplies what it selects by the most
// items it can hold, so the complexity limit bounds the rows and objects a
// query can touch. Aggregates cost what they read, in rows: measured on the
// demo data, a count over the tasks or assignments in scope takes about as
// long as reading a page of 50 rows, and programmeSummary runs four such
// aggregates.
const (
	// priceCount is totalCount on a connection. A connection multiplies its
	// whole selection by its page size, so totalCount ends up costing
	// 10 × first (500 for the default page of 50).
	priceCount = 10
	// priceSummary is programmeSummary: four aggregate queries over the
	// caller's scope, about 5 ms on the demo data; at most 50 fit under the
	// limit (a quarter of a second), enough for any dashboard.
	priceSummary = 2000
	// priceStatusFilter is a list filtered by status as of a date: the
	// status of every task (or assignment) in scope is worked out to find
	// the page and its totalCount, 30–45 ms on the demo data, as much as
	// half a programmeSummary.
	priceStatusFilter = 1000
	// priceTally is a status or count that a loader computes for a page at
	// once from the item's assignments (Task.status, Document.taskCount).
	priceTally = 5
	// priceSearch is a search: an aggregate over the index rows of the
	// words matched, twice (the page and its count). Measured (BENCHMARKS.md,
	// "Search"): 1–16 ms on the demo data, up to 0.3 s for a word in 60% of
	// 100,000 tasks; so at most 10 in a request.
	priceSearch = 10000
	// defaultPage is the page size of a connection without first.
	defaultPage = 50
	// smallList prices the short lists of a user's grants and API tokens.
	// Nothing in the data bounds them; demo users hold one or two grants.
	// The response cap holds whatever they grow to.
	smallList = 20
)

// listBounds are the largest sizes of the tree's lists, measured from the
// database (at start and then at most once a minute), so prices follow the
// data as units are added. The response cap (Limits.ResponseFields) holds
// even while a bound is stale.
type listBounds struct {
	orgs  *org.Store
	tasks *tasks.Store
	kpis  *kpi.Store
	now   store.Clock

	mu      sync.Mutex
	checked time.Time
	cur     atomic.Pointer[org.Bounds]
	// scale multiplies the prices of what reads every assignment in scope
	// (status filters, programmeSummary): 1 per assignmentsPerScale
	// assignments, so those prices grow with the programme.
	scale atomic.Int64
	// perTask is the most assignments any one task has (Task.assignments).
	perTask atomic.Int64
	// indicators are the indicators' sizes.
	indicators atomic.Pointer[kpi.Bounds]
}

// assignmentsPerScale is how many assignments the base prices of the
// aggregates were measured on (the demo programme has 4,634).
const assignmentsPerScale = 5000

// maxAggregate caps the price of one aggregate, so that a dashboard's
// summary and a status-filtered page fit in one request (two of them under
// the limit of 100,000) however large the programme. At national scale
// (1,000,000 assignments) such an aggregate costs seconds today
// (BENCHMARKS.md, "National scale"); the cap keeps it possible, one or two
// per request, while it is made faster.
const maxAggregate = 45000

// floor keeps prices sane before the first measurement and on an empty
// database: the 63 provinces, about 30 ministries and the nation.
var floorBounds = org.Bounds{Units: 100, Children: 100, Groups: 2, Members: 10}

// floorPerTask is the floor of Task.assignments' bound: every province, every
// ministry and the nation.
const floorPerTask = 100

// floorIndicators are the indicators' sizes before the first measurement:
// as many as a list holds.
var floorIndicators = kpi.Bounds{Indicators: kpi.MaxIndicators, GroupIndicators: kpi.MaxGroupIndicators}

func newListBounds(orgs *org.Store, ts *tasks.Store, kpis *kpi.Store, now store.Clock) *listBounds {
	b := &listBounds{orgs: orgs, tasks: ts, kpis: kpis, now: now}
	b.cur.Store(&floorBounds)
	b.indicators.Store(&floorIndicators)
	b.scale.Store(1)
	b.perTask.Store(floorPerTask)
	return b
}

// refresh re-measures the tree when the last measurement is a minute old.
// One request measures (at national scale, a tenth of a second or more);
// the others meanwhile keep the bounds they have rather than wait.
func (b *listBounds) refresh(ctx context.Context) error {
	if !b.mu.TryLock() {
		return nil
	}
	defer b.mu.Unlock()
	now := b.now()
	if !b.checked.IsZero() && now.Sub(b.checked) < time.Minute && !now.Before(b.checked) {
		return nil
	}
	m, err := b.orgs.Bounds(ctx)
	if err != nil {
		return err
	}
	m.Units = max(m.Units, floorBounds.Units)
	m.Children = max(m.Children, floorBounds.Children)
	m.Groups = max(m.Groups, floorBounds.Groups)
	m.Members = max(m.Members, floorBounds.Members)
	n, perTask, err := b.tasks.AssignmentBounds(ctx)
	if err != nil {
		return err
	}
	ib, err := b.kpis.Bounds(ctx)
	if err != nil {
		return err
	}
	b.indicators.Store(&ib)
	b.scale.Store(int64(max(1, (n+assignmentsPerScale-1)/assignmentsPerScale)))
	b.perTask.Store(int64(max(perTask, floorPerTask)))
	b.cur.Store(&m)
	b.checked = now
	return nil
}

func (b *listBounds) get() org.Bounds { return *b.cur.Load() }

// unitsOf is how many units of kind there are (all units before the first
// measurement).
func (b *listBounds) unitsOf(kind org.Kind) int {
	m := b.get()
	if m.Kinds == nil {
		return m.Units
	}
	return m.Kinds[kind]
}

// aggregate is the price of an aggregate whose base was measured on
// assignmentsPerScale assignments.
// Capped at maxAggregate.
func (b *listBounds) aggregate(base int) int { return min(base*int(b.scale.Load()), maxAggregate) }

// assignmentsPerTask bounds Task.assignments.
func (b *listBounds) assignmentsPerTask() int { return int(b.perTask.Load()) }

// each prices a list of n items, each costing at least 1 even when only
// __typename is selected.
func each(n, child int) int { return 1 + n*max(child, 1) }

// complexity prices every list by its bound and aggregates by what they
// read; see README.md, "Limits".
func complexity(b *listBounds) ComplexityRoot {
	var c ComplexityRoot
	page := func(child int, first *int) int {
		n := defaultPage
		if first != nil && *first > 0 {
			n = min(*first, store.MaxPage)
		}
		return each(n, child)
	}
	list := func(n int) func(int) int { return func(child int) int { return each(n, child) } }
	c.Query.OrgUnits = func(child int, _ *model.OrgUnitFilter, first *int, _ *string) int { return page(child, first) }
	c.Query.WorkingGroups = func(child int, _ *model.WorkingGroupFilter, first *int, _ *string) int { return page(child, first) }
	c.Query.Documents = func(child int, _ *model.DocumentFilter, first *int, _ *string) int { return page(child, first) }
	c.Query.Tasks = func(child int, f *model.TaskFilter, _ *model.TaskOrder, first *int, _ *string) int {
		return page(child, first) + taskFilterPrice(b, f)
	}
	c.Query.Assignments = func(child int, f *model.AssignmentFilter, _ *model.AssignmentOrder, first *int, _ *string) int {
		price := page(child, first)
		if f != nil && len(f.Statuses) > 0 {
			price += b.aggregate(priceStatusFilter)
		}
		return price
	}
	c.Query.Users = func(child int, _ *model.UserFilter, first *int, _ *string) int { return page(child, first) }
	c.Query.AuditLog = func(child int, _ *model.AuditFilter, first *int, _ *string) int { return page(child, first) }
	c.Query.Alerts = func(child int, _ *model.AlertFilter, first *int, _ *string) int { return page(child, first) }
	c.Query.JobRuns = func(child int, _ *model.JobRunFilter, first *int, _ *string) int { return page(child, first) }
	c.Query.Webhooks = func(child int, first *int, _ *string) int { return page(child, first) }
	c.Query.WebhookDeliveries = func(child int, _ *model.WebhookDeliveryFilter, first *int, _ *string) int { return page(child, first) }
	c.Query.UnreadAlertCount = func(int, *string) int { return priceCount }
	c.AcknowledgeAlertsPayload.Alerts = list(alerts.MaxAcknowledge)
	// A run's counts: one per alert kind, resolved, and a few per delivery.
	c.JobRun.Counts = list(smallList)
	c.Document.Tasks = func(child int, f *model.TaskFilter, _ *model.TaskOrder, first *int, _ *string) int {
		return page(child, first) + taskFilterPrice(b, f)
	}
	c.Query.Search = func(child int, _ string, _ []store.SearchKind, first *int, _ *string) int {
		n := 20
		if first != nil && *first > 0 {
			n = min(*first, store.MaxPage)
		}
		return priceSearch + each(n, child)
	}
	c.Query.Nodes = func(child int, ids []string) int { return each(len(ids), child) }
	// The nation, the ministries and the provinces: at most the root's
	// children and the root.
	c.Query.ReportLinks = func(child int, _ string) int { return each(b.get().Children+1, child) }
	c.Query.ReportSnapshots = func(child int, _ *string, _ *string, first *int, _ *string) int { return page(child, first) }
	// A freeze builds every unit's report (about a hundred summaries).
	c.Mutation.FreezeReports = func(child int, _ model.FreezeReportsInput) int { return maxAggregate + child }
	c.Query.APITokens = func(child int, _ *string) int { return each(smallList, child) }

	count := func(int) int { return priceCount }
	c.OrgUnitConnection.TotalCount = count
	c.WorkingGroupConnection.TotalCount = count
	c.DocumentConnection.TotalCount = count
	c.TaskConnection.TotalCount = count
	c.AssignmentConnection.TotalCount = count
	c.UserConnection.TotalCount = count
	c.AuditEntryConnection.TotalCount = count
	c.AlertConnection.TotalCount = count
	c.JobRunConnection.TotalCount = count
	c.WebhookConnection.TotalCount = count
	c.WebhookDeliveryConnection.TotalCount = count
	c.SearchConnection.TotalCount = count
	c.ReportSnapshotConnection.TotalCount = count

	c.Query.ProgrammeSummary = func(child int, _ *store.Date, _ *string, _ []tasks.DocKind) int {
		return b.aggregate(priceSummary) + child
	}
	c.Document.TaskCount = func(int) int { return priceTally }
	c.Task.Status = func(int, *store.Date, *string) int { return priceTally }
	c.Assignment.Status = func(int, *store.Date) int { return priceTally }

	// A task is assigned to each unit at most once; the bound is the most
	// any task has (measured), at least every province and ministry.
	c.Task.Assignments = func(child int) int { return each(b.assignmentsPerTask(), child) }
	// The assignments an assignTask makes or a cancelTask cancels: at most
	// one per unit, like Task.assignments.
	c.AssignTaskPayload.Assignments = func(child int) int { return each(b.get().Units, child) }
	c.CancelTaskPayload.Assignments = func(child int) int { return each(b.get().Units, child) }
	c.Assignment.History = func(child int, last *int) int { return each(asked("Assignment.history", last), child) }
	c.Assignment.FactsAsOf = func(child int, _ store.Date) int { return priceTally + child }
	c.Assignment.ProgressReports = func(child int, first *int) int {
		return each(asked("Assignment.progressReports", first), child)
	}
	c.ProgressReport.Files = list(tasks.MaxReportFiles)
	c.Assignment.ExtensionRequests = func(child int, last *int) int {
		return each(asked("Assignment.extensionRequests", last), child)
	}
	c.Assignment.DueDateHistory = func(child int, last *int) int {
		return each(asked("Assignment.dueDateHistory", last), child)
	}
	c.Assignment.StatusAgainstOriginal = func(int, *store.Date) int { return priceTally }
	c.Task.StatusAgainstOriginal = func(int, *store.Date, *string) int { return priceTally }
	c.OrgUnit.Children = func(child int) int { return each(b.get().Children, child) }
	c.OrgUnit.WorkingGroups = func(child int) int { return each(b.get().Groups, child) }
	c.WorkingGroup.Members = func(child int) int { return each(b.get().Members, child) }
	c.PermissionGrant.OrgUnits = func(child int) int { return each(b.get().Units, child) }
	c.Me.Grants = list(smallList)
	c.User.Grants = list(smallList)
	c.Me.Permissions = list(len(rbacPermissions))
	// One count over the units' kept statuses, like a programmeSummary, and
	// a row per unit of the level.
	c.Query.StatusByUnit = func(child int, level org.Kind, _ *store.Date) int {
		return b.aggregate(priceSummary) + each(b.unitsOf(level), child)
	}
	c.UnitStatusSummary.ByStatus = list(6)
	c.ProgrammeSummary.DocumentsByKind = list(7)
	c.ProgrammeSummary.ByStatus = list(6)
	// A page of an import's rows costs its size; an import reports at most
	// MaxImportErrors errors and makes a task per row; each row's leads and
	// coordinators are codes, at most one per unit (a scalar list costs what
	// its items would: a page of 100 rows with both lists is about 20,000).
	c.ImportTasksPayload.Rows = func(child int, first, offset *int) int {
		n, _ := importRowsPage(first, offset)
		return each(n, child)
	}
	c.ImportTasksPayload.RowErrors = list(tasks.MaxImportErrors)
	c.ImportTasksPayload.Tasks = list(tasks.MaxImportRows)
	c.ImportRow.Leads = func(int) int { return b.get().Units }
	c.ImportRow.Coordinators = func(int) int { return b.get().Units }
	kpiPrices(&c, b)
	return c
}

// countBounds are the lists whose length argument is bounded, by field
// (Type.field): the argument and its bound. inputCheck refuses a value
// outside 1–bound before anything runs, with a message that names the
// argument (or its variable) and the bounds; so the complexity limit prices
// such a list at its length within them, and its resolver reads that many.
var countBounds = map[string]struct {
	arg   string
	bound int
}{
	"Assignment.history":           {"last", tasks.MaxHistory},
	"Assignment.extensionRequests": {"last", tasks.MaxExtensionRequests},
	"Assignment.dueDateHistory":    {"last", tasks.MaxHistory},
	"Assignment.progressReports":   {"first", tasks.MaxReports},
}

// asked is the length a bounded list field (a key of countBounds) reads:
// n, or 20 when not given, within its bounds.
func asked(field string, n *int) int {
	if n == nil {
		return 20
	}
	return min(max(*n, 1), countBounds[field].bound)
}

// taskFilterPrice is what a tasks list's filter adds to its price.
func taskFilterPrice(b *listBounds, f *model.TaskFilter) int {
	if f != nil && len(f.Statuses) > 0 {
		return b.aggregate(priceStatusFilter)
	}
	return 0
}

// Prices of the indicators' fields. A figure reads pre-aggregated rows (one
// per unit read and period) and counts the expected units: priceFigure. As
// of a date it folds the history of every value below the unit instead:
// priceFigureAsOf. The tables by level (rankings, scores, completeness)
// cost what they read, in rows (rowsPerPoint a point, as the aggregates
// over assignments are priced): for each indicator they take, the units
// of the level and two roll-up rows each per month of the period (the
// period and the one before), the reporting units counted below them (at
// most every unit); completeness counts, per indicator and month, the
// values of those reporting units. On top, each unit of the level is an
// item of the answer. So the price follows the level (63 provinces or
// 10,000 communes), the period's months and the number of indicators, as
// the data grows; see BENCHMARKS.md, "Indicators".
const (
	priceFigure     = 20
	priceFigureAsOf = 2000
	rowsPerPoint    = 10
	// priceLevelTable is what one indicator's table by level costs
	// whatever its rows: its statements (the units of the level, their
	// roll-ups, the reporting units below them, the targets), about as
	// many as programmeSummary's aggregates, so priced alike. A month's
	// ranking of the 63 provinces takes 17–22 ms of server CPU
	// (BENCHMARKS.md), more than its rows alone would say; without it,
	// 99 yearly rankings of the provinces in one request cost about 250
	// each and were answered.
	priceLevelTable = priceSummary
	// priceIndicatorStatements is what each indicator adds to a table of
	// all indicators (kpiCompleteness): its two statements (the units
	// expected below each root, its values of every part of the period),
	// a tenth of a level table, whatever their rows (priced apart). A
	// year's completeness by ministry was once ~1,900 statements, and 16
	// aliases of it, priced as one table each, took 6–7 s.
	priceIndicatorStatements = priceLevelTable / 10
)

// monthsIn is how many months period spans (1 when it is not a period:
// the resolver refuses it).
func monthsIn(period string) int {
	p, err := kpi.ParsePeriod(period, "period")
	if err != nil {
		return 1
	}
	return len(p.Parts(kpi.Month))
}

func kpiPrices(c *ComplexityRoot, b *listBounds) {
	figure := func(asOf *store.Date) int {
		if asOf != nil {
			return priceFigureAsOf
		}
		return priceFigure
	}
	c.Query.IndicatorGroups = func(child int) int { return each(kpi.MaxGroups, child) }
	c.Query.Indicators = func(child int, _ *model.IndicatorFilter) int { return each(kpi.MaxIndicators, child) }
	c.IndicatorGroup.Indicators = func(child int) int { return each(kpi.MaxGroupIndicators, child) }
	c.Query.DataValues = func(child int, _ *model.DataValueFilter, first *int, _ *string) int {
		n := defaultPage
		if first != nil && *first > 0 {
			n = min(*first, store.MaxPage)
		}
		return each(n, child)
	}
	c.DataValueConnection.TotalCount = func(int) int { return priceCount }
	c.DataValue.History = func(child int) int { return each(kpi.MaxHistory, child) }
	// A unit's targets for a period: at most one per indicator.
	c.Query.KpiTargets = func(child int, _, _ string) int { return each(kpi.MaxIndicators, child) }
	c.Query.KpiValue = func(child int, _, _, _ string, _ *bool, asOf *store.Date) int { return figure(asOf) + child }
	c.Query.KpiSeries = func(child int, _, _, _, _ string, _ *bool, asOf *store.Date) int {
		return figure(asOf)*4 + each(kpi.MaxSeries, child)
	}
	// ranking is the rows one indicator's table at level reads for period.
	ranking := func(level org.Kind, period string) int {
		n := min(b.unitsOf(level), kpi.MaxLevelUnits)
		return priceLevelTable + (n+2*monthsIn(period)*n+b.get().Units)/rowsPerPoint
	}
	answer := func(level org.Kind, child int) int { return each(min(b.unitsOf(level), kpi.MaxLevelUnits), child) }
	c.Query.KpiRanking = func(child int, _, period string, level org.Kind, _ *bool) int {
		return ranking(level, period) + answer(level, child)
	}
	c.Query.KpiGroupScore = func(child int, _, period string, level org.Kind, _ *bool) int {
		return b.indicators.Load().GroupIndicators*ranking(level, period) + answer(level, child)
	}
	c.Query.KpiCompleteness = func(child int, period string, level org.Kind, group *string) int {
		inds := b.indicators.Load().Indicators
		if group != nil {
			inds = b.indicators.Load().GroupIndicators
		}
		n, units := min(b.unitsOf(level), kpi.MaxLevelUnits), b.get().Units
		return priceLevelTable + inds*priceIndicatorStatements + (n+inds*(units+monthsIn(period)*units))/rowsPerPoint + answer(level, child)
	}
	batch := func(child int) int { return each(kpi.MaxBatch, child) }
	c.SubmitDataValuesPayload.Values = batch
	c.SubmitDataValuesPayload.Problems = batch
	c.SubmitDataValuesPayload.Warnings = batch
	c.DataValuesPayload.Values = batch
	c.DataValuesPayload.Problems = batch
}
