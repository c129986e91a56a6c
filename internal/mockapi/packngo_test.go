package mockapi

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/packethost/packngo"
)

// TestPackngoClient drives the mock with the client the provider uses, so the
// JSON shapes and verbs packngo expects (owner, PATCH, /user) stay served.
func TestPackngoClient(t *testing.T) {
	e := newEnv(t, Options{})
	c, err := packngo.NewClient(
		packngo.WithAuth("consumer", DefaultToken),
		packngo.WithBaseURL(e.base+"/"),
		packngo.WithHTTPClient(&http.Client{Timeout: 10 * time.Second}),
	)
	if err != nil {
		t.Fatal(err)
	}
	me, _, err := c.Users.Current()
	if err != nil || me.ID != DefaultUserID {
		t.Fatalf("Users.Current = %+v, %v", me, err)
	}
	line := newKeyLine(t, "packngo")
	k, _, err := c.SSHKeys.Create(&packngo.SSHKeyCreateRequest{Label: "via-packngo", Key: line, ProjectID: DefaultProjectID})
	if err != nil {
		t.Fatal(err)
	}
	if k.Owner.Href != "/metal/v1/projects/"+DefaultProjectID || k.FingerPrint != md5Of(t, line) {
		t.Errorf("created = %+v", k)
	}
	label := "renamed"
	if k, _, err = c.SSHKeys.Update(k.ID, &packngo.SSHKeyUpdateRequest{Label: &label}); err != nil || k.Label != label {
		t.Errorf("Update = %+v, %v", k, err)
	}
	_, _, err = c.SSHKeys.Create(&packngo.SSHKeyCreateRequest{Label: "dup", Key: line, ProjectID: DefaultProjectID})
	if err == nil || !strings.Contains(err.Error(), "already") {
		t.Errorf("duplicate create error = %v", err)
	}
	d, _, err := c.Devices.Create(&packngo.DeviceCreateRequest{Hostname: "pk", Plan: "c3.small.x86", Metro: "sv", OS: "ubuntu_22_04", ProjectID: DefaultProjectID, Facility: []string{"sv15"}})
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := c.Devices.Get(d.ID, nil)
	if err != nil || got.State != "active" || len(got.SSHKeys) != 1 || !strings.HasSuffix(got.SSHKeys[0].URL, k.ID) || got.Network[0].Address != "127.0.0.1" {
		t.Errorf("Devices.Get = %+v, %v", got, err)
	}
	if _, err := c.Devices.Delete(d.ID, false); err != nil {
		t.Errorf("Devices.Delete: %v", err)
	}
	if _, err := c.SSHKeys.Delete(k.ID); err != nil {
		t.Errorf("SSHKeys.Delete: %v", err)
	}
	if _, _, err := c.SSHKeys.Get(k.ID, nil); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("Get after delete: %v", err)
	}
}
