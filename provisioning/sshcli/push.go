package sshcli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tuyau-net/tuyau/provisioning"
)

// pushBatch sends all commands to vtysh in one write instead of one round
// trip per command (10 ms each, most of an apply's time). vtysh runs them in
// order as readline hands them over. After each command comes an unknown
// command carrying a nonce and the command's position: vtysh answers it
// with "% Unknown command: MARKER-N" only once it has run command N, so a
// "% ..." line between the marks of N-1 and N is command N's rejection,
// named with its position and context. The unknown command is parsed by
// vtysh alone (no daemon round trip) and leaves the node unchanged. The
// last mark, after "end", says the batch is done (the pty echoes input at
// once, so an echoed marker would prove nothing). vtysh goes on past a
// rejected command; apply then rolls the whole device back.
func (c *Conn) pushBatch(ctx context.Context, cmds []string) error {
	nonce := make([]byte, 8)
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	marker := "tuyau-sync-" + hex.EncodeToString(nonce)
	return c.run(ctx, "push", func(ctx context.Context) error {
		c.trace = append(c.trace, "configure terminal")
		if err := c.drv.AcquirePriv("configuration"); err != nil {
			return cleanErr(err)
		}
		var sb strings.Builder
		for i, cmd := range cmds {
			sb.WriteString(cmd)
			sb.WriteString("\n" + marker + "-" + strconv.Itoa(i+1) + "\n")
		}
		sb.WriteString("end\n" + marker + "-end\n")
		c.trace = append(c.trace, fmt.Sprintf("batch of %d commands", len(cmds)))
		if err := c.drv.Channel.Write([]byte(sb.String()), false); err != nil {
			return err
		}
		out, err := c.readUntil(ctx, "Unknown command: "+marker+"-end")
		if err != nil {
			return err
		}
		c.drv.CurrentPriv = "exec"
		return rejections(out, marker, cmds)
	})
}

// rejections finds the "% ..." lines of a batch's output and the command
// each one answers; the first is returned as a *provisioning.CommandError
// naming the others.
func rejections(out []byte, marker string, cmds []string) error {
	mark := "Unknown command: " + marker + "-"
	pos := 1 // the command vtysh is running: the one after the last mark seen
	var first *provisioning.CommandError
	var more []string
	for _, l := range strings.Split(string(out), "\n") {
		l = strings.TrimSpace(l)
		// "Warning: closing connection to bgpd because of an I/O error!":
		// the command did not reach its daemon.
		if !strings.HasPrefix(l, "%") && !strings.HasPrefix(l, "Warning: ") {
			continue
		}
		if i := strings.Index(l, mark); i >= 0 {
			if n, err := strconv.Atoi(strings.TrimSpace(l[i+len(mark):])); err == nil {
				pos = n + 1
			}
			continue
		}
		if strings.Contains(l, marker) {
			continue
		}
		if first == nil {
			first = &provisioning.CommandError{Position: pos, Total: len(cmds), Message: l}
			if pos >= 1 && pos <= len(cmds) {
				first.Command = cmds[pos-1]
				first.Context = provisioning.FRRContextAt(cmds, pos-1)
			}
			continue
		}
		if pos >= 1 && pos <= len(cmds) {
			more = append(more, strconv.Itoa(pos)+" "+strconv.Quote(cmds[pos-1])+": "+l)
		} else {
			more = append(more, l)
		}
	}
	if first == nil {
		return nil
	}
	first.Others = more
	return first
}

// readUntil reads the session's output until it holds want and the prompt
// that follows it.
func (c *Conn) readUntil(ctx context.Context, want string) ([]byte, error) {
	var out []byte
	for {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		b, err := c.drv.Channel.Read()
		if err != nil {
			return out, err
		}
		if b == nil {
			time.Sleep(time.Millisecond)
			continue
		}
		out = append(out, b...)
		if i := bytes.Index(out, []byte(want)); i >= 0 && bytes.HasSuffix(bytes.TrimRight(out[i:], " "), []byte("#")) {
			return out, nil
		}
	}
}
