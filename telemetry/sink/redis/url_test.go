package redis

import (
	"strings"
	"testing"

	goredis "github.com/redis/go-redis/v9"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		url      string
		failover bool
		addrs    string
		err      string
	}{
		{url: "redis://127.0.0.1:6379/2", addrs: "127.0.0.1:6379"},
		{url: "rediss://u:p@redis.example:6380", addrs: "redis.example:6380"},
		{url: "unix:///run/redis.sock", addrs: "/run/redis.sock"},
		{url: "redis-sentinel://10.0.0.1:26379,10.0.0.2/tuyau", failover: true},
		{url: "redis-sentinel://10.0.0.1:26379/tuyau/3?sentinel_password=x", failover: true},
		{url: "redis-sentinel://10.0.0.1:26379/", err: "no master name"},
		{url: "redis-sentinel:///tuyau", err: "no sentinel address"},
		{url: "redis-sentinel://h:1/m/x", err: "database"},
		{url: "http://127.0.0.1/", err: "scheme"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			c, err := ParseURL(tc.url, "")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("ParseURL(%q) = %v, want error with %q", tc.url, err, tc.err)
				}
				if strings.Contains(err.Error(), ":p@") {
					t.Errorf("error shows the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseURL(%q): %v", tc.url, err)
			}
			defer c.Close()
			cl, ok := c.(*goredis.Client)
			if !ok {
				t.Fatalf("ParseURL(%q) = %T", tc.url, c)
			}
			if !tc.failover && cl.Options().Addr != tc.addrs {
				t.Errorf("ParseURL(%q) addr %s, want %s", tc.url, cl.Options().Addr, tc.addrs)
			}
			if tc.failover && cl.Options().Addr != "FailoverClient" {
				t.Errorf("ParseURL(%q) is not a failover client (addr %s)", tc.url, cl.Options().Addr)
			}
		})
	}
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"redis://127.0.0.1:6379/0", "redis-sentinel://a:1,b:2/m/1?sentinel_password=x", "unix:///x", "::", "redis-sentinel://,/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseURL(s, "")
		if err == nil {
			c.Close()
		}
	})
}
