package alerts_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"p06/alerts"
	"p06/alerts/alertstest"
	"p06/auth"
	"p06/rbac"
	"p06/store"
	"p06/store/storetest"
)

// Webhooks: an administrator of a unit registers one; each alert raised
// about the unit (or below it) is delivered once, signed; a failing
// receiver is retried with exponential backoff until it gives up, and a
// webhook failing again and again is disabled; all in the delivery log.
// Internal targets are refused unless allowed, at registration for an
// address and at delivery for a name that resolves to one.
func TestWebhooksDeliverOnceSignedWithRetries(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := f.ctx
		authz, err := rbac.NewAuthorizer(ctx, db, 0)
		if err != nil {
			t.Fatal(err)
		}
		svc := auth.NewService(db, authz, func() time.Time { return f.now }, auth.DefaultConfig)
		identity := func(name string, role rbac.Role, on string) *auth.Identity {
			u, err := svc.CreateUser(ctx, nil, auth.NewUser{Username: name, DisplayName: name, OrgUnit: on, Password: "mật-khẩu-dài-đủ"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.GrantRole(ctx, nil, u.ID, role, on); err != nil {
				t.Fatal(err)
			}
			return &auth.Identity{User: u, Method: auth.MethodSession}
		}
		admin := identity("admin46", rbac.Admin, "46")
		editor := identity("editor46", rbac.ProvinceEditor, "46")
		if err := f.al.Authorizer().Reload(ctx); err != nil {
			t.Fatal(err)
		}
		clock := func() time.Time { return f.now }
		ok := alertstest.NewReceiver(t, "a-secret-of-16-chars", clock)
		failing := alertstest.NewReceiver(t, "another-secret-16-chars", clock)
		failing.Answer(http.StatusInternalServerError)

		wh := alerts.NewWebhooks(f.al, true)
		if _, err := wh.Create(ctx, editor, "46", ok.URL, "a-secret-of-16-chars"); store.ErrorCode(err) != store.Forbidden {
			t.Fatalf("an editor registering a webhook: %v", err)
		}
		if _, err := wh.Create(ctx, admin, "BTP", ok.URL, "a-secret-of-16-chars"); store.ErrorCode(err) != store.NotFound {
			t.Fatalf("registering for a unit out of scope: %v", err)
		}
		// A code no unit can have is INVALID, quoted clipped, before any lookup.
		long := strings.Repeat("46-", 40)
		var se *store.Error
		if _, err := wh.Create(ctx, admin, long, ok.URL, "a-secret-of-16-chars"); !errors.As(err, &se) || se.Code != store.Invalid ||
			se.Field != "orgUnit" || strings.Contains(se.Message, long) || strings.Contains(se.English, long) {
			t.Fatalf("registering for an invalid unit code: %v", err)
		}
		if _, err := wh.Create(ctx, admin, "46", ok.URL, "short"); store.ErrorCode(err) != store.Invalid {
			t.Fatalf("a short secret: %v", err)
		}
		good, err := wh.Create(ctx, admin, "46", ok.URL, "a-secret-of-16-chars")
		if err != nil {
			t.Fatal(err)
		}
		bad, err := wh.Create(ctx, admin, "46", failing.URL, "another-secret-16-chars")
		if err != nil {
			t.Fatal(err)
		}

		f.task("ngày 5/12/2026", "46", "BTP")
		f.scan("2026-12-01")
		deliver := func() map[string]int {
			t.Helper()
			c, err := wh.Job(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		if c := deliver(); c["delivered"] != 1 || c["retry"] != 1 {
			t.Fatalf("first delivery run: %v", c)
		}
		got, badSig := ok.Take()
		if len(got) != 1 || len(badSig) != 0 || got[0].Event != "alert.raised" || got[0].Alert.Kind != alerts.DueIn7Days ||
			got[0].Alert.OrgUnit != "46" || got[0].Alert.DueDate != "2026-12-05" || got[0].Alert.Task != "Nhiệm vụ thử 1" {
			t.Fatalf("the receiver got %+v (bad signatures %v)", got, badSig)
		}
		if c := deliver(); c["delivered"]+c["retry"] != 0 {
			t.Fatalf("a rerun at once: %v", c)
		}
		f.scan("2026-12-01") // a rescan raises nothing, so queues nothing
		if c := deliver(); c["delivered"]+c["retry"] != 0 {
			t.Fatalf("after a rescan: %v", c)
		}
		// The failing receiver: tried again after 1, 2, 4, … minutes; the
		// eighth failure gives up.
		var waits []string
		for i := 0; i < alerts.MaxAttempts-1; i++ {
			var next time.Time
			if err := db.NewRaw("SELECT next_at FROM webhook_deliveries WHERE webhook_id = ?", bad.ID).Scan(ctx, &next); err != nil {
				t.Fatal(err)
			}
			waits = append(waits, next.Sub(f.now).String())
			f.now = next.Add(-time.Second)
			if c := deliver(); c["retry"] != 0 {
				t.Fatalf("tried before its time: %v", c)
			}
			f.now = next
			c := deliver()
			if want := "retry"; i == alerts.MaxAttempts-2 {
				want = "failed"
				if c[want] != 1 {
					t.Fatalf("attempt %d: %v, want %s", i+2, c, want)
				}
			} else if c[want] != 1 {
				t.Fatalf("attempt %d: %v, want %s", i+2, c, want)
			}
		}
		if strings.Join(waits, " ") != "1m0s 2m0s 4m0s 8m0s 16m0s 32m0s 1h4m0s" {
			t.Fatalf("waits between attempts %v", waits)
		}
		if got, _ := failing.Take(); len(got) != alerts.MaxAttempts {
			t.Fatalf("the failing receiver got %d attempts, want %d", len(got), alerts.MaxAttempts)
		}
		ds, _, err := wh.Deliveries(ctx, admin, 0, store.Page{Limit: 10})
		if err != nil || len(ds) != 2 {
			t.Fatalf("delivery log: %v %v", ds, err)
		}
		for _, d := range ds {
			want := alerts.Delivered
			if d.WebhookID == bad.ID {
				want = alerts.GaveUp
			}
			if d.State != want || (want == alerts.GaveUp && (d.Attempts != alerts.MaxAttempts || d.StatusCode != 500 || !strings.Contains(d.Error, "500"))) {
				t.Fatalf("delivery %+v, want %s", d, want)
			}
		}
		if ds, _, err := wh.Deliveries(ctx, editor, 0, store.Page{Limit: 10}); err != nil || len(ds) != 0 {
			t.Fatalf("an editor reads the delivery log: %v %v", ds, err)
		}

		// Failing again and again disables the webhook: nothing more is
		// queued for it.
		if _, err := db.NewRaw("UPDATE webhooks SET failures = ? WHERE id = ?", alerts.DisableAfter-1, bad.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		f.scan("2026-12-03")
		if c := deliver(); c["delivered"] != 1 || c["disabled"] != 1 {
			t.Fatalf("run that disables: %v", c)
		}
		f.scan("2026-12-06")
		if c := deliver(); c["delivered"] != 1 || c["retry"] != 0 {
			t.Fatalf("after disabling: %v", c)
		}
		if _, err := wh.Delete(ctx, admin, good.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := wh.Delete(ctx, admin, good.ID); store.ErrorCode(err) != store.NotFound {
			t.Fatalf("deleting twice: %v", err)
		}
		var audits int
		if err := db.NewRaw("SELECT COUNT(*) FROM audit_log WHERE action IN ('webhook.create', 'webhook.delete')").Scan(ctx, &audits); err != nil || audits != 3 {
			t.Fatalf("%d audit rows (%v), want 3", audits, err)
		}

		// Internal targets, P06_WEBHOOK_ALLOW_PRIVATE off: an address is
		// refused at once; a name is accepted, then refused when it
		// resolves to loopback at delivery.
		if got, _ := ok.Take(); len(got) != 2 {
			t.Fatalf("the receiver got %d more, want 2 (DUE_IN_3_DAYS, OVERDUE)", len(got))
		}
		strict := alerts.NewWebhooks(f.al, false)
		if _, err := strict.Create(ctx, admin, "46", ok.URL, "a-secret-of-16-chars"); store.ErrorCode(err) != store.Invalid {
			t.Fatalf("registering %s: %v", ok.URL, err)
		}
		for _, u := range []string{"http://169.254.169.254/latest", "http://10.1.2.3/", "http://[::1]:8080/", "ftp://example.com/", "http://user:pw@example.com/",
			"http://localhost/x", "http://LOCALHOST/", "http://localhost./", "http://foo.localhost/", "http://metadata.google.internal/",
			"http://printer.local/", "http://2130706433/", "http://0x7f000001/", "http://127.1/", "http://017700000001/", "http://0/",
			"http://[fe80::1%25eth0]/", "http://example.com:99999/", "http://example.com:0/",
			// IPv4 inside IPv6 (NAT64, 6to4, IPv4-compatible) and reserved blocks
			"http://[64:ff9b::a9fe:a9fe]/", "http://[64:ff9b::a00:1]/", "http://[64:ff9b:1::c0a8:1]/", "http://[2002:a00:1::]/",
			"http://[2002:7f00:1::]/", "http://[::127.0.0.1]/", "http://[::a00:1]/", "http://[::ffff:10.0.0.1]/", "http://240.0.0.1/",
			"http://255.255.255.255/", "http://198.18.0.1/", "http://192.0.0.1/", "http://[2001:db8::1]/"} {
			if err := alerts.CheckTarget(u, false); store.ErrorCode(err) != store.Invalid {
				t.Errorf("%s: %v", u, err)
			}
		}
		for _, u := range []string{"https://example.com/hook", "https://hooks.example.vn:8443/p06", "http://93.184.215.14/",
			"http://[64:ff9b::5db8:d70e]/", "http://[2606:4700::1111]/"} {
			if err := alerts.CheckTarget(u, false); err != nil {
				t.Errorf("%s: %v", u, err)
			}
		}
		// A name accepted when registered that resolves to loopback when
		// delivered (as after DNS rebinding) is refused then.
		byName := strings.Replace(ok.URL, "127.0.0.1", "localhost", 1)
		if _, err := alerts.NewWebhooks(f.al, true).Create(ctx, admin, "46", byName, "a-secret-of-16-chars"); err != nil {
			t.Fatal(err)
		}
		f.task("ngày 20/12/2026", "46")
		f.scan("2026-12-16")
		c, err := strict.Job(ctx, 0)
		if err != nil || c["delivered"] != 0 || c["retry"] != 1 {
			t.Fatalf("delivering to %s: %v %v", byName, c, err)
		}
		if got, _ := ok.Take(); len(got) != 0 {
			t.Fatalf("a refused delivery reached the receiver: %+v", got)
		}
		var msg string
		if err := db.NewRaw("SELECT error FROM webhook_deliveries ORDER BY id DESC LIMIT 1").Scan(ctx, &msg); err != nil || !strings.Contains(msg, "not public") {
			t.Fatalf("the refused delivery's error %q (%v)", msg, err)
		}
	})
}
