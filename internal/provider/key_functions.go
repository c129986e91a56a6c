package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/function"

	"github.com/packethost/terraform-provider-packet/internal/sshkey"
)

var (
	_ function.Function = (*normalizePublicKeyFunction)(nil)
	_ function.Function = (*publicKeyFingerprintFunction)(nil)
)

// parsePublicKeyArgument parses a function argument that must hold a public
// key only: functions take no passphrase and never read private material.
func parsePublicKeyArgument(text string) (*sshkey.Key, *function.FuncError) {
	// Checked before the string is copied or scanned.
	if err := sshkey.CheckSize(int64(len(text))); err != nil {
		return nil, function.NewArgumentFuncError(0, err.Error())
	}
	data := []byte(text)
	if sshkey.LooksPrivate(data) {
		return nil, function.NewArgumentFuncError(0, "this is a private key: functions accept only public keys "+
			"(an OpenSSH line or RFC 4716 block). Use data.packet_ssh_public_key to read a private key file.")
	}
	key, err := sshkey.Parse(data, sshkey.Options{})
	if err != nil {
		return nil, function.NewArgumentFuncError(0, err.Error())
	}
	return key, nil
}

type normalizePublicKeyFunction struct{}

// NewNormalizePublicKeyFunction is provider::packet::normalize_public_key.
func NewNormalizePublicKeyFunction() function.Function { return &normalizePublicKeyFunction{} }

func (f *normalizePublicKeyFunction) Metadata(_ context.Context, _ function.MetadataRequest, resp *function.MetadataResponse) {
	resp.Name = "normalize_public_key"
}

func (f *normalizePublicKeyFunction) Definition(_ context.Context, _ function.DefinitionRequest, resp *function.DefinitionResponse) {
	resp.Definition = function.Definition{
		Summary: "The one-line OpenSSH form of a public key",
		MarkdownDescription: "Returns the public key as one OpenSSH line (`type base64 [comment]`, single spaces, no trailing " +
			"newline), from an OpenSSH or `authorized_keys` line or an RFC 4716 block as PuTTYgen's \"Save public key\" " +
			"writes it. Same parser as `data.packet_ssh_public_key`; private keys are refused.\n\n" + keyInputBoundsDoc,
		Parameters: []function.Parameter{
			function.StringParameter{Name: "public_key", MarkdownDescription: "The public key text."},
		},
		Return: function.StringReturn{},
	}
}

func (f *normalizePublicKeyFunction) Run(ctx context.Context, req function.RunRequest, resp *function.RunResponse) {
	var text string
	resp.Error = function.ConcatFuncErrors(resp.Error, req.Arguments.Get(ctx, &text))
	if resp.Error != nil {
		return
	}
	key, ferr := parsePublicKeyArgument(text)
	if ferr != nil {
		resp.Error = ferr
		return
	}
	resp.Error = resp.Result.Set(ctx, key.Line())
}

type publicKeyFingerprintFunction struct{}

// NewPublicKeyFingerprintFunction is provider::packet::public_key_fingerprint.
func NewPublicKeyFingerprintFunction() function.Function { return &publicKeyFingerprintFunction{} }

func (f *publicKeyFingerprintFunction) Metadata(_ context.Context, _ function.MetadataRequest, resp *function.MetadataResponse) {
	resp.Name = "public_key_fingerprint"
}

func (f *publicKeyFingerprintFunction) Definition(_ context.Context, _ function.DefinitionRequest, resp *function.DefinitionResponse) {
	resp.Definition = function.Definition{
		Summary: "The fingerprint of a public key",
		MarkdownDescription: "Returns the fingerprint of a public key: `\"md5\"` gives the colon-hex form the API and the " +
			"portal show, `\"sha256\"` the `SHA256:...` form `ssh-keygen -l` prints. Accepts the same public formats " +
			"as `normalize_public_key`.\n\n" + keyInputBoundsDoc,
		Parameters: []function.Parameter{
			function.StringParameter{Name: "public_key", MarkdownDescription: "The public key text."},
			function.StringParameter{Name: "hash", MarkdownDescription: "`\"md5\"` or `\"sha256\"`."},
		},
		Return: function.StringReturn{},
	}
}

func (f *publicKeyFingerprintFunction) Run(ctx context.Context, req function.RunRequest, resp *function.RunResponse) {
	var text, hash string
	resp.Error = function.ConcatFuncErrors(resp.Error, req.Arguments.Get(ctx, &text, &hash))
	if resp.Error != nil {
		return
	}
	if hash != "md5" && hash != "sha256" {
		resp.Error = function.NewArgumentFuncError(1, `hash must be "md5" or "sha256", got `+sshkey.QuotePrefix(hash))
		return
	}
	key, ferr := parsePublicKeyArgument(text)
	if ferr != nil {
		resp.Error = ferr
		return
	}
	fingerprint := key.FingerprintSHA256()
	if hash == "md5" {
		fingerprint = key.FingerprintMD5()
	}
	resp.Error = resp.Result.Set(ctx, fingerprint)
}
