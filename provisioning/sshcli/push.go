package sshcli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"

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
// mark after "end" says the batch is done (the pty echoes input at once, so
// an echoed marker would prove nothing). vtysh goes on past a rejected
// command; apply then rolls the whole device back.
//
// The same write starts with "configure terminal" (its own mark, 0, says it
// was taken) and ends with "show running-config", the read that verifies
// the push, kept for the session's next Running: two round trips fewer per
// router. The read is the write's last line so no later input can echo
// into its output (the pty echoes typed-ahead input while a command runs,
// and only marker lines can be told apart from output).
func (c *Conn) pushBatch(ctx context.Context, cmds []string) error {
	nonce := make([]byte, 8)
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	marker := "tuyau-sync-" + hex.EncodeToString(nonce)
	c.after, c.iface = nil, nil
	return c.run(ctx, "push", func(ctx context.Context) error {
		var sb strings.Builder
		sb.WriteString("configure terminal\n" + marker + "-0\n")
		for i, cmd := range cmds {
			sb.WriteString(cmd)
			sb.WriteString("\n" + marker + "-" + strconv.Itoa(i+1) + "\n")
		}
		sb.WriteString("end\n" + marker + "-end\n")
		c.trace = append(c.trace, fmt.Sprintf("configure terminal, %d commands, end, show daemons, %s", len(cmds), readCmd))
		parts, err := c.exchange(ctx, sb.String(), []string{marker + "-end"}, "show daemons", readCmd)
		if err != nil {
			return err
		}
		if err := rejections(parts[0], marker, cmds); err != nil {
			return err
		}
		c.after = &frrRead{daemons: clean(parts[1], "show daemons", readCmd), config: string(parts[2])}
		return nil
	})
}

// exchange writes prefix and then each of reads in one write, a mark
// (an unknown command) after each read but the last, and returns one part
// of the output per mark, prefix's own marks (each answered once, in
// order) first, then the last read's output. A part ends with the "%
// Unknown command" answer to its mark and may hold the pty's echo of the
// input after it (marks, later reads): clean writes it with clean. The
// last read has no input after it, so its output is clean, up to the
// prompt.
func (c *Conn) exchange(ctx context.Context, prefix string, marks []string, reads ...string) ([][]byte, error) {
	nonce := make([]byte, 8)
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	var sb strings.Builder
	sb.WriteString(prefix)
	for i, r := range reads {
		sb.WriteString(r + "\n")
		if i < len(reads)-1 {
			m := "tuyau-sync-" + hex.EncodeToString(nonce) + "-r" + strconv.Itoa(i)
			marks = append(marks, m)
			sb.WriteString(m + "\n")
		}
	}
	if err := c.s.write([]byte(sb.String())); err != nil {
		return nil, err
	}
	var out []byte
	if len(marks) > 0 {
		var err error
		if out, err = c.readUntil(ctx, "Unknown command: "+marks[len(marks)-1]); err != nil {
			return nil, err
		}
	}
	var parts [][]byte
	for _, m := range marks {
		i := bytes.Index(out, []byte("Unknown command: "+m))
		if i < 0 {
			return nil, fmt.Errorf("mark %s missing from the output", m)
		}
		j := i + bytes.IndexByte(append(out[i:len(out):len(out)], '\n'), '\n')
		parts = append(parts, out[:j])
		out = out[j:]
	}
	last, err := c.readCommand(ctx, out, reads[len(reads)-1])
	if err != nil {
		return nil, err
	}
	return append(parts, last), nil
}

// clean drops from a part of an exchange's output the lines that are
// input, echoed: marks, and commands after a prompt or alone.
func clean(part []byte, cmds ...string) string {
	var keep []string
	for _, l := range strings.Split(strings.ReplaceAll(string(part), "\r", ""), "\n") {
		t := strings.TrimSpace(l)
		echo := strings.Contains(t, "tuyau-sync-")
		for _, c := range cmds {
			if p, ok := strings.CutSuffix(t, c); ok && (p == "" || execPrompt.MatchString(strings.TrimSpace(p))) {
				echo = true
			}
		}
		if !echo {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// readCmd is the read that verifies a push on FRR.
const readCmd = "show running-config"

// execPrompt is a line that is the exec-mode prompt alone, as
// frr_vtysh.yaml has it; the batch may change the hostname it shows.
var execPrompt = regexp.MustCompile(`^[\w.\-]{1,63}#\s?$`)

// readCommand reads, after what was already read, the output of cmd, the
// last line of a write: from vtysh's echo of it after its prompt to the
// next prompt, which ends the output (no config or JSON line is a bare
// "name#").
func (c *Conn) readCommand(ctx context.Context, have []byte, cmd string) ([]byte, error) {
	for {
		if out, ok := commandOutput(have, cmd); ok {
			c.s.prompt = append(c.s.prompt[:0], lastLine(have)...)
			return out, nil
		}
		b, err := c.s.next(ctx)
		if err != nil {
			return nil, err
		}
		have = append(have, b...)
	}
}

// commandOutput finds cmd's output in text: the lines after the first
// "prompt# cmd" line up to a bare prompt that ends text.
func commandOutput(text []byte, cmd string) ([]byte, bool) {
	lines := strings.Split(strings.ReplaceAll(string(text), "\r", ""), "\n")
	start := -1
	for i, l := range lines {
		p, ok := strings.CutSuffix(strings.TrimRight(l, " "), cmd)
		if ok && execPrompt.MatchString(strings.TrimRight(p, " ")) {
			start = i + 1
			break
		}
	}
	last := len(lines) - 1
	if start < 0 || last < start || !execPrompt.MatchString(lines[last]) {
		return nil, false
	}
	return []byte(strings.Join(lines[start:last], "\n")), true
}

// rejections finds the "% ..." lines of a batch's output and the command
// each one answers; the first is returned as a *provisioning.CommandError
// naming the others.
func rejections(out []byte, marker string, cmds []string) error {
	mark := "Unknown command: " + marker + "-"
	pos := 0 // the command vtysh is running: the one after the last mark seen; 0 is "configure terminal"
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
		if pos == 0 {
			// Not in configuration mode: what follows ran in exec mode,
			// where a config command is unknown.
			return fmt.Errorf("configure terminal: %s", l)
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
	return c.s.until(ctx, func(out []byte) bool {
		i := bytes.Index(out, []byte(want))
		return i >= 0 && bytes.HasSuffix(bytes.TrimRight(out[i:], " "), []byte("#"))
	})
}
