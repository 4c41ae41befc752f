package jobs

import (
	"context"
	"fmt"
	"time"

	"p06/reports"
)

// JobFreeze is the monthly freeze of the reports: on the first day of each
// month, every unit's report for the month just ended is stored
// (reports.Service.FreezeLastMonth). A unit's month is stored once: the
// snapshots' unique key (unit, period) keeps the first, so a second run, a
// manual runJob or another process running it at the same time adds
// nothing.
const JobFreeze = "report-freeze"

// DefaultFreezeAt is the time of day (Asia/Ho_Chi_Minh) of the freeze.
const DefaultFreezeAt = "06:00"

// FreezeJob is the freeze job at the time of day at ("06:00") on the first
// of each month, freezing through svc.
func FreezeJob(svc *reports.Service, at string) (Job, error) {
	t, err := time.Parse("15:04", at)
	if err != nil {
		return Job{}, fmt.Errorf("jobs: %s: time of day %q is not HH:MM", JobFreeze, at)
	}
	return Job{Name: JobFreeze, Cron: fmt.Sprintf("%d %d 1 * *", t.Minute(), t.Hour()),
		Run: func(ctx context.Context, _ int64) (map[string]int, error) {
			res, err := svc.FreezeLastMonth(ctx)
			if err != nil {
				return nil, err
			}
			return map[string]int{"created": res.Created, "kept": res.Kept}, nil
		}}, nil
}
