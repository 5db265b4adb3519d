package gnmiset

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"sort"
	"strings"
	"time"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/gnmi/proto/gnmi_ext"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/tuyau-net/tuyau/inventory"
	"github.com/tuyau-net/tuyau/provisioning"
)

// DefaultRoots are the subtrees read as the running config.
var DefaultRoots = []string{"/interfaces", "/network-instances", "/routing-policy", "/system"}

// Dialer opens gNMI sessions.
type Dialer struct {
	// Targets override where a device is reached (host:port); otherwise
	// its management address, port 57400.
	Targets map[string]string
	// CAFile verifies the targets' certificates; the system pool when empty.
	CAFile string
	// Insecure disables TLS (labs only).
	Insecure           bool
	Username, Password string
	// Roots are the subtrees read as running config (DefaultRoots).
	Roots   []string
	Timeout time.Duration
}

// Dial implements provisioning.Dialer for transport "gnmi".
func (d *Dialer) Dial(ctx context.Context, dev inventory.Device, tr string) (provisioning.Conn, error) {
	if tr != "gnmi" {
		return nil, fmt.Errorf("device %s: gnmiset cannot speak %s", dev.Name, tr)
	}
	addr, ok := d.Targets[dev.Name]
	if !ok {
		if !dev.Mgmt.IsValid() {
			return nil, fmt.Errorf("device %s: no management address and no target", dev.Name)
		}
		addr = net.JoinHostPort(dev.Mgmt.String(), "57400")
	}
	var creds grpc.DialOption
	if d.Insecure {
		creds = grpc.WithTransportCredentials(insecure.NewCredentials())
	} else {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if d.CAFile != "" {
			pem, err := os.ReadFile(d.CAFile)
			if err != nil {
				return nil, fmt.Errorf("gnmi ca: %w", err)
			}
			cfg.RootCAs = x509.NewCertPool()
			if !cfg.RootCAs.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("gnmi ca %s: no certificate found", d.CAFile)
			}
		}
		creds = grpc.WithTransportCredentials(credentials.NewTLS(cfg))
	}
	cc, err := grpc.NewClient(addr, creds)
	if err != nil {
		return nil, fmt.Errorf("device %s (%s): gnmi: %w", dev.Name, addr, err)
	}
	timeout := d.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	roots := d.Roots
	if len(roots) == 0 {
		roots = DefaultRoots
	}
	c := &Conn{dev: dev.Name, addr: addr, cc: cc, client: gpb.NewGNMIClient(cc), user: d.Username, pw: d.Password, timeout: timeout, roots: roots}
	// gRPC connects lazily: ask for capabilities so a bad address, a
	// wrong certificate or refused credentials fail here, before any plan.
	cctx, cancel := c.rpcCtx(ctx)
	defer cancel()
	if _, err := c.client.Capabilities(cctx, &gpb.CapabilityRequest{}); err != nil {
		cc.Close()
		return nil, fmt.Errorf("device %s (%s): gnmi capabilities: %w", dev.Name, addr, err)
	}
	return c, nil
}

// Conn is a gNMI session to one device.
type Conn struct {
	dev, addr string
	cc        *grpc.ClientConn
	client    gpb.GNMIClient
	user, pw  string
	timeout   time.Duration
	roots     []string
}

func (c *Conn) rpcCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	if c.user != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "username", c.user, "password", c.pw)
	}
	return ctx, cancel
}

// get reads leaves under paths as flat path → JSON value.
//
// A target answers NotFound for the whole Get when one of its paths holds
// no data (gNMI 3.3.4): a device with no BGP yet has no /network-instances.
// For a plan that means "nothing there", so the paths are then read one by
// one and those NotFound count as empty subtrees.
func (c *Conn) get(ctx context.Context, t gpb.GetRequest_DataType, paths []string) (map[string]string, error) {
	req := &gpb.GetRequest{Type: t, Encoding: gpb.Encoding_JSON_IETF}
	for _, s := range paths {
		p, err := parsePath(s)
		if err != nil {
			return nil, fmt.Errorf("device %s: %w", c.dev, err)
		}
		req.Path = append(req.Path, p)
	}
	resp, err := c.rpcGet(ctx, req)
	if status.Code(err) == codes.NotFound {
		out := map[string]string{}
		for _, p := range req.Path {
			one := &gpb.GetRequest{Type: t, Encoding: req.Encoding, Path: []*gpb.Path{p}}
			r, err := c.rpcGet(ctx, one)
			if status.Code(err) == codes.NotFound {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("device %s: gnmi get %s: %w", c.dev, pathString(nil, p), err)
			}
			if err := c.flatten(r, out); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("device %s: gnmi get: %w", c.dev, err)
	}
	out := map[string]string{}
	if err := c.flatten(resp, out); err != nil {
		return nil, err
	}
	return out, nil
}

func (c *Conn) rpcGet(ctx context.Context, req *gpb.GetRequest) (*gpb.GetResponse, error) {
	ctx, cancel := c.rpcCtx(ctx)
	defer cancel()
	return c.client.Get(ctx, req)
}

// flatten adds the leaves of a Get response to out.
func (c *Conn) flatten(resp *gpb.GetResponse, out map[string]string) error {
	for _, n := range resp.GetNotification() {
		for _, u := range n.GetUpdate() {
			p := pathString(n.GetPrefix(), u.GetPath())
			var raw []byte
			switch v := u.GetVal().GetValue().(type) {
			case *gpb.TypedValue_JsonIetfVal:
				raw = v.JsonIetfVal
			case *gpb.TypedValue_JsonVal:
				raw = v.JsonVal
			case *gpb.TypedValue_StringVal:
				raw, _ = json.Marshal(v.StringVal)
			case *gpb.TypedValue_BoolVal:
				raw, _ = json.Marshal(v.BoolVal)
			case *gpb.TypedValue_UintVal:
				raw, _ = json.Marshal(v.UintVal)
			case *gpb.TypedValue_IntVal:
				raw, _ = json.Marshal(v.IntVal)
			default:
				continue
			}
			m, err := provisioning.FlattenOpenConfig(p, raw)
			if err != nil {
				return fmt.Errorf("device %s: %w", c.dev, err)
			}
			for k, v := range m {
				out[k] = v
			}
		}
	}
	return nil
}

// Running implements provisioning.Conn: the CONFIG leaves of the roots as
// "path = value" lines.
func (c *Conn) Running(ctx context.Context) ([]byte, error) {
	m, err := c.get(ctx, gpb.GetRequest_CONFIG, c.roots)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + " = " + m[k] + "\n")
	}
	return []byte(b.String()), nil
}

// Push implements provisioning.Conn: one Set, atomic on the target.
func (c *Conn) Push(ctx context.Context, d provisioning.Delta) error {
	req, err := c.setRequest(d)
	if err != nil {
		return err
	}
	return c.set(ctx, req, "gnmi set")
}

// PushConfirmed implements provisioning.CommitConfirmer: the Set carries
// the commit-confirmed extension, so the device itself rolls the change
// back after window unless ConfirmCommit(id) arrives; a tuyau that dies
// meanwhile leaves no half-kept change behind.
func (c *Conn) PushConfirmed(ctx context.Context, d provisioning.Delta, id string, window time.Duration) error {
	req, err := c.setRequest(d)
	if err != nil {
		return err
	}
	req.Extension = []*gnmi_ext.Extension{commitExt(&gnmi_ext.Commit{Id: id,
		Action: &gnmi_ext.Commit_Commit{Commit: &gnmi_ext.CommitRequest{RollbackDuration: durationpb.New(window)}}})}
	return c.set(ctx, req, "gnmi set (commit "+id+")")
}

// ConfirmCommit implements provisioning.CommitConfirmer: the device keeps
// commit id.
func (c *Conn) ConfirmCommit(ctx context.Context, id string) error {
	req := &gpb.SetRequest{Extension: []*gnmi_ext.Extension{commitExt(&gnmi_ext.Commit{Id: id,
		Action: &gnmi_ext.Commit_Confirm{Confirm: &gnmi_ext.CommitConfirm{}}})}}
	return c.set(ctx, req, "gnmi confirm commit "+id)
}

// CancelCommit implements provisioning.CommitConfirmer: the device rolls
// commit id back now.
func (c *Conn) CancelCommit(ctx context.Context, id string) error {
	req := &gpb.SetRequest{Extension: []*gnmi_ext.Extension{commitExt(&gnmi_ext.Commit{Id: id,
		Action: &gnmi_ext.Commit_Cancel{Cancel: &gnmi_ext.CommitCancel{}}})}}
	return c.set(ctx, req, "gnmi cancel commit "+id)
}

func commitExt(cm *gnmi_ext.Commit) *gnmi_ext.Extension {
	return &gnmi_ext.Extension{Ext: &gnmi_ext.Extension_Commit{Commit: cm}}
}

func (c *Conn) set(ctx context.Context, req *gpb.SetRequest, what string) error {
	ctx, cancel := c.rpcCtx(ctx)
	defer cancel()
	if _, err := c.client.Set(ctx, req); err != nil {
		return fmt.Errorf("device %s: %s: %w", c.dev, what, err)
	}
	return nil
}

// setRequest turns a delta's commands into one SetRequest.
func (c *Conn) setRequest(d provisioning.Delta) (*gpb.SetRequest, error) {
	req := &gpb.SetRequest{}
	for _, cmd := range d.Commands {
		op, ps, val, err := provisioning.ParseCommand(cmd)
		if err != nil {
			return nil, fmt.Errorf("device %s: %w", c.dev, err)
		}
		p, err := parsePath(ps)
		if err != nil {
			return nil, fmt.Errorf("device %s: %w", c.dev, err)
		}
		switch op {
		case "delete":
			req.Delete = append(req.Delete, p)
		case "replace":
			req.Replace = append(req.Replace, &gpb.Update{Path: p, Val: &gpb.TypedValue{Value: &gpb.TypedValue_JsonIetfVal{JsonIetfVal: []byte(val)}}})
		}
	}
	return req, nil
}

// Status implements provisioning.StatusReader.
func (c *Conn) Status(ctx context.Context) (provisioning.Status, error) {
	st := provisioning.Status{InterfacesUp: map[string]bool{}, BGP: map[string]string{}}
	m, err := c.get(ctx, gpb.GetRequest_STATE, []string{"/interfaces/interface[name=*]/state/oper-status",
		"/network-instances/network-instance[name=default]/protocols/protocol[identifier=BGP][name=BGP]/bgp/neighbors/neighbor[neighbor-address=*]/state/session-state"})
	if err != nil {
		return st, err
	}
	for p, v := range m {
		var s string
		if json.Unmarshal([]byte(v), &s) != nil {
			continue
		}
		switch {
		case strings.HasSuffix(p, "/state/oper-status"):
			st.InterfacesUp[keyOf(p, "interface", "name")] = s == "UP"
		case strings.HasSuffix(p, "/state/session-state"):
			// OpenConfig says ESTABLISHED; post-checks speak FRR's word.
			if s == "ESTABLISHED" {
				s = "Established"
			}
			st.BGP[keyOf(p, "neighbor", "neighbor-address")] = s
		}
	}
	return st, nil
}

// keyOf returns key of the last element named elem in path p, parsed as a
// path so that escaped brackets in a key value read right.
func keyOf(p, elem, key string) string {
	gp, err := parsePath(p)
	if err != nil {
		return ""
	}
	for i := len(gp.GetElem()) - 1; i >= 0; i-- {
		if e := gp.GetElem()[i]; e.GetName() == elem {
			return e.GetKey()[key]
		}
	}
	return ""
}

// Close implements provisioning.Conn.
func (c *Conn) Close() error {
	if c.cc == nil {
		return errors.New("closed")
	}
	err := c.cc.Close()
	c.cc = nil
	return err
}
