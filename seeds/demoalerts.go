package seeds

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"p06/store"
	"p06/tasks"
)

// DemoAlertsDocument is the number of the demo plan whose tasks fall due
// around the day the database is seeded, so that whoever tries the demo
// sees every kind of alert that day. Its number is fixed: seeding again on
// a later day adds nothing.
const DemoAlertsDocument = "99/KH-DEMO"

// demoAlertTasks are the demo plan's tasks: each is due dueIn days after
// the seeding day, not started, led by one unit that a demo user edits.
var demoAlertTasks = []struct {
	title string
	dueIn int    // days after the seeding day
	lead  string // unit code
	coord string
}{
	{"[DEMO] Rà soát, làm sạch dữ liệu hộ tịch trên địa bàn (còn 6 ngày: cảnh báo 7 ngày)", 6, "01", "BTP"},
	{"[DEMO] Báo cáo tiến độ cấp tài khoản định danh điện tử mức 2 (còn 3 ngày)", 3, "BCA", ""},
	{"[DEMO] Kết nối hệ thống một cửa điện tử với Cơ sở dữ liệu quốc gia về dân cư (đến hạn ngày mai)", 1, "46", ""},
	{"[DEMO] Tổ chức tập huấn sử dụng ứng dụng VNeID cho cán bộ cấp xã (quá hạn 5 ngày)", -5, "BTP", ""},
	{"[DEMO] Hoàn thành số hoá hồ sơ giải quyết thủ tục hành chính còn hiệu lực (quá hạn 40 ngày: báo cáo lên cơ quan phối hợp)", -40, "01", "BCA"},
}

// loadDemoAlerts adds the demo plan DemoAlertsDocument with its tasks, due
// relative to today (the seeding clock), unless it is stored.
func loadDemoAlerts(ctx context.Context, tx bun.Tx, ts *tasks.Store, clock store.Clock, units map[string]int64, stored map[string]bool, rep *Report) error {
	if stored[DemoAlertsDocument] {
		return nil
	}
	today := store.DateOf(clock())
	issued := today.AddDays(-60)
	d := &tasks.Document{Kind: tasks.KeHoach, Number: DemoAlertsDocument, IssueDate: issued, Issuer: "Cục C06 Bộ Công an",
		Title:  "Kế hoạch thử nghiệm cảnh báo hạn (DEMO): hạn của các nhiệm vụ tính từ ngày nạp dữ liệu mẫu",
		Source: store.SourceDemo, Note: "DEMO: due dates relative to the seeding day, so every alert kind shows"}
	if err := ts.CreateDocument(ctx, d); err != nil {
		return fmt.Errorf("%s: %w", DemoAlertsDocument, err)
	}
	rep.Documents++
	for i, dt := range demoAlertTasks {
		due := today.AddDays(dt.dueIn)
		t := &tasks.Task{DocumentID: d.ID, SortOrder: i + 1, Clause: fmt.Sprintf("Mục %d", i+1), Title: dt.title,
			DeadlineText: fmt.Sprintf("trước ngày %d/%d/%d", due.Day, int(due.Month), due.Year),
			Source:       store.SourceDemo, Note: "DEMO", RecordedOn: issued}
		var as []tasks.NewAssignment
		for _, c := range []struct {
			code string
			role tasks.Role
		}{{dt.lead, tasks.Lead}, {dt.coord, tasks.Coordinate}} {
			if c.code == "" {
				continue
			}
			id, ok := units[c.code]
			if !ok {
				return fmt.Errorf("%s: unknown org unit code %q", DemoAlertsDocument, c.code)
			}
			as = append(as, tasks.NewAssignment{OrgUnitID: id, Role: c.role, State: tasks.NotStarted})
		}
		if err := ts.CreateTask(ctx, t, as); err != nil {
			return fmt.Errorf("%s: %w", DemoAlertsDocument, err)
		}
		rep.Tasks++
		rep.Assignments += len(as)
	}
	return nil
}
