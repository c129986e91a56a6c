package provider

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// The fixtures were made by ssh-keygen and puttygen; their expected values
// come from ssh-keygen -l (see scripts/gen-sshkey-fixtures.sh).
const fixtureDir = "../sshkey/testdata"

type keyFixture struct {
	File        string   `json:"file"`
	Error       string   `json:"error"`
	Format      string   `json:"format"`
	Algorithm   string   `json:"algorithm"`
	Bits        int64    `json:"bits"`
	Comment     string   `json:"comment"`
	Line        string   `json:"line"`
	MD5         string   `json:"md5"`
	SHA256      string   `json:"sha256"`
	FromPrivate bool     `json:"from_private"`
	Passphrase  string   `json:"passphrase"`
	Options     []string `json:"options"`
}

func loadKeyFixtures(t *testing.T) (good, bad []keyFixture) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtureDir, "expectations.json"))
	if err != nil {
		t.Fatal(err)
	}
	var all []keyFixture
	if err := json.Unmarshal(data, &all); err != nil {
		t.Fatal(err)
	}
	for _, f := range all {
		if f.Error != "" {
			bad = append(bad, f)
		} else {
			good = append(good, f)
		}
	}
	if len(good) < 40 || len(bad) < 10 {
		t.Fatalf("expected the full fixture set, got %d good and %d bad", len(good), len(bad))
	}
	return good, bad
}

func fixturePath(t *testing.T, f keyFixture) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join(fixtureDir, f.File))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func dataSourceName(i int) string { return fmt.Sprintf("data.packet_ssh_public_key.k%d", i) }

// readFixturesConfig reads every fixture through the data source, by path
// or through content = file(...), with no token configured.
func readFixturesConfig(t *testing.T, fixtures []keyFixture, byContent bool) string {
	var sb strings.Builder
	sb.WriteString("provider \"packet\" {}\n")
	for i, f := range fixtures {
		source := fmt.Sprintf("path = %q", fixturePath(t, f))
		if byContent {
			source = fmt.Sprintf("content = file(%q)", fixturePath(t, f))
		}
		passphrase := ""
		if f.Passphrase != "" {
			passphrase = fmt.Sprintf("passphrase = %q", f.Passphrase)
		}
		fmt.Fprintf(&sb, "data \"packet_ssh_public_key\" \"k%d\" {\n  %s\n  %s\n}\n", i, source, passphrase)
	}
	return sb.String()
}

func fixtureChecks(fixtures []keyFixture) []statecheck.StateCheck {
	var checks []statecheck.StateCheck
	for i, f := range fixtures {
		addr := dataSourceName(i)
		expect := func(attr string, v knownvalue.Check) {
			checks = append(checks, statecheck.ExpectKnownValue(addr, tfjsonpath.New(attr), v))
		}
		expect("public_key", knownvalue.StringExact(f.Line))
		expect("fingerprint_md5", knownvalue.StringExact(f.MD5))
		expect("fingerprint_sha256", knownvalue.StringExact(f.SHA256))
		expect("id", knownvalue.StringExact(f.SHA256))
		expect("format", knownvalue.StringExact(f.Format))
		expect("algorithm", knownvalue.StringExact(f.Algorithm))
		expect("bits", knownvalue.Int64Exact(f.Bits))
		expect("comment", knownvalue.StringExact(f.Comment))
		expect("passphrase", knownvalue.Null())
		options := []knownvalue.Check{}
		for _, o := range f.Options {
			options = append(options, knownvalue.StringExact(o))
		}
		expect("options", knownvalue.ListExact(options))
	}
	return checks
}

// checkNoPrivateBytes fails when any line of a private key file that is not
// public data (headers, the public blob) appears anywhere in state.
func checkNoPrivateBytes(t *testing.T, fixtures []keyFixture) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		var values []string
		for _, rs := range s.RootModule().Resources {
			for _, v := range rs.Primary.Attributes {
				values = append(values, v)
			}
		}
		state := strings.Join(values, "\n")
		where := func(line string) string {
			for addr, rs := range s.RootModule().Resources {
				for name, v := range rs.Primary.Attributes {
					if strings.Contains(v, line) {
						return addr + "." + name
					}
				}
			}
			return ""
		}
		// Text of the public fixtures: a private file's line found there
		// (an EC key's public point, say) is public data.
		var public strings.Builder
		for _, f := range fixtures {
			if !f.FromPrivate {
				data, err := os.ReadFile(fixturePath(t, f))
				if err != nil {
					return err
				}
				public.Write(data)
				public.WriteString(f.Line)
			}
		}
		checked := 0
		for _, f := range fixtures {
			if !f.FromPrivate {
				continue
			}
			data, err := os.ReadFile(fixturePath(t, f))
			if err != nil {
				return err
			}
			for _, line := range strings.Split(string(data), "\n") {
				line = strings.TrimSpace(line)
				if len(line) < 16 || strings.Contains(f.Line, line) || strings.Contains(public.String(), line) ||
					strings.HasPrefix(line, "-----") ||
					strings.Contains(line, ":") {
					continue // too short to identify, public, armour or a header
				}
				checked++
				if strings.Contains(state, line) {
					return fmt.Errorf("%s holds a line of the private key file %s", where(line), f.File)
				}
			}
			if f.Passphrase != "" && strings.Contains(state, f.Passphrase) {
				return fmt.Errorf("state holds the passphrase of %s", f.File)
			}
		}
		if checked == 0 {
			return fmt.Errorf("no private key line was checked: the fixtures are not what this test expects")
		}
		return nil
	}
}

func TestAccSSHPublicKeyDataSource_everyFixtureByPath(t *testing.T) {
	good, _ := loadKeyFixtures(t)
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config:            readFixturesConfig(t, good, false),
			ConfigStateChecks: fixtureChecks(good),
			Check:             checkNoPrivateBytes(t, good),
		}},
	})
}

func TestAccSSHPublicKeyDataSource_everyFixtureByContent(t *testing.T) {
	good, _ := loadKeyFixtures(t)
	checks := fixtureChecks(good)
	for i, f := range good {
		if f.FromPrivate { // private content never reaches state
			checks = append(checks, statecheck.ExpectKnownValue(dataSourceName(i), tfjsonpath.New("content"), knownvalue.Null()))
		}
	}
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config:            readFixturesConfig(t, good, true),
			ConfigStateChecks: checks,
			Check:             checkNoPrivateBytes(t, good),
		}},
	})
}

func TestAccSSHPublicKeyDataSource_badInput(t *testing.T) {
	_, bad := loadKeyFixtures(t)
	steps := []resource.TestStep{{
		Config:      "provider \"packet\" {}\ndata \"packet_ssh_public_key\" \"k\" {}\n",
		ExpectError: errorLike("Exactly one of these attributes must be configured: [path,content]"),
	}, {
		Config:      "provider \"packet\" {}\ndata \"packet_ssh_public_key\" \"k\" {\n  path = \"/nonexistent/id_rsa.pub\"\n}\n",
		ExpectError: errorLike("Cannot read the key file"),
	}}
	for _, f := range bad {
		steps = append(steps, resource.TestStep{
			Config:      readFixturesConfig(t, []keyFixture{f}, false),
			ExpectError: errorLike(f.Error),
		})
	}
	resource.UnitTest(t, resource.TestCase{ProtoV6ProviderFactories: testProviderFactories, Steps: steps})
}

func TestAccKeyFunctions(t *testing.T) {
	good, _ := loadKeyFixtures(t)
	var config strings.Builder
	var checks []statecheck.StateCheck
	n := 0
	for _, f := range good {
		if f.FromPrivate {
			continue
		}
		path := fixturePath(t, f)
		fmt.Fprintf(&config, "output \"line%d\" {\n  value = provider::packet::normalize_public_key(file(%q))\n}\n", n, path)
		fmt.Fprintf(&config, "output \"md5_%d\" {\n  value = provider::packet::public_key_fingerprint(file(%q), \"md5\")\n}\n", n, path)
		fmt.Fprintf(&config, "output \"sha_%d\" {\n  value = provider::packet::public_key_fingerprint(file(%q), \"sha256\")\n}\n", n, path)
		checks = append(checks,
			statecheck.ExpectKnownOutputValue(fmt.Sprintf("line%d", n), knownvalue.StringExact(f.Line)),
			statecheck.ExpectKnownOutputValue(fmt.Sprintf("md5_%d", n), knownvalue.StringExact(f.MD5)),
			statecheck.ExpectKnownOutputValue(fmt.Sprintf("sha_%d", n), knownvalue.StringExact(f.SHA256)),
		)
		n++
	}
	privateKey := fixturePath(t, keyFixture{File: "keys/ed25519.v3.ppk"})
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		TerraformVersionChecks:   functionsNeedTerraform18,
		Steps: []resource.TestStep{
			{
				Config:            "provider \"packet\" {}\n" + config.String(),
				ConfigStateChecks: checks,
			},
			{
				Config:      fmt.Sprintf("output \"x\" {\n  value = provider::packet::normalize_public_key(file(%q))\n}\n", privateKey),
				ExpectError: errorLike("this is a private key: functions accept only public keys"),
			},
			{
				Config:      fmt.Sprintf("output \"x\" {\n  value = provider::packet::public_key_fingerprint(%q, \"sha1\")\n}\n", good[1].Line),
				ExpectError: errorLike(`hash must be "md5" or "sha256", got "sha1"`),
			},
			{
				Config:      "output \"x\" {\n  value = provider::packet::normalize_public_key(\"ssh-ed25519 not-base64!\")\n}\n",
				ExpectError: errorLike("base64 blob does not decode"),
			},
		},
	})
}
