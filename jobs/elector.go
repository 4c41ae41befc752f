package jobs

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"p06/store"
)

// Elector makes one process of those sharing a PostgreSQL database the
// leader, the one that runs scheduled jobs (gocron's Elector): the process
// holding a session-level advisory lock, on a connection of its own kept
// for as long as it leads. When the leader dies its connection closes and
// PostgreSQL releases the lock; the others try to take it every retry
// interval (and before each scheduled run), so one of them leads again
// within that interval, and runs the interval jobs at once (OnTakeOver).
type Elector struct {
	db    *store.DB
	key   int64
	log   *slog.Logger
	retry time.Duration

	mu   sync.Mutex
	conn *bun.Conn // holds the lock while leading
	// follower: this process was told another leads (so taking the lead
	// later is a take-over, not its start).
	follower   bool
	onTakeOver func()

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// DefaultRetry is how often a process checks or tries to take the lead
// unless told otherwise (P06_LEADER_RETRY).
const DefaultRetry = 15 * time.Second

// ErrNotLeader is IsLeader's answer on a process that does not lead.
var ErrNotLeader = errors.New("jobs: another process runs the jobs")

// NewElector returns the elector of db's processes (one lock per database
// schema, so test schemas in one database each have their own leader), and
// starts campaigning: trying to lead every retry (DefaultRetry when 0).
func NewElector(ctx context.Context, db *store.DB, log *slog.Logger, retry time.Duration) (*Elector, error) {
	if retry <= 0 {
		retry = DefaultRetry
	}
	var schema string
	if err := db.NewRaw("SELECT current_schema()").Scan(ctx, &schema); err != nil {
		return nil, fmt.Errorf("jobs: current schema: %w", err)
	}
	h := fnv.New64a()
	h.Write([]byte("p06 jobs " + schema))
	e := &Elector{db: db, key: int64(h.Sum64()), log: log, retry: retry, stop: make(chan struct{}), done: make(chan struct{})}
	go e.campaign()
	return e, nil
}

func (e *Elector) campaign() {
	defer close(e.done)
	t := time.NewTicker(e.retry)
	defer t.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = e.IsLeader(ctx)
		cancel()
		select {
		case <-e.stop:
			return
		case <-t.C:
		}
	}
}

// IsLeader answers nil when this process leads, taking the lead if nobody
// holds it; ErrNotLeader when another process does.
func (e *Elector) IsLeader(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.conn != nil {
		// Still leading while the connection holding the lock is alive.
		if _, err := e.conn.ExecContext(ctx, "SELECT 1"); err == nil {
			return nil
		}
		e.log.Warn("jobs: lost the connection holding the lead")
		_ = e.conn.Close()
		e.conn = nil
	}
	conn, err := e.db.Conn(ctx)
	if err != nil {
		return err
	}
	var ok bool
	if err := conn.NewRaw("SELECT pg_try_advisory_lock(?)", e.key).Scan(ctx, &ok); err != nil || !ok {
		_ = conn.Close()
		if err != nil {
			return err
		}
		e.follower = true
		return ErrNotLeader
	}
	e.log.Info("jobs: this process runs the scheduled jobs")
	e.conn = &conn
	if e.follower && e.onTakeOver != nil {
		go e.onTakeOver()
	}
	e.follower = false
	return nil
}

// OnTakeOver makes the elector call f (on a goroutine of its own) each time
// this process takes the lead after another held it: the scheduler runs its
// interval jobs then, instead of waiting for their next turn.
func (e *Elector) OnTakeOver(f func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.onTakeOver = f
}

// Leading says whether this process held the lead when last asked.
func (e *Elector) Leading() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.conn != nil
}

// Close stops campaigning and gives up the lead.
func (e *Elector) Close() error {
	e.once.Do(func() {
		close(e.stop)
		<-e.done
		e.mu.Lock()
		defer e.mu.Unlock()
		if e.conn != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, _ = e.conn.ExecContext(ctx, "SELECT pg_advisory_unlock(?)", e.key)
			_ = e.conn.Close()
			e.conn = nil
		}
	})
	return nil
}
