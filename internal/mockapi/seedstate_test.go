package mockapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/packethost/packngo"
)

// stateFixture reads a state file of internal/mockapi/tfstate/testdata.
func stateFixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("tfstate", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Keys of the fixtures, as they are in their states.
const (
	fixtureKey1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c"
	fixtureKey2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIE5dw6ofRdfVqNUZsNMfszLjYqRtO43ol32D1uPybOU"
	fixtureKey3 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO1JKMYo0cLG6ukDOJBZlWEpWSc6XGP5NjbBRhSshzfR"
)

// legacyStateFixture renders one of internal/provider/testdata/legacy-state
// (the archived provider's and equinix v4's key state) for user and project.
func legacyStateFixture(t *testing.T, name, userID, projectID string) []byte {
	t.Helper()
	tmpl, err := template.New(name).Funcs(template.FuncMap{
		"json": func(s string) (string, error) {
			b, err := json.Marshal(s)
			return string(b), err
		},
		"goTime": func(s string) string {
			tm, _ := time.Parse(time.RFC3339, s)
			return fmt.Sprintf("%#v", tm.UTC())
		},
	}).ParseFiles(filepath.Join("..", "provider", "testdata", "legacy-state", name))
	if err != nil {
		t.Fatal(err)
	}
	type key struct{ ID, Key, Fingerprint, Created, Updated string }
	var out bytes.Buffer
	if err := tmpl.Execute(&out, struct {
		UserID, ProjectID       string
		PersonalKey, ProjectKey key
	}{userID, projectID,
		key{"c8c8c8c8-8888-4888-8888-888888888888", fixtureKey2 + "\n", "76:ba:87:36:86:a2:56:bf:ca:3b:b5:c8:28:6c:39:7e", "2021-01-01T00:00:00Z", "2021-01-02T00:00:00Z"},
		key{"c9c9c9c9-9999-4999-8999-999999999999", fixtureKey1 + "\n", "ab:f1:da:70:fb:1d:78:2a:1a:c7:69:73:3c:43:07:4f", "2021-02-01T00:00:00Z", "2021-02-02T00:00:00Z"},
	}); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// seeded is a mock seeded from one state, with the default seed's token.
type seeded struct {
	*env
	fleet *fakeFleet
	sum   SeedSummary
}

func seedFrom(t *testing.T, states ...[]byte) seeded {
	t.Helper()
	fleet := &fakeFleet{}
	e := newEnv(t, Options{Provisioner: fleet.provision})
	var sum SeedSummary
	for _, st := range states {
		var err error
		if sum, err = e.srv.SeedFromState(st); err != nil {
			t.Fatalf("SeedFromState: %v", err)
		}
	}
	return seeded{env: e, fleet: fleet, sum: sum}
}

func (s seeded) key(id string) sshKeyJSON {
	s.t.Helper()
	var k sshKeyJSON
	s.expect(s.do("GET", "/ssh-keys/"+id, DefaultToken, nil), 200).decode(s.t, &k)
	return k
}

func (s seeded) device(id string) deviceJSON {
	s.t.Helper()
	var d deviceJSON
	s.expect(s.do("GET", "/devices/"+id, DefaultToken, nil), 200).decode(s.t, &d)
	return d
}

func (s seeded) project(id string) projectJSON {
	s.t.Helper()
	var p projectJSON
	s.expect(s.do("GET", "/projects/"+id, DefaultToken, nil), 200).decode(s.t, &p)
	return p
}

func (s seeded) noteAbout(what string) bool {
	return slices.ContainsFunc(s.sum.Notes, func(n string) bool { return strings.Contains(n, what) })
}

func wantEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// TestSeedFromState: one case per provider whose state the mock reads; the
// API then answers for each key, project and device what the state holds,
// to the token that wrote it.
func TestSeedFromState(t *testing.T) {
	cases := []struct {
		name  string
		state func(t *testing.T) []byte
		check func(t *testing.T, s seeded)
	}{{
		name:  "this provider",
		state: func(t *testing.T) []byte { return stateFixture(t, "this-provider.tfstate") },
		check: func(t *testing.T, s seeded) {
			var me userJSON
			s.expect(s.do("GET", "/user", DefaultToken, nil), 200).decode(t, &me)
			wantEqual(t, "the token's user", me.ID, "b1b1b1b1-1111-4111-8111-111111111111")
			laptop := s.key("c2c2c2c2-2222-4222-8222-222222222222")
			wantEqual(t, "personal key", []string{laptop.Label, laptop.Key, laptop.Fingerprint, laptop.CreatedAt, laptop.Owner.Href},
				[]string{"laptop", fixtureKey2 + " laptop\n", "76:ba:87:36:86:a2:56:bf:ca:3b:b5:c8:28:6c:39:7e", "2026-03-01T12:00:00Z", "/metal/v1/users/b1b1b1b1-1111-4111-8111-111111111111"})
			deploy := s.key("c1c1c1c1-1111-4111-8111-111111111111")
			wantEqual(t, "project key", []any{deploy.Label, deploy.Tags, deploy.UpdatedAt, deploy.Owner.Href},
				[]any{"deploy", []string{"ci"}, "2026-03-02T10:00:00Z", "/metal/v1/projects/a1a1a1a1-1111-4111-8111-111111111111"})
			s.project("a1a1a1a1-1111-4111-8111-111111111111")
			if !s.noteAbout("a1a1a1a1-1111-4111-8111-111111111111: the state has no name") {
				t.Errorf("no note on the unnamed project: %q", s.sum.Notes)
			}
			d := s.device("d1d1d1d1-1111-4111-8111-111111111111")
			wantEqual(t, "device", []any{d.Hostname, d.Project.ID, d.IPAddresses[0].Address, keyIDsOf(d.SSHKeys)},
				[]any{"web-1", "a1a1a1a1-1111-4111-8111-111111111111", "127.0.0.1", sorted("c1c1c1c1-1111-4111-8111-111111111111", "c2c2c2c2-2222-4222-8222-222222222222")})
			ak := string(s.fleet.get(d.ID).spec.AuthorizedKeys)
			wantEqual(t, "authorized_keys", ak, fixtureKey1+" deploy\n"+fixtureKey2+" laptop\n"+`from="127.0.0.1" `+fixtureKey3+" legacy\n")
			if !s.noteAbout("pinned_host_key") {
				t.Errorf("no note on the pinned host key the machine does not have: %q", s.sum.Notes)
			}
			wantEqual(t, "skipped", s.sum.Skipped, []string{"data.packet_ssh_public_key.me", "module.app.aws_instance.web[0]", "module.app.aws_instance.web[1]"})
			wantEqual(t, "counts", []int{s.sum.Projects, s.sum.SSHKeys, s.sum.Devices, s.sum.Attachments}, []int{1, 3, 1, 1})
		},
	}, {
		name: "archived packethost/packet: keys (the repo's legacy fixture)",
		state: func(t *testing.T) []byte {
			return legacyStateFixture(t, "packethost-packet-v3.tfstate", DefaultUserID, DefaultProjectID)
		},
		check: func(t *testing.T, s seeded) {
			k := s.key("c8c8c8c8-8888-4888-8888-888888888888")
			wantEqual(t, "personal key", []string{k.Key, k.CreatedAt, k.UpdatedAt}, []string{fixtureKey2 + "\n", "2021-01-01T00:00:00Z", "2021-01-02T00:00:00Z"})
			wantEqual(t, "project name kept", s.project(DefaultProjectID).Name, "mock-project")
		},
	}, {
		name:  "archived packethost/packet: project and device",
		state: func(t *testing.T) []byte { return stateFixture(t, "packethost-packet-v3-devices.tfstate") },
		check: func(t *testing.T, s seeded) {
			p := s.project("a2a2a2a2-2222-4222-8222-222222222222")
			wantEqual(t, "project", []string{p.Name, p.Organization.Href, p.PaymentMethod.Href, p.CreatedAt, p.UpdatedAt},
				[]string{"main", "/metal/v1/organizations/e2e2e2e2-2222-4222-8222-222222222222", "/metal/v1/payment-methods/f2f2f2f2-2222-4222-8222-222222222222", "2020-05-01T10:00:00Z", "2020-05-02T10:00:00Z"})
			c := newPackngo(t, s.env, DefaultToken)
			d, _, err := c.Devices.Get("d2d2d2d2-2222-4222-8222-222222222222", &packngo.GetOptions{Includes: []string{"project"}})
			if err != nil {
				t.Fatal(err)
			}
			var addrs []string
			for _, n := range d.Network {
				addrs = append(addrs, fmt.Sprintf("%s/%d gw %s public=%v management=%v", n.Address, n.CIDR, n.Gateway, n.Public, n.Management))
			}
			wantEqual(t, "device", []any{d.Hostname, d.Project.ID, d.Plan.Slug, d.Facility.Code, d.OS.Slug, d.BillingCycle, deref(d.Description), d.Tags, d.Created, d.RootPassword, d.GetNetworkType(), addrs},
				[]any{"web-2", "a2a2a2a2-2222-4222-8222-222222222222", "c3.small.x86", "sv15", "ubuntu_20_04", "hourly", "front end", []string{"web"}, "2020-05-01T10:05:00Z", "", "layer3",
					[]string{"147.75.1.2/31 gw 147.75.1.1 public=true management=true", "2604:1380:1000::1/127 gw 2604:1380:1000:: public=true management=true", "10.0.0.3/31 gw 10.0.0.2 public=false management=true"}})
			wantEqual(t, "machine root password", s.fleet.get(d.ID).spec.RootPassword, "Zq4kPr8t2nVw")
			if !s.noteAbout("147.75.1.2") {
				t.Errorf("no note that the machine is not at the state's address: %q", s.sum.Notes)
			}
			wantEqual(t, "skipped", s.sum.Skipped, []string{"packet_reserved_ip_block.extra"})
		},
	}, {
		name: "equinix v4: keys (the repo's legacy fixture)",
		state: func(t *testing.T) []byte {
			return legacyStateFixture(t, "equinix-v4.tfstate", DefaultUserID, DefaultProjectID)
		},
		check: func(t *testing.T, s seeded) {
			k := s.key("c9c9c9c9-9999-4999-8999-999999999999")
			wantEqual(t, "project key", []string{k.Label, k.CreatedAt, k.UpdatedAt}, []string{"deploy", "2021-02-01T00:00:00Z", "2021-02-02T00:00:00Z"})
		},
	}, {
		name:  "equinix v4: project and metro device",
		state: func(t *testing.T) []byte { return stateFixture(t, "equinix-v4-devices.tfstate") },
		check: func(t *testing.T, s seeded) {
			p := s.project("a3a3a3a3-3333-4333-8333-333333333333")
			wantEqual(t, "project", []any{p.Name, p.BackendTransfer, p.PaymentMethod == nil}, []any{"prod", true, true})
			d := s.device("d3d3d3d3-3333-4333-8333-333333333333")
			wantEqual(t, "device", []any{d.Metro.Code, d.Facility.Code, d.Locked, d.Tags, keyIDsOf(d.SSHKeys)},
				[]any{"da", "da11", true, []string{"db", "prod"}, []string{"c6c6c6c6-6666-4666-8666-666666666666"}})
			wantEqual(t, "key times", s.key("c6c6c6c6-6666-4666-8666-666666666666").CreatedAt, "2024-02-02T03:04:05Z")
		},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.check(t, seedFrom(t, c.state(t)))
		})
	}
}

// TestSeedFromSeveralStates: states that share a project seed side by side,
// seeding one twice changes nothing, and a second person's personal keys are
// kept under a user without a token (whose keys nobody reads).
func TestSeedFromSeveralStates(t *testing.T) {
	mine := stateFixture(t, "this-provider.tfstate")
	s := seedFrom(t, mine, mine, stateFixture(t, "packethost-packet-v3-devices.tfstate"))
	s.key("c2c2c2c2-2222-4222-8222-222222222222")
	s.expect(s.do("GET", "/ssh-keys/c5c5c5c5-5555-4555-8555-555555555555", DefaultToken, nil), 404)
	if !s.noteAbout("b2b2b2b2-2222-4222-8222-222222222222") {
		t.Errorf("no note on the second user: %q", s.sum.Notes)
	}
	if got := len(s.srv.SSHKeys()); got != 5 {
		t.Errorf("%d keys stored, want 5", got)
	}
	if got := strings.Count(string(must(s.fleet.get("d1d1d1d1-1111-4111-8111-111111111111").AuthorizedKeys())), "legacy"); got != 1 {
		t.Errorf("the attachment's line is on the device %d times, want 1", got)
	}
	// A later state that only reads the device keeps what its resource said.
	if _, err := s.srv.SeedFromState([]byte(`{"version": 4, "resources": [{"mode": "data", "type": "packet_device", "name": "d",
		"instances": [{"attributes": {"id": "d2d2d2d2-2222-4222-8222-222222222222", "hostname": "web-2"}}]}]}`)); err != nil {
		t.Fatal(err)
	}
	if d := s.device("d2d2d2d2-2222-4222-8222-222222222222"); len(d.Tags) != 1 || d.Description != "front end" || d.IPAddresses[0].Address != "147.75.1.2" {
		t.Errorf("after a data source's state: %+v", d)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestSeedFromStateRefusesWhatIsNoState: a file that is no v4 state is an
// error, and nothing is seeded.
func TestSeedFromStateRefusesWhatIsNoState(t *testing.T) {
	e := newEnv(t, Options{})
	before := len(e.srv.SSHKeys())
	if _, err := e.srv.SeedFromState([]byte(`{"version": 3}`)); err == nil {
		t.Error("a version 3 state was accepted")
	}
	if len(e.srv.SSHKeys()) != before {
		t.Error("keys were seeded from a refused state")
	}
}

// TestSeededStateSurvivesARestart: what a state seeded is in the mock's own
// state file, so a restarted packet-mock serves it again.
func TestSeededStateSurvivesARestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mock.json")
	first, err := New(Options{StatePath: path})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := first.SeedFromState(stateFixture(t, "packethost-packet-v3-devices.tfstate")); err != nil {
		t.Fatal(err)
	}
	first.Close()
	e := newEnv(t, Options{StatePath: path})
	var d deviceJSON
	e.expect(e.do("GET", "/devices/d2d2d2d2-2222-4222-8222-222222222222", DefaultToken, nil), 200).decode(t, &d)
	if d.IPAddresses[0].Address != "147.75.1.2" || d.BillingCycle != "hourly" || d.Description != "front end" {
		t.Errorf("device after a restart: %+v", d)
	}
	e.expect(e.do("GET", "/ssh-keys/c5c5c5c5-5555-4555-8555-555555555555", DefaultToken, nil), 200)
}

// TestSeedKeyGivenInRFC4716: this provider keeps a PuTTYgen (RFC 4716) key
// in state as configured but sent the API its one OpenSSH line; the mock
// stores that line, as the API did.
func TestSeedKeyGivenInRFC4716(t *testing.T) {
	blob := strings.Fields(fixtureKey1)[1]
	rfc := "---- BEGIN SSH2 PUBLIC KEY ----\nComment: \"putty\"\n" + blob + "\n---- END SSH2 PUBLIC KEY ----\n"
	state, _ := json.Marshal(map[string]any{"version": 4, "resources": []any{map[string]any{
		"mode": "managed", "type": "packet_project_ssh_key", "name": "putty",
		"instances": []any{map[string]any{"attributes": map[string]any{
			"id": "c7c7c7c7-7777-4777-8777-777777777777", "name": "putty", "public_key": rfc, "project_id": DefaultProjectID,
			"fingerprint": "ab:f1:da:70:fb:1d:78:2a:1a:c7:69:73:3c:43:07:4f",
		}}},
	}}})
	s := seedFrom(t, state)
	if k := s.key("c7c7c7c7-7777-4777-8777-777777777777"); k.Key != fixtureKey1+" putty" || s.sum.Notes != nil {
		t.Errorf("key %q, notes %q; want the OpenSSH line and no notes", k.Key, s.sum.Notes)
	}
}
