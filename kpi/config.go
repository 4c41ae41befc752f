package kpi

import (
	"context"
	"fmt"
	"regexp"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"p06/auth"
	"p06/rbac"
	"p06/store"
)

var codeRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$`)

func invalid(field, vi, en string) *store.Error {
	return &store.Error{Code: store.Invalid, Field: field, Message: vi, English: en}
}

// GroupInput creates (ID 0) or edits a group.
type GroupInput struct {
	ID                              int64
	Code, Name, NameEn, Description string
	SortOrder                       int
	SourceNote                      string
}

// SaveGroup creates or edits an indicator group (CONFIGURE_KPI on the
// national unit: groups are national), audited.
func (s *Service) SaveGroup(ctx context.Context, actor *auth.Identity, in GroupInput) (*Group, error) {
	if err := signedIn(actor); err != nil {
		return nil, err
	}
	if err := s.must(actor, rbac.RootPath, rbac.ConfigureKPI); err != nil {
		return nil, err
	}
	g := &Group{}
	var err error
	if g.Code, err = cleanText("code", in.Code, 32, true); err != nil {
		return nil, err
	}
	if !codeRE.MatchString(g.Code) {
		return nil, invalid("code", "mã nhóm chỉ gồm chữ, số, dấu chấm, gạch ngang, tối đa 32 ký tự", "a group code is letters, digits, dots and dashes, at most 32")
	}
	if g.Name, err = cleanText("name", in.Name, 300, true); err != nil {
		return nil, err
	}
	if g.NameEn, err = cleanText("nameEn", in.NameEn, 300, false); err != nil {
		return nil, err
	}
	if g.Description, err = cleanText("description", in.Description, MaxComment, false); err != nil {
		return nil, err
	}
	if g.SourceNote, err = cleanText("sourceNote", in.SourceNote, MaxComment, false); err != nil {
		return nil, err
	}
	g.SortOrder, g.Source, g.UpdatedAt, g.Version = in.SortOrder, store.SourceUser, s.clock(), 1
	err = s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var before *Group
		if in.ID != 0 {
			before = new(Group)
			if err := tx.NewSelect().Model(before).Where("g.id = ?", in.ID).Scan(ctx); err != nil {
				if store.IsNoRows(err) {
					return &store.Error{Code: store.NotFound, Field: "id", Message: "không tìm thấy nhóm chỉ tiêu", English: "indicator group not found"}
				}
				return err
			}
			g.ID, g.Version = before.ID, before.Version+1
			if _, err := tx.NewUpdate().Model(g).ExcludeColumn("id").WherePK().Exec(ctx); err != nil {
				return conflictCode(err, "code", g.Code)
			}
		} else {
			if err := checkDefinitionRoom(ctx, tx, 0, false); err != nil {
				return err
			}
			if _, err := tx.NewInsert().Model(g).Returning("id").Exec(ctx); err != nil {
				return conflictCode(err, "code", g.Code)
			}
		}
		return store.Audit(ctx, tx, auth.AuditEntry(actor, g.UpdatedAt, "kpi.group.save", "IndicatorGroup", g.ID, rbac.RootPath),
			map[string]any{"before": before, "after": g})
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// checkDefinitionRoom refuses what would make a definition list longer
// than the Store returns whole (MaxGroups groups, MaxIndicators
// indicators, MaxGroupIndicators in one group), so that no list ever
// leaves one out: a new group (group 0), a new indicator in group
// (newIndicator), or an indicator moved into group. On PostgreSQL the
// definitions are locked against other writers first (SHARE ROW
// EXCLUSIVE: reads go on), so two administrators cannot both take the
// last place; SQLite has one writer at a time.
func checkDefinitionRoom(ctx context.Context, tx bun.Tx, group int64, newIndicator bool) error {
	if tx.Dialect().Name() == dialect.PG {
		if _, err := tx.ExecContext(ctx, "LOCK TABLE indicator_groups, indicators IN SHARE ROW EXCLUSIVE MODE"); err != nil {
			return fmt.Errorf("kpi: locking the definitions: %w", err)
		}
	}
	if group == 0 {
		n, err := tx.NewSelect().Table("indicator_groups").Count(ctx)
		if err != nil {
			return fmt.Errorf("kpi: counting the groups: %w", err)
		}
		if n >= MaxGroups {
			return inField("code", store.Errorf(store.Invalid, "đã có %d nhóm chỉ tiêu, tối đa %d", "there are %d indicator groups already, at most %d", n, MaxGroups))
		}
		return nil
	}
	var total, inGroup int
	if err := tx.NewRaw("SELECT COUNT(*), COALESCE(SUM(CASE WHEN group_id = ? THEN 1 ELSE 0 END), 0) FROM indicators", group).
		Scan(ctx, &total, &inGroup); err != nil {
		return fmt.Errorf("kpi: counting the indicators: %w", err)
	}
	if newIndicator && total >= MaxIndicators {
		return inField("code", store.Errorf(store.Invalid, "đã có %d chỉ tiêu, tối đa %d", "there are %d indicators already, at most %d", total, MaxIndicators))
	}
	if inGroup >= MaxGroupIndicators {
		return inField("group", store.Errorf(store.Invalid, "nhóm đã có %d chỉ tiêu, tối đa %d", "the group has %d indicators already, at most %d", inGroup, MaxGroupIndicators))
	}
	return nil
}

// inField names the input field e is about.
func inField(field string, e *store.Error) *store.Error {
	e.Field = field
	return e
}

func conflictCode(err error, field, code string) error {
	if store.IsUniqueViolation(err) {
		return &store.Error{Code: store.Conflict, Field: field, Message: fmt.Sprintf("mã %q đã được dùng", code), English: fmt.Sprintf("the code %q is taken", code)}
	}
	return err
}

// aggregations lists the aggregations each kind may use.
var aggregations = map[Kind][]Aggregation{
	Count:   {Sum, Latest},
	Amount:  {Sum, Latest},
	Ratio:   {RatioOfSums},
	Percent: {RatioOfSums},
	Boolean: {ShareOfUnits},
}

// Validate checks an indicator before it is stored.
func (ind *Indicator) Validate() error {
	if !codeRE.MatchString(ind.Code) {
		return invalid("code", "mã chỉ tiêu chỉ gồm chữ, số, dấu chấm, gạch ngang, tối đa 32 ký tự", "an indicator code is letters, digits, dots and dashes, at most 32")
	}
	allowed, ok := aggregations[ind.Kind]
	if !ok {
		return invalid("kind", fmt.Sprintf("loại %q không hợp lệ", ind.Kind), fmt.Sprintf("unknown kind %q", ind.Kind))
	}
	found := false
	for _, a := range allowed {
		found = found || a == ind.Aggregation
	}
	if !found {
		return invalid("aggregation", fmt.Sprintf("chỉ tiêu loại %s cộng dồn theo %v, không theo %s (tỷ lệ không bao giờ lấy trung bình)", ind.Kind, allowed, ind.Aggregation),
			fmt.Sprintf("a %s indicator rolls up by %v, not %s (ratios are never averaged)", ind.Kind, allowed, ind.Aggregation))
	}
	switch ind.PeriodType {
	case Month, Quarter, Year:
	default:
		return invalid("periodType", fmt.Sprintf("kỳ %q không hợp lệ", ind.PeriodType), fmt.Sprintf("unknown period type %q", ind.PeriodType))
	}
	if ind.Direction != HigherIsBetter && ind.Direction != LowerIsBetter {
		return invalid("direction", fmt.Sprintf("chiều %q không hợp lệ", ind.Direction), fmt.Sprintf("unknown direction %q", ind.Direction))
	}
	if len(ind.ReportingKinds) == 0 {
		return invalid("reportingUnitKinds", "cần ít nhất một loại đơn vị báo cáo", "name at least one kind of reporting unit")
	}
	if ind.DueDays < 0 || ind.DueDays > 366 {
		return invalid("dueDays", "số ngày hạn nộp phải trong khoảng 0–366", "dueDays must be within 0–366")
	}
	for _, n := range []struct {
		field string
		f     *float64
	}{{"min", ind.Min}, {"max", ind.Max}, {"jumpThreshold", ind.JumpThreshold}, {"weight", &ind.Weight}} {
		if n.f != nil {
			if err := checkField(n.field, "chỉ tiêu "+ind.Code+": "+n.field, "indicator "+ind.Code+": "+n.field, *n.f); err != nil {
				return err
			}
		}
	}
	if ind.Min != nil && ind.Max != nil && *ind.Min > *ind.Max {
		return invalid("max", "max nhỏ hơn min", "max is below min")
	}
	if ind.JumpThreshold != nil && *ind.JumpThreshold <= 0 {
		return invalid("jumpThreshold", "ngưỡng biến động phải lớn hơn 0 (phần trăm)", "jumpThreshold must be above 0 (percent)")
	}
	if ind.Weight < 0 || ind.Weight > 1000 {
		return invalid("weight", "trọng số phải trong khoảng 0–1000", "weight must be within 0–1000")
	}
	return nil
}

// SaveIndicator creates (ID 0) or edits an indicator (CONFIGURE_KPI on the
// national unit), audited with before and after. Its kind, period type and
// aggregation cannot change once it has values (they would no longer read
// as entered).
func (s *Service) SaveIndicator(ctx context.Context, actor *auth.Identity, in Indicator) (*Indicator, error) {
	if err := signedIn(actor); err != nil {
		return nil, err
	}
	if err := s.must(actor, rbac.RootPath, rbac.ConfigureKPI); err != nil {
		return nil, err
	}
	ind := in
	var err error
	if ind.Name, err = cleanText("name", in.Name, 500, true); err != nil {
		return nil, err
	}
	if ind.NameEn, err = cleanText("nameEn", in.NameEn, 500, false); err != nil {
		return nil, err
	}
	if ind.Unit, err = cleanText("unit", in.Unit, 50, true); err != nil {
		return nil, err
	}
	if ind.SourceNote, err = cleanText("sourceNote", in.SourceNote, MaxComment, false); err != nil {
		return nil, err
	}
	ind.Code = store.NFC(in.Code)
	if err := ind.Validate(); err != nil {
		return nil, err
	}
	ind.Source, ind.UpdatedAt, ind.Version = store.SourceUser, s.clock(), 1
	err = s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		n, err := tx.NewSelect().Model((*Group)(nil)).Where("g.id = ?", ind.GroupID).Count(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return &store.Error{Code: store.NotFound, Field: "group", Message: "không tìm thấy nhóm chỉ tiêu", English: "indicator group not found"}
		}
		var before *Indicator
		if in.ID != 0 {
			before = new(Indicator)
			if err := tx.NewSelect().Model(before).Where("i.id = ?", in.ID).Scan(ctx); err != nil {
				if store.IsNoRows(err) {
					return &store.Error{Code: store.NotFound, Field: "id", Message: "không tìm thấy chỉ tiêu", English: "indicator not found"}
				}
				return err
			}
			if before.Kind != ind.Kind || before.PeriodType != ind.PeriodType || before.Aggregation != ind.Aggregation || before.OwnValueWins != ind.OwnValueWins {
				has, err := tx.NewSelect().Table("data_values").Where("indicator_id = ?", in.ID).Exists(ctx)
				if err != nil {
					return err
				}
				if has {
					return invalid("kind", "chỉ tiêu đã có số liệu: không đổi được loại, kỳ, cách cộng dồn", "the indicator has values: its kind, period type and roll-up cannot change")
				}
			}
			if before.GroupID != ind.GroupID {
				if err := checkDefinitionRoom(ctx, tx, ind.GroupID, false); err != nil {
					return err
				}
			}
			ind.Version = before.Version + 1
			if _, err := tx.NewUpdate().Model(&ind).ExcludeColumn("id").WherePK().Exec(ctx); err != nil {
				return conflictCode(err, "code", ind.Code)
			}
		} else {
			if err := checkDefinitionRoom(ctx, tx, ind.GroupID, true); err != nil {
				return err
			}
			if _, err := tx.NewInsert().Model(&ind).Returning("id").Exec(ctx); err != nil {
				return conflictCode(err, "code", ind.Code)
			}
		}
		if err := store.IndexSearch(ctx, tx, store.SearchIndicator, ind.ID, ind.Code+" "+ind.Name+" "+ind.NameEn, ""); err != nil {
			return err
		}
		return store.Audit(ctx, tx, auth.AuditEntry(actor, ind.UpdatedAt, "kpi.indicator.save", "Indicator", ind.ID, rbac.RootPath),
			map[string]any{"before": before, "after": ind})
	})
	if err != nil {
		return nil, err
	}
	return &ind, nil
}

// TargetInput is a target to set; a nil Value removes it.
type TargetInput struct {
	IndicatorID int64
	OrgUnit     string
	Period      string
	Value       *float64
}

// SetTargets sets targets (CONFIGURE_KPI on each target's unit), all or
// none, audited. A target on the national unit applies to every unit that
// has none of its own.
func (s *Service) SetTargets(ctx context.Context, actor *auth.Identity, in []TargetInput) ([]*Target, error) {
	if err := signedIn(actor); err != nil {
		return nil, err
	}
	if len(in) == 0 || len(in) > MaxBatch {
		return nil, invalid("targets", fmt.Sprintf("cần từ 1 đến %d chỉ tiêu", MaxBatch), fmt.Sprintf("send 1 to %d targets", MaxBatch))
	}
	var out []*Target
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var ids []int64
		var codes []string
		for _, t := range in {
			ids, codes = append(ids, t.IndicatorID), append(codes, t.OrgUnit)
		}
		inds, err := indicatorsByID(ctx, tx, ids)
		if err != nil {
			return err
		}
		units, err := unitsInScope(ctx, tx, s.authz.ScopeOf(actor.Subject()), codes)
		if err != nil {
			return err
		}
		now := s.clock()
		for i, t := range in {
			f := fmt.Sprintf("targets.%d.", i)
			ind, u := inds[t.IndicatorID], units[t.OrgUnit]
			if ind == nil {
				return &store.Error{Code: store.NotFound, Field: f + "indicator", Message: "không tìm thấy chỉ tiêu", English: "indicator not found"}
			}
			if u.ID == 0 {
				return &store.Error{Code: store.NotFound, Field: f + "orgUnit", Message: fmt.Sprintf("không tìm thấy đơn vị %q", t.OrgUnit), English: fmt.Sprintf("org unit %q not found", t.OrgUnit)}
			}
			if err := s.must(actor, u.Path, rbac.ConfigureKPI); err != nil {
				return err
			}
			p, err := ParsePeriod(t.Period, f+"period")
			if err != nil {
				return err
			}
			if !ind.PeriodType.finer(p.Type) {
				return invalid(f+"period", fmt.Sprintf("chỉ tiêu %s theo %s: không đặt mục tiêu cho kỳ %s", ind.Code, periodVI[ind.PeriodType], t.Period),
					fmt.Sprintf("indicator %s is by %s: no target for period %s", ind.Code, periodVI[ind.PeriodType], t.Period))
			}
			if t.Value != nil {
				if err := checkField(f+"value", fmt.Sprintf("mục tiêu %s của %s kỳ %s", ind.Code, t.OrgUnit, t.Period),
					fmt.Sprintf("the target of %s for %s, %s", ind.Code, t.OrgUnit, t.Period), *t.Value); err != nil {
					return err
				}
			}
			if t.Value != nil && (*t.Value < 0 || (ind.Kind == Percent && *t.Value > 100)) {
				return invalid(f+"value", "mục tiêu không được âm (tỷ lệ: 0–100)", "a target cannot be negative (a percentage: 0–100)")
			}
			if _, err := tx.NewDelete().Model((*Target)(nil)).Where("indicator_id = ? AND org_unit_id = ? AND period = ?", ind.ID, u.ID, p.String()).Exec(ctx); err != nil {
				return err
			}
			detail := map[string]any{"indicator": ind.Code, "period": p.String(), "value": t.Value}
			if t.Value != nil {
				tg := &Target{IndicatorID: ind.ID, OrgUnitID: u.ID, Period: p.String(), Value: *t.Value, UpdatedAt: now}
				if _, err := tx.NewInsert().Model(tg).Returning("id").Exec(ctx); err != nil {
					return err
				}
				out = append(out, tg)
			}
			if err := store.Audit(ctx, tx, auth.AuditEntry(actor, now, "kpi.target.set", "Indicator", ind.ID, u.Path), detail); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
