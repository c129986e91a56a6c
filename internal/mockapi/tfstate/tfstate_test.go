package tfstate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"text/template"
	"time"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

const (
	key1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c"
	key2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIE5dw6ofRdfVqNUZsNMfszLjYqRtO43ol32D1uPybOU"
	key3 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO1JKMYo0cLG6ukDOJBZlWEpWSc6XGP5NjbBRhSshzfR"
	fp1  = "ab:f1:da:70:fb:1d:78:2a:1a:c7:69:73:3c:43:07:4f"
	fp2  = "76:ba:87:36:86:a2:56:bf:ca:3b:b5:c8:28:6c:39:7e"
	fp3  = "ff:88:9a:a9:60:fd:36:c4:a0:5a:d1:7d:72:18:26:b5"
)

// legacyState renders one of the provider's legacy state fixtures (Go
// templates of what the archived provider and equinix v4 wrote).
func legacyState(t *testing.T, name string) []byte {
	t.Helper()
	tmpl, err := template.New(name).Funcs(template.FuncMap{
		"json": func(s string) (string, error) {
			b, err := json.Marshal(s)
			return string(b), err
		},
		"goTime": func(s string) string { return fmt.Sprintf("%#v", at(s).UTC()) },
	}).ParseFiles(filepath.Join("..", "..", "provider", "testdata", "legacy-state", name))
	if err != nil {
		t.Fatal(err)
	}
	type key struct{ ID, Key, Fingerprint, Created, Updated string }
	var out bytes.Buffer
	err = tmpl.Execute(&out, struct {
		UserID, ProjectID       string
		PersonalKey, ProjectKey key
	}{
		UserID: "b9b9b9b9-9999-4999-8999-999999999999", ProjectID: "a9a9a9a9-9999-4999-8999-999999999999",
		PersonalKey: key{"c8c8c8c8-8888-4888-8888-888888888888", key2 + "\n", fp2, "2021-01-01T00:00:00Z", "2021-01-02T00:00:00Z"},
		ProjectKey:  key{"c9c9c9c9-9999-4999-8999-999999999999", key1 + "\n", fp1, "2021-02-01T00:00:00Z", "2021-02-02T00:00:00Z"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// legacyKeys is what both legacy fixtures hold, whoever wrote them, in
// the order of the file.
func legacyKeys(personal, project string, personalFirst bool) []Key {
	keys := []Key{
		{From: project, ID: "c9c9c9c9-9999-4999-8999-999999999999", Label: "deploy", PublicKey: key1 + "\n", Fingerprint: fp1,
			ProjectID: "a9a9a9a9-9999-4999-8999-999999999999", Created: at("2021-02-01T00:00:00Z"), Updated: at("2021-02-02T00:00:00Z")},
		{From: personal, ID: "c8c8c8c8-8888-4888-8888-888888888888", Label: "laptop", PublicKey: key2 + "\n", Fingerprint: fp2,
			UserID: "b9b9b9b9-9999-4999-8999-999999999999", Created: at("2021-01-01T00:00:00Z"), Updated: at("2021-01-02T00:00:00Z")},
	}
	if personalFirst {
		keys[0], keys[1] = keys[1], keys[0]
	}
	return keys
}

// TestRead: one case per provider whose state packet-mock reads.
func TestRead(t *testing.T) {
	cases := []struct {
		name  string
		state func(*testing.T) []byte
		want  Contents
	}{{
		name:  "this provider: keys, the alias, an attachment, a device data source",
		state: func(t *testing.T) []byte { return fixture(t, "this-provider.tfstate") },
		want: Contents{
			Keys: []Key{
				{From: "packet_project_ssh_key.deploy", ID: "c1c1c1c1-1111-4111-8111-111111111111", Label: "deploy", PublicKey: key1 + " deploy",
					Fingerprint: fp1, ProjectID: "a1a1a1a1-1111-4111-8111-111111111111", Tags: []string{"ci"},
					Created: at("2026-03-01T10:00:00Z"), Updated: at("2026-03-02T10:00:00Z")},
				{From: "packet_ssh_key.legacy", ID: "c3c3c3c3-3333-4333-8333-333333333333", Label: "legacy", PublicKey: key3 + " legacy",
					Fingerprint: fp3, UserID: "b1b1b1b1-1111-4111-8111-111111111111", Created: at("2026-03-01T11:00:00Z"), Updated: at("2026-03-01T11:00:00Z")},
				{From: "packet_user_ssh_key.laptop", ID: "c2c2c2c2-2222-4222-8222-222222222222", Label: "laptop", PublicKey: key2 + " laptop\n",
					Fingerprint: fp2, UserID: "b1b1b1b1-1111-4111-8111-111111111111", Created: at("2026-03-01T12:00:00Z"), Updated: at("2026-03-01T12:00:00Z")},
			},
			Devices: []Device{{
				From: "data.packet_device.web", ID: "d1d1d1d1-1111-4111-8111-111111111111", Hostname: "web-1", ProjectID: "a1a1a1a1-1111-4111-8111-111111111111",
				SSHKeyIDs: []string{"c1c1c1c1-1111-4111-8111-111111111111", "c2c2c2c2-2222-4222-8222-222222222222"},
				Addresses: []Address{{Address: "127.0.0.1", Family: 4, Public: true, CIDR: 31, Management: true}, {Address: "::1", Family: 6, Public: true, CIDR: 127, Management: true}},
				Created:   at("2026-03-01T09:00:00Z"),
			}},
			Attachments: []Attachment{{
				From: "packet_device_key_attachment.legacy_on_web", DeviceID: "d1d1d1d1-1111-4111-8111-111111111111", KeyID: "c3c3c3c3-3333-4333-8333-333333333333",
				PublicKey: key3 + " legacy", Line: `from="127.0.0.1" ` + key3 + " legacy", PinnedHostKey: key2,
			}},
			Skipped: []string{"data.packet_ssh_public_key.me", "module.app.aws_instance.web[0]", "module.app.aws_instance.web[1]"},
		},
	}, {
		name:  "archived packethost/packet: the repo's legacy key fixture",
		state: func(t *testing.T) []byte { return legacyState(t, "packethost-packet-v3.tfstate") },
		want:  Contents{Keys: legacyKeys("packet_ssh_key.laptop", "packet_project_ssh_key.deploy", false)},
	}, {
		name:  "archived packethost/packet: project, device, keys",
		state: func(t *testing.T) []byte { return fixture(t, "packethost-packet-v3-devices.tfstate") },
		want: Contents{
			Projects: []Project{{From: "packet_project.main", ID: "a2a2a2a2-2222-4222-8222-222222222222", Name: "main",
				OrganizationID: "e2e2e2e2-2222-4222-8222-222222222222", PaymentMethodID: "f2f2f2f2-2222-4222-8222-222222222222",
				Created: at("2020-05-01T10:00:00Z"), Updated: at("2020-05-02T10:00:00Z")}},
			Keys: []Key{
				{From: "packet_project_ssh_key.ops", ID: "c4c4c4c4-4444-4444-8444-444444444444", Label: "ops", PublicKey: key1 + " ops\n", Fingerprint: fp1,
					ProjectID: "a2a2a2a2-2222-4222-8222-222222222222", Created: at("2020-05-01T10:01:00Z"), Updated: at("2020-05-01T10:01:00Z")},
				{From: "packet_ssh_key.me", ID: "c5c5c5c5-5555-4555-8555-555555555555", Label: "me", PublicKey: key2 + " me\n", Fingerprint: fp2,
					UserID: "b2b2b2b2-2222-4222-8222-222222222222", Created: at("2020-05-01T09:00:00Z"), Updated: at("2020-05-01T09:00:00Z")},
			},
			Devices: []Device{{
				Managed: true, From: "packet_device.web", ID: "d2d2d2d2-2222-4222-8222-222222222222", Hostname: "web-2", ProjectID: "a2a2a2a2-2222-4222-8222-222222222222",
				Plan: "c3.small.x86", Facility: "sv15", OS: "ubuntu_20_04", BillingCycle: "hourly", Description: "front end", RootPassword: "Zq4kPr8t2nVw",
				Tags: []string{"web"}, SSHKeyIDs: []string{"c4c4c4c4-4444-4444-8444-444444444444", "c5c5c5c5-5555-4555-8555-555555555555"},
				Addresses: []Address{
					{Address: "147.75.1.2", Family: 4, Public: true, CIDR: 31, Gateway: "147.75.1.1", Management: true},
					{Address: "2604:1380:1000::1", Family: 6, Public: true, CIDR: 127, Gateway: "2604:1380:1000::", Management: true},
					{Address: "10.0.0.3", Family: 4, CIDR: 31, Gateway: "10.0.0.2", Management: true},
				},
				Created: at("2020-05-01T10:05:00Z"), Updated: at("2020-05-01T10:12:00Z"),
			}},
			Skipped: []string{"packet_reserved_ip_block.extra"},
		},
	}, {
		name:  "equinix v4: the repo's legacy key fixture (Go-formatted times)",
		state: func(t *testing.T) []byte { return legacyState(t, "equinix-v4.tfstate") },
		want:  Contents{Keys: legacyKeys("equinix_metal_ssh_key.laptop", "equinix_metal_project_ssh_key.deploy", true)},
	}, {
		name:  "equinix v4: project, metro device, key",
		state: func(t *testing.T) []byte { return fixture(t, "equinix-v4-devices.tfstate") },
		want: Contents{
			Projects: []Project{{From: "equinix_metal_project.main", ID: "a3a3a3a3-3333-4333-8333-333333333333", Name: "prod",
				OrganizationID: "e3e3e3e3-3333-4333-8333-333333333333", BackendTransfer: true,
				Created: at("2024-02-01T00:00:00Z"), Updated: at("2024-02-01T00:00:00Z")}},
			Keys: []Key{{From: "equinix_metal_project_ssh_key.ops", ID: "c6c6c6c6-6666-4666-8666-666666666666", Label: "ops", PublicKey: key1 + " ops",
				Fingerprint: fp1, ProjectID: "a3a3a3a3-3333-4333-8333-333333333333", Created: at("2024-02-02T03:04:05Z"), Updated: at("2024-02-02T03:04:05Z")}},
			Devices: []Device{{
				Managed: true, From: "equinix_metal_device.db", ID: "d3d3d3d3-3333-4333-8333-333333333333", Hostname: "db-1", ProjectID: "a3a3a3a3-3333-4333-8333-333333333333",
				Plan: "m3.small.x86", Metro: "da", Facility: "da11", OS: "ubuntu_22_04", BillingCycle: "hourly", Locked: true,
				Tags: []string{"db", "prod"}, SSHKeyIDs: []string{"c6c6c6c6-6666-4666-8666-666666666666"},
				Addresses: []Address{
					{Address: "139.178.80.5", Family: 4, Public: true, CIDR: 31, Gateway: "139.178.80.4", Management: true},
					{Address: "2604:1380:4641::5", Family: 6, Public: true, CIDR: 127, Gateway: "2604:1380:4641::4", Management: true},
					{Address: "10.70.1.5", Family: 4, CIDR: 31, Gateway: "10.70.1.4", Management: true},
				},
				Created: at("2024-02-03T04:05:06Z"), Updated: at("2024-02-03T04:15:06Z"),
			}},
			Skipped: []string{"equinix_metal_vlan.backend"},
		},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Read(c.state(t))
			if err != nil {
				t.Fatal(err)
			}
			for _, part := range []struct {
				name      string
				got, want any
			}{
				{"projects", got.Projects, c.want.Projects}, {"keys", got.Keys, c.want.Keys}, {"devices", got.Devices, c.want.Devices},
				{"attachments", got.Attachments, c.want.Attachments}, {"skipped", got.Skipped, c.want.Skipped}, {"notes", got.Notes, c.want.Notes},
			} {
				if !reflect.DeepEqual(part.got, part.want) {
					t.Errorf("%s:\n got %+v\nwant %+v", part.name, part.got, part.want)
				}
			}
		})
	}
}

// TestReadRefusesWhatIsNoV4State: other files and older formats are errors.
func TestReadRefusesWhatIsNoV4State(t *testing.T) {
	for _, in := range []string{``, `{`, `[]`, `{"resources": []}`, `{"version": 3, "modules": []}`} {
		if _, err := Read([]byte(in)); err == nil {
			t.Errorf("Read(%q) accepted", in)
		}
	}
}

// TestUnreadableTimeIsNoted: a timestamp in no known form is noted, not guessed.
func TestUnreadableTimeIsNoted(t *testing.T) {
	state := `{"version": 4, "resources": [{"mode": "managed", "type": "packet_ssh_key", "name": "k",
		"instances": [{"attributes": {"id": "x", "owner_id": "u", "created": "yesterday"}}]}]}`
	c, err := Read([]byte(state))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Notes) != 1 || !strings.Contains(c.Notes[0], "packet_ssh_key.k: created \"yesterday\"") || !c.Keys[0].Created.IsZero() {
		t.Errorf("notes %q, created %v", c.Notes, c.Keys[0].Created)
	}
}

// TestResourceWinsOverDataSource: a device named by a data source and a
// resource is one device; the resource's settings win whatever the order.
func TestResourceWinsOverDataSource(t *testing.T) {
	state := `{"version": 4, "resources": [
		{"mode": "data", "type": "packet_device", "name": "d", "instances": [{"attributes": {
			"id": "d2d2d2d2-2222-4222-8222-222222222222", "hostname": "web-2", "public_ipv4": "147.75.1.2", "project_id": "p"}}]},
		{"mode": "managed", "type": "packet_device", "name": "r", "instances": [{"attributes": {
			"id": "d2d2d2d2-2222-4222-8222-222222222222", "hostname": "web-2", "plan": "c3.small.x86", "locked": true, "tags": ["web"]}}]}]}`
	c, err := Read([]byte(state))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Devices) != 1 {
		t.Fatalf("devices = %+v, want one", c.Devices)
	}
	d := c.Devices[0]
	if !d.Managed || !d.Locked || d.Plan != "c3.small.x86" || len(d.Tags) != 1 || d.ProjectID != "p" || len(d.Addresses) != 1 || d.From != "packet_device.r" {
		t.Errorf("merged device = %+v", d)
	}
}
