package inventory

import "testing"

func TestCheckAPI(t *testing.T) {
	tests := []struct {
		api string
		ok  bool
	}{
		{"/run/tuyau/bgp.sock", true},
		{"unix:/run/tuyau/bgp.sock", true},
		{"127.0.0.1:50051", true},
		{"[::1]:50051", true},
		{"localhost:50051", true},
		{"", false},
		{"run/bgp.sock", false},
		{"0.0.0.0:50051", false},
		{"10.254.0.1:50051", false},
		{"127.0.0.1:0", false},
		{"127.0.0.1:http", false},
		{"/" + string(make([]byte, 120)), false},
	}
	for _, tt := range tests {
		if msg := checkAPI(tt.api); (msg == "") != tt.ok {
			t.Errorf("checkAPI(%q) = %q, want ok=%v", tt.api, msg, tt.ok)
		}
	}
}

func TestSpeakersOf(t *testing.T) {
	s := &Snapshot{Speakers: []Speaker{
		{Name: "a", Site: "dc1", Peers: []SpeakerPeer{{Device: "r1"}, {Device: "r2"}}},
		{Name: "b", Site: "dc2", Peers: []SpeakerPeer{{Device: "r2"}}},
	}}
	if got := len(s.SpeakersOf("r2")); got != 2 {
		t.Errorf("SpeakersOf(r2) = %d sessions, want 2", got)
	}
	if got := s.SpeakersOf("r1"); len(got) != 1 || got[0].Speaker.Name != "a" {
		t.Errorf("SpeakersOf(r1) = %+v, want speaker a", got)
	}
	if !s.HasSpeakerAt("dc2") || s.HasSpeakerAt("dc3") {
		t.Errorf("HasSpeakerAt: dc2 %v dc3 %v, want true false", s.HasSpeakerAt("dc2"), s.HasSpeakerAt("dc3"))
	}
}
