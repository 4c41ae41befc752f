package reports

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"p06/auth"
	"p06/org"
	"p06/rbac"
	"p06/store"
)

// Causes of a snapshot.
const (
	Manual    = "MANUAL"    // a coordinator's freezeReports
	Scheduled = "SCHEDULED" // the first day of the month (FreezeLastMonth)
)

// SnapshotInfo is a frozen report, without its data.
type SnapshotInfo struct {
	bun.BaseModel `bun:"table:report_snapshots,alias:rs"`

	ID        int64      `bun:"id,pk,autoincrement"`
	OrgUnitID int64      `bun:"org_unit_id"`
	Period    string     `bun:"period"`
	AsOf      store.Date `bun:"as_of,type:text"`
	SHA256    string     `bun:"sha256"`
	Cause     string     `bun:"cause"`
	CreatedAt time.Time  `bun:"created_at"`
	CreatedBy int64      `bun:"created_by,nullzero"`
	UnitCode  string     `bun:"unit_code,scanonly"`

	store.SortKey
}

// snapshotRow is a snapshot with its data, as stored.
type snapshotRow struct {
	bun.BaseModel `bun:"table:report_snapshots,alias:rs"`
	SnapshotInfo
	Data string `bun:"data"`
}

// ReportUnits are the units in sc whose reports are exported and frozen:
// the nation, the ministries and the provinces, in that order.
func (s *Service) ReportUnits(ctx context.Context, sc rbac.Scope) ([]*org.Unit, error) {
	var out []*org.Unit
	for _, k := range []org.Kind{org.National, org.Ministry, org.Province} {
		us, err := s.unitsOf(ctx, sc, k)
		if err != nil {
			return nil, err
		}
		out = append(out, us...)
	}
	return out, nil
}

// SnapshotsOf returns the snapshots of period of units in sc, by unit id.
func (s *Service) SnapshotsOf(ctx context.Context, sc rbac.Scope, period string) (map[int64]*SnapshotInfo, error) {
	out := map[int64]*SnapshotInfo{}
	p := store.Page{Limit: store.MaxPage, SkipCount: true}
	for {
		page, info, err := s.ListSnapshots(ctx, sc, SnapshotFilter{Period: period}, p)
		if err != nil {
			return nil, err
		}
		for _, x := range page {
			out[x.OrgUnitID] = x
		}
		if !info.HasNext || len(page) == 0 {
			return out, nil
		}
		p.After = page[len(page)-1].Cursor
	}
}

// FreezeResult says what a freeze stored.
type FreezeResult struct {
	Period  Period
	Created int // snapshots stored now
	Kept    int // snapshots that were already there (never replaced)
}

// ProgrammeStart is the first day of the first month of Project 06
// (Quyết định 06/QĐ-TTg of 6 January 2022): no period before it is frozen.
var ProgrammeStart = store.MustDate("2022-01-01")

// Freeze stores the report of the nation, each ministry and each province
// for period p as it stands now, for those not frozen yet: on a
// coordinator's demand (actor holding FREEZE_REPORTS on the nation), or the
// scheduler's (actor nil, cause Scheduled). The period must have ended,
// and not before ProgrammeStart.
// The snapshots and one audit row (report.freeze) are written in one
// transaction; a snapshot is never replaced. Freezes take turns in the
// process, and each report they make takes a place among the reports and
// charts being made (P06_REPORT_CONCURRENCY).
func (s *Service) Freeze(ctx context.Context, actor *auth.Identity, p Period, cause string) (*FreezeResult, error) {
	if cause == Manual {
		if actor == nil {
			return nil, store.Errorf(store.Unauthenticated, "cần đăng nhập", "sign-in required")
		}
		if !s.auth.Authorizer().Can(actor.Subject(), rbac.RootPath, rbac.FreezeReports) {
			return nil, store.Errorf(store.Forbidden, "không có quyền chốt số liệu báo cáo", "not allowed to freeze reports")
		}
	}
	if !p.End.Before(s.today()) {
		return nil, invalid("period", fmt.Sprintf("kỳ %s chưa kết thúc: chỉ chốt số liệu của kỳ đã qua", p.Key),
			fmt.Sprintf("period %s has not ended: only past periods are frozen", p.Key))
	}
	if p.Start.Before(ProgrammeStart) {
		return nil, invalid("period", fmt.Sprintf("kỳ %s trước khi Đề án 06 bắt đầu (tháng 01/2022): không chốt số liệu", p.Key),
			fmt.Sprintf("period %s is before Project 06 began (January 2022): it is not frozen", p.Key))
	}
	turn, err := s.gate.freezeTurn(ctx)
	if err != nil {
		return nil, err
	}
	defer turn()
	units, err := s.ReportUnits(ctx, rbac.National())
	if err != nil {
		return nil, err
	}
	var have []int64
	if err := s.db.NewSelect().Model((*SnapshotInfo)(nil)).Column("org_unit_id").Where("period = ?", p.Key).Scan(ctx, &have); err != nil {
		return nil, fmt.Errorf("reports: snapshots of %s: %w", p.Key, err)
	}
	done := map[int64]bool{}
	for _, id := range have {
		done[id] = true
	}
	res := &FreezeResult{Period: p, Kept: len(have)}
	now := s.clock().UTC()
	var by int64
	if actor != nil {
		by = actor.User.ID
	}
	var rows []*snapshotRow
	for _, u := range units {
		if done[u.ID] {
			continue
		}
		release, err := s.gate.slot(ctx)
		if err != nil {
			return nil, err
		}
		rep, err := s.Build(ctx, rbac.National(), u.Code, p, true)
		release()
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(rep)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		rows = append(rows, &snapshotRow{SnapshotInfo: SnapshotInfo{OrgUnitID: u.ID, Period: p.Key, AsOf: rep.AsOf,
			SHA256: hex.EncodeToString(sum[:]), Cause: cause, CreatedAt: now, CreatedBy: by}, Data: string(b)})
	}
	err = s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		for _, r := range rows {
			res2, err := tx.NewInsert().Model(r).On("CONFLICT (org_unit_id, period) DO NOTHING").Returning("NULL").Exec(ctx)
			if err != nil {
				return fmt.Errorf("reports: storing snapshot: %w", err)
			}
			if n, _ := res2.RowsAffected(); n == 1 {
				res.Created++
			} else {
				res.Kept++ // frozen meanwhile by another process
			}
		}
		e := auth.AuditEntry(actor, now, "report.freeze", "report_snapshot", 0, rbac.RootPath)
		return store.Audit(ctx, tx, e, map[string]any{"period": p.Key, "cause": cause, "created": res.Created, "kept": res.Kept})
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// FreezeLastMonth freezes every unit's report for the month that ended
// before today: what the scheduler runs on the first day of each month
// (alerts/ and its gocron jobs call it; until then, freezeReports does it
// on demand).
func (s *Service) FreezeLastMonth(ctx context.Context) (*FreezeResult, error) {
	return s.Freeze(ctx, nil, MonthBefore(s.today()), Scheduled)
}

// Frozen reads back the snapshot of the unit code (in sc, NOT_FOUND
// otherwise) for the period key: the report exactly as it was frozen.
func (s *Service) Frozen(ctx context.Context, sc rbac.Scope, code, period string) (*Report, error) {
	u, err := s.orgs.UnitByCode(ctx, sc, code)
	if err != nil {
		return nil, err
	}
	row := new(snapshotRow)
	err = s.db.NewSelect().Model(row).Where("rs.org_unit_id = ? AND rs.period = ?", u.ID, period).Scan(ctx)
	if store.IsNoRows(err) {
		return nil, store.Errorf(store.NotFound, "chưa chốt số liệu kỳ %s của %s", "no frozen report of %[2]s for %[1]s", period, code)
	}
	if err != nil {
		return nil, fmt.Errorf("reports: snapshot: %w", err)
	}
	rep := new(Report)
	if err := json.Unmarshal([]byte(row.Data), rep); err != nil {
		return nil, fmt.Errorf("reports: snapshot %d: %w", row.ID, err)
	}
	info := row.SnapshotInfo
	info.UnitCode = u.Code
	rep.Frozen = &info
	return rep, nil
}

// SnapshotFilter narrows the list of snapshots.
type SnapshotFilter struct {
	Period   string
	UnitCode string
}

var snapshotOrder = store.Order{Name: "reportSnapshots", Desc: true,
	Keys: []store.Key{{Expr: "rs.period", Kind: store.KeyText}, {Expr: "rs.id"}}}

// ListSnapshots returns a page of the snapshots of units in sc, newest
// period first.
func (s *Service) ListSnapshots(ctx context.Context, sc rbac.Scope, f SnapshotFilter, p store.Page) ([]*SnapshotInfo, store.PageInfo, error) {
	var out []*SnapshotInfo
	cond, args := sc.ReadFilter("u.path")
	q := s.db.NewSelect().Model(&out).ColumnExpr("rs.id, rs.org_unit_id, rs.period, rs.as_of, rs.sha256, rs.cause, rs.created_at, rs.created_by, u.code AS unit_code").
		Join("JOIN org_units AS u ON u.id = rs.org_unit_id").Where(cond, args...)
	if f.Period != "" {
		q = q.Where("rs.period = ?", f.Period)
	}
	if f.UnitCode != "" {
		q = q.Where("u.code = ?", f.UnitCode)
	}
	info, err := store.List(ctx, q, &out, snapshotOrder, p)
	if err != nil {
		return nil, info, fmt.Errorf("reports: listing snapshots: %w", err)
	}
	return out, info, nil
}
