package kpi

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"p06/auth"
	"p06/rbac"
	"p06/store"
)

// Service is the write path of indicators, values and targets, the one of
// tasks.Service: a method per use case opens a transaction, loads the
// objects in the caller's scope (NOT_FOUND when out of it), checks the
// permission on each object's own unit, applies the rules (a caller's
// mistake is a Problem or a *store.Error naming the field), writes the rows
// with their versions bumped, their history, the roll-ups and the audit
// entries, and commits.
type Service struct {
	db          *store.DB
	authz       *rbac.Authorizer
	clock       store.Clock
	onSubmitted SubmittedFunc
}

// SubmittedFunc is told, in a write's transaction, of the indicators whose
// values it wrote counted (SUBMITTED, APPROVED, ACCEPTED) at instant at; an
// error rolls the write back. Package alerts resolves their REPORT_DUE
// alerts with it (alerts.ResolveSubmitted), so an alert ends when its
// value is submitted, not at the next scan.
type SubmittedFunc func(ctx context.Context, tx bun.IDB, at time.Time, indicators []int64) error

// OnSubmitted makes every write of counted values call fn.
func (s *Service) OnSubmitted(fn SubmittedFunc) { s.onSubmitted = fn }

// NewService returns the write path on db.
func NewService(db *store.DB, authz *rbac.Authorizer, clock store.Clock) *Service {
	return &Service{db: db, authz: authz, clock: clock}
}

// Limits of the write path.
const (
	// MaxBatch is the most values one submitDataValues takes.
	MaxBatch = 1000
	// MaxComment bounds a value's comment and a reason, in characters.
	MaxComment = 2000
)

// Rule names the rule a value broke.
type Rule string

const (
	RuleIndicator Rule = "INDICATOR"             // unknown indicator
	RuleUnit      Rule = "UNIT"                  // unknown org unit, or not one the caller reads
	RulePeriod    Rule = "PERIOD"                // not a period of the indicator's type
	RuleFuture    Rule = "FUTURE_PERIOD"         // the period has not begun
	RuleReporting Rule = "UNIT_NOT_REPORTING"    // the unit's kind does not report the indicator
	RuleLocked    Rule = "LOCKED"                // approved or accepted: reopen it first
	RuleVersion   Rule = "VERSION"               // stale or missing expectedVersion
	RuleKind      Rule = "KIND"                  // the value's shape does not fit the indicator's kind
	RuleNegative  Rule = "NEGATIVE"              // a count, amount or part below zero
	RuleRatio     Rule = "NUMERATOR_DENOMINATOR" // numerator above denominator, or denominator 0
	RulePercent   Rule = "PERCENT_RANGE"         // a percentage outside 0–100
	RuleMin       Rule = "MIN"                   // below the indicator's minimum
	RuleMax       Rule = "MAX"                   // above its maximum
	RuleJump      Rule = "JUMP"                  // a change from the previous period beyond the threshold (a warning)
	RuleDuplicate Rule = "DUPLICATE"             // the same value twice in a batch
	RuleState     Rule = "STATE"                 // not in a state this step applies to
	RuleReason    Rule = "REASON"                // a reason is required
	RuleComment   Rule = "COMMENT"               // too long
)

// Problem is what is wrong with one value of a batch: which (its index in
// the input, indicator code, unit code, period), the rule and the message
// in both languages (Err.Field is the input field). Warnings (JUMP) are
// Problems too.
type Problem struct {
	Index     int
	Indicator string
	OrgUnit   string
	Period    string
	Rule      Rule
	Err       *store.Error
}

// Problems is the error of a batch refused for its values' mistakes;
// nothing was written.
type Problems []Problem

func (p Problems) Error() string {
	if len(p) == 0 {
		return "kpi: no problem"
	}
	return fmt.Sprintf("%d giá trị không hợp lệ: %s", len(p), p[0].Err.Message)
}

func signedIn(actor *auth.Identity) error {
	if actor == nil {
		return store.Errorf(store.Unauthenticated, "cần đăng nhập", "sign-in required")
	}
	return nil
}

func (s *Service) must(actor *auth.Identity, path string, perm rbac.Permission) error {
	if !s.authz.Can(actor.Subject(), path, perm) {
		return store.Errorf(store.Forbidden, "bạn không có quyền %s trên đơn vị này", "you do not have the %s permission on this unit", perm)
	}
	return nil
}

func cleanText(field, v string, max int, required bool) (string, error) {
	v = strings.TrimFunc(store.NFC(v), func(r rune) bool { return unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) })
	if required && v == "" {
		return "", &store.Error{Code: store.Invalid, Field: field, Message: field + " không được để trống", English: field + " is required"}
	}
	if n := utf8.RuneCountInString(v); n > max {
		return "", &store.Error{Code: store.Invalid, Field: field, Message: fmt.Sprintf("%s dài %d ký tự, quá giới hạn %d", field, n, max),
			English: fmt.Sprintf("%s is %d characters long, over the limit of %d", field, n, max)}
	}
	return v, nil
}

// numberRule is the rule a number checkNumber refuses breaks: KIND for
// one that is not a number at all, MAX for one beyond MaxMagnitude.
func numberRule(f float64) Rule {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return RuleKind
	}
	return RuleMax
}

func isWhole(f float64) bool { return f == math.Trunc(f) && !math.IsInf(f, 0) }

// ValueInput is one value of submitDataValues.
type ValueInput struct {
	IndicatorID                   int64
	OrgUnit                       string // code
	Period                        string
	Value, Numerator, Denominator *float64
	Comment                       string
	// ExpectedVersion is the version read; nil or 0 for a value not
	// entered yet.
	ExpectedVersion *int
}

// SubmitInput is a batch of values, all written or none.
type SubmitInput struct {
	Values       []ValueInput
	Submit       bool // false saves drafts
	ConfirmJumps bool
}

// SubmitResult is what a batch did: the values as saved, or the problems
// that stopped it (Problems refuse it; Warnings need ConfirmJumps).
type SubmitResult struct {
	Values   []*DataValue
	Problems Problems
	Warnings Problems
}

// unitRow is an org unit as the write path reads it.
type unitRow struct {
	ID   int64  `bun:"id"`
	Code string `bun:"code"`
	Path string `bun:"path"`
	Kind string `bun:"kind"`
}

// unitsInScope returns the units among codes that sc reads, by code.
func unitsInScope(ctx context.Context, db bun.IDB, sc rbac.Scope, codes []string) (map[string]unitRow, error) {
	out := map[string]unitRow{}
	if len(codes) == 0 {
		return out, nil
	}
	cond, args := sc.ReadFilter("path")
	var rs []unitRow
	if err := db.NewSelect().Table("org_units").Column("id", "code", "path", "kind").
		Where("code IN (?)", bun.In(codes)).Where(cond, args...).Scan(ctx, &rs); err != nil {
		return nil, fmt.Errorf("kpi: units: %w", err)
	}
	for _, r := range rs {
		out[r.Code] = r
	}
	return out, nil
}

// indicatorsByID loads indicators.
func indicatorsByID(ctx context.Context, db bun.IDB, ids []int64) (map[int64]*Indicator, error) {
	out := map[int64]*Indicator{}
	if len(ids) == 0 {
		return out, nil
	}
	var is []*Indicator
	if err := db.NewSelect().Model(&is).Where("i.id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("kpi: indicators: %w", err)
	}
	for _, i := range is {
		out[i.ID] = i
	}
	return out, nil
}

type valueKey struct {
	ind    int64
	unit   int64
	period string
}

// valuesByKey loads the current values of keys (locked on PostgreSQL).
func (s *Service) valuesByKey(ctx context.Context, db bun.IDB, keys []valueKey, lock bool) (map[valueKey]*DataValue, error) {
	out := map[valueKey]*DataValue{}
	for i := 0; i < len(keys); i += 300 {
		part := keys[i:min(i+300, len(keys))]
		tuples := make([]string, len(part))
		args := make([]any, 0, 3*len(part))
		for j, k := range part {
			tuples[j] = "(?, ?, ?)"
			args = append(args, k.ind, k.unit, k.period)
		}
		var vs []*DataValue
		q := db.NewSelect().Model(&vs).Where("(dv.indicator_id, dv.org_unit_id, dv.period) IN ("+strings.Join(tuples, ", ")+")", args...)
		if lock && s.db.Engine == store.Postgres {
			q = q.For("UPDATE")
		}
		if err := q.Scan(ctx); err != nil {
			return nil, fmt.Errorf("kpi: values: %w", err)
		}
		for _, v := range vs {
			out[valueKey{v.IndicatorID, v.OrgUnitID, v.Period}] = v
		}
	}
	return out, nil
}

func problem(i int, ind, unit, period string, rule Rule, code store.Code, field, vi, en string) Problem {
	return Problem{Index: i, Indicator: ind, OrgUnit: unit, Period: period, Rule: rule,
		Err: &store.Error{Code: code, Field: fmt.Sprintf("values.%d.%s", i, field), Message: vi, English: en}}
}

// SubmitDataValues saves a batch of values for actor, all or nothing: as
// drafts, or submitted for approval. Each value's unit must be in the
// actor's scope and the actor must hold ENTER_KPI there (else the whole
// batch is FORBIDDEN). Every rule is checked on every value and each
// failure is a Problem naming indicator, unit, period and rule; a change
// from the previous period beyond the indicator's jump threshold is a
// warning, and the batch is saved only with ConfirmJumps.
func (s *Service) SubmitDataValues(ctx context.Context, actor *auth.Identity, in SubmitInput) (*SubmitResult, error) {
	if err := signedIn(actor); err != nil {
		return nil, err
	}
	if len(in.Values) == 0 || len(in.Values) > MaxBatch {
		return nil, &store.Error{Code: store.Invalid, Field: "values", Message: fmt.Sprintf("cần từ 1 đến %d giá trị, nhận được %d", MaxBatch, len(in.Values)),
			English: fmt.Sprintf("send 1 to %d values, got %d", MaxBatch, len(in.Values))}
	}
	res := &SubmitResult{}
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		res, err = s.submitInTx(ctx, tx, actor, in)
		if err == nil && (len(res.Problems) > 0 || (len(res.Warnings) > 0 && !in.ConfirmJumps)) {
			return errRollback
		}
		return err
	})
	if err == errRollback {
		res.Values = nil
		return res, nil
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

var errRollback = fmt.Errorf("kpi: rolled back")

func (s *Service) submitInTx(ctx context.Context, tx bun.Tx, actor *auth.Identity, in SubmitInput) (*SubmitResult, error) {
	res := &SubmitResult{}
	now := s.clock()
	today := store.Today(s.clock)
	sc := s.authz.ScopeOf(actor.Subject())
	var indIDs []int64
	var codes []string
	for _, v := range in.Values {
		indIDs = append(indIDs, v.IndicatorID)
		codes = append(codes, v.OrgUnit)
	}
	inds, err := indicatorsByID(ctx, tx, indIDs)
	if err != nil {
		return nil, err
	}
	units, err := unitsInScope(ctx, tx, sc, codes)
	if err != nil {
		return nil, err
	}
	for _, u := range units {
		if err := s.must(actor, u.Path, rbac.EnterKPI); err != nil {
			return nil, err
		}
	}
	type item struct {
		in     ValueInput
		ind    *Indicator
		unit   unitRow
		period Period
		key    valueKey
		prev   valueKey
		ok     bool
	}
	items := make([]item, len(in.Values))
	var keys []valueKey
	seen := map[valueKey]int{}
	for i, v := range in.Values {
		it := item{in: v}
		indCode := fmt.Sprint(v.IndicatorID)
		it.ind = inds[v.IndicatorID]
		if it.ind == nil {
			res.Problems = append(res.Problems, problem(i, indCode, v.OrgUnit, v.Period, RuleIndicator, store.NotFound, "indicator",
				"không tìm thấy chỉ tiêu", "indicator not found"))
		} else {
			indCode = it.ind.Code
		}
		u, found := units[v.OrgUnit]
		if !found {
			res.Problems = append(res.Problems, problem(i, indCode, v.OrgUnit, v.Period, RuleUnit, store.NotFound, "orgUnit",
				fmt.Sprintf("không tìm thấy đơn vị %q", v.OrgUnit), fmt.Sprintf("org unit %q not found", v.OrgUnit)))
		}
		it.unit = u
		p, perr := ParsePeriod(v.Period, "period")
		if perr != nil {
			e := perr.(*store.Error)
			res.Problems = append(res.Problems, problem(i, indCode, v.OrgUnit, v.Period, RulePeriod, store.Invalid, "period", e.Message, e.English))
		}
		it.period = p
		if it.ind == nil || !found || perr != nil {
			items[i] = it
			continue
		}
		it.key = valueKey{it.ind.ID, u.ID, p.String()}
		it.prev = valueKey{it.ind.ID, u.ID, p.Previous().String()}
		if j, dup := seen[it.key]; dup {
			res.Problems = append(res.Problems, problem(i, indCode, v.OrgUnit, v.Period, RuleDuplicate, store.Invalid, "period",
				fmt.Sprintf("giá trị này đã có ở vị trí %d của lô", j), fmt.Sprintf("this value is already at index %d of the batch", j)))
			items[i] = it
			continue
		}
		seen[it.key] = i
		it.ok = true
		keys = append(keys, it.key, it.prev)
		items[i] = it
	}
	current, err := s.valuesByKey(ctx, tx, keys, true)
	if err != nil {
		return nil, err
	}
	type write struct {
		before *DataValue
		after  *DataValue
		ind    *Indicator
		path   string
	}
	var writes []write
	for i, it := range items {
		if !it.ok {
			continue
		}
		ind, v, p := it.ind, it.in, it.period
		before := current[it.key]
		bad := func(rule Rule, code store.Code, field, vi, en string) {
			res.Problems = append(res.Problems, problem(i, ind.Code, v.OrgUnit, v.Period, rule, code, field, vi, en))
		}
		nbad := len(res.Problems)
		if p.Type != ind.PeriodType {
			bad(RulePeriod, store.Invalid, "period", fmt.Sprintf("chỉ tiêu %s báo cáo theo %s, kỳ %s không phù hợp", ind.Code, periodVI[ind.PeriodType], v.Period),
				fmt.Sprintf("indicator %s is reported by %s; period %s does not fit", ind.Code, strings.ToLower(string(ind.PeriodType)), v.Period))
		} else if p.Start().After(today) {
			bad(RuleFuture, store.Invalid, "period", fmt.Sprintf("kỳ %s chưa bắt đầu (hôm nay %s)", v.Period, today),
				fmt.Sprintf("period %s has not begun (today is %s)", v.Period, today))
		}
		if !ind.ReportingKinds.Has(it.unit.Kind) {
			bad(RuleReporting, store.Invalid, "orgUnit", fmt.Sprintf("đơn vị %s (%s) không báo cáo chỉ tiêu %s (chỉ %s)", v.OrgUnit, it.unit.Kind, ind.Code, ind.ReportingKinds),
				fmt.Sprintf("org unit %s (%s) does not report indicator %s (only %s)", v.OrgUnit, it.unit.Kind, ind.Code, ind.ReportingKinds))
		}
		switch {
		case before != nil && before.State.Locked():
			bad(RuleLocked, store.Invalid, "period", fmt.Sprintf("giá trị %s của %s kỳ %s đã được phê duyệt (%s) và bị khóa; cần mở lại (reopenDataValue) trước khi sửa", ind.Code, v.OrgUnit, v.Period, before.State),
				fmt.Sprintf("the value of %s for %s, %s is %s and locked; reopen it (reopenDataValue) to correct it", ind.Code, v.OrgUnit, v.Period, before.State))
		case before != nil && (v.ExpectedVersion == nil || *v.ExpectedVersion != before.Version):
			bad(RuleVersion, store.Conflict, "expectedVersion", fmt.Sprintf("giá trị đã được lưu trước đó (phiên bản hiện tại %d): gửi expectedVersion %d", before.Version, before.Version),
				fmt.Sprintf("the value was saved before (current version %d): send expectedVersion %d", before.Version, before.Version))
		case before == nil && v.ExpectedVersion != nil && *v.ExpectedVersion != 0:
			bad(RuleVersion, store.Conflict, "expectedVersion", "giá trị chưa từng được nhập (phiên bản 0)", "the value has not been entered yet (version 0)")
		}
		comment, cerr := cleanText("comment", v.Comment, MaxComment, false)
		if cerr != nil {
			e := cerr.(*store.Error)
			bad(RuleComment, store.Invalid, "comment", e.Message, e.English)
		}
		figure, ok := s.checkShape(ind, v, bad)
		if ok && figure != nil {
			f := *figure
			if ind.Min != nil && f < *ind.Min {
				bad(RuleMin, store.Invalid, "value", fmt.Sprintf("%s = %s dưới mức tối thiểu %s", ind.Code, fmtNum(f), fmtNum(*ind.Min)),
					fmt.Sprintf("%s = %s is below the minimum %s", ind.Code, fmtNum(f), fmtNum(*ind.Min)))
			}
			if ind.Max != nil && f > *ind.Max {
				bad(RuleMax, store.Invalid, "value", fmt.Sprintf("%s = %s vượt mức tối đa %s", ind.Code, fmtNum(f), fmtNum(*ind.Max)),
					fmt.Sprintf("%s = %s is above the maximum %s", ind.Code, fmtNum(f), fmtNum(*ind.Max)))
			}
			if prev := current[it.prev]; prev != nil && ind.JumpThreshold != nil && prev.State != Draft && prev.State != Rejected {
				if pf := ind.Figure(prev.Value, prev.Numerator, prev.Denominator); pf != nil && jumps(*pf, f, *ind.JumpThreshold) {
					res.Warnings = append(res.Warnings, problem(i, ind.Code, v.OrgUnit, v.Period, RuleJump, store.Invalid, "value",
						fmt.Sprintf("%s của %s kỳ %s là %s, kỳ trước %s: thay đổi quá %s%%; xác nhận bằng confirmJumps", ind.Code, v.OrgUnit, v.Period, fmtNum(f), fmtNum(*pf), fmtNum(*ind.JumpThreshold)),
						fmt.Sprintf("%s for %s, %s is %s against %s the period before: a change over %s%%; confirm it with confirmJumps", ind.Code, v.OrgUnit, v.Period, fmtNum(f), fmtNum(*pf), fmtNum(*ind.JumpThreshold))))
				}
			}
		}
		if len(res.Problems) > nbad {
			continue
		}
		after := &DataValue{IndicatorID: ind.ID, OrgUnitID: it.unit.ID, Period: p.String(), Source: store.SourceUser, Version: 1,
			EnteredBy: actor.User.ID, EnteredAt: now, UpdatedAt: now, UnitPath: it.unit.Path, UnitCode: it.unit.Code}
		if before != nil {
			c := *before
			after = &c
			after.Version++
			after.EnteredBy, after.EnteredAt, after.UpdatedAt, after.Reason = actor.User.ID, now, now, ""
			after.UnitPath, after.UnitCode = it.unit.Path, it.unit.Code
		}
		after.Value, after.Numerator, after.Denominator, after.Comment = v.Value, v.Numerator, v.Denominator, comment
		if in.Submit {
			after.State = Submitted
			after.SubmittedBy, after.SubmittedAt = actor.User.ID, &now
			if after.FirstSubmittedOn.IsZero() {
				after.FirstSubmittedOn = today
			}
		} else {
			after.State = Draft
		}
		after.ApprovedBy, after.ApprovedAt, after.AcceptedBy, after.AcceptedAt = 0, nil, 0, nil
		writes = append(writes, write{before, after, ind, it.unit.Path})
	}
	if len(res.Problems) > 0 || (len(res.Warnings) > 0 && !in.ConfirmJumps) {
		return res, nil
	}
	ws := make([]valueWrite, len(writes))
	for i, w := range writes {
		ws[i] = valueWrite{before: w.before, after: w.after, ind: w.ind, path: w.path}
		res.Values = append(res.Values, w.after)
	}
	action := "kpi.value.save"
	if in.Submit {
		action = "kpi.value.submit"
	}
	return res, s.saveValues(ctx, tx, actor, action, "", ws)
}

var periodVI = map[PeriodType]string{Month: "tháng", Quarter: "quý", Year: "năm"}

// jumps reports whether f is a change from prev beyond threshold percent.
func jumps(prev, f, threshold float64) bool {
	if prev == 0 {
		return f != 0
	}
	return math.Abs(f-prev)/math.Abs(prev)*100 > threshold
}

// checkShape checks that v has the shape of ind's kind and returns its
// figure.
func (s *Service) checkShape(ind *Indicator, v ValueInput, bad func(Rule, store.Code, string, string, string)) (*float64, bool) {
	ok := true
	fail := func(rule Rule, field, vi, en string) {
		ok = false
		bad(rule, store.Invalid, field, vi, en)
	}
	for _, n := range []struct {
		field string
		f     *float64
	}{{"value", v.Value}, {"numerator", v.Numerator}, {"denominator", v.Denominator}} {
		if n.f == nil {
			continue
		}
		if vi, en, good := checkNumber(fmt.Sprintf("%s của %s kỳ %s: %s", ind.Code, v.OrgUnit, v.Period, n.field),
			fmt.Sprintf("%s for %s, %s: %s", ind.Code, v.OrgUnit, v.Period, n.field), *n.f); !good {
			fail(numberRule(*n.f), n.field, vi, en)
		}
	}
	if !ok {
		return nil, false
	}
	switch ind.Kind {
	case Ratio, Percent:
		if v.Numerator == nil || v.Denominator == nil {
			fail(RuleKind, "numerator", fmt.Sprintf("chỉ tiêu %s (%s) cần tử số và mẫu số", ind.Code, ind.Kind), fmt.Sprintf("indicator %s (%s) needs a numerator and a denominator", ind.Code, ind.Kind))
			return nil, false
		}
		n, d := *v.Numerator, *v.Denominator
		if n < 0 || d < 0 {
			fail(RuleNegative, "numerator", "tử số và mẫu số không được âm", "numerator and denominator cannot be negative")
			return nil, false
		}
		if d == 0 || n > d {
			fail(RuleRatio, "numerator", fmt.Sprintf("tử số (%s) phải không lớn hơn mẫu số (%s), mẫu số lớn hơn 0", fmtNum(n), fmtNum(d)),
				fmt.Sprintf("the numerator (%s) must not exceed the denominator (%s), which must be above 0", fmtNum(n), fmtNum(d)))
			return nil, false
		}
		f := ind.Figure(nil, v.Numerator, v.Denominator)
		if v.Value != nil {
			if ind.Kind == Percent && (*v.Value < 0 || *v.Value > 100) {
				fail(RulePercent, "value", fmt.Sprintf("tỷ lệ %s%% phải trong khoảng 0–100", fmtNum(*v.Value)), fmt.Sprintf("the percentage %s%% must be within 0–100", fmtNum(*v.Value)))
			} else if math.Abs(*v.Value-*f) > 0.05*max(1, math.Abs(*f))/100+0.005 {
				fail(RuleKind, "value", fmt.Sprintf("giá trị %s không khớp tử số/mẫu số (%s)", fmtNum(*v.Value), fmtNum(*f)),
					fmt.Sprintf("the value %s does not match numerator/denominator (%s)", fmtNum(*v.Value), fmtNum(*f)))
			}
		}
		return f, ok
	default:
		if v.Value == nil {
			fail(RuleKind, "value", fmt.Sprintf("chỉ tiêu %s (%s) cần giá trị (value)", ind.Code, ind.Kind), fmt.Sprintf("indicator %s (%s) needs a value", ind.Code, ind.Kind))
			return nil, false
		}
		if v.Numerator != nil || v.Denominator != nil {
			fail(RuleKind, "numerator", fmt.Sprintf("chỉ tiêu %s (%s) không có tử số/mẫu số", ind.Code, ind.Kind), fmt.Sprintf("indicator %s (%s) has no numerator or denominator", ind.Code, ind.Kind))
		}
		f := *v.Value
		switch {
		case ind.Kind == Boolean && f != 0 && f != 1:
			fail(RuleKind, "value", "chỉ tiêu có/không nhận 1 (có) hoặc 0 (không)", "a yes/no indicator takes 1 (yes) or 0 (no)")
		case f < 0:
			fail(RuleNegative, "value", fmt.Sprintf("%s (%s) không được âm: %s", ind.Code, ind.Kind, fmtNum(f)), fmt.Sprintf("%s (%s) cannot be negative: %s", ind.Code, ind.Kind, fmtNum(f)))
		case ind.Kind == Count && !isWhole(f):
			fail(RuleKind, "value", fmt.Sprintf("%s đếm số %s nên phải là số nguyên: %s", ind.Code, ind.Unit, fmtNum(f)), fmt.Sprintf("%s counts %s, so it must be a whole number: %s", ind.Code, ind.Unit, fmtNum(f)))
		}
		return v.Value, ok
	}
}

// updateChunk bounds the values one UPDATE of saveValues carries.
const updateChunk = 500

// valueWrite is a value going from before (nil: new) to after.
type valueWrite struct {
	before, after *DataValue
	ind           *Indicator
	path          string
	note          string
}

// saveValues writes values (inserting the new, updating the others at
// their version), their history rows (closing the versions they replace),
// the roll-ups and one audit row each.
func (s *Service) saveValues(ctx context.Context, tx bun.Tx, actor *auth.Identity, action, reason string, ws []valueWrite) error {
	if len(ws) == 0 {
		return nil
	}
	now := s.clock()
	today := store.Today(s.clock)
	var fresh, changed []*DataValue
	var closing []int64
	for _, w := range ws {
		if w.before == nil {
			fresh = append(fresh, w.after)
			continue
		}
		if w.after.Version != w.before.Version+1 {
			return fmt.Errorf("kpi: value %d goes from version %d to %d", w.after.ID, w.before.Version, w.after.Version)
		}
		changed = append(changed, w.after)
		closing = append(closing, w.after.ID)
	}
	// The changed values, updateChunk a statement, each at the version it
	// was read at (its new version less one): a value changed meanwhile
	// makes the statement update fewer rows than it carries, and the batch
	// is refused whole.
	for i := 0; i < len(changed); i += updateChunk {
		part := changed[i:min(i+updateChunk, len(changed))]
		res, err := tx.NewUpdate().Model(&part).ExcludeColumn("id", "indicator_id", "org_unit_id", "period", "source").
			Bulk().Where("dv.version = _data.version - 1").Exec(ctx)
		if err != nil {
			return fmt.Errorf("kpi: saving values: %w", err)
		}
		if n, _ := res.RowsAffected(); n != int64(len(part)) {
			return store.ErrBusy
		}
	}
	if len(fresh) > 0 {
		if _, err := tx.NewInsert().Model(&fresh).Returning("id").Exec(ctx); err != nil {
			if store.IsUniqueViolation(err) {
				return store.ErrBusy // entered by someone else meanwhile
			}
			return fmt.Errorf("kpi: inserting values: %w", err)
		}
	}
	if len(closing) > 0 {
		if _, err := tx.NewUpdate().Table("data_value_history").Set("valid_to = ?", today.String()).
			Where("data_value_id IN (?) AND valid_to IS NULL", bun.In(closing)).Exec(ctx); err != nil {
			return fmt.Errorf("kpi: closing history: %w", err)
		}
	}
	hist := make([]*HistoryRow, len(ws))
	audits := make([]*store.AuditEntry, len(ws))
	details := make([]any, len(ws))
	var changes []OwnChange
	for i, w := range ws {
		a := w.after
		hist[i] = &HistoryRow{DataValueID: a.ID, Version: a.Version, ValidFrom: today, Value: a.Value, Numerator: a.Numerator,
			Denominator: a.Denominator, Comment: a.Comment, State: a.State, Reason: a.Reason, ChangedAt: now, ChangedBy: actor.User.ID}
		audits[i] = auth.AuditEntry(actor, now, action, "DataValue", a.ID, w.path)
		d := map[string]any{"indicator": w.ind.Code, "period": a.Period, "after": valueDetail(a)}
		if w.before != nil {
			d["before"] = valueDetail(w.before)
		}
		if reason != "" {
			d["reason"] = reason
		}
		details[i] = d
		changes = append(changes, ChangesOf(w.ind, w.path, a.Period, w.before, a)...)
	}
	if _, err := tx.NewInsert().Model(&hist).Returning("NULL").Exec(ctx); err != nil {
		return fmt.Errorf("kpi: writing history: %w", err)
	}
	if err := ApplyOwn(ctx, tx, s.db.Engine, changes); err != nil {
		return err
	}
	if s.onSubmitted != nil {
		var inds []int64
		for _, w := range ws {
			if w.after.State.Counted() && !slices.Contains(inds, w.ind.ID) {
				inds = append(inds, w.ind.ID)
			}
		}
		if len(inds) > 0 {
			if err := s.onSubmitted(ctx, tx, now, inds); err != nil {
				return err
			}
		}
	}
	return store.AuditMany(ctx, tx, audits, details)
}

func valueDetail(v *DataValue) map[string]any {
	return map[string]any{"value": v.Value, "numerator": v.Numerator, "denominator": v.Denominator, "comment": v.Comment,
		"state": v.State, "version": v.Version}
}
