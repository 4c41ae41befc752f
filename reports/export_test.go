package reports

import (
	"context"
	"time"
)

// HoldRenders takes a render slot for each of users, as renders under way
// would, with wait as the time a request waits for one; release gives them
// back.
func (s *Service) HoldRenders(wait time.Duration, users ...int64) (release func()) {
	s.gate.wait = wait
	var rels []func()
	for _, user := range users {
		rel, err := s.gate.enter(context.Background(), user)
		if err != nil {
			panic(err)
		}
		rels = append(rels, rel)
	}
	return func() {
		for _, rel := range rels {
			rel()
		}
	}
}
