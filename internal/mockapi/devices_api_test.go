package mockapi

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func keyIDsOf(hrefs []hrefJSON) []string {
	var ids []string
	for _, h := range hrefs {
		ids = append(ids, strings.TrimPrefix(h.Href, "/metal/v1/ssh-keys/"))
	}
	slices.Sort(ids)
	return ids
}

func sorted(ids ...string) []string {
	slices.Sort(ids)
	return ids
}

func TestDeviceSnapshotsKeysAtCreation(t *testing.T) {
	fleet := &fakeFleet{}
	e := newEnv(t, Options{Provisioner: fleet.provision})
	before := e.createProjectKey("before", newKeyLine(t, "before"))
	var personal sshKeyJSON
	e.expect(e.do("POST", "/ssh-keys", DefaultToken, map[string]string{"label": "me", "key": newKeyLine(t, "me")}), 201).decode(t, &personal)
	var outsider sshKeyJSON // personal key of a non-member: never on the device
	e.expect(e.do("POST", "/ssh-keys", OtherToken, map[string]string{"label": "other", "key": newKeyLine(t, "o")}), 201).decode(t, &outsider)

	var d deviceJSON
	e.expect(e.do("POST", "/projects/"+DefaultProjectID+"/devices", DefaultToken, map[string]any{
		"hostname": "web-1", "plan": "c3.small.x86", "metro": "sv", "operating_system": "ubuntu_22_04", "facility": []string{"sv15"},
	}), 201).decode(t, &d)
	after := e.createProjectKey("after", newKeyLine(t, "after"))

	want := sorted(before.ID, personal.ID)
	if got := keyIDsOf(d.SSHKeys); !slices.Equal(got, want) {
		t.Errorf("device keys at creation = %v, want %v", got, want)
	}
	e.expect(e.do("GET", "/devices/"+d.ID, DefaultToken, nil), 200).decode(t, &d)
	if got := keyIDsOf(d.SSHKeys); !slices.Equal(got, want) || slices.Contains(got, after.ID) {
		t.Errorf("device keys later = %v, want %v", got, want)
	}
	var keys sshKeyListJSON
	e.expect(e.do("GET", "/devices/"+d.ID+"/ssh-keys", DefaultToken, nil), 200).decode(t, &keys)
	if len(keys.SSHKeys) != 2 {
		t.Errorf("GET /devices/{id}/ssh-keys = %+v", keys.SSHKeys)
	}
	m := fleet.get(d.ID)
	if m == nil {
		t.Fatal("no machine was provisioned")
	}
	ak := string(m.spec.AuthorizedKeys)
	if !strings.Contains(ak, before.Key+"\n") || !strings.Contains(ak, personal.Key+"\n") || strings.Contains(ak, after.Key) || strings.Contains(ak, outsider.Key) {
		t.Errorf("machine authorized_keys = %q", ak)
	}
	if m.spec.RootPassword == "" || m.spec.RootPassword != d.RootPassword || m.spec.Hostname != "web-1" {
		t.Errorf("machine spec = %+v", m.spec)
	}
	if d.State != "active" || d.Hostname != "web-1" || d.Plan.Slug != "c3.small.x86" || d.Metro.Code != "sv" ||
		d.Facility == nil || d.Facility.Code != "sv15" || d.Project.Href != "/metal/v1/projects/"+DefaultProjectID ||
		d.SSHHostKey != m.HostKey() || d.SSHPort != m.Port() {
		t.Errorf("device = %+v", d)
	}
	var public4 bool
	for _, ip := range d.IPAddresses {
		public4 = public4 || (ip.AddressFamily == 4 && ip.Public && ip.Management && ip.Address == "127.0.0.1")
	}
	if !public4 {
		t.Errorf("no public IPv4 127.0.0.1 in %+v", d.IPAddresses)
	}
	if got, ok := e.srv.Machine(d.ID); !ok || got != Machine(m) {
		t.Error("Server.Machine does not return the provisioned machine")
	}

	// A deleted key disappears from the device view; the snapshot record keeps it.
	e.expect(e.do("DELETE", "/ssh-keys/"+before.ID, DefaultToken, nil), 204)
	e.expect(e.do("GET", "/devices/"+d.ID, DefaultToken, nil), 200).decode(t, &d)
	if got := keyIDsOf(d.SSHKeys); !slices.Equal(got, []string{personal.ID}) {
		t.Errorf("after key delete: %v", got)
	}
	if dev, _ := e.srv.Device(d.ID); len(dev.SSHKeyIDs) != 2 {
		t.Errorf("stored snapshot = %v", dev.SSHKeyIDs)
	}

	var list deviceListJSON
	e.expect(e.do("GET", "/projects/"+DefaultProjectID+"/devices", DefaultToken, nil), 200).decode(t, &list)
	if len(list.Devices) != 1 || list.Devices[0].ID != d.ID {
		t.Errorf("device list = %+v", list)
	}
	e.expect(e.do("GET", "/devices/"+d.ID, OtherToken, nil), 404)
	e.expect(e.do("DELETE", "/devices/"+d.ID, OtherToken, nil), 404)
	e.expect(e.do("DELETE", "/devices/"+d.ID, DefaultToken, nil), 204)
	e.expect(e.do("GET", "/devices/"+d.ID, DefaultToken, nil), 404)
	if !m.isClosed() {
		t.Error("deleting the device did not close its machine")
	}
	if _, ok := e.srv.Machine(d.ID); ok {
		t.Error("machine still attached after delete")
	}
}

func TestDeviceKeySelection(t *testing.T) {
	e := newEnv(t, Options{})
	p1 := e.createProjectKey("p1", newKeyLine(t, "p1"))
	p2 := e.createProjectKey("p2", newKeyLine(t, "p2"))
	var mine, auditor sshKeyJSON
	e.expect(e.do("POST", "/ssh-keys", DefaultToken, map[string]string{"label": "mine", "key": newKeyLine(t, "m")}), 201).decode(t, &mine)
	auditorKey, err := e.srv.PutSSHKey(SSHKey{Label: "auditor", Key: newKeyLine(t, "a"), UserID: ReadOnlyUserID})
	if err != nil {
		t.Fatal(err)
	}
	auditor.ID = auditorKey.ID
	otherProjectKey, err := e.srv.PutSSHKey(SSHKey{Label: "x", Key: newKeyLine(t, "x"), ProjectID: OtherProjectID})
	if err != nil {
		t.Fatal(err)
	}

	create := func(body map[string]any) []string {
		t.Helper()
		var d deviceJSON
		e.expect(e.do("POST", "/projects/"+DefaultProjectID+"/devices", DefaultToken, body), 201).decode(t, &d)
		return keyIDsOf(d.SSHKeys)
	}
	if got, want := create(map[string]any{"hostname": "all"}), sorted(p1.ID, p2.ID, mine.ID, auditor.ID); !slices.Equal(got, want) {
		t.Errorf("default keys = %v, want %v", got, want)
	}
	if got := create(map[string]any{"project_ssh_keys": []string{p2.ID}}); !slices.Equal(got, []string{p2.ID}) {
		t.Errorf("project_ssh_keys = %v", got)
	}
	if got := create(map[string]any{"user_ssh_keys": []string{ReadOnlyUserID}}); !slices.Equal(got, []string{auditor.ID}) {
		t.Errorf("user_ssh_keys = %v", got)
	}
	if got, want := create(map[string]any{"project_ssh_keys": []string{p1.ID}, "user_ssh_keys": []string{DefaultUserID}}), sorted(p1.ID, mine.ID); !slices.Equal(got, want) {
		t.Errorf("both = %v, want %v", got, want)
	}
	if got := create(map[string]any{"no_ssh_keys": true}); len(got) != 0 {
		t.Errorf("no_ssh_keys = %v", got)
	}
	for _, bad := range []map[string]any{
		{"project_ssh_keys": []string{otherProjectKey.ID}},
		{"project_ssh_keys": []string{mine.ID}},
		{"user_ssh_keys": []string{OtherUserID}},
		{"no_ssh_keys": true, "project_ssh_keys": []string{p1.ID}},
		{"facility": 7},
	} {
		e.expect(e.do("POST", "/projects/"+DefaultProjectID+"/devices", DefaultToken, bad), 422)
	}
	e.expect(e.do("POST", "/projects/"+OtherProjectID+"/devices", DefaultToken, map[string]any{}), 404)
}

func TestRootPasswordOnlyForADay(t *testing.T) {
	clock := &fakeClock{now: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	e := newEnv(t, Options{Clock: clock.Now, ProvisioningTime: 10 * time.Minute})
	dev, err := e.srv.CreateDevice(SeedDevice{Hostname: "db", ProjectID: DefaultProjectID})
	if err != nil {
		t.Fatal(err)
	}
	var d deviceJSON
	e.expect(e.do("GET", "/devices/"+dev.ID, DefaultToken, nil), 200).decode(t, &d)
	if d.RootPassword == "" || d.RootPassword != dev.RootPassword || d.State != "provisioning" || dev.State != "provisioning" {
		t.Errorf("fresh device: password %q state %q", d.RootPassword, d.State)
	}
	clock.Advance(11 * time.Minute)
	d = deviceJSON{}
	e.expect(e.do("GET", "/devices/"+dev.ID, DefaultToken, nil), 200).decode(t, &d)
	if d.State != "active" || d.RootPassword == "" {
		t.Errorf("after provisioning: %+v", d)
	}
	clock.Advance(24 * time.Hour)
	d = deviceJSON{}
	res := e.expect(e.do("GET", "/devices/"+dev.ID, DefaultToken, nil), 200)
	res.decode(t, &d)
	if d.RootPassword != "" || strings.Contains(string(res.body), "root_password") {
		t.Errorf("root password still shown after 24h: %s", res.body)
	}
}

func TestSeededDevices(t *testing.T) {
	line := newKeyLine(t, "seeded")
	seed := DefaultSeed()
	seed.SSHKeys = []SeedSSHKey{{ID: "11111111-2222-4333-8444-555555555555", Label: "seeded", Key: line, ProjectID: DefaultProjectID}}
	created := time.Now().Add(-48 * time.Hour)
	seed.Devices = []SeedDevice{{ID: "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", Hostname: "old", ProjectID: DefaultProjectID, CreatedAt: created}}
	e := newEnv(t, Options{Seed: seed})
	var d deviceJSON
	e.expect(e.do("GET", "/devices/aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", DefaultToken, nil), 200).decode(t, &d)
	if got := keyIDsOf(d.SSHKeys); !slices.Equal(got, []string{"11111111-2222-4333-8444-555555555555"}) || d.RootPassword != "" {
		t.Errorf("seeded device = %+v", d)
	}
	if e.srv.DeleteDevice(d.ID) != true || e.srv.DeleteDevice(d.ID) != false {
		t.Error("DeleteDevice should report whether it removed something")
	}

	bad := DefaultSeed()
	bad.SSHKeys = []SeedSSHKey{{Label: "x", Key: "nonsense", UserID: DefaultUserID}}
	if _, err := New(Options{Seed: bad}); err == nil {
		t.Error("a seed with an invalid key was accepted")
	}
	bad = DefaultSeed()
	bad.Projects[0].Members = append(bad.Projects[0].Members, "00000000-0000-4000-8000-000000000000")
	if _, err := New(Options{Seed: bad}); err == nil {
		t.Error("a seed with an unknown member was accepted")
	}
}
