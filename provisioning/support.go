package provisioning

import (
	"errors"
	"fmt"
)

// Capability says whether one operation works on a platform and how that
// was established: the test that exercises it, or why nothing here can.
type Capability struct {
	Works bool `json:"works"`
	// Tested is false for a path the code has but no test runs.
	Tested bool `json:"tested"`
	// How names the test (and what it runs against) or, when Works is
	// false or the path was never run against the vendor's OS, says so.
	How string `json:"how"`
}

// Support is what tuyau can do with one platform. It is the one source of
// truth: transport selection (pickTransport) and the SSH dialer refuse
// what it marks as not working, and `tuyau config platforms` prints it.
type Support struct {
	Platform      string     `json:"platform"`
	Render        Capability `json:"render"`
	Plan          Capability `json:"plan"`
	ApplySSH      Capability `json:"apply_ssh"`
	ApplyGNMI     Capability `json:"apply_gnmi"`
	DeviceConfirm Capability `json:"device_confirm"`
	Rollback      Capability `json:"rollback"`
}

// The gNMI path is the same code for every vendor: the device's platform is
// replaced by "openconfig" (see Plan), so what it was tested against is
// the same for all.
var (
	gnmiApply = Capability{true, true, "OpenConfig over one gNMI Set (deletes and leaf replaces on the managed paths): TestGNMIPlanApply, TestConfigGNMIOnLab " +
		"(lab target testlab/gnmitarget), TestRoundTripYgotTarget (independent ygot-based target); never run against the vendor's own gNMI server here"}
	gnmiRollback   = Capability{true, false, "implemented (the recorded OpenConfig pushed back by one gNMI Set, as an apply) but no test rolls back over gNMI yet"}
	gnmiConfirm    = Capability{true, true, "--confirm sends the gNMI commit-confirmed extension (rollback_duration = the window), confirmed after the post-checks: a SIGKILLed tuyau leaves the device to roll back by itself, or a fresh 'tuyau config confirm' confirms the dead apply's commit on the device (TestConfigGNMIConfirmDeviceRollback, lab target testlab/gnmitarget, TestCommitConfirmed); cancel on failed checks is sent but not tested; never run against a vendor's gNMI server here"}
	templateRender = Capability{true, true, "template checked by golden files (TestRenderGolden); syntax not checked by the vendor's OS (none available here)"}
	gnmiPlan       = Capability{true, true, "over gNMI (OpenConfig Get/diff), as apply; SSH plan refused (comparing raw running config to template text would always show a full replace)"}
)

// frrConfirm: FRR has no commit-confirmed, the window outlives tuyau in a
// process of its own (cmd/tuyau confirm-timer, provisioning/confirms).
var frrConfirm = Capability{false, false, "no device-side timer (FRR has no commit-confirmed); --confirm keeps the window in a detached tuyau timer process instead " +
	"(own session, state file written before the push), which rolls the device back to its exact previous config at the deadline unless " +
	"'tuyau config confirm' settles it, even after the apply was SIGKILLed or hung up: TestConfigConfirmTimerRollsBackKilledApply (virtual lab), " +
	"TestConfigConfirmTimerRealFRR (real FRR in netns), TestConfigConfirmKeepsKilledApply, TestConfigConfirmLiveApply; " +
	"a reboot of the machine running tuyau kills the timer ('config confirm --status' reports the change stale)"}

func sshRefused(name string) Capability {
	return Capability{false, false, fmt.Sprintf("refused: no %s CLI dialect is implemented or testable here; use gNMI (--transport gnmi, transports: [gnmi])", name)}
}

var support = []Support{
	{
		Platform:      "frr",
		Render:        Capability{true, true, "TestRenderGolden; loaded into real FRR (TestRealFRR, TestFRRSafeBGP)"},
		Plan:          Capability{true, true, "line diff against FRR's running config over SSH/vtysh: TestRealFRR, TestFRRConvergence (real FRR in netns)"},
		ApplySSH:      Capability{true, true, "vtysh over SSH, line-by-line delta: TestRealFRR, TestApplyFaultsVirtualLab, TestExampleNetworkNetns (real FRR)"},
		ApplyGNMI:     Capability{false, false, "FRR has no gNMI server tuyau talks to; use SSH"},
		DeviceConfirm: frrConfirm,
		Rollback:      Capability{true, true, "to the exact recorded config over SSH: TestRealFRR, TestApplyFaultsVirtualLab (real FRR)"},
	},
	{Platform: "eos", Render: templateRender, Plan: gnmiPlan, ApplySSH: sshRefused("EOS"), ApplyGNMI: gnmiApply, DeviceConfirm: gnmiConfirm, Rollback: gnmiRollback},
	{Platform: "iosxe", Render: templateRender, Plan: gnmiPlan, ApplySSH: sshRefused("IOS-XE"), ApplyGNMI: gnmiApply, DeviceConfirm: gnmiConfirm, Rollback: gnmiRollback},
	{Platform: "junos", Render: templateRender, Plan: gnmiPlan, ApplySSH: sshRefused("Junos"), ApplyGNMI: gnmiApply, DeviceConfirm: gnmiConfirm, Rollback: gnmiRollback},
	{Platform: "srlinux", Render: templateRender, Plan: gnmiPlan, ApplySSH: sshRefused("SR Linux"), ApplyGNMI: gnmiApply, DeviceConfirm: gnmiConfirm, Rollback: gnmiRollback},
	{
		Platform:      "openconfig",
		Render:        Capability{true, true, "TestRenderGolden; JSON accepted by the lab and ygot targets (TestRoundTripLabTarget, TestRoundTripYgotTarget)"},
		Plan:          Capability{true, true, "OpenConfig Get and diff over gNMI: TestGNMIPlanApply, TestGNMIPlanWithoutBGP"},
		ApplySSH:      Capability{false, false, "OpenConfig is applied over gNMI only"},
		ApplyGNMI:     gnmiApply,
		DeviceConfirm: gnmiConfirm,
		Rollback:      gnmiRollback,
	},
}

// Supported returns what works per platform, in a fixed order (a copy).
func Supported() []Support { return append([]Support(nil), support...) }

// SupportOf returns the support of one platform; ok is false for an
// unknown one.
func SupportOf(platform string) (Support, bool) {
	for _, s := range support {
		if s.Platform == platform {
			return s, true
		}
	}
	return Support{}, false
}

// ErrSSHUnsupported is returned when a platform is reached over SSH that
// tuyau cannot plan or apply over SSH.
var ErrSSHUnsupported = errors.New("SSH is not supported for this platform; use gNMI")

// SSHRefusal returns nil when the platform's configs are planned and
// applied over SSH, else an error naming the device and the alternative.
func SSHRefusal(device, platform string) error {
	s, ok := SupportOf(platform)
	if !ok || s.ApplySSH.Works {
		return nil // unknown platforms are refused by the registry, by name
	}
	alt := "use gNMI: --transport gnmi, or list gnmi in the device's transports"
	if !s.ApplyGNMI.Works {
		alt = "no transport tuyau speaks"
	}
	return fmt.Errorf("device %s: platform %s over SSH: %w (%s)", device, platform, ErrSSHUnsupported, alt)
}
