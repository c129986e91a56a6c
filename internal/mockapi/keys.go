package mockapi

import (
	"errors"
	"strings"

	"golang.org/x/crypto/ssh"
)

// checkPublicKey checks a key as the platform does and returns its MD5
// colon-hex fingerprint. The key is stored and echoed exactly as sent (the
// real API keeps a trailing space or newline), so only the check trims.
// Errors are meant for the client.
func checkPublicKey(raw string) (fingerprint string, err error) {
	line := strings.TrimSpace(raw)
	switch {
	case line == "":
		return "", errors.New("key is required")
	case strings.HasPrefix(line, "---- BEGIN SSH2 PUBLIC KEY"):
		// The real API rejects RFC 4716; the provider must convert first.
		return "", errors.New("key is invalid: RFC 4716 (SSH2 PUBLIC KEY) format is not accepted, send the one-line OpenSSH form")
	case strings.ContainsAny(line, "\r\n"):
		return "", errors.New("key is invalid: expected a single line")
	}
	pub, _, options, rest, perr := ssh.ParseAuthorizedKey([]byte(line))
	if perr != nil {
		return "", errors.New("key is invalid: not an OpenSSH public key")
	}
	if len(options) > 0 || len(rest) > 0 {
		return "", errors.New("key is invalid: expected only 'type base64 [comment]'")
	}
	return ssh.FingerprintLegacyMD5(pub), nil
}
