package alerts_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"p06/alerts"
	"p06/alerts/alertstest"
	"p06/auth"
	"p06/kpi"
	"p06/rbac"
	"p06/store"
	"p06/store/storetest"
)

// The digest at 07:30: one message a day per person with an address who has
// not opted out, in Vietnamese, with the open alerts of the units where
// they may acknowledge alerts (the escalated ones for a coordinator of the
// whole country), new ones first, each with its link; a rerun the same day
// sends nothing; a refused message is sent by a later run; the next day
// lists the same open alerts as still open.
func TestDigestOncePerRecipientPerDay(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := f.ctx
		user := f.user
		svc := auth.NewService(db, f.authz, func() time.Time { return f.now }, auth.DefaultConfig)
		user("hue1", "hue1@hue.gov.vn", "46", rbac.ProvinceEditor, "46")
		off := user("hue2", "hue2@hue.gov.vn", "46", rbac.ProvinceEditor, "46")
		user("hue3", "", "46", rbac.ProvinceEditor, "46")
		user("viewer", "viewer@hue.gov.vn", "46", rbac.Viewer, "46")
		user("c06", "c06@bca.gov.vn", "BCA", rbac.Coordinator, "VN")
		if u, err := svc.SetAlertDigest(ctx, &auth.Identity{User: off, Method: auth.MethodSession}, false); err != nil || u.AlertDigest {
			t.Fatalf("opting out: %v %v", u, err)
		}
		f.task("ngày 5/12/2026", "46", "BTP")
		f.task("ngày 15/10/2026", "46")
		f.indicator("T-1", kpi.Month, 10, "PROVINCE") // October's values, due 10/11, not sent
		f.scan("2026-12-01")

		box := alertstest.NewMailbox(t)
		smtpc, err := alerts.ParseSMTP(box.URL(), "Đề án 06 <canh-bao@de-an-06.gov.vn>")
		if err != nil {
			t.Fatal(err)
		}
		d := alerts.NewDigester(f.al, smtpc, func(id int64) string { return fmt.Sprintf("https://p06.test/alerts/%d", id) }, "https://p06.test/alerts")
		digest := func(at string) map[string]int {
			t.Helper()
			f.now, _ = time.ParseInLocation("2006-01-02 15:04", at, store.VN)
			run, err := f.al.StartRun(ctx, alerts.JobDigest, "MANUAL", "test", 0)
			if err != nil {
				t.Fatal(err)
			}
			counts, err := d.Job(ctx, run.ID)
			if err != nil && counts["failed"] == 0 {
				t.Fatal(err)
			}
			return counts
		}
		box.SetRefused("c06@bca.gov.vn", true)
		if c := digest("2026-12-02 07:30"); c["sent"] != 1 || c["failed"] != 1 {
			t.Fatalf("first run: %v, want 1 sent and 1 refused", c)
		}
		got := box.Take()
		if len(got) != 1 || got[0].To != "hue1@hue.gov.vn" {
			t.Fatalf("first run delivered %+v", got)
		}
		m := got[0]
		if m.Subject != "Đề án 06: 3 cảnh báo hạn ngày 02/12/2026" {
			t.Errorf("subject %q", m.Subject)
		}
		for _, want := range []string{"Kính gửi Người dùng hue1", "Cảnh báo mới (3)", "[còn 4–7 ngày đến hạn] Nhiệm vụ thử 1",
			"[chưa nộp số liệu chỉ tiêu] Chỉ tiêu thử T-1 (T-1), kỳ 2026-10\n  Đơn vị: Thừa Thiên Huế. Hạn: 10/11/2026.",
			"[quá hạn from 30 ngày]", "Hạn: 05/12/2026", "https://p06.test/alerts/", "Xem tất cả cảnh báo: https://p06.test/alerts"} {
			want = strings.Replace(want, "from", "từ", 1)
			if !strings.Contains(m.Body, want) {
				t.Errorf("the digest lacks %q:\n%s", want, m.Body)
			}
		}
		if strings.Contains(m.Body, "BTP") || strings.Contains(m.Body, "Bộ Tư pháp") {
			t.Errorf("the digest of Huế lists another unit's alert:\n%s", m.Body)
		}
		if a := box.Auth(); len(a) == 0 || a[0] != "|digest|s3cret" {
			t.Errorf("AUTH PLAIN sent %q", a)
		}

		box.SetRefused("c06@bca.gov.vn", false)
		if c := digest("2026-12-02 08:00"); c["sent"] != 1 || c["alreadySent"] != 1 || c["failed"] != 0 {
			t.Fatalf("rerun: %v, want the refused one sent and hue1's not again", c)
		}
		got = box.Take()
		if len(got) != 1 || got[0].To != "c06@bca.gov.vn" || !strings.Contains(got[0].Body, "Cảnh báo mới (1)") ||
			!strings.Contains(got[0].Body, "quá hạn từ 30 ngày") {
			t.Fatalf("the coordinator got %+v, want the escalated alert only", got)
		}
		if c := digest("2026-12-02 09:00"); c["sent"] != 0 || c["alreadySent"] != 2 {
			t.Fatalf("third run: %v", c)
		}
		if got := box.Take(); len(got) != 0 {
			t.Fatalf("a third run sent %+v", got)
		}
		if c := digest("2026-12-03 07:30"); c["sent"] != 2 {
			t.Fatalf("next day: %v", c)
		}
		for _, m := range box.Take() {
			if !strings.Contains(m.Body, "Cảnh báo chưa được xử lý") || strings.Contains(m.Body, "Cảnh báo mới") {
				t.Errorf("next day's digest to %s:\n%s", m.To, m.Body)
			}
		}
		var n int
		if err := db.NewRaw("SELECT COUNT(*) FROM alert_digests").Scan(ctx, &n); err != nil || n != 4 {
			t.Fatalf("%d digests recorded (%v), want 4", n, err)
		}
	})
}
