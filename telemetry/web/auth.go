package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// cookieName holds the session: a hash of the token, so that the token
// itself never sits in the browser's cookie jar.
const cookieName = "tuyau_noc"

// CheckListen refuses to serve beyond loopback without a token: reads
// show the network's weak points and acks silence alarms.
func CheckListen(addr, token string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("web: listen " + addr + ": want host:port")
	}
	if token != "" {
		return nil
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return errors.New("web: listen " + addr + " is not loopback: set TUYAU_WEB_TOKEN or --token-file, or listen on 127.0.0.1")
}

func (s *Server) session() string {
	sum := sha256.Sum256([]byte("tuyau-web-session\x00" + s.o.Token))
	return hex.EncodeToString(sum[:])
}

// allowed lets every request through without a token; with one, only
// those carrying it (Bearer) or the session cookie, and the login page.
func (s *Server) allowed(r *http.Request) bool {
	if s.o.Token == "" {
		return true
	}
	if r.URL.Path == "/login" || r.URL.Path == "/healthz" || strings.HasPrefix(r.URL.Path, "/assets/") {
		return true
	}
	if got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return subtle.ConstantTimeCompare([]byte(got), []byte(s.o.Token)) == 1
	}
	if c, err := r.Cookie(cookieName); err == nil {
		return subtle.ConstantTimeCompare([]byte(c.Value), []byte(s.session())) == 1
	}
	return false
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	http.ServeFileFS(w, r, s.static, "login.html")
}

// login takes the token from a form (never from the URL, which ends up in
// histories and proxy logs) and sets the session cookie.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if s.o.Token == "" {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	if err := r.ParseForm(); err != nil || subtle.ConstantTimeCompare([]byte(r.PostForm.Get("token")), []byte(s.o.Token)) != 1 {
		time.Sleep(500 * time.Millisecond) // slows guessing; the token is long anyway
		s.o.Logger.Warn("web login refused", "from", r.RemoteAddr)
		http.Redirect(w, r, "/login?failed=1", http.StatusSeeOther)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: s.session(), Path: "/", HttpOnly: true,
		// Secure behind the TLS proxy too: a spoofed header only makes the
		// cookie stricter.
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https", MaxAge: 30 * 24 * 3600})
	s.o.Logger.Info("web login", "from", r.RemoteAddr)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

type apiError struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// sameOrigin refuses a write whose Origin is another site's: with the
// JSON body (no simple cross-site form can send one) and the SameSite
// cookie, a page visited on the NOC desk cannot ack through it.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return r.Header.Get("Sec-Fetch-Site") == "" || r.Header.Get("Sec-Fetch-Site") == "same-origin"
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

func (s *Server) ack(w http.ResponseWriter, r *http.Request) {
	if s.o.Acker == nil {
		writeJSON(w, http.StatusNotImplemented, apiError{"ack: this source takes no acknowledgements"})
		return
	}
	if !sameOrigin(r) {
		writeJSON(w, http.StatusForbidden, apiError{"ack: cross-origin request refused"})
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeJSON(w, http.StatusUnsupportedMediaType, apiError{`ack: send application/json {"by": NAME}`})
		return
	}
	var req struct {
		By string `json:"by"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{`ack: body must be {"by": NAME}`})
		return
	}
	by := strings.TrimSpace(req.By)
	if by == "" {
		by = s.o.User
	}
	if by == "" || len(by) > 64 {
		writeJSON(w, http.StatusBadRequest, apiError{"ack: say who acknowledges (1 to 64 characters)"})
		return
	}
	id := r.PathValue("id")
	ctx, cancel := contextTimeout(r, s.o.Timeout)
	defer cancel()
	if err := s.o.Acker.Ack(ctx, id, by); err != nil {
		writeJSON(w, http.StatusBadGateway, apiError{"ack " + id + ": " + err.Error()})
		return
	}
	s.o.Logger.Info("alarm acknowledged", "alarm", id, "by", by, "from", r.RemoteAddr)
	s.hub.poke()
	writeJSON(w, http.StatusOK, map[string]string{"id": id, "acked_by": by})
}
