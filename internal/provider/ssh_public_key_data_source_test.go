package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/packethost/terraform-provider-packet/internal/sshkey"
	"github.com/packethost/terraform-provider-packet/internal/testutil"
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
	t.Parallel()
	good, _ := loadKeyFixtures(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config:            readFixturesConfig(t, good, false),
			ConfigStateChecks: fixtureChecks(good),
			Check:             checkNoPrivateBytes(t, good),
		}},
	})
}

func TestAccSSHPublicKeyDataSource_everyFixtureByContent(t *testing.T) {
	t.Parallel()
	good, _ := loadKeyFixtures(t)
	checks := fixtureChecks(good)
	for i, f := range good {
		if f.FromPrivate { // private content never reaches state
			checks = append(checks, statecheck.ExpectKnownValue(dataSourceName(i), tfjsonpath.New("content"), knownvalue.Null()))
		}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config:            readFixturesConfig(t, good, true),
			ConfigStateChecks: checks,
			Check:             checkNoPrivateBytes(t, good),
		}},
	})
}

func TestAccSSHPublicKeyDataSource_badInput(t *testing.T) {
	t.Parallel()
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
	resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: testProviderFactories, Steps: steps})
}

func TestAccKeyFunctions(t *testing.T) {
	t.Parallel()
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
	resource.Test(t, resource.TestCase{
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
				Config:      fmt.Sprintf("output \"x\" {\n  value = provider::packet::public_key_fingerprint(%q, \"%s\")\n}\n", good[1].Line, strings.Repeat("sha", 1000)),
				ExpectError: errorLike(`hash must be "md5" or "sha256", got "` + strings.Repeat("sha", 13) + `s" (first 40 of 3000 bytes)`),
			},
			{
				Config:      "output \"x\" {\n  value = provider::packet::normalize_public_key(\"ssh-ed25519 not-base64!\")\n}\n",
				ExpectError: errorLike("base64 blob does not decode"),
			},
		},
	})
}

// readSSHPublicKey runs the data source's Read in-process with the given
// attributes set (all others null) and returns its diagnostics.
func readSSHPublicKey(t *testing.T, set map[string]string) diag.Diagnostics {
	t.Helper()
	ctx := context.Background()
	ds := NewSSHPublicKeyDataSource()
	var schemaResp datasource.SchemaResponse
	ds.Schema(ctx, datasource.SchemaRequest{}, &schemaResp)
	objType, ok := schemaResp.Schema.Type().TerraformType(ctx).(tftypes.Object)
	if !ok {
		t.Fatal("schema is not an object")
	}
	values := map[string]tftypes.Value{}
	for name, typ := range objType.AttributeTypes {
		values[name] = tftypes.NewValue(typ, nil)
	}
	for name, v := range set {
		values[name] = tftypes.NewValue(tftypes.String, v)
	}
	raw := tftypes.NewValue(objType, values)
	resp := datasource.ReadResponse{State: tfsdk.State{Schema: schemaResp.Schema, Raw: raw}}
	ds.Read(ctx, datasource.ReadRequest{Config: tfsdk.Config{Schema: schemaResp.Schema, Raw: raw}}, &resp)
	return resp.Diagnostics
}

// TestSSHPublicKeyDataSource_weakKeyWarningIsSentences: the warning for a
// DSA or short RSA key is separate sentences, not two run together (issue 15).
func TestSSHPublicKeyDataSource_weakKeyWarningIsSentences(t *testing.T) {
	cases := map[string]string{
		"keys/dsa1024.pub": "This is a DSA key: the platform rejects DSA keys; generate an ed25519 or RSA >= 2048 key. " +
			"The key is read, but packet_project_ssh_key and packet_user_ssh_key refuse it.",
		"keys/rsa1024-weak.pub": "RSA key of 1024 bits: the platform needs at least 2048; generate a new key (ssh-keygen -t ed25519). " +
			"The key is read, but packet_project_ssh_key and packet_user_ssh_key refuse it.",
	}
	for file, want := range cases {
		diags := readSSHPublicKey(t, map[string]string{"path": fixturePath(t, keyFixture{File: file})})
		if diags.HasError() || diags.WarningsCount() != 1 {
			t.Fatalf("%s: diagnostics %v, want one warning", file, diags)
		}
		w := diags.Warnings()[0]
		if w.Summary() != "Weak SSH key" || w.Detail() != want {
			t.Errorf("%s: warning %q: %q\nwant %q", file, w.Summary(), w.Detail(), want)
		}
	}
}

// TestReadKeyFile_refusesLargeFilesUnread: a 50 MB file is refused from its
// size, and a file whose size says nothing (a device) after reading one byte
// over the bound; neither costs memory beyond the bound.
func TestReadKeyFile_refusesLargeFilesUnread(t *testing.T) {
	big := filepath.Join(t.TempDir(), "big.log")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(50 << 20); err != nil { // sparse: no 50 MB written
		t.Fatal(err)
	}
	f.Close()
	cases := map[string]struct {
		path     string
		want     string
		maxAlloc uint64
	}{
		"50 MB file": {big, "the input is 52428800 bytes (50.0 MiB); the limit for an SSH key is 65536 bytes (64.0 KiB)", 16 << 10},
		"device":     {"/dev/zero", "reading stopped at the limit of 65536 bytes and the file goes on", 2 * sshkey.MaxInputSize},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := os.Stat(c.path); err != nil {
				t.Fatalf("%s: %v", c.path, err) // no skip: a missing /dev/zero is a broken machine
			}
			var err error
			got := testutil.AllocatedBy(func() { _, err = readKeyFile(c.path) })
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("readKeyFile(%s) = %v, want %q", c.path, err, c.want)
			}
			if got > c.maxAlloc {
				t.Errorf("refusing %s allocated %d bytes, want at most %d", c.path, got, c.maxAlloc)
			}
		})
	}
}

// BenchmarkRefuseLargeKeyFile: the time a 50 MB file costs the data source
// before it is refused (the target is well under a second).
func BenchmarkRefuseLargeKeyFile(b *testing.B) {
	big := filepath.Join(b.TempDir(), "big.log")
	if err := os.WriteFile(big, nil, 0o600); err != nil {
		b.Fatal(err)
	}
	if err := os.Truncate(big, 50<<20); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := readKeyFile(big); err == nil {
			b.Fatal("accepted")
		}
	}
}

// errorInOrder matches texts (as errorLike does) that appear in this order,
// with anything between them: a summary, the attribute, the detail.
func errorInOrder(texts ...string) *regexp.Regexp {
	parts := make([]string, len(texts))
	for i, text := range texts {
		parts[i] = errorLike(text).String()
	}
	return regexp.MustCompile(strings.Join(parts, `[\s\S]*?`))
}

// writeBigFile writes n bytes of log-like text, which is no key.
func writeBigFile(t *testing.T, n int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "big.log")
	line := []byte("2026-01-01T00:00:00Z info request served in 12ms\n")
	if err := os.WriteFile(p, bytes.Repeat(line, n/len(line)+1)[:n], 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestAccKeyInput_50MBIsRefusedClearly: 50 MB given to the data source as a
// path or as content, and to both functions, is a clear error naming the
// size and the limit.
func TestAccKeyInput_50MBIsRefusedClearly(t *testing.T) {
	t.Parallel()
	big := writeBigFile(t, 50<<20)
	const sizeErr = "the input is 52428800 bytes (50.0 MiB); the limit for an SSH key is 65536 bytes (64.0 KiB)"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		TerraformVersionChecks:   functionsNeedTerraform18,
		Steps: []resource.TestStep{
			{
				Config:      fmt.Sprintf("provider \"packet\" {}\ndata \"packet_ssh_public_key\" \"k\" {\n  path = %q\n}\n", big),
				ExpectError: errorInOrder("Error: Cannot read the key file", "with data.packet_ssh_public_key.k", sizeErr),
			},
			{
				Config:      fmt.Sprintf("provider \"packet\" {}\ndata \"packet_ssh_public_key\" \"k\" {\n  content = file(%q)\n}\n", big),
				ExpectError: errorInOrder("Error: Cannot read the SSH key", "with data.packet_ssh_public_key.k", sizeErr),
			},
			{
				Config:      fmt.Sprintf("output \"x\" {\n  value = provider::packet::normalize_public_key(file(%q))\n}\n", big),
				ExpectError: errorLike(sizeErr),
			},
			{
				Config:      fmt.Sprintf("output \"x\" {\n  value = provider::packet::public_key_fingerprint(file(%q), \"sha256\")\n}\n", big),
				ExpectError: errorLike(sizeErr),
			},
		},
	})
}

// rssChildEnv names the case a child process of TestKeyInput_peakRSS runs.
const rssChildEnv = "PACKET_TEST_RSS_CASE"

// TestKeyInput_peakRSS: refusing a 50 MB file, a 50 MB string and a line
// with a million options grows the process by less than 64 MB, and by no
// more than the input itself plus 4 MiB (three times that under -race):
// nothing is copied or parsed. Each
// case runs in a fresh child process (this test binary) that reports its
// resident size before the input exists and its peak (VmHWM) after the
// refusal. A string input is in memory before the provider sees it, as it
// is when Terraform sends it; a file is never read whole.
func TestKeyInput_peakRSS(t *testing.T) {
	if os.Getenv(rssChildEnv) != "" {
		t.Skip("running as a child process")
	}
	big := filepath.Join(t.TempDir(), "big.log")
	if err := os.WriteFile(big, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, 50<<20); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"path", "content", "options", "function"} {
		t.Run(name, func(t *testing.T) {
			cmd := exec.CommandContext(context.Background(), os.Args[0], "-test.run=^TestKeyInputPeakRSSChild$", "-test.v")
			cmd.Env = append(os.Environ(), rssChildEnv+"="+name, "PACKET_TEST_BIG_FILE="+big)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("child: %v\n%s", err, out)
			}
			m := regexp.MustCompile(`before_kb=(\d+) peak_kb=(\d+) in_memory_kb=(\d+) refused=(.*)`).FindSubmatch(out)
			if m == nil {
				t.Fatalf("child printed no sizes:\n%s", out)
			}
			before, _ := strconv.Atoi(string(m[1]))
			peak, _ := strconv.Atoi(string(m[2]))
			input, _ := strconv.Atoi(string(m[3]))
			growth := peak - before
			t.Logf("%s: resident %d KiB before, peak %d KiB: grew %d KiB, of which the input in memory %d KiB", name, before, peak, growth, input)
			// Under -race every bound is scaled by memoryFactor (shadow memory).
			if growth > memoryFactor*64<<10 {
				t.Errorf("%s: the process grew by %d KiB, want under %d MiB", name, growth, memoryFactor*64)
			}
			if beyond := growth - memoryFactor*input; beyond > memoryFactor*4<<10 {
				t.Errorf("%s: the process grew by %d KiB beyond the input, want at most %d MiB", name, beyond, memoryFactor*4)
			}
			if !strings.Contains(string(m[4]), "the limit for an SSH key is 65536 bytes") {
				t.Errorf("%s: refused with %q", name, m[4])
			}
		})
	}
}

// TestKeyInputPeakRSSChild is the child of TestKeyInput_peakRSS.
func TestKeyInputPeakRSSChild(t *testing.T) {
	name := os.Getenv(rssChildEnv)
	if name == "" {
		t.Skip("helper process of TestKeyInput_peakRSS")
	}
	status := func(field string) string {
		b, err := os.ReadFile("/proc/self/status")
		if err != nil {
			t.Fatal(err) // Linux only, like CI; no silent skip
		}
		m := regexp.MustCompile(field + `:\s+(\d+) kB`).FindSubmatch(b)
		if m == nil {
			t.Fatalf("no %s in /proc/self/status", field)
		}
		return string(m[1])
	}
	line := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl x"
	runtime.GC()
	before := status("VmRSS")
	var msg string
	var input int
	switch name {
	case "path":
		diags := readSSHPublicKey(t, map[string]string{"path": os.Getenv("PACKET_TEST_BIG_FILE")})
		msg = diags.Errors()[0].Detail()
	case "content":
		content := strings.Repeat("log line\n", 50<<20/9)
		input = len(content)
		msg = readSSHPublicKey(t, map[string]string{"content": content}).Errors()[0].Detail()
	case "options":
		var sb strings.Builder // built in place: a + would copy it once more
		sb.Grow(7*1_000_000 + len("no-pty ") + len(line))
		for range 1_000_000 {
			sb.WriteString("no-pty,")
		}
		sb.WriteString("no-pty " + line)
		content := sb.String()
		input = len(content)
		msg = readSSHPublicKey(t, map[string]string{"content": content}).Errors()[0].Detail()
	case "function":
		arg := strings.Repeat("log line\n", 50<<20/9)
		input = len(arg)
		_, ferr := parsePublicKeyArgument(arg)
		msg = ferr.Error()
	}
	fmt.Printf("before_kb=%s peak_kb=%s in_memory_kb=%d refused=%s\n", before, status("VmHWM"), input>>10, strings.ReplaceAll(msg, "\n", " "))
}
