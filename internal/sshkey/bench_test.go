package sshkey

import (
	"testing"
)

// benchParse parses one fixture b.N times and reports keys per second.
func benchParse(b *testing.B, file, pass string, want Format) {
	data := readFixture(b, file)
	opts := Options{Passphrase: []byte(pass)}
	k, err := Parse(data, opts)
	if err != nil || k.Format() != want {
		b.Fatalf("%s: %v (format %v, want %s)", file, err, k, want)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Parse(data, opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "keys/s")
}

// BenchmarkParseOpenSSH is the one the target applies to: at least 50,000
// one-line keys per second per core. It mixes the common key types.
func BenchmarkParseOpenSSH(b *testing.B) {
	files := []string{"keys/ed25519.pub", "keys/rsa2048.pub", "keys/rsa4096.pub", "keys/ecdsa256.pub", "keys/ecdsa521.pub"}
	inputs := make([][]byte, len(files))
	for i, f := range files {
		inputs[i] = readFixture(b, f)
	}
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		if _, err := Parse(inputs[i%len(inputs)], Options{}); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "keys/s")
}

func BenchmarkParseOpenSSHEd25519(b *testing.B) {
	benchParse(b, "keys/ed25519.pub", "", FormatOpenSSH)
}

func BenchmarkParseOpenSSHRSA4096(b *testing.B) {
	benchParse(b, "keys/rsa4096.pub", "", FormatOpenSSH)
}

func BenchmarkParseAuthorizedKeys(b *testing.B) {
	benchParse(b, "keys/ed25519.authorized_keys", "", FormatAuthorizedKeys)
}

func BenchmarkParseRFC4716(b *testing.B) {
	benchParse(b, "keys/rsa2048.putty.rfc4716", "", FormatRFC4716)
}

func BenchmarkParsePuTTYv2(b *testing.B) {
	benchParse(b, "keys/ed25519.v2.ppk", "", FormatPuTTYv2)
}

func BenchmarkParsePuTTYv3(b *testing.B) {
	benchParse(b, "keys/rsa2048.v3.ppk", "", FormatPuTTYv3)
}

func BenchmarkParseOpenSSHPrivate(b *testing.B) {
	benchParse(b, "keys/ed25519", "", FormatOpenSSHPrivate)
}

func BenchmarkParseOpenSSHPrivateEncrypted(b *testing.B) {
	benchParse(b, "keys/rsa3072-enc", "", FormatOpenSSHPrivate)
}

func BenchmarkParsePEMPKCS1(b *testing.B) {
	benchParse(b, "keys/rsa2048.pkcs1.pem", "", FormatPEMPKCS1)
}

func BenchmarkParsePEMPKCS1Encrypted(b *testing.B) {
	benchParse(b, "keys/rsa2048-enc.pkcs1.pem", "correct horse", FormatPEMPKCS1)
}

func BenchmarkParsePEMSEC1(b *testing.B) {
	benchParse(b, "keys/ecdsa256.sec1.pem", "", FormatPEMSEC1)
}

func BenchmarkParsePEMPKCS8(b *testing.B) {
	benchParse(b, "keys/ed25519-openssl.pkcs8.pem", "", FormatPEMPKCS8)
}

func BenchmarkParsePEMPKIX(b *testing.B) {
	benchParse(b, "keys/rsa2048.pkix.pem", "", FormatPEMPKIX)
}

func BenchmarkParsePEMPKCS1Public(b *testing.B) {
	benchParse(b, "keys/rsa2048.pkcs1-public.pem", "", FormatPEMPKCS1Public)
}
