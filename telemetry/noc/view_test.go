package noc

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

var update = flag.Bool("update", false, "rewrite the golden frames")

// TestViewSizes renders every screen at three terminal sizes, with and
// without color: exactly the terminal's height, no line wider than it,
// and every pane's title there.
func TestViewSizes(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}, {200, 60}, {30, 6}, {10, 2}, {1, 1}} {
		for _, color := range []bool{false, true} {
			for _, screen := range []string{"panes", "detail", "help", "filter"} {
				m := newModel(fixture(), size[0], size[1])
				m.o.Color, m.st = color, newStyles(color)
				switch screen {
				case "detail":
					m.detail = linkDown
				case "help":
					m.help = true
				case "filter":
					m.editing, m.filter = true, "pop-a"
				}
				v := m.View()
				lines := strings.Split(v, "\n")
				if len(lines) != size[1] {
					t.Errorf("%dx%d %s color=%v: %d lines, want %d", size[0], size[1], screen, color, len(lines), size[1])
				}
				for i, l := range lines {
					if w := ansi.StringWidth(l); w > size[0] {
						t.Errorf("%dx%d %s: line %d is %d wide: %q", size[0], size[1], screen, i, w, ansi.Strip(l))
					}
				}
				if !color && strings.Contains(v, "\x1b[") {
					t.Errorf("%dx%d %s without color has escape sequences", size[0], size[1], screen)
				}
				plain := ansi.Strip(v)
				if screen == "panes" && size[1] >= 24 {
					for _, want := range []string{"Alarms 2", "Links 4", "Targets 3", "BGP & hosting 1", "[+2]"} {
						if !strings.Contains(plain, want) {
							t.Errorf("%dx%d panes lack %q:\n%s", size[0], size[1], want, plain)
						}
					}
				}
			}
		}
	}
}

// TestOnceGolden is the plain frame for scripts; rewrite with -update.
func TestOnceGolden(t *testing.T) {
	for _, tc := range []struct {
		name          string
		width, height int
	}{{"once-100", 100, 0}, {"once-80x24", 80, 24}, {"once-200x60", 200, 60}} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			err := Once(context.Background(), &b, Options{Source: fixture(), Inventory: inv(), Width: tc.width, Height: tc.height,
				Now: func() time.Time { return t0 }})
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", tc.name+".txt")
			if *update {
				if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if b.String() != string(want) {
				t.Errorf("Once frame differs from %s (go test -update to accept):\n%s", golden, b.String())
			}
		})
	}
}

func key(s string) tea.KeyMsg {
	switch s {
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "shift+tab":
		return tea.KeyMsg{Type: tea.KeyShiftTab}
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "backspace":
		return tea.KeyMsg{Type: tea.KeyBackspace}
	case " ":
		return tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}

// press sends keys, running the commands they return (reads, acks, link
// history) synchronously, as the program would.
func press(t *testing.T, m Model, keys ...string) Model {
	t.Helper()
	for _, k := range keys {
		var cmd tea.Cmd
		var tm tea.Model
		tm, cmd = m.Update(key(k))
		m = tm.(Model)
		m = run(m, cmd)
	}
	return m
}

// run delivers a command's message (not ticks: they would wait).
func run(m Model, cmd tea.Cmd) Model {
	if cmd == nil {
		return m
	}
	switch msg := cmd().(type) {
	case tea.BatchMsg:
		for _, c := range msg {
			m = run(m, c)
		}
	case nil, tea.QuitMsg:
	default:
		tm, next := m.Update(msg)
		m = tm.(Model)
		if _, tick := msg.(snapshotMsg); !tick {
			m = run(m, next)
		}
	}
	return m
}

func TestKeys(t *testing.T) {
	for _, tc := range []struct {
		name  string
		keys  []string
		check func(t *testing.T, m Model, view string)
	}{
		{"tab moves the focus and wraps", []string{"tab", "tab", "tab", "tab", "shift+tab"}, func(t *testing.T, m Model, _ string) {
			if m.focus != paneBGP {
				t.Errorf("focus = %v, want BGP", m.focus)
			}
		}},
		{"rows stop at the ends", []string{"tab", "down", "down", "down", "down", "down", "up"}, func(t *testing.T, m Model, _ string) {
			if m.cursor[paneLinks] != 2 {
				t.Errorf("links cursor = %d, want 2", m.cursor[paneLinks])
			}
		}},
		{"space unfolds the root", []string{" "}, func(t *testing.T, m Model, v string) {
			if !m.expanded["root1"] || !strings.Contains(v, "[-2]") || !strings.Contains(v, "└ ") {
				t.Errorf("root not unfolded:\n%s", v)
			}
		}},
		{"space on a child folds its root", []string{" ", "down", " "}, func(t *testing.T, m Model, v string) {
			if m.expanded["root1"] || m.cursor[paneAlarms] != 0 {
				t.Errorf("expanded %v cursor %d, want folded with the cursor on the root", m.expanded, m.cursor[paneAlarms])
			}
		}},
		{"filter narrows every pane", []string{"/", "e", "t", "h", "2", "enter"}, func(t *testing.T, m Model, v string) {
			if m.filter != "eth2" || m.editing || len(m.linkItems()) != 2 || len(m.targetItems()) != 0 || len(m.alarmItems()) != 1 {
				t.Errorf("filter %q editing %v: %d alarms, %d links, %d targets; want eth2 kept, 1 alarm, 2 links, 0 target",
					m.filter, m.editing, len(m.alarmItems()), len(m.linkItems()), len(m.targetItems()))
			}
			if !strings.Contains(v, "[filter eth2]") {
				t.Errorf("footer does not show the filter:\n%s", v)
			}
		}},
		{"esc clears the filter", []string{"/", "x", "backspace", "z", "enter", "esc"}, func(t *testing.T, m Model, _ string) {
			if m.filter != "" {
				t.Errorf("filter = %q, want cleared", m.filter)
			}
		}},
		{"ack the selected alarm", []string{"a"}, func(t *testing.T, m Model, v string) {
			if !strings.Contains(v, "alarm root1 acknowledged by alice") || !strings.Contains(v, "ack") {
				t.Errorf("no ack shown:\n%s", v)
			}
		}},
		{"ack outside the alarm pane", []string{"tab", "a"}, func(t *testing.T, m Model, v string) {
			if !strings.Contains(v, "select an alarm") {
				t.Errorf("no hint:\n%s", v)
			}
		}},
		{"enter on a link opens it, esc closes", []string{"tab", "enter"}, func(t *testing.T, m Model, v string) {
			if m.detail != linkDown || len(m.served) != 3 {
				t.Fatalf("detail %q with %d served points, want %s with 3", m.detail, len(m.served), linkDown)
			}
			for _, want := range []string{"Link " + linkDown, "FO-000001  12.3 km  stlo-r1:eth1 - odf-pop-a[front 3]", "duct-stlo-north: 2 cables (FO-000001, FO-000002)",
				"Saint-Lô datacenter (saint-lo-dc)", "sensitivity -24.0", "▇▇_", "rx   █▁"} {
				if !strings.Contains(v, want) {
					t.Errorf("link view lacks %q:\n%s", want, v)
				}
			}
			m = press(t, m, "esc")
			if m.detail != "" {
				t.Errorf("esc left the link view open")
			}
		}},
		{"enter on a link alarm opens its link", []string{" ", "down", "enter"}, func(t *testing.T, m Model, _ string) {
			if m.detail != linkDown {
				t.Errorf("detail = %q, want %s", m.detail, linkDown)
			}
		}},
		{"help toggles", []string{"?"}, func(t *testing.T, m Model, v string) {
			if !m.help || !strings.Contains(v, "acknowledge the selected alarm") {
				t.Errorf("no help:\n%s", v)
			}
		}},
		{"digits pick a pane", []string{"3"}, func(t *testing.T, m Model, _ string) {
			if m.focus != paneTargets {
				t.Errorf("focus = %v, want targets", m.focus)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := fixture()
			m := press(t, newModel(f, 120, 40), tc.keys...)
			tc.check(t, m, ansi.Strip(m.View()))
		})
	}
}

func TestAckReachesTheSink(t *testing.T) {
	f := fixture()
	m := press(t, newModel(f, 80, 24), " ", "down", "a")
	if len(f.acked) != 1 || f.acked[0] != "kid1 alice" {
		t.Errorf("acks = %v, want [kid1 alice]", f.acked)
	}
	if !strings.Contains(ansi.Strip(m.View()), "acknowledged by alice") {
		t.Errorf("no confirmation:\n%s", m.View())
	}
	m = New(context.Background(), Options{Source: f, Now: func() time.Time { return t0 }})
	m.apply(Read(context.Background(), m.o))
	m = press(t, m, "a")
	if !strings.Contains(m.View(), "not available") {
		t.Errorf("ack without an acker:\n%s", m.View())
	}
}

// TestPolledHistory keeps one point per link update from the polls, and a
// tick of an old generation does not start a second poll chain.
func TestPolledHistory(t *testing.T) {
	f := fixture()
	m := New(context.Background(), Options{Source: f, Now: func() time.Time { return t0 }, HistoryLen: 3})
	for i := range 5 {
		for j := range f.links {
			f.links[j].Updated = t0.Add(time.Duration(i) * time.Second)
		}
		tm, _ := m.Update(snapshotMsg(Read(context.Background(), m.o)))
		m = tm.(Model)
		tm, _ = m.Update(snapshotMsg(Read(context.Background(), m.o))) // the same again: no new point
		m = tm.(Model)
	}
	if h := m.hist[linkDown]; len(h) != 3 || !h[2].Time.Equal(t0.Add(4*time.Second)) {
		t.Errorf("history = %+v, want the last 3 updates", h)
	}
	if _, cmd := m.Update(tickMsg(m.gen - 1)); cmd != nil {
		t.Error("a stale tick started a read")
	}
	if _, cmd := m.Update(tickMsg(m.gen)); cmd == nil {
		t.Error("the current tick did not read")
	}
}
