// Command bb is the measuring side of bench/bgp/run: it generates the
// feeder's routes, runs tuyau's speaker (package bgp, the product's code)
// as a receiver with or without its route monitor, waits for a receiver to
// hold the whole feed, and times a hijack alarm.
//
//	bb gen -v4 N -v6 M -dir DIR                 BIRD static routes (routes4.conf, routes6.conf)
//	bb speaker -listen A -port P -api ADDR -peer A -peer-port P -stats ADDR [-monitor] [-members K]
//	bb wait -kind gobgp|bird (-api ADDR | -birdc PATH -proto NAME) -n TOTAL [-stats URL] -pid PID
//	bb hijack -birdc PATH -proto NAME -stats URL
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: bb gen|speaker|wait|hijack ...")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(os.Args[2:])
	case "speaker":
		err = speaker(os.Args[2:])
	case "wait":
		err = wait(os.Args[2:])
	case "hijack":
		err = hijack(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bb "+os.Args[1]+":", err)
		os.Exit(1)
	}
}
