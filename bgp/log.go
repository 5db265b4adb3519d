package bgp

import (
	"fmt"
	"log/slog"

	gobgplog "github.com/osrg/gobgp/v3/pkg/log"
)

// gobgpLogger sends GoBGP's logs to slog (its per-peer chatter at debug
// level) and notes, per neighbor, why a session went or stays down.
type gobgpLogger struct {
	l    *slog.Logger
	note func(addr, reason string)
}

func fieldsOf(f gobgplog.Fields) []any {
	out := make([]any, 0, 2*len(f))
	for k, v := range f {
		if k == "AuthPassword" || k == "Password" {
			continue // never log a password, even if GoBGP would
		}
		out = append(out, k, v)
	}
	return out
}

// reasonOf is the reason a GoBGP message gives for a peer's trouble.
func (g *gobgpLogger) reasonOf(msg string, f gobgplog.Fields) {
	if g.note == nil || f["Topic"] != "Peer" {
		return
	}
	key, _ := f["Key"].(string)
	if key == "" {
		return
	}
	switch msg {
	case "failed to connect":
		g.note(key, fmt.Sprintf("no TCP session: %v (with MD5 configured, a password mismatch looks like this too: the peer's kernel drops our segments)", f["Error"]))
	case "received notification":
		g.note(key, fmt.Sprintf("notification received: code %v subcode %v %s", f["Code"], f["Subcode"], notificationName(f["Code"], f["Subcode"])))
	case "sent notification":
		g.note(key, fmt.Sprintf("notification sent: %v", f["Data"]))
	case "Peer Down":
		g.note(key, fmt.Sprintf("peer down: %v", f["Reason"]))
	case "hold timer expired":
		g.note(key, "hold timer expired")
	case "Administrative shutdown(Prefix limit reached)":
		g.note(key, "prefix limit reached: Cease (max prefixes, RFC 4486) sent; the session stays down until reset")
	}
}

// notificationName names the common NOTIFICATION codes (RFC 4271, 4486).
func notificationName(code, sub any) string {
	c, _ := code.(uint8)
	s, _ := sub.(uint8)
	switch {
	case c == 6 && s == 1:
		return "(cease: maximum number of prefixes reached)"
	case c == 6 && s == 2:
		return "(cease: administrative shutdown)"
	case c == 6 && s == 3:
		return "(cease: peer de-configured)"
	case c == 6 && s == 4:
		return "(cease: administrative reset)"
	case c == 6:
		return "(cease)"
	case c == 2 && s == 2:
		return "(open: bad peer AS)"
	case c == 2:
		return "(open message error)"
	case c == 3:
		return "(update message error)"
	case c == 4:
		return "(hold timer expired)"
	}
	return ""
}

func (g *gobgpLogger) Panic(msg string, f gobgplog.Fields) { g.l.Error(msg, fieldsOf(f)...) }
func (g *gobgpLogger) Fatal(msg string, f gobgplog.Fields) { g.l.Error(msg, fieldsOf(f)...) }
func (g *gobgpLogger) Error(msg string, f gobgplog.Fields) {
	g.reasonOf(msg, f)
	g.l.Warn(msg, fieldsOf(f)...)
}
func (g *gobgpLogger) Warn(msg string, f gobgplog.Fields) {
	g.reasonOf(msg, f)
	g.l.Info(msg, fieldsOf(f)...)
}
func (g *gobgpLogger) Info(msg string, f gobgplog.Fields) {
	g.reasonOf(msg, f)
	g.l.Debug(msg, fieldsOf(f)...)
}
func (g *gobgpLogger) Debug(msg string, f gobgplog.Fields) { g.reasonOf(msg, f) }
func (g *gobgpLogger) SetLevel(gobgplog.LogLevel)          {}
func (g *gobgpLogger) GetLevel() gobgplog.LogLevel         { return gobgplog.DebugLevel }
