package provider

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/packethost/terraform-provider-packet/internal/homedir"
	"github.com/packethost/terraform-provider-packet/internal/sshkey"
)

var _ datasource.DataSourceWithConfigValidators = (*sshPublicKeyDataSource)(nil)

// sshPublicKeyDataSource reads a key from a file or a string in any format
// people have and derives the canonical public key and fingerprints. It
// needs no API token, and no private byte or passphrase reaches state.
type sshPublicKeyDataSource struct{}

// NewSSHPublicKeyDataSource is packet_ssh_public_key.
func NewSSHPublicKeyDataSource() datasource.DataSource { return &sshPublicKeyDataSource{} }

type sshPublicKeyModel struct {
	Path              types.String `tfsdk:"path"`
	Content           types.String `tfsdk:"content"`
	Passphrase        types.String `tfsdk:"passphrase"`
	ID                types.String `tfsdk:"id"`
	PublicKey         types.String `tfsdk:"public_key"`
	Algorithm         types.String `tfsdk:"algorithm"`
	Bits              types.Int64  `tfsdk:"bits"`
	Comment           types.String `tfsdk:"comment"`
	FingerprintMD5    types.String `tfsdk:"fingerprint_md5"`
	FingerprintSHA256 types.String `tfsdk:"fingerprint_sha256"`
	Format            types.String `tfsdk:"format"`
	Options           types.List   `tfsdk:"options"`
}

func (d *sshPublicKeyDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_ssh_public_key"
}

func (d *sshPublicKeyDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	computed := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{MarkdownDescription: desc, Computed: true}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads an SSH key from a file or a string in any format people have — an OpenSSH `.pub` " +
			"line or `authorized_keys` line, PuTTYgen's RFC 4716 \"SSH2 PUBLIC KEY\" file, a PuTTY `.ppk` file (v2 or v3, " +
			"encrypted or not: no passphrase needed), an OpenSSH or PEM private key, a PEM public key — and gives the " +
			"one-line public key the API takes plus its fingerprints. Needs no API token. Only public data is kept in state: " +
			"for a private key file the contents and passphrase never are.\n\n" + keyInputBoundsDoc,
		Attributes: map[string]schema.Attribute{
			"path": schema.StringAttribute{
				MarkdownDescription: "Path of the key file. `~` is expanded; a relative path is relative to the directory " +
					"Terraform runs in, so in a module write `\"${path.module}/keys/id.ppk\"`. Exactly one of `path` and `content`. " +
					fmt.Sprintf("A file over %d KiB is refused without being read.", sshkey.MaxInputSize>>10),
				Optional: true,
			},
			"content": schema.StringAttribute{
				MarkdownDescription: "The key itself. Exactly one of `path` and `content`. When it holds private key " +
					"material it is not kept in state (null there). " +
					fmt.Sprintf("At most %d KiB.", sshkey.MaxInputSize>>10),
				Optional:  true,
				Sensitive: true,
			},
			"passphrase": schema.StringAttribute{
				MarkdownDescription: "Passphrase of a legacy encrypted PEM private key (`Proc-Type: 4,ENCRYPTED`). Not needed " +
					"for `.ppk` files or OpenSSH private keys, whose public half is stored in clear. Never kept in state; pass it from a " +
					"`sensitive` variable or `file(...)`, since Terraform copies a literal value into plan files and logs.",
				Optional:  true,
				Sensitive: true,
			},
			"id":                 computed("The SHA256 fingerprint."),
			"public_key":         computed("The public key as one OpenSSH line (`type base64 [comment]`), no trailing newline: what the API takes."),
			"algorithm":          computed("Key algorithm as `ssh-keygen -l` names it: `RSA`, `ED25519`, `ECDSA`, `DSA`, `ECDSA-SK`, `ED25519-SK`."),
			"bits":               schema.Int64Attribute{MarkdownDescription: "Key size in bits.", Computed: true},
			"comment":            computed(fmt.Sprintf("The key's comment (from the line, the RFC 4716 `Comment:` header or the `.ppk` file); at most %d bytes.", sshkey.MaxCommentLength)),
			"fingerprint_md5":    computed("MD5 fingerprint in colon-hex form, as the API and the portal show it."),
			"fingerprint_sha256": computed("SHA256 fingerprint as `ssh-keygen -l` prints it (`SHA256:...`)."),
			"format":             computed("The format the input was recognised as: `openssh`, `authorized_keys`, `rfc4716`, `ppk-v2`, `ppk-v3`, `openssh-private`, `pem-pkcs1`, `pem-sec1`, `pem-pkcs8`, `pem-pkix`, `pem-pkcs1-public`."),
			"options": schema.ListAttribute{
				MarkdownDescription: fmt.Sprintf("Options of an `authorized_keys` line (dropped from `public_key`); at most %d bytes in all.", sshkey.MaxOptionsLength),
				ElementType:         types.StringType,
				Computed:            true,
			},
		},
	}
}

func (d *sshPublicKeyDataSource) ConfigValidators(context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{
		datasourcevalidator.ExactlyOneOf(path.MatchRoot("path"), path.MatchRoot("content")),
	}
}

func (d *sshPublicKeyDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m sshPublicKeyModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}

	source := path.Root("content")
	var data []byte
	if m.Path.IsNull() {
		// Checked before the string is copied, so an oversized one costs nothing more.
		if err := sshkey.CheckSize(int64(len(m.Content.ValueString()))); err != nil {
			resp.Diagnostics.AddAttributeError(source, "Cannot read the SSH key", err.Error())
			return
		}
		data = []byte(m.Content.ValueString())
	} else {
		source = path.Root("path")
		var err error
		if data, err = readKeyFile(m.Path.ValueString()); err != nil {
			resp.Diagnostics.AddAttributeError(source, "Cannot read the key file", err.Error())
			return
		}
	}

	key, err := sshkey.Parse(data, sshkey.Options{Passphrase: []byte(m.Passphrase.ValueString())})
	if err != nil {
		resp.Diagnostics.AddAttributeError(source, "Cannot read the SSH key", err.Error())
		return
	}
	if err := sshkey.CheckStrength(key); err != nil {
		resp.Diagnostics.AddAttributeWarning(source, "Weak SSH key", weakKeyDetail(err))
	}

	opts := key.Options()
	if opts == nil {
		opts = []string{} // an empty list, so length() works without a null check
	}
	options, diags := types.ListValueFrom(ctx, types.StringType, opts)
	resp.Diagnostics.Append(diags...)
	m.ID = types.StringValue(key.FingerprintSHA256())
	m.PublicKey = types.StringValue(key.Line())
	m.Algorithm = types.StringValue(key.Algorithm())
	m.Bits = types.Int64Value(int64(key.Bits()))
	m.Comment = types.StringValue(key.Comment())
	m.FingerprintMD5 = types.StringValue(key.FingerprintMD5())
	m.FingerprintSHA256 = types.StringValue(key.FingerprintSHA256())
	m.Format = types.StringValue(string(key.Format()))
	m.Options = options
	// Private material and passphrases never reach state.
	m.Passphrase = types.StringNull()
	if key.FromPrivate() {
		m.Content = types.StringNull()
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// keyInputBoundsDoc documents the bounds every key input shares.
var keyInputBoundsDoc = fmt.Sprintf("Inputs are bounded: a key file, string or argument of more than %d KiB is refused before it is "+
	"parsed (the largest real key files, those of a 16384-bit RSA key, are under 13 KiB), as are a comment over %d bytes, "+
	"`authorized_keys` options over %d KiB and RSA keys over %d bits.",
	sshkey.MaxInputSize>>10, sshkey.MaxCommentLength, sshkey.MaxOptionsLength>>10, sshkey.MaxRSABits)

// readKeyFile reads a key file of at most sshkey.MaxInputSize bytes. A
// larger file is refused from its size before any of it is read; a file
// whose size stat cannot tell (a pipe, a device) is read only up to one
// byte over the bound.
func readKeyFile(name string) ([]byte, error) {
	file, err := homedir.Expand(name)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(file) //nolint:gosec // reading the file the configuration names is this data source's job
	if err != nil {
		return nil, shortPathError(err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, shortPathError(err)
	}
	if info.IsDir() {
		return nil, fmt.Errorf("%s is a directory, not a key file", sshkey.QuotePrefix(name))
	}
	if err := sshkey.CheckSize(info.Size()); err != nil {
		return nil, err
	}
	// One buffer of the bound and a byte: the memory a file costs never
	// depends on what the file holds.
	data := make([]byte, sshkey.MaxInputSize+1)
	n, err := io.ReadFull(f, data)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, shortPathError(err)
	}
	data = data[:n]
	if n > sshkey.MaxInputSize {
		return nil, fmt.Errorf("reading stopped at the limit of %d bytes and the file goes on (it is not a regular "+
			"file, or it grew): is this the right file?", sshkey.MaxInputSize)
	}
	return data, nil
}

// shortPathError keeps an error about a file from repeating a long path whole.
func shortPathError(err error) error {
	var pathErr *os.PathError
	if errors.As(err, &pathErr) && len(pathErr.Path) > 200 {
		return fmt.Errorf("%s %s: %w", pathErr.Op, sshkey.QuotePrefix(pathErr.Path), pathErr.Err)
	}
	return err
}

// weakKeyDetail turns CheckStrength's message into sentences and says what
// follows from it.
func weakKeyDetail(err error) string {
	return sentence(err.Error()) + " The key is read, but packet_project_ssh_key and packet_user_ssh_key refuse it."
}

// sentence starts s with a capital letter and ends it with a full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	r, size := utf8.DecodeRuneInString(s)
	s = string(unicode.ToUpper(r)) + s[size:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}
