package redis

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// ParseURL turns a Redis location into a go-redis client. Forms
// (docs/telemetry.md):
//
//	redis://[user:password@]host:port[/db]          one server
//	rediss://...                                     the same over TLS
//	unix:///path/to/redis.sock[?db=N]                a local socket
//	redis-sentinel://[user:password@]host:port[,host:port...]/master[/db][?sentinel_password=...]
//
// A sentinel URL gives a failover client that follows the primary the
// sentinels promote. The password may also come from TUYAU_REDIS_PASSWORD
// (the caller passes it as password; it is never part of logs).
func ParseURL(raw, password string) (goredis.UniversalClient, error) {
	if rest, ok := strings.CutPrefix(raw, "redis-sentinel://"); ok {
		return parseSentinel(rest, password)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("redis URL: %w", err)
	}
	switch u.Scheme {
	case "redis", "rediss", "unix":
		o, err := goredis.ParseURL(raw)
		if err != nil {
			return nil, fmt.Errorf("redis URL %s: %w", redact(u), err)
		}
		if password != "" && o.Password == "" {
			o.Password = password
		}
		timeouts(&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout)
		return goredis.NewClient(o), nil
	}
	return nil, fmt.Errorf("redis URL %s: scheme %q: want redis, rediss, unix or redis-sentinel", redact(u), u.Scheme)
}

func parseSentinel(rest, password string) (goredis.UniversalClient, error) {
	// net/url takes one host: parse the comma-separated list apart, and
	// the rest with a placeholder host.
	hostEnd := strings.IndexAny(rest, "/?")
	if hostEnd < 0 {
		hostEnd = len(rest)
	}
	authority := rest[:hostEnd]
	userinfo, hosts := "", authority
	if at := strings.LastIndex(authority, "@"); at >= 0 {
		userinfo, hosts = authority[:at+1], authority[at+1:]
	}
	u, err := url.Parse("redis-sentinel://" + userinfo + "sentinel" + rest[hostEnd:])
	if err != nil {
		return nil, fmt.Errorf("redis sentinel URL: %w", err)
	}
	if hosts == "" {
		return nil, fmt.Errorf("redis URL %s: no sentinel address", redact(u))
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if parts[0] == "" {
		return nil, fmt.Errorf("redis URL %s: no master name (redis-sentinel://host:port/MASTER)", redact(u))
	}
	o := &goredis.FailoverOptions{MasterName: parts[0]}
	for _, a := range strings.Split(hosts, ",") {
		if a == "" {
			return nil, fmt.Errorf("redis URL %s: empty sentinel address in %q", redact(u), hosts)
		}
		if !strings.Contains(a, ":") {
			a += ":26379"
		}
		o.SentinelAddrs = append(o.SentinelAddrs, a)
	}
	if len(parts) > 1 {
		db, err := strconv.Atoi(parts[1])
		if err != nil {
			return nil, fmt.Errorf("redis URL %s: database %q: %w", redact(u), parts[1], err)
		}
		o.DB = db
	}
	if u.User != nil {
		o.Username = u.User.Username()
		o.Password, _ = u.User.Password()
	}
	if o.Password == "" {
		o.Password = password
	}
	q := u.Query()
	o.SentinelPassword = q.Get("sentinel_password")
	o.SentinelUsername = q.Get("sentinel_username")
	timeouts(&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout)
	return goredis.NewFailoverClient(o), nil
}

// timeouts sets short network deadlines: a sink must notice a dead Redis
// in a second, not in go-redis's default 5 s dial.
func timeouts(dial, read, write *time.Duration) {
	if *dial == 0 {
		*dial = time.Second
	}
	if *read == 0 {
		*read = 2 * time.Second
	}
	if *write == 0 {
		*write = 2 * time.Second
	}
}

func redact(u *url.URL) string { return u.Redacted() }
