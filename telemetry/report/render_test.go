package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tuyau-net/tuyau/telemetry"
	"github.com/tuyau-net/tuyau/telemetry/sink/memory"
)

// sample is a report with an outage and a restart gap.
func sample(t *testing.T) (fixture, Report) {
	t.Helper()
	f := newFixture(t)
	h := newHistory(f, -24*time.Hour).beats(-24*time.Hour, 2*time.Hour).down(time.Hour, f.duct.LinksDown, f.ductID).
		restore(time.Hour+12*time.Minute, f.duct.LinksDown).mark(2*time.Hour, telemetry.MarkStopped).
		mark(2*time.Hour+5*time.Minute, telemetry.MarkStarted).beats(2*time.Hour+5*time.Minute, 25*time.Hour).until(25 * time.Hour)
	r, err := Availability(f.topo, h, Options{From: at(0), To: at(24 * time.Hour), Alarms: f.alarms(), Source: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return f, r
}

func TestWriteFormats(t *testing.T) {
	f, r := sample(t)
	var m Member
	for _, x := range r.Members {
		if x.Site == f.member {
			m = x
		}
	}
	out := func(format string) string {
		var b bytes.Buffer
		if err := Write(&b, r, format); err != nil {
			t.Fatalf("Write %s: %v", format, err)
		}
		return b.String()
	}
	t.Run("json", func(t *testing.T) {
		var back Report
		if err := json.Unmarshal([]byte(out("json")), &back); err != nil {
			t.Fatal(err)
		}
		if len(back.Members) != len(r.Members) || len(back.NoData) != 1 || back.NoData[0] != r.NoData[0] {
			t.Fatalf("JSON read back: %d members, no data %v; want %d, %v", len(back.Members), back.NoData, len(r.Members), r.NoData)
		}
		for i, bm := range back.Members {
			if bm.Hosting.Down != r.Members[i].Hosting.Down || *bm.Hosting.Percent != *r.Members[i].Hosting.Percent {
				t.Errorf("%s read back: down %v %v%%, want %v %v%%", bm.Site, bm.Hosting.Down.D(), *bm.Hosting.Percent,
					r.Members[i].Hosting.Down.D(), *r.Members[i].Hosting.Percent)
			}
		}
	})
	t.Run("csv", func(t *testing.T) {
		rows, err := csv.NewReader(strings.NewReader(out("csv"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		var members, outages, nodata int
		for _, row := range rows[1:] {
			switch row[0] {
			case "member":
				members++
			case "outage":
				outages++
				if !slices.Contains(f.duct.LoseHosting, row[1]) || row[11] != "720" || !strings.Contains(row[13], f.duct.Name) {
					t.Errorf("outage row %v: want one of %v, 720 s, the duct", row, f.duct.LoseHosting)
				}
			case "no_data":
				nodata++
			}
		}
		if members != len(r.Members) || outages != len(f.duct.LoseHosting) || nodata != 1 {
			t.Errorf("csv: %d member rows, %d outages, %d no data; want %d, %d, 1", members, outages, nodata, len(r.Members), len(f.duct.LoseHosting))
		}
	})
	t.Run("table", func(t *testing.T) {
		s := out("table")
		for _, want := range []string{f.member, "duct " + f.duct.Name, "12 min", "No data (no collector watching) for 5 min in"} {
			if !strings.Contains(s, want) {
				t.Errorf("table lacks %q:\n%s", want, s)
			}
		}
	})
	t.Run("html", func(t *testing.T) {
		s := out("html")
		// 12 min lost over 23 h 55 min known.
		want := Pct(m.Hosting.Percent) + " access to hosting"
		if Pct(m.Hosting.Percent) != "99.16 %" || !strings.Contains(s, want) {
			t.Errorf("html: headline %q (%s) not found", want, Pct(m.Hosting.Percent))
		}
		for _, want := range []string{"<svg", "<style>", f.duct.Name, "no monitoring data", "What the figures mean"} {
			if !strings.Contains(s, want) {
				t.Errorf("html lacks %q", want)
			}
		}
		// Self-contained: nothing fetched from anywhere.
		for _, bad := range []string{"<script", "<link", "src=", "url(", "http://", "https://", "@import"} {
			if strings.Contains(s, bad) {
				t.Errorf("html refers outside itself: %q", bad)
			}
		}
	})
	if err := Write(&bytes.Buffer{}, r, "pdf"); err == nil || !strings.Contains(err.Error(), "table, csv, json, html") {
		t.Errorf("Write pdf: %v, want the formats listed", err)
	}
}

func TestHuman(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "0", 400 * time.Millisecond: "<1 s", 45 * time.Second: "45 s",
		12 * time.Minute: "12 min", 12*time.Minute + 5*time.Second: "12 min 5 s", 3*time.Hour + 20*time.Minute: "3 h 20 min",
		2 * time.Hour: "2 h", 52 * time.Hour: "2 d 4 h", 48 * time.Hour: "2 d"} {
		if got := Human(d); got != want {
			t.Errorf("Human(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestParseTime(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
		err  bool
	}{
		{"now", now, false},
		{"-7d", now.Add(-7 * 24 * time.Hour), false},
		{"-12h", now.Add(-12 * time.Hour), false},
		{"-30m", now.Add(-30 * time.Minute), false},
		{"-2w", now.Add(-14 * 24 * time.Hour), false},
		{"-1.5d", now.Add(-36 * time.Hour), false},
		{"2026-11-01", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), false},
		{"2026-11-01T08:30:00+01:00", time.Date(2026, 11, 1, 7, 30, 0, 0, time.UTC), false},
		{"-xd", time.Time{}, true},
		{"yesterday", time.Time{}, true},
		{"--7d", time.Time{}, true},
	}
	for _, tt := range tests {
		got, err := ParseTime(tt.in, now)
		if (err != nil) != tt.err || !tt.err && !got.Equal(tt.want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v (error %v)", tt.in, got, err, tt.want, tt.err)
		}
	}
}

// TestLiveCollector reads the history through a collector's HTTP API
// (its memory sink): live, no heartbeats needed, a stop and start still
// unknown.
func TestLiveCollector(t *testing.T) {
	f := newFixture(t)
	now := at(10 * time.Hour)
	mem := memory.New(memory.Options{Now: func() time.Time { return now }})
	hs := newHistory(f, -time.Hour).beats(-time.Hour, 4*time.Hour).down(time.Hour, f.duct.LinksDown, f.ductID).
		restore(time.Hour+30*time.Minute, f.duct.LinksDown).mark(5*time.Hour, telemetry.MarkStopped).mark(5*time.Hour+time.Minute, telemetry.MarkStarted)
	if err := mem.Write(context.Background(), telemetry.Batch{Changes: hs.h.Changes, Alarms: f.alarms()}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(telemetry.NewAPI(mem, telemetry.APIOptions{}))
	defer srv.Close()
	rd := telemetry.NewHTTPReader(srv.URL)
	h, err := rd.History(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range h.Changes {
		if c.To == telemetry.MarkRunning {
			t.Fatalf("the memory sink kept a heartbeat: %+v", c)
		}
	}
	if !h.Live || !h.Until.Equal(now) {
		t.Fatalf("history live %v until %v, want live until %v", h.Live, h.Until, now)
	}
	alarms, err := rd.Alarms(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r, err := Availability(f.topo, h, Options{From: at(0), To: at(10 * time.Hour), Alarms: alarms})
	if err != nil {
		t.Fatal(err)
	}
	// The memory sink was created at "now": it knows nothing before.
	if len(r.NoData) != 1 || r.NoData[0] != (Interval{at(0), at(10 * time.Hour)}) {
		t.Fatalf("no data %v: a sink created at the end knows nothing before", r.NoData)
	}
	h.Since = at(-time.Hour) // as a sink created with the collector
	r, err = Availability(f.topo, h, Options{From: at(0), To: at(10 * time.Hour), Alarms: alarms})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.NoData) != 1 || r.NoData[0] != (Interval{at(5 * time.Hour), at(5*time.Hour + time.Minute)}) {
		t.Errorf("no data %v, want the stop to the start only", r.NoData)
	}
	for _, m := range r.Members {
		if m.Site == f.member {
			checkMember(t, m, wantMember{site: f.member, hostingDown: 30 * time.Minute, bothDown: 30 * time.Minute, unknown: time.Minute,
				outages: []wantOutage{{start: time.Hour, end: time.Hour + 30*time.Minute, hostingLost: 30 * time.Minute,
					causes: "duct " + f.duct.Name + " (" + strconv.Itoa(len(f.duct.LinksDown)) + " links down)"}}}, 10*time.Hour)
		}
	}
}
