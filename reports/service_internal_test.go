package reports

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestClientGoneIsNotAnError: a report or chart whose client hung up fails
// with the request's context; that is logged as information, not as an
// error of ours (which anyone could otherwise fill the error log with).
func TestClientGoneIsNotAnError(t *testing.T) {
	var logged bytes.Buffer
	s := &Service{log: slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequest("GET", "/charts/status-by-unit.png", nil).WithContext(gone)
	s.writeError(httptest.NewRecorder(), req, fmt.Errorf("org: listing units: %w", context.Canceled))
	if strings.Contains(logged.String(), "level=ERROR") || !strings.Contains(logged.String(), "level=INFO") {
		t.Fatalf("a client gone: %s", logged.String())
	}
	logged.Reset()
	rec := httptest.NewRecorder()
	s.writeError(rec, httptest.NewRequest("GET", "/charts/status-by-unit.png", nil), errors.New("a bug"))
	if !strings.Contains(logged.String(), "level=ERROR") || rec.Code != 500 || !strings.Contains(rec.Body.String(), "INTERNAL") {
		t.Fatalf("our own error: %d %s; log %s", rec.Code, rec.Body, logged.String())
	}
}

// TestFreezesTakeTurns: a second freeze waits for the first (a caller that
// gives up is told so), and a freeze's report waits for a place among the
// process's renders rather than being refused.
func TestFreezesTakeTurns(t *testing.T) {
	g := newRenderGate(1)
	done, err := g.freezeTurn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	gaveUp, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := g.freezeTurn(gaveUp); !errors.Is(err, context.Canceled) {
		t.Fatalf("a second freeze during the first: %v", err)
	}
	release, err := g.slot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.slot(gaveUp); !errors.Is(err, context.Canceled) {
		t.Fatalf("a report with every slot taken: %v", err)
	}
	release()
	done()
	if done, err = g.freezeTurn(context.Background()); err != nil {
		t.Fatalf("the next freeze: %v", err)
	}
	done()
}
