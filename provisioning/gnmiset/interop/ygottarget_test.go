package interop

import (
	"context"
	"encoding/json"
	"net"
	"sync"
	"testing"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
	"github.com/openconfig/ygot/exampleoc"
	"github.com/openconfig/ygot/ygot"
	"github.com/openconfig/ygot/ytypes"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// ygotTarget is a gNMI server whose device tree is ygot's exampleoc.Device.
// Everything that touches data is ygot's: ytypes.SetNode and DeleteNode
// resolve paths and decode JSON_IETF against the OpenConfig schema, Validate
// checks types, patterns and ranges, Marshal7951 encodes Get. The RPC glue
// here only orders the operations of a Set (gNMI: deletes, replaces,
// updates) and makes it atomic by working on a copy.
type ygotTarget struct {
	gpb.UnimplementedGNMIServer
	mu     sync.Mutex
	schema *ytypes.Schema
	root   *exampleoc.Device
}

func newYgotTarget(t *testing.T) *ygotTarget {
	t.Helper()
	s, err := exampleoc.Schema()
	if err != nil {
		t.Fatal(err)
	}
	return &ygotTarget{schema: s, root: &exampleoc.Device{}}
}

// serve starts the target on 127.0.0.1:0 and returns its address.
func (y *ygotTarget) serve(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.Creds(insecure.NewCredentials()))
	gpb.RegisterGNMIServer(srv, y)
	done := make(chan struct{})
	go func() { _ = srv.Serve(lis); close(done) }()
	t.Cleanup(func() { srv.Stop(); <-done })
	return lis.Addr().String()
}

// device returns a copy of the tree, for checks.
func (y *ygotTarget) device(t *testing.T) *exampleoc.Device {
	t.Helper()
	y.mu.Lock()
	defer y.mu.Unlock()
	c, err := ygot.DeepCopy(y.root)
	if err != nil {
		t.Fatal(err)
	}
	return c.(*exampleoc.Device)
}

func (y *ygotTarget) Capabilities(context.Context, *gpb.CapabilityRequest) (*gpb.CapabilityResponse, error) {
	return &gpb.CapabilityResponse{GNMIVersion: "0.10.0", SupportedEncodings: []gpb.Encoding{gpb.Encoding_JSON_IETF}}, nil
}

// Get answers top-level subtrees (/interfaces, /system...) as JSON_IETF,
// which is what provisioning reads; NotFound when the device has none.
func (y *ygotTarget) Get(_ context.Context, req *gpb.GetRequest) (*gpb.GetResponse, error) {
	if req.GetEncoding() != gpb.Encoding_JSON_IETF {
		return nil, status.Error(codes.Unimplemented, "JSON_IETF only")
	}
	y.mu.Lock()
	defer y.mu.Unlock()
	doc, err := ygot.ConstructIETFJSON(y.root, &ygot.RFC7951JSONConfig{AppendModuleName: true})
	if err != nil {
		return nil, status.Errorf(codes.Internal, "encode: %v", err)
	}
	resp := &gpb.GetResponse{}
	for _, p := range req.GetPath() {
		if len(p.GetElem()) != 1 || len(p.GetElem()[0].GetKey()) != 0 {
			return nil, status.Errorf(codes.Unimplemented, "path %v: only top-level subtrees", p)
		}
		name := p.GetElem()[0].GetName()
		var sub any
		for k, v := range doc {
			if k == name || len(k) > len(name) && k[len(k)-len(name)-1:] == ":"+name {
				sub = v
			}
		}
		if sub == nil {
			return nil, status.Errorf(codes.NotFound, "path /%s: no data", name)
		}
		b, err := json.Marshal(sub)
		if err != nil {
			return nil, status.Errorf(codes.Internal, "encode: %v", err)
		}
		resp.Notification = append(resp.Notification, &gpb.Notification{Update: []*gpb.Update{{Path: p, Val: &gpb.TypedValue{Value: &gpb.TypedValue_JsonIetfVal{JsonIetfVal: b}}}}})
	}
	return resp, nil
}

func (y *ygotTarget) Set(_ context.Context, req *gpb.SetRequest) (*gpb.SetResponse, error) {
	y.mu.Lock()
	defer y.mu.Unlock()
	c, err := ygot.DeepCopy(y.root)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "copy: %v", err)
	}
	root := c.(*exampleoc.Device)
	rs := y.schema.RootSchema()
	var res []*gpb.UpdateResult
	for _, p := range req.GetDelete() {
		if err := ytypes.DeleteNode(rs, root, p); err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "delete %v: %v", p, err)
		}
		res = append(res, &gpb.UpdateResult{Path: p, Op: gpb.UpdateResult_DELETE})
	}
	for _, u := range append(append([]*gpb.Update(nil), req.GetReplace()...), req.GetUpdate()...) {
		// Every replace provisioning sends names a leaf, where replace
		// and update are the same.
		if err := ytypes.SetNode(rs, root, u.GetPath(), u.GetVal(), &ytypes.InitMissingElements{}); err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "set %v: %v", u.GetPath(), err)
		}
		res = append(res, &gpb.UpdateResult{Path: u.GetPath(), Op: gpb.UpdateResult_REPLACE})
	}
	if err := root.ΛValidate(&ytypes.LeafrefOptions{IgnoreMissingData: true}); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "invalid config, nothing applied: %v", err)
	}
	y.root = root
	return &gpb.SetResponse{Response: res}, nil
}

// set loads a JSON_IETF document into the device, as its starting config.
func (y *ygotTarget) load(t *testing.T, doc string) {
	t.Helper()
	y.mu.Lock()
	defer y.mu.Unlock()
	if err := exampleoc.Unmarshal([]byte(doc), y.root); err != nil {
		t.Fatalf("load %s: %v", doc, err)
	}
}
