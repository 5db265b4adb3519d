package testlab

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/tuyau-net/tuyau/testlab/gnmitarget"
)

// Files of the lab's gNMI certificate authority: clients trust CAFile.
const (
	CAFile    = "ca.pem"
	caKeyFile = "ca.key"
)

// loadCA returns the lab's CA, made on first use and kept like the host key
// seed, so clients trusting ca.pem keep working across "lab up"s.
func loadCA(dir, lab string) (*gnmitarget.LabCA, error) {
	cert, key := filepath.Join(dir, CAFile), filepath.Join(dir, caKeyFile)
	ca, err := gnmitarget.LoadLabCA(cert, key)
	if err == nil {
		return ca, nil
	}
	if _, statErr := os.Stat(cert); !errors.Is(statErr, fs.ErrNotExist) {
		return nil, fmt.Errorf("lab CA %s: %w", cert, err)
	}
	ca, err = gnmitarget.NewLabCA(lab, time.Now(), 5*365*24*time.Hour)
	if err != nil {
		return nil, err
	}
	if err := ca.WriteFiles(cert, key); err != nil {
		return nil, err
	}
	return ca, nil
}

// DefaultGNMIMinSample is the shortest sample interval a lab device
// accepts, and the one a sample_interval of 0 streams at: short enough for
// tests and 1 s collectors, long enough that a client asking for "as fast
// as you can" does not flood the lab (real routers stop at 1 to 10 s).
const DefaultGNMIMinSample = 100 * time.Millisecond

// gnmiServer is a device's gNMI target on its lab address.
type gnmiServer struct {
	dev *Device

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

func (g *gnmiServer) listen(ctx context.Context, addr string) error {
	l := g.dev.lab
	opts := []gnmitarget.Option{
		gnmitarget.WithName(g.dev.Name()), gnmitarget.WithLogger(l.log.With("device", g.dev.Name())),
		gnmitarget.WithClock(l.now),
		gnmitarget.WithMinSampleInterval(cmp.Or(l.opts.GNMIMinSample, DefaultGNMIMinSample)),
		gnmitarget.WithMaxUpdatesPerNotification(l.opts.GNMIBundle),
		gnmitarget.WithPathCache(l.gnmiPaths),
		// Device i samples at i/n of each period, as the lab's poll
		// signals it: the lab's reads are spread over the period, and the
		// collectors of one device share its reads.
		gnmitarget.WithSampleOffset(float64(g.dev.seq) / float64(max(len(l.order), 1))),
	}
	if l.opts.Password != "" {
		opts = append(opts, gnmitarget.WithCredentials(l.opts.User, l.opts.Password))
	}
	if l.ca == nil {
		opts = append(opts, gnmitarget.WithInsecure())
	} else {
		cert, err := l.ca.Issue(g.dev.Name(), []net.IP{g.dev.Addr().AsSlice()}, l.now())
		if err != nil {
			return fmt.Errorf("gnmi certificate: %w", err)
		}
		opts = append(opts, gnmitarget.WithTLS(cert))
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("gnmi listen: %w", err)
	}
	srv := gnmitarget.New(g.dev, opts...)
	sctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(sctx, ln); err != nil && sctx.Err() == nil {
			l.log.Warn("gnmi serve", "device", g.dev.Name(), "err", err)
		}
		ln.Close()
	}()
	g.mu.Lock()
	g.cancel, g.done = cancel, done
	g.mu.Unlock()
	return nil
}

func (g *gnmiServer) close() {
	g.mu.Lock()
	cancel, done := g.cancel, g.done
	g.cancel, g.done = nil, nil
	g.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}
