package netbox

import (
	"context"
	"time"
)

// SetSleep replaces the backoff sleep, so tests see the waits without waiting.
func SetSleep(s *Store, f func(context.Context, time.Duration) error) { s.c.sleep = f }

// SetWholeReads forces a filtered read's lists whole (true) or by chunks of ids (false).
func SetWholeReads(s *Store, whole bool) { s.wholeReads = &whole }
