// Package kpi holds the indicators of Project 06: groups and indicators
// (rows an administrator edits), data values per indicator, org unit and
// period with their history and two-level approval, targets, and the
// roll-up of values over the unit tree (pre-aggregated on write, see
// rollup.go).
package kpi

import (
	"database/sql/driver"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"p06/store"
)

// Kind is what an indicator's values are.
type Kind string

const (
	Count   Kind = "COUNT"   // a whole number ≥ 0
	Amount  Kind = "AMOUNT"  // a number ≥ 0
	Ratio   Kind = "RATIO"   // numerator / denominator
	Percent Kind = "PERCENT" // 100 × numerator / denominator, 0–100
	Boolean Kind = "BOOLEAN" // 1 (yes) or 0 (no)
)

// PeriodType is how often an indicator is reported.
type PeriodType string

const (
	Month   PeriodType = "MONTH"
	Quarter PeriodType = "QUARTER"
	Year    PeriodType = "YEAR"
)

// Direction says whether a higher or a lower figure is better.
type Direction string

const (
	HigherIsBetter Direction = "HIGHER_IS_BETTER"
	LowerIsBetter  Direction = "LOWER_IS_BETTER"
)

// Aggregation is how an indicator rolls up over units and over time.
type Aggregation string

const (
	// Sum adds the units' values, and a quarter or year adds its months.
	Sum Aggregation = "SUM"
	// RatioOfSums divides the sum of numerators by the sum of
	// denominators, over units and over months: never a mean of ratios.
	RatioOfSums Aggregation = "RATIO_OF_SUMS"
	// ShareOfUnits is the share of contributing units answering yes.
	ShareOfUnits Aggregation = "SHARE_OF_UNITS"
	// Latest is a stock figure (accounts issued): units add up, and a
	// quarter or year takes its last month with values.
	Latest Aggregation = "LATEST"
)

// State is where a data value stands in its approval.
type State string

const (
	Draft     State = "DRAFT"
	Submitted State = "SUBMITTED"
	Approved  State = "APPROVED"
	Accepted  State = "ACCEPTED"
	Rejected  State = "REJECTED"
)

// Counted reports whether a value in state s counts in the default
// roll-ups (drafts and rejected values never do).
func (s State) Counted() bool { return s == Submitted || s == Approved || s == Accepted }

// ApprovedClass reports whether a value in state s counts in the
// approved-only roll-ups.
func (s State) ApprovedClass() bool { return s == Approved || s == Accepted }

// Locked reports whether a value in state s can no longer be edited
// (reopenDataValue first).
func (s State) Locked() bool { return s == Approved || s == Accepted }

// Group is a group of indicators.
type Group struct {
	bun.BaseModel `bun:"table:indicator_groups,alias:g"`

	ID          int64        `bun:"id,pk,autoincrement"`
	Code        string       `bun:"code"`
	Name        string       `bun:"name"`
	NameEn      string       `bun:"name_en"`
	Description string       `bun:"description"`
	SortOrder   int          `bun:"sort_order"`
	Source      store.Source `bun:"source"`
	// SourceNote says where the group comes from, or that it is a working
	// proposal and not an official list.
	SourceNote string    `bun:"source_note"`
	Version    int       `bun:"version"`
	UpdatedAt  time.Time `bun:"updated_at"`
}

// Indicator is one indicator: what is measured, how it is reported, checked
// and rolled up.
type Indicator struct {
	bun.BaseModel `bun:"table:indicators,alias:i"`

	ID          int64       `bun:"id,pk,autoincrement"`
	GroupID     int64       `bun:"group_id"`
	Code        string      `bun:"code"`
	Name        string      `bun:"name"`
	NameEn      string      `bun:"name_en"`
	Unit        string      `bun:"unit"`
	Kind        Kind        `bun:"kind"`
	PeriodType  PeriodType  `bun:"period_type"`
	Direction   Direction   `bun:"direction"`
	Aggregation Aggregation `bun:"aggregation"`
	// ReportingKinds are the kinds of org unit that enter values
	// (comma-separated in the column).
	ReportingKinds Kinds `bun:"reporting_kinds"`
	// OwnValueWins makes a unit's own value its figure even when units
	// below it report; otherwise an own value counts only where nothing
	// below reports.
	OwnValueWins bool `bun:"own_value_wins"`
	// DueDays is how many days after its period ends a value is due.
	DueDays int      `bun:"due_days"`
	Min     *float64 `bun:"min_value"`
	Max     *float64 `bun:"max_value"`
	// JumpThreshold is the change from the previous period, in percent of
	// the previous value, beyond which a value must be confirmed.
	JumpThreshold *float64     `bun:"jump_threshold"`
	Weight        float64      `bun:"weight"`
	SortOrder     int          `bun:"sort_order"`
	Source        store.Source `bun:"source"`
	SourceNote    string       `bun:"source_note"`
	Version       int          `bun:"version"`
	UpdatedAt     time.Time    `bun:"updated_at"`
}

// Kinds is a list of org-unit kinds stored as comma-separated text.
type Kinds []string

// Has reports whether k lists kind.
func (k Kinds) Has(kind string) bool {
	for _, v := range k {
		if v == kind {
			return true
		}
	}
	return false
}

func (k Kinds) String() string { return strings.Join(k, ",") }

// DataValue is the current version of one value.
type DataValue struct {
	bun.BaseModel `bun:"table:data_values,alias:dv"`

	ID          int64        `bun:"id,pk,autoincrement"`
	IndicatorID int64        `bun:"indicator_id"`
	OrgUnitID   int64        `bun:"org_unit_id"`
	Period      string       `bun:"period"`
	Value       *float64     `bun:"value"`
	Numerator   *float64     `bun:"numerator"`
	Denominator *float64     `bun:"denominator"`
	Comment     string       `bun:"comment"`
	State       State        `bun:"state"`
	Reason      string       `bun:"reason"`
	Version     int          `bun:"version"`
	Source      store.Source `bun:"source"`
	EnteredBy   int64        `bun:"entered_by,nullzero"`
	EnteredAt   time.Time    `bun:"entered_at"`
	SubmittedBy int64        `bun:"submitted_by,nullzero"`
	SubmittedAt *time.Time   `bun:"submitted_at"`
	ApprovedBy  int64        `bun:"approved_by,nullzero"`
	ApprovedAt  *time.Time   `bun:"approved_at"`
	AcceptedBy  int64        `bun:"accepted_by,nullzero"`
	AcceptedAt  *time.Time   `bun:"accepted_at"`
	// FirstSubmittedOn is the day the value was first submitted, for
	// timeliness (typed text: the bulk update's VALUES casts it so on
	// PostgreSQL).
	FirstSubmittedOn store.Date `bun:"first_submitted_on,type:text"`
	UpdatedAt        time.Time  `bun:"updated_at"`

	UnitPath string `bun:"unit_path,scanonly"`
	UnitCode string `bun:"unit_code,scanonly"`

	store.SortKey
}

// HistoryRow is one version of a data value.
type HistoryRow struct {
	bun.BaseModel `bun:"table:data_value_history,alias:h"`

	ID          int64      `bun:"id,pk,autoincrement"`
	DataValueID int64      `bun:"data_value_id"`
	Version     int        `bun:"version"`
	ValidFrom   store.Date `bun:"valid_from"`
	ValidTo     store.Date `bun:"valid_to"`
	Value       *float64   `bun:"value"`
	Numerator   *float64   `bun:"numerator"`
	Denominator *float64   `bun:"denominator"`
	Comment     string     `bun:"comment"`
	State       State      `bun:"state"`
	Reason      string     `bun:"reason"`
	ChangedAt   time.Time  `bun:"changed_at"`
	ChangedBy   int64      `bun:"changed_by,nullzero"`
}

// Target is a target of an indicator for a unit and period.
type Target struct {
	bun.BaseModel `bun:"table:kpi_targets,alias:kt"`

	ID          int64     `bun:"id,pk,autoincrement"`
	IndicatorID int64     `bun:"indicator_id"`
	OrgUnitID   int64     `bun:"org_unit_id"`
	Period      string    `bun:"period"`
	Value       float64   `bun:"value"`
	UpdatedAt   time.Time `bun:"updated_at"`
}

// Figure is a value of a data value, the form its kind shows: the value
// itself, numerator/denominator for RATIO, 100 × that for PERCENT. Nil when
// the value has none.
func (ind *Indicator) Figure(v, num, den *float64) *float64 {
	switch ind.Kind {
	case Ratio, Percent:
		if num == nil || den == nil || *den == 0 {
			return nil
		}
		f := *num / *den
		if ind.Kind == Percent {
			f *= 100
		}
		return &f
	}
	return v
}

// Name of an indicator in the language asked for.
func (ind *Indicator) Label(english bool) string {
	if english && ind.NameEn != "" {
		return ind.NameEn
	}
	return ind.Name
}

// MaxMagnitude is the largest absolute number accepted anywhere a number is
// entered: a value, numerator, denominator or target, and an indicator's
// min, max, jump threshold and weight. A thousand trillion is far above any
// real figure and far enough below float64's range that a roll-up over
// every unit and month stays finite.
const MaxMagnitude = 1e15

// checkNumber refuses a number that is not finite (NaN, ±Inf, which
// GraphQL's Float lets through as strings) or beyond ±MaxMagnitude: nil
// when f is fine, else the message in Vietnamese and English; what and
// whatEn name the number (its indicator, unit, period and field).
func checkNumber(what, whatEn string, f float64) (vi, en string, ok bool) {
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		return fmt.Sprintf("%s là %v, không phải một số hữu hạn", what, f), fmt.Sprintf("%s is %v, not a finite number", whatEn, f), false
	case math.Abs(f) > MaxMagnitude:
		return fmt.Sprintf("%s = %g vượt giới hạn ±%g", what, f, MaxMagnitude), fmt.Sprintf("%s = %g is beyond the limit of ±%g", whatEn, f, MaxMagnitude), false
	}
	return "", "", true
}

// checkField is checkNumber for an input field: INVALID naming field.
func checkField(field, what, whatEn string, f float64) error {
	if vi, en, ok := checkNumber(what, whatEn, f); !ok {
		return invalid(field, vi, en)
	}
	return nil
}

// finite is p when it is a finite number, else nil: a roll-up or an
// attainment over stored numbers that overflow shows no figure rather
// than one JSON cannot carry.
func finite(p *float64) *float64 {
	if p == nil || math.IsNaN(*p) || math.IsInf(*p, 0) {
		return nil
	}
	return p
}

func fmtNum(f float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.4f", f), "0"), ".")
}

// Value stores k as comma-separated text.
func (k Kinds) Value() (driver.Value, error) { return k.String(), nil }

// Scan reads comma-separated text.
func (k *Kinds) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	case nil:
	default:
		return fmt.Errorf("kpi: reporting kinds of type %T", src)
	}
	*k = nil
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*k = append(*k, p)
		}
	}
	return nil
}
