package alerts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"p06/rbac"
	"p06/store"
)

// Digester sends the daily e-mail digest of alerts (job alert-digest): to
// each user with an e-mail address who has not opted out (setAlertDigest),
// at most once a day, the open alerts not yet acknowledged of the units
// where they may acknowledge alerts, the new ones (raised since their last
// digest, or in the last day) first. Those who may acknowledge alerts for
// the whole country (coordinators, administrators) get only the escalated
// ones (OVERDUE_30_DAYS of a province or ministry). Nobody gets an empty
// digest.
type Digester struct {
	s      *Store
	mail   Mailer
	link   func(alertID int64) string
	all    string // the link to every open alert
	Listed int    // alerts listed per section at most
}

// NewDigester sends digests with mail; link gives the address of an alert
// and all the address of the alerts list.
func NewDigester(s *Store, mail Mailer, link func(alertID int64) string, all string) *Digester {
	return &Digester{s: s, mail: mail, link: link, all: all, Listed: 50}
}

// digestAlert is an alert as a digest lists it.
type digestAlert struct {
	ID       int64      `bun:"id"`
	Kind     Kind       `bun:"kind"`
	DueDate  store.Date `bun:"due_date"`
	RaisedAt time.Time  `bun:"raised_at"`
	Unit     string     `bun:"unit"`
	// What the alert is about (described).
	Task       string `bun:"task"`
	Indicator  string `bun:"indicator"`
	Assignment int64  `bun:"assignment"`
	Period     string `bun:"period"`
}

type recipient struct {
	ID          int64  `bun:"id"`
	Email       string `bun:"email"`
	DisplayName string `bun:"display_name"`
}

// Job is the alert-digest job: one digest per recipient for today.
func (d *Digester) Job(ctx context.Context, runID int64) (map[string]int, error) {
	now := d.s.clock()
	day := store.DateOf(now)
	counts := map[string]int{"sent": 0, "alreadySent": 0, "failed": 0}
	if err := d.s.authz.Refresh(ctx); err != nil {
		return counts, err
	}
	var rs []recipient
	if err := d.s.db.NewSelect().Table("users").Column("id", "email", "display_name").
		Where("email <> '' AND NOT disabled AND alert_digest").OrderExpr("id").Scan(ctx, &rs); err != nil {
		return counts, fmt.Errorf("alerts: digest recipients: %w", err)
	}
	var errs []error
	for _, r := range rs {
		if err := ctx.Err(); err != nil {
			return counts, err
		}
		sent, err := d.send(ctx, r, day, now, runID)
		switch {
		case err != nil:
			counts["failed"]++
			errs = append(errs, fmt.Errorf("digest to user %d: %w", r.ID, err))
		case sent == errAlreadySent:
			counts["alreadySent"]++
		case sent == nil:
			counts["sent"]++
		}
	}
	return counts, errors.Join(errs...)
}

var (
	errAlreadySent = errors.New("already sent")
	errNothing     = errors.New("nothing to send")
)

// send sends r's digest for day unless it was sent (errAlreadySent) or
// there is nothing in it (errNothing): the first result is that outcome
// (nil: sent), the second a failure. The day's row is claimed (inserted
// and committed) before sending; a failed send removes it so a later run
// tries again; a process that dies while sending leaves it, so a digest is
// never sent twice.
func (d *Digester) send(ctx context.Context, r recipient, day store.Date, now time.Time, runID int64) (error, error) {
	domains := d.s.authz.Permissions(rbac.Subject(r.ID))[rbac.AcknowledgeAlert]
	if len(domains) == 0 {
		return errNothing, nil
	}
	var below []string
	national := false
	for _, p := range domains {
		if p == rbac.RootPath {
			national = true
		} else {
			below = append(below, p)
		}
	}
	cond, args := rbac.Scope{Read: below}.ReadFilter("u.path")
	if national {
		cond = "(" + cond + " OR alr.escalated)"
	}
	var since time.Time
	err := d.s.db.NewSelect().Table("alert_digests").Column("sent_at").Where("user_id = ?", r.ID).
		OrderExpr("id DESC").Limit(1).Scan(ctx, &since)
	switch {
	case store.IsNoRows(err):
		since = now.Add(-24 * time.Hour)
	case err != nil:
		return nil, fmt.Errorf("alerts: the last digest: %w", err)
	}
	list := func(newOnes bool) ([]digestAlert, int, error) {
		q := described(d.s.db.NewSelect().TableExpr("alerts AS alr").
			Join("JOIN org_units AS u ON u.id = alr.org_unit_id").
			ColumnExpr("alr.id, alr.kind, alr.due_date, alr.raised_at, u.name AS unit")).
			Where(cond, args...).Where("alr.resolved_at IS NULL AND alr.acknowledged_at IS NULL")
		if newOnes {
			q = q.Where("alr.raised_at > ?", since.UTC())
		} else {
			q = q.Where("alr.raised_at <= ?", since.UTC())
		}
		var as []digestAlert
		n, err := q.OrderExpr("alr.due_date, alr.id").Limit(int64(d.Listed)).ScanAndCount(ctx, &as)
		return as, int(n), err
	}
	fresh, nFresh, err := list(true)
	if err != nil {
		return nil, fmt.Errorf("alerts: digest: %w", err)
	}
	open, nOpen, err := list(false)
	if err != nil {
		return nil, fmt.Errorf("alerts: digest: %w", err)
	}
	if nFresh+nOpen == 0 {
		return errNothing, nil
	}
	claim, err := d.s.db.NewRaw("INSERT INTO alert_digests (user_id, day, sent_at, alert_count, job_run_id) VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id, day) DO NOTHING",
		r.ID, day.String(), now.UTC(), nFresh+nOpen, runID).Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("alerts: claiming the digest: %w", err)
	}
	if n, _ := claim.RowsAffected(); n == 0 {
		return errAlreadySent, nil
	}
	m := Message{To: r.Email, Date: now, Subject: fmt.Sprintf("Đề án 06: %d cảnh báo hạn ngày %s", nFresh+nOpen, viDate(day)),
		Body: d.body(r, fresh, nFresh, open, nOpen)}
	if err := d.mail.Send(ctx, m); err != nil {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, derr := d.s.db.NewDelete().Table("alert_digests").Where("user_id = ? AND day = ?", r.ID, day.String()).Exec(ctx); derr != nil {
			return nil, errors.Join(err, derr)
		}
		return nil, err
	}
	return nil, nil
}

// kindText is how a digest names a kind.
var kindText = map[Kind]string{
	DueIn7Days:    "còn 4–7 ngày đến hạn",
	DueIn3Days:    "còn 2–3 ngày đến hạn",
	DueIn1Day:     "đến hạn hôm nay hoặc ngày mai",
	Overdue:       "quá hạn",
	Overdue30Days: "quá hạn từ 30 ngày",
	ReportDue:     "chưa nộp số liệu chỉ tiêu",
}

func (d *Digester) body(r recipient, fresh []digestAlert, nFresh int, open []digestAlert, nOpen int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Kính gửi %s,\n\n", r.DisplayName)
	section := func(title string, as []digestAlert, n int) {
		if n == 0 {
			return
		}
		fmt.Fprintf(&b, "%s (%d):\n\n", title, n)
		for _, a := range as {
			what := a.Task
			if a.Indicator != "" {
				what = fmt.Sprintf("%s (%s), kỳ %s", a.Task, a.Indicator, a.Period)
			}
			fmt.Fprintf(&b, "- [%s] %s\n  Đơn vị: %s. Hạn: %s.\n  %s\n", kindText[a.Kind], what, a.Unit, viDate(a.DueDate), d.link(a.ID))
		}
		if n > len(as) {
			fmt.Fprintf(&b, "… và %d cảnh báo khác.\n", n-len(as))
		}
		b.WriteString("\n")
	}
	section("Cảnh báo mới", fresh, nFresh)
	section("Cảnh báo chưa được xử lý", open, nOpen)
	fmt.Fprintf(&b, "Xem tất cả cảnh báo: %s\n\n", d.all)
	b.WriteString("Thư này được gửi tự động mỗi ngày một lần. Để ngừng nhận, dùng setAlertDigest(input: {subscribed: false}).\n")
	return store.NFC(b.String())
}

// viDate writes d as Vietnamese text does: 05/03/2026.
func viDate(d store.Date) string { return fmt.Sprintf("%02d/%02d/%d", d.Day, int(d.Month), d.Year) }
