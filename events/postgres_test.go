package events

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"p06/store"
	"p06/store/storetest"
	"p06/tasks"
)

// On PostgreSQL, every change a process is told of after a commit reaches
// the subscribers of every process on the database, in order, however fast
// they come; and the changes still waiting to be sent when a process stops
// are sent before it does.
func TestPostgresTellsEveryProcess(t *testing.T) {
	t.Parallel()
	db := storetest.Fresh(t, store.Postgres)
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := NewPostgres(ctx, db, log)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := NewPostgres(ctx, db, log)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	subA, subB := a.Subscribe(1000), b.Subscribe(1000)
	// LISTEN is sent without waiting for PostgreSQL's answer: probe until
	// both processes hear (probes are skipped below).
	const probe = 1 << 40
	for heardA, heardB, deadline := false, false, time.Now().Add(10*time.Second); !heardA || !heardB; {
		if time.Now().After(deadline) {
			t.Fatal("the listeners never heard a probe")
		}
		a.Committed([]tasks.Change{{Assignment: probe, Kind: tasks.ChangeUpdated}})
		for wait := time.After(50 * time.Millisecond); ; {
			select {
			case <-subA.C():
				heardA = true
				continue
			case <-subB.C():
				heardB = true
				continue
			case <-wait:
			}
			break
		}
	}
	const n = 500
	for i := int64(1); i <= n; i++ {
		a.Committed([]tasks.Change{{Assignment: i, Kind: tasks.ChangeUpdated}})
	}
	expect := func(s *Subscription, from, to int64) {
		t.Helper()
		for i := from; i <= to; i++ {
			select {
			case c := <-s.C():
				if c.Assignment == probe {
					i--
					continue
				}
				if c.Assignment != i || c.Kind != tasks.ChangeUpdated {
					t.Fatalf("change %d: got %+v", i, c)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("change %d never arrived", i)
			}
		}
	}
	expect(subA, 1, n)
	expect(subB, 1, n)

	a.Committed([]tasks.Change{{Assignment: n + 1, Kind: tasks.ChangeUpdated}})
	a.Close()
	expect(subB, n+1, n+1)
}
