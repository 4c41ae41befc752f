package events

import (
	"errors"
	"strings"
	"testing"

	"p06/tasks"
)

// A subscriber that falls behind is dropped (ErrSlow) and never holds up
// the publisher or the other subscribers.
func TestSlowSubscriberIsDropped(t *testing.T) {
	b := NewLocal()
	defer b.Close()
	slow, quick := b.Subscribe(2), b.Subscribe(10)
	for i := int64(1); i <= 5; i++ {
		b.Committed([]tasks.Change{{Assignment: i, Kind: tasks.ChangeUpdated}}) // returns at once
	}
	var got []int64
	for c := range slow.C() {
		got = append(got, c.Assignment)
	}
	if len(got) != 2 || !errors.Is(slow.Err(), ErrSlow) {
		t.Fatalf("slow subscriber got %v then %v; want 2 changes then ErrSlow", got, slow.Err())
	}
	for i := int64(1); i <= 5; i++ {
		if c := <-quick.C(); c.Assignment != i {
			t.Fatalf("quick subscriber got %d, want %d", c.Assignment, i)
		}
	}
	if b.Subscribers() != 1 {
		t.Fatalf("%d subscribers, want 1", b.Subscribers())
	}
	b.Close()
	if _, ok := <-quick.C(); ok || !errors.Is(quick.Err(), ErrClosed) {
		t.Fatalf("after Close: open %v, err %v", ok, quick.Err())
	}
	if s := b.Subscribe(1); !errors.Is(s.Err(), ErrClosed) {
		t.Fatalf("subscribing to a closed broker: %v", s.Err())
	}
}

// Payloads stay under NOTIFY's limit and read back as written.
func TestEncodeDecode(t *testing.T) {
	var cs []tasks.Change
	for i := int64(1); i <= 2000; i++ {
		cs = append(cs, tasks.Change{Assignment: i * 1000003, Kind: tasks.ChangeAssigned})
	}
	parts := encode(cs, payloadLimit)
	if len(parts) < 2 {
		t.Fatalf("%d parts for 2000 changes", len(parts))
	}
	var back []tasks.Change
	for _, p := range parts {
		if len(p) > payloadLimit {
			t.Fatalf("payload of %d bytes", len(p))
		}
		got, _, err := decode(p)
		if err != nil {
			t.Fatal(err)
		}
		back = append(back, got...)
	}
	if len(back) != len(cs) || back[1999] != cs[1999] {
		t.Fatalf("read back %d changes, last %+v", len(back), back[len(back)-1])
	}
	for _, bad := range []string{"", "x:UPDATED", "1:DROP TABLE", "1", strings.Repeat("9", 30) + ":UPDATED"} {
		if _, _, err := decode(bad); err == nil {
			t.Errorf("decode(%q) accepted", bad)
		}
	}
}
