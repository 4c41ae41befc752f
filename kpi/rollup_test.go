package kpi_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/uptrace/bun"

	"p06/kpi"
	"p06/seeds/seedtest"
	"p06/store/storetest"
)

// The roll-ups kept on write (ApplyOwn, value by value, in any order, with
// corrections and removals) are the ones computed in one go from the values
// (Build, through Rebuild): Rebuild finds nothing to change.
func TestApplyOwnIsBuild(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			db := seedtest.Fresh(t, d)
			ctx := context.Background()
			for _, code := range []string{"P06.01", "P06.08", "P06.03"} {
				ind := new(kpi.Indicator)
				if err := db.NewSelect().Model(ind).Where("i.code = ?", code).Scan(ctx); err != nil {
					t.Fatal(err)
				}
				var vs []struct {
					Path   string    `bun:"path"`
					Period string    `bun:"period"`
					State  kpi.State `bun:"state"`
					Value  *float64  `bun:"value"`
					Num    *float64  `bun:"numerator"`
					Den    *float64  `bun:"denominator"`
				}
				if err := db.NewSelect().TableExpr("data_values AS dv").Join("JOIN org_units AS u ON u.id = dv.org_unit_id").
					ColumnExpr("u.path, dv.period, dv.state, dv.value, dv.numerator, dv.denominator").
					Where("dv.indicator_id = ? AND dv.period IN ('2023-11', '2023-12')", ind.ID).Scan(ctx, &vs); err != nil {
					t.Fatal(err)
				}
				if len(vs) == 0 {
					t.Fatalf("%s: no values", code)
				}
				if _, err := db.NewDelete().TableExpr("kpi_rollups").Where("indicator_id = ? AND period IN ('2023-11', '2023-12')", ind.ID).Exec(ctx); err != nil {
					t.Fatal(err)
				}
				r := rand.New(rand.NewPCG(1, uint64(len(code))))
				r.Shuffle(len(vs), func(i, j int) { vs[i], vs[j] = vs[j], vs[i] })
				var changes []kpi.OwnChange
				flush := func() {
					err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error { return kpi.ApplyOwn(ctx, tx, d, changes) })
					if err != nil {
						t.Fatal(err)
					}
					changes = nil
				}
				for i, v := range vs {
					dv := &kpi.DataValue{State: v.State, Value: v.Value, Numerator: v.Num, Denominator: v.Den}
					if i%3 == 0 {
						// first a wrong figure, submitted only, corrected below
						wrong := *dv
						wrong.State = kpi.Submitted
						if wrong.Value != nil {
							x := *wrong.Value + 7
							wrong.Value = &x
						} else {
							x := *wrong.Numerator / 2
							wrong.Numerator = &x
						}
						changes = append(changes, kpi.ChangesOf(ind, v.Path, v.Period, nil, &wrong)...)
						flush()
						changes = append(changes, kpi.ChangesOf(ind, v.Path, v.Period, &wrong, dv)...)
					} else {
						changes = append(changes, kpi.ChangesOf(ind, v.Path, v.Period, nil, dv)...)
					}
					if i%5 == 0 {
						// entered, then removed, then entered again
						flush()
						changes = append(changes, kpi.ChangesOf(ind, v.Path, v.Period, dv, nil)...)
						flush()
						changes = append(changes, kpi.ChangesOf(ind, v.Path, v.Period, nil, dv)...)
					}
					if r.IntN(4) == 0 {
						flush()
					}
				}
				flush()
				var written, changed int
				err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
					var err error
					written, changed, err = kpi.Rebuild(ctx, tx, d, ind)
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				if written == 0 || changed != 0 {
					t.Errorf("%s: Rebuild wrote %d rows and changed %d of those kept on write", code, written, changed)
				}
				// A figure off in its last digits (drift) is found and set right.
				if _, err := db.NewUpdate().TableExpr("kpi_rollups").Set("e_num = e_num + 0.000001, e_value = e_value + 0.000001").
					Where("indicator_id = ? AND period = '2023-12' AND class = 1 AND org_unit_id = (SELECT id FROM org_units WHERE code = 'VN')", ind.ID).Exec(ctx); err != nil {
					t.Fatal(err)
				}
				if err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
					_, changed, err = kpi.Rebuild(ctx, tx, d, ind)
					return err
				}); err != nil || changed != 1 {
					t.Errorf("%s: drift: changed %d, %v", code, changed, err)
				}
			}
		})
	}
}
