package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"
)

// helperArgsEnv makes the test binary run tuyau itself with these
// arguments (a JSON array) instead of the tests: the netns tests start
// "tuyau bgp serve" inside a network namespace with "ip netns exec", where
// a goroutine could not go (GoBGP opens its sockets from whatever thread
// it runs on).
const helperArgsEnv = "TUYAU_TEST_RUN_ARGS"

// asTuyauEnv marks the processes of a tuyau run through tuyauExecutable.
const asTuyauEnv = "TUYAU_TEST_AS_TUYAU"

func TestMain(m *testing.M) {
	if a := os.Getenv(helperArgsEnv); a != "" {
		var args []string
		if err := json.Unmarshal([]byte(a), &args); err != nil {
			fmt.Fprintln(os.Stderr, helperArgsEnv+":", err)
			os.Exit(2)
		}
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
		code := run(ctx, args, os.Stdin, os.Stdout, os.Stderr, os.Getenv)
		stop()
		os.Exit(code)
	}
	// Called through a link named tuyau (tuyauExecutable), or run again
	// by such a tuyau as itself (os.Executable is this binary: the
	// confirm timer, a lab's daemon): be tuyau.
	if filepath.Base(os.Args[0]) == "tuyau" || os.Getenv(asTuyauEnv) != "" {
		os.Setenv(asTuyauEnv, "1")
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
		code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}
