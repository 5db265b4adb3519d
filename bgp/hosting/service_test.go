package hosting

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Each case is a script of one command per line, run against a service
// hosted at A (preferred) and B on the fake world:
//
//	ok A [N] / fail A [N]   N check results (default 1) for site A
//	step                    one Step
//	sync                    the view catches up with the speakers, then a Step
//	tick 30s                the clock advances
//	drain A / undrain A     RequestDrain / Undrain
//	refused A TEXT          RequestDrain fails with an error holding TEXT
//	hide B / unhide B       B's paths vanish from the view / come back
//	break B / fix B         B's announcer fails / works
//	log LINE, LINE          the announcements since the last log line, in order
//	                        ("announce B lp200", "withdraw A"; "-" for none)
//	roles A=up/primary B=up/backup
//	active A                the active site ("-" for none)
//	drained A ok|waiting|TEXT  the drain's outcome so far
//	pending TEXT            Status().Pending holds TEXT ("-" for empty)
//	event A TO TEXT         a transition of A to state TO whose reason holds TEXT
//	event - FROM TO         an active-site transition FROM -> TO
//
// "start" stands for both sites healthy, announced, seen, A active.
var start = `
ok A
ok B
step
log announce A lp200, announce B lp100
active -
sync
active A
roles A=up/primary B=up/backup
pending -
`

func TestServiceStateMachine(t *testing.T) {
	demoted := Steering{Primary: Attrs{LocalPref: 200}, Backup: Attrs{LocalPref: 100, MED: 100},
		Demoted: &Attrs{LocalPref: 50, MED: 1000}}
	for _, tc := range []struct {
		name   string
		cfg    Config
		script string
	}{
		{name: "start announces primary at A and backup at B", script: start + `
event - "" A
event A up first check passed
`},
		{name: "start waits for every site's first result", script: `
ok A
step
log -
pending waiting for every site's first health result
tick 11s
step
log announce A lp200
roles A=up/primary B=unknown/withdrawn
sync
active A
ok B
step
log announce B lp100
`},
		{name: "primary fails: B promoted, A withdrawn once B is in the view", script: start + `
fail A 2
step
log -
roles A=up/primary B=up/backup
fail A
step
log announce B lp200, withdraw A
roles A=down/withdrawn B=up/primary
event A down 3 checks failed in a row: http 503
active A
sync
active B
event - A B
`},
		{name: "flapping within hysteresis changes nothing", script: start + `
fail A 2
ok A
fail A 2
ok A
fail A 2
step
log -
roles A=up/primary B=up/backup
ok B
fail B
ok B 2
fail B 2
step
log -
roles A=up/primary B=up/backup
`},
		{name: "primary fails while B is not in the view: A kept until B is seen", script: start + `
hide B
fail A 3
step
log announce B lp200
roles A=down/primary B=up/primary
event A down still announced
pending moving to cherbourg-en-cotentin-dc
unhide B
step
log withdraw A
sync
active B
`},
		{name: "a site's speaker restarted: what it announced is announced again", script: start + `
restart B
step
log announce B lp100
roles A=up/primary B=up/backup
step
log -
sync
restart A
step
log announce A lp200
sync
active A
roles A=up/primary B=up/backup
`},
		{name: "a site not in the view but still announcing is not announced twice", script: start + `
hide B
step
step
log -
`},
		{name: "both sites down: the last one announcing is kept", script: start + `
fail A 3
step
sync
log announce B lp200, withdraw A
active B
fail B 3
step
log -
roles A=down/withdrawn B=down/primary
active B
event B down still announced
ok A 3
step
log announce A lp200
roles A=up/primary B=down/primary
sync
log withdraw B
active A
roles A=up/primary B=down/withdrawn
`},
		{name: "both down at once: A stays, B withdrawn", script: start + `
fail B 3
fail A 3
step
log withdraw B
roles A=down/primary B=down/withdrawn
active A
`},
		{name: "drain is make before break; undrain moves back the same way", script: start + `
drain A
step
log announce B lp200
roles A=draining/primary B=up/primary
drained A waiting
step
log -
sync
log withdraw A
roles A=drained/withdrawn B=up/primary
drained A ok
active B
event A drained withdrawn after cherbourg-en-cotentin-dc was seen
sync
undrain A
step
log announce A lp200
roles A=up/primary B=up/primary
active B
sync
log announce B lp100
roles A=up/primary B=up/backup
active A
`},
		{name: "drain of the backup site withdraws it at once", script: start + `
drain B
step
log withdraw B
roles A=up/primary B=drained/withdrawn
drained B ok
`},
		{name: "drain times out when the other site is never seen", script: start + `
hide B
drain A
step
log announce B lp200
tick 20s
step
log -
pending drain of saint-lo-dc aborts in 10s
tick 10s
step
log announce B lp100
drained A drain aborted after 30s: cherbourg-en-cotentin-dc is not seen carrying the prefixes
roles A=up/primary B=up/backup
event A up drain aborted
active A
`},
		{name: "drain refused when the other site is down", script: start + `
fail B 3
step
refused A no other site is healthy and undrained to carry it
roles A=up/primary B=down/withdrawn
`},
		{name: "undrain cancels a drain under way", script: start + `
hide B
drain A
step
log announce B lp200
undrain A
drained A cancelled by undrain
step
log announce B lp100
roles A=up/primary B=up/backup
`},
		{name: "restore of the primary: back to A make before break", script: start + `
fail A 3
step
sync
log announce B lp200, withdraw A
ok A 2
step
log -
ok A
step
log announce A lp200
roles A=up/primary B=up/primary
active B
sync
log announce B lp100
active A
event - B A
`},
		{name: "sticky: the restored primary stays backup", cfg: Config{Sticky: true}, script: start + `
fail A 3
step
sync
ok A 3
step
log announce B lp200, withdraw A, announce A lp100
sync
active B
roles A=up/backup B=up/primary
`},
		{name: "a failed announcement is retried", script: `
break B
ok A
ok B
step
log announce A lp200
fix B
step
log announce B lp100
sync
active A
`},
		{name: "demoted steering keeps a failed site announced with worse attributes", cfg: Config{Steering: &demoted}, script: start + `
fail A 3
step
log announce B lp200, announce A lp50
roles A=down/demoted B=up/primary
`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.cfg)
			run(t, h, tc.script)
		})
	}
}

var siteNames = map[string]string{"A": siteA, "B": siteB}

func run(t *testing.T, h *harness, script string) {
	t.Helper()
	ctx := context.Background()
	drains := map[string]<-chan error{}
	outcome := map[string]string{}
	var events []Transition
	for n, line := range strings.Split(strings.TrimSpace(script), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		where := fmt.Sprintf("line %d %q", n+1, line)
		arg := func(i int) string {
			if i >= len(f) {
				t.Fatalf("%s: missing argument", where)
			}
			return f[i]
		}
		rest := func(i int) string { return strings.Join(f[i:], " ") }
		site := func() string { return siteNames[arg(1)] }
		switch f[0] {
		case "ok", "fail":
			k := 1
			if len(f) > 2 {
				k, _ = strconv.Atoi(f[2])
			}
			for range k {
				h.observe(site(), f[0] == "ok")
			}
		case "step":
			h.svc.Step(ctx)
		case "sync":
			h.w.propagate()
			h.svc.Step(ctx)
		case "tick":
			d, err := time.ParseDuration(arg(1))
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			h.clock.Advance(d)
		case "drain":
			ch, err := h.svc.RequestDrain(site())
			if err != nil {
				t.Fatalf("%s: RequestDrain: %v", where, err)
			}
			drains[arg(1)] = ch
		case "refused":
			_, err := h.svc.RequestDrain(site())
			if err == nil || !strings.Contains(err.Error(), rest(2)) {
				t.Fatalf("%s: RequestDrain = %v, want an error holding %q", where, err, rest(2))
			}
		case "undrain":
			if err := h.svc.Undrain(site()); err != nil {
				t.Fatalf("%s: Undrain: %v", where, err)
			}
		case "restart":
			h.w.restart(site())
		case "hide", "unhide":
			h.w.mu.Lock()
			h.w.hide[site()] = f[0] == "hide"
			h.w.mu.Unlock()
		case "break", "fix":
			h.w.mu.Lock()
			h.w.fail[site()] = nil
			if f[0] == "break" {
				h.w.fail[site()] = errors.New("speaker unreachable")
			}
			h.w.mu.Unlock()
		case "log":
			var got []string
			for _, l := range h.w.takeLog() {
				got = append(got, summarize(l))
			}
			got = compact(got)
			want := rest(1)
			if g := strings.Join(got, ", "); g != want && !(want == "-" && g == "") {
				t.Fatalf("%s: announcements %q, want %q", where, g, want)
			}
		case "roles":
			if got := h.roles(); got != rest(1) {
				t.Fatalf("%s: roles %q, want %q", where, got, rest(1))
			}
		case "active":
			want := siteNames[arg(1)]
			if got := h.svc.Status().ActiveSite; got != want {
				t.Fatalf("%s: active %q, want %q", where, got, want)
			}
		case "pending":
			got := h.svc.Status().Pending
			if want := rest(1); (want == "-" && got != "") || (want != "-" && !strings.Contains(got, want)) {
				t.Fatalf("%s: pending %q, want %q", where, got, want)
			}
		case "drained":
			ch := drains[arg(1)]
			select {
			case err := <-ch:
				outcome[arg(1)] = "ok"
				if err != nil {
					outcome[arg(1)] = err.Error()
				}
			default:
			}
			got, want := outcome[arg(1)], rest(2)
			if got == "" {
				got = "waiting"
			}
			if got != want && !(want != "ok" && want != "waiting" && strings.Contains(got, want)) {
				t.Fatalf("%s: drain outcome %q, want %q", where, got, want)
			}
		case "event":
			events = append(events, h.events...)
			h.events = nil
			if !hasEvent(events, f[1:]) {
				t.Fatalf("%s: no such transition among %+v", where, events)
			}
		default:
			t.Fatalf("%s: unknown command", where)
		}
	}
}

func hasEvent(events []Transition, f []string) bool {
	for _, e := range events {
		if f[0] == "-" {
			from := strings.Trim(f[1], `"`)
			if e.Site == "" && e.From == siteNames[from] && e.To == siteNames[f[2]] {
				return true
			}
			continue
		}
		if e.Site == siteNames[f[0]] && e.To == f[1] && strings.Contains(e.Reason, strings.Join(f[2:], " ")) {
			return true
		}
	}
	return false
}

// summarize turns "announce saint-lo-dc 192.0.2.0/25 lp200 med0" into
// "announce A lp200": the script speaks of sites, every prefix follows.
func summarize(l string) string {
	f := strings.Fields(l)
	out := f[0] + " " + short(f[1])
	if f[0] == "announce" {
		out += " " + f[3]
	}
	return out
}

func compact(s []string) []string {
	var out []string
	for _, x := range s {
		if len(out) == 0 || out[len(out)-1] != x {
			out = append(out, x)
		}
	}
	return out
}
