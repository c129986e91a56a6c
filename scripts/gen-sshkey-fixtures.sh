#!/usr/bin/env bash
# gen-sshkey-fixtures.sh — regenerate the SSH key fixtures of internal/sshkey.
#
# Usage: scripts/gen-sshkey-fixtures.sh        (from anywhere in the repository)
#
# Needs: ssh-keygen (OpenSSH), puttygen (Debian/Ubuntu: apt-get install putty-tools),
#        openssl, jq, xxd, base64.
#
# What it does: deletes and rewrites internal/sshkey/testdata/keys/, testdata/bad/ and
# testdata/expectations.json (testdata/fuzz/ is left alone). Every key is a fresh,
# throw-away test key; encrypted ones use the passphrase "correct horse". Running it
# again gives a new but equally complete set, so it is safe to re-run at any time.
# It takes a few minutes, most of them making the 16384-bit RSA key.
#
# The expected values never come from our own parser: for every fixture a real tool
# (ssh-keygen, puttygen) writes an OpenSSH public line, the "oracle", and
# `ssh-keygen -l -E md5|sha256` computes the fingerprints, bits and algorithm from it.
# Where no tool can (hand-made RFC 4716 headers, security-key lines built from real
# public points, authorized_keys options) the script writes the input and the oracle
# itself from a tool-made .pub and says so next to the step.
#
# The Go tests read only the committed files and need none of these tools.
set -euo pipefail

cd "$(dirname "$0")/.."
OUT=internal/sshkey/testdata
K=$OUT/keys
B=$OUT/bad
PASS='correct horse'

for tool in ssh-keygen puttygen openssl jq xxd base64; do
	command -v "$tool" >/dev/null || { echo "missing tool: $tool" >&2; exit 1; }
done

rm -rf "$K" "$B" "$OUT/expectations.json"
mkdir -p "$K" "$B"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
ENTRIES=$WORK/entries.jsonl
: >"$ENTRIES"
printf '%s\n' "$PASS" >"$WORK/pass"
: >"$WORK/empty"

# expect FILE FORMAT ORACLE FROM_PRIVATE [PASSPHRASE] [OPTIONS_JSON]
# ORACLE is a file whose first line is the expected canonical line.
expect() {
	local file=$1 format=$2 oracle=$3 private=$4 pass=${5:-} options=${6:-null}
	local line type rest b64 comment="" md5 sha bits alg
	line=$(head -n1 "$oracle" | tr -d '\r')
	type=${line%% *}
	rest=${line#* }
	b64=${rest%% *}
	if [[ $rest == *" "* ]]; then comment=${rest#* }; fi
	md5=$(ssh-keygen -l -E md5 -f "$oracle" | awk '{print $2}')
	read -r bits sha _ <<<"$(ssh-keygen -l -E sha256 -f "$oracle")"
	alg=$(ssh-keygen -l -f "$oracle" | sed -E 's/.*\(([^)]*)\)$/\1/')
	jq -nc --arg file "${file#"$OUT"/}" --arg format "$format" --arg type "$type" --arg alg "$alg" \
		--argjson bits "$bits" --arg comment "$comment" --arg line "$line" --arg blob "$b64" \
		--arg md5 "${md5#MD5:}" --arg sha "$sha" --argjson private "$private" --arg pass "$pass" \
		--argjson options "$options" \
		'{file:$file, format:$format, type:$type, algorithm:$alg, bits:$bits, comment:$comment,
		  line:$line, blob:$blob, md5:$md5, sha256:$sha, from_private:$private, passphrase:$pass,
		  options:$options}' >>"$ENTRIES"
}

# expect_error FILE SUBSTRING [PASSPHRASE]
expect_error() {
	jq -nc --arg file "${1#"$OUT"/}" --arg err "$2" --arg pass "${3:-}" \
		'{file:$file, error:$err, passphrase:$pass}' >>"$ENTRIES"
}

# oracle_of SRC: a temp file holding SRC's first line without its comment.
no_comment() {
	local dst=$WORK/$(basename "$1").nc
	head -n1 "$1" | cut -d' ' -f1,2 >"$dst"
	echo "$dst"
}

# --- OpenSSH keys from ssh-keygen: private key + .pub ------------------------
# gen NAME TYPE BITS COMMENT ENCRYPTED(yes|no)
gen() {
	local name=$1 type=$2 bits=$3 comment=$4 enc=$5 pass=''
	[[ $enc == yes ]] && pass=$PASS
	ssh-keygen -q -t "$type" -b "$bits" -C "$comment" -N "$pass" -f "$K/$name"
	expect "$K/$name.pub" openssh "$K/$name.pub" false
	if [[ $enc == yes ]]; then
		# The comment of an encrypted key is inside the encrypted part: not readable.
		expect "$K/$name" openssh-private "$(no_comment "$K/$name.pub")" true
	else
		ssh-keygen -y -f "$K/$name" >"$WORK/$name.derived"
		cmp -s <(cut -d' ' -f1,2 "$WORK/$name.derived") <(cut -d' ' -f1,2 "$K/$name.pub")
		expect "$K/$name" openssh-private "$K/$name.pub" true
	fi
}

LONG_COMMENT="a very long comment: $(printf 'for the packet provider tests %.0s' {1..8})end"
gen rsa2048 rsa 2048 "alice@laptop" no
gen rsa3072-enc rsa 3072 "bob's work key, 2024" yes
gen rsa4096 rsa 4096 "ops team deploy key" no
# The largest key ssh-keygen makes, so the size bounds are seen to fit real files
# with room to spare (making it takes a few minutes).
gen rsa16384 rsa 16384 "the largest key ssh-keygen makes" no
gen rsa1024-weak rsa 1024 "old weak key" no
gen ed25519 ed25519 256 "carol on her laptop" no
gen ed25519-enc ed25519 256 "dave (encrypted)" yes
gen ed25519-long ed25519 256 "$LONG_COMMENT" no
gen ecdsa256 ecdsa 256 "erin" no
gen ecdsa384-enc ecdsa 384 "frank encrypted" yes
gen ecdsa521 ecdsa 521 "grace" no
if ssh-keygen -q -t dsa -N '' -C "legacy dsa" -f "$WORK/dsa-probe" 2>/dev/null; then
	gen dsa1024 dsa 1024 "legacy dsa" no
else
	echo "note: this ssh-keygen cannot make DSA keys; no DSA fixtures written" >&2
fi

# --- RFC 4716 ----------------------------------------------------------------
for name in rsa2048 ed25519 ecdsa384-enc; do
	ssh-keygen -e -f "$K/$name.pub" >"$K/$name.keygen.rfc4716"
	# Oracle: ssh-keygen's own key plus the Comment header it wrote.
	hdr=$(sed -n 's/^Comment: "\(.*\)"$/\1/p' "$K/$name.keygen.rfc4716")
	echo "$(cut -d' ' -f1,2 "$K/$name.pub") $hdr" >"$WORK/$name.keygen.oracle"
	expect "$K/$name.keygen.rfc4716" rfc4716 "$WORK/$name.keygen.oracle" false
done
for name in rsa2048 ed25519-long; do
	puttygen "$K/$name" -O public -o "$K/$name.putty.rfc4716"
	puttygen "$K/$name.putty.rfc4716" -O public-openssh -o "$WORK/$name.putty.oracle"
	expect "$K/$name.putty.rfc4716" rfc4716 "$WORK/$name.putty.oracle" false
done
# Hand-made: other headers, a quoted Comment continued with a backslash, CRLF and
# 40-column wrapping. No tool writes this (puttygen cannot even read it back), so the
# oracle is the tool-made .pub with the comment we put in.
{
	printf -- '---- BEGIN SSH2 PUBLIC KEY ----\r\n'
	printf 'Subject: carol\r\n'
	printf 'x-Origin: "made by hand \\\r\n   for the tests"\r\n'
	printf 'Comment: "carol on her \\\r\nlaptop, continued"\r\n'
	cut -d' ' -f2 "$K/ed25519.pub" | fold -w 40 | sed 's/$/\r/'
	printf -- '---- END SSH2 PUBLIC KEY ----\r\n'
} >"$K/ed25519.handmade.rfc4716"
echo "$(cut -d' ' -f1,2 "$K/ed25519.pub") carol on her laptop, continued" >"$WORK/handmade.oracle"
expect "$K/ed25519.handmade.rfc4716" rfc4716 "$WORK/handmade.oracle" false

# Line terminators: RFC 4716 §3.1 lets a block end its lines in CR, LF or CRLF, and
# mix them. Each block above is written again with bare CR, with CRLF, and with the
# three in turn (headers, continued headers, body and END line alike). The key
# oracle is `ssh-keygen -i` of the rewritten file itself; the comment is the one of
# the LF block's oracle (ssh-keygen -i drops comments).
# eol_variants SRC ORACLE
eol_variants() {
	local src=$1 oracle=$2 base=${1%.rfc4716} comment v name
	comment=$(head -n1 "$oracle" | cut -s -d' ' -f3-)
	tr -d '\r' <"$src" | tr '\n' '\r' >"$base.cr.rfc4716"
	tr -d '\r' <"$src" | sed 's/$/\r/' >"$base.crlf.rfc4716"
	tr -d '\r' <"$src" | awk '{ e = NR % 3 == 1 ? "\r" : (NR % 3 == 2 ? "\n" : "\r\n"); printf "%s%s", $0, e }' \
		>"$base.mixed.rfc4716"
	for v in cr crlf mixed; do
		name=$(basename "$base").$v
		ssh-keygen -i -f "$base.$v.rfc4716" >"$WORK/$name.key"
		echo "$(head -n1 "$WORK/$name.key")${comment:+ $comment}" >"$WORK/$name.oracle"
		expect "$base.$v.rfc4716" rfc4716 "$WORK/$name.oracle" false
	done
}
eol_variants "$K/rsa2048.keygen.rfc4716" "$WORK/rsa2048.keygen.oracle"
eol_variants "$K/ed25519-long.putty.rfc4716" "$WORK/ed25519-long.putty.oracle"
eol_variants "$K/ed25519.handmade.rfc4716" "$WORK/handmade.oracle"

# --- PuTTY .ppk --------------------------------------------------------------
# ppk NAME SRC VERSION ENCRYPTED(yes|no)
ppk() {
	local name=$1 src=$2 version=$3 enc=$4
	local args=(--ppk-param "version=$version")
	[[ $enc == yes ]] && args+=(--new-passphrase "$WORK/pass")
	puttygen "$K/$src" -O private "${args[@]}" -o "$K/$name"
	# puttygen reads the public half of an encrypted .ppk without the passphrase.
	puttygen "$K/$name" -O public-openssh -o "$WORK/$name.oracle"
	expect "$K/$name" "ppk-v$version" "$WORK/$name.oracle" true
}
ppk ed25519.v3.ppk ed25519 3 no
ppk ed25519.v2.ppk ed25519 2 no
ppk ed25519-enc.v3.ppk ed25519 3 yes
ppk ed25519-enc.v2.ppk ed25519 2 yes
ppk rsa2048.v3.ppk rsa2048 3 no
ppk ecdsa256.v2.ppk ecdsa256 2 no
ppk rsa16384.v3.ppk rsa16384 3 no
[[ -f $K/dsa1024 ]] && ppk dsa1024.v3.ppk dsa1024 3 no
puttygen "$K/ed25519.v3.ppk" -O public-openssh -o "$K/ed25519.putty-openssh.pub"
expect "$K/ed25519.putty-openssh.pub" openssh "$K/ed25519.putty-openssh.pub" false

# --- PEM public keys ---------------------------------------------------------
# pem_public NAME SRC MODE FORMAT
pem_public() {
	ssh-keygen -e -m "$3" -f "$K/$2.pub" >"$K/$1"
	ssh-keygen -i -m "$3" -f "$K/$1" >"$WORK/$1.oracle"
	expect "$K/$1" "$4" "$(no_comment "$WORK/$1.oracle")" false
}
pem_public rsa2048.pkix.pem rsa2048 PKCS8 pem-pkix
pem_public ecdsa256.pkix.pem ecdsa256 PKCS8 pem-pkix
pem_public rsa2048.pkcs1-public.pem rsa2048 PEM pem-pkcs1-public

# --- PEM private keys --------------------------------------------------------
# pem_private NAME SRC MODE FORMAT ENCRYPTED(yes|no)
pem_private() {
	local name=$1 src=$2 mode=$3 format=$4 enc=$5 pass=''
	[[ $enc == yes ]] && pass=$PASS
	cp "$K/$src" "$K/$name"
	ssh-keygen -q -p -m "$mode" -P '' -N "$pass" -f "$K/$name" >/dev/null
	ssh-keygen -y -P "$pass" -f "$K/$name" >"$WORK/$name.oracle"
	expect "$K/$name" "$format" "$(no_comment "$WORK/$name.oracle")" true "$pass"
}
pem_private rsa2048.pkcs1.pem rsa2048 PEM pem-pkcs1 no
pem_private rsa2048-enc.pkcs1.pem rsa2048 PEM pem-pkcs1 yes
pem_private ecdsa256.sec1.pem ecdsa256 PEM pem-sec1 no
pem_private ecdsa521-enc.sec1.pem ecdsa521 PEM pem-sec1 yes
pem_private rsa4096.pkcs8.pem rsa4096 PKCS8 pem-pkcs8 no
pem_private rsa16384.pkcs1.pem rsa16384 PEM pem-pkcs1 no
pem_private ecdsa256.pkcs8.pem ecdsa256 PKCS8 pem-pkcs8 no

# Ed25519 in PKCS#8/PKIX: ssh-keygen cannot write these, openssl can. The oracle line
# is built from the 32 raw public bytes (the last 32 of the DER SubjectPublicKeyInfo).
ssh_string() { printf '%08x' "$(printf '%s' "$1" | xxd -p -r | wc -c)" | xxd -r -p; printf '%s' "$1" | xxd -p -r; }
hexof() { printf '%s' "$1" | xxd -p | tr -d '\n'; }
openssl genpkey -algorithm ed25519 -out "$K/ed25519-openssl.pkcs8.pem"
openssl pkey -in "$K/ed25519-openssl.pkcs8.pem" -pubout -out "$K/ed25519-openssl.pkix.pem"
raw=$(openssl pkey -in "$K/ed25519-openssl.pkcs8.pem" -pubout -outform DER | tail -c 32 | xxd -p | tr -d '\n')
{ ssh_string "$(hexof ssh-ed25519)"; ssh_string "$raw"; } >"$WORK/ossl.blob"
echo "ssh-ed25519 $(base64 -w0 <"$WORK/ossl.blob")" >"$WORK/ossl.oracle"
expect "$K/ed25519-openssl.pkcs8.pem" pem-pkcs8 "$WORK/ossl.oracle" true
expect "$K/ed25519-openssl.pkix.pem" pem-pkix "$WORK/ossl.oracle" false

# --- authorized_keys line with options, and a messy paste --------------------
printf 'from="10.0.0.0/8,192.168.1.1",no-pty,command="echo hi, there" %s\n' "$(cat "$K/ed25519.pub")" \
	>"$K/ed25519.authorized_keys"
expect "$K/ed25519.authorized_keys" authorized_keys "$K/ed25519.pub" false '' \
	'["from=\"10.0.0.0/8,192.168.1.1\"","no-pty","command=\"echo hi, there\""]'
# BOM, a comment line, blank lines, tabs and CRLF around a tool-made line.
{
	printf '\xef\xbb\xbf\r\n# pasted from a Windows editor\r\n\r\n'
	sed 's/ /\t  /g; s/$/  \r/' "$K/ecdsa256.pub"
	printf '\r\n'
} >"$K/ecdsa256.messy.pub"
expect "$K/ecdsa256.messy.pub" openssh "$K/ecdsa256.pub" false

# --- security keys (sk-*) ----------------------------------------------------
# Making them needs a FIDO token, so the public lines are built from real public
# points (the ed25519 and ecdsa256 keys) plus the application "ssh:", exactly as
# PROTOCOL.u2f lays them out; ssh-keygen -l reads them and computes the oracle.
blob_field() { # blob_field FILE.pub N -> hex of the Nth string in the key blob
	local hex; hex=$(cut -d' ' -f2 "$1" | base64 -d | xxd -p | tr -d '\n')
	local i=0 n pos=0
	while :; do
		n=$((16#${hex:pos:8}))
		if ((i == $2)); then echo "${hex:pos+8:n*2}"; return; fi
		pos=$((pos + 8 + n * 2)); i=$((i + 1))
	done
}
{
	ssh_string "$(hexof sk-ssh-ed25519@openssh.com)"
	ssh_string "$(blob_field "$K/ed25519.pub" 1)"
	ssh_string "$(hexof ssh:)"
} >"$WORK/sk-ed.blob"
echo "sk-ssh-ed25519@openssh.com $(base64 -w0 <"$WORK/sk-ed.blob") yubikey 5 nfc" >"$K/sk-ed25519.pub"
expect "$K/sk-ed25519.pub" openssh "$K/sk-ed25519.pub" false
{
	ssh_string "$(hexof sk-ecdsa-sha2-nistp256@openssh.com)"
	ssh_string "$(hexof nistp256)"
	ssh_string "$(blob_field "$K/ecdsa256.pub" 2)"
	ssh_string "$(hexof ssh:)"
} >"$WORK/sk-ec.blob"
echo "sk-ecdsa-sha2-nistp256@openssh.com $(base64 -w0 <"$WORK/sk-ec.blob") token" >"$K/sk-ecdsa256.pub"
expect "$K/sk-ecdsa256.pub" openssh "$K/sk-ecdsa256.pub" false

# --- bad inputs --------------------------------------------------------------
: >"$B/empty.txt"
expect_error "$B/empty.txt" "the input is empty"
printf '\x00\x01\x02\xff\xfe binary \x00\x89PNG\r\n\x1a\n' >"$B/binary.bin"
expect_error "$B/binary.bin" "not a recognised SSH key"
printf 'ssh-ed25519 %s truncated\n' "$(cut -d' ' -f2 "$K/ed25519.pub" | cut -c1-40)" >"$B/truncated.pub"
expect_error "$B/truncated.pub" "key blob is truncated: it ends inside the Ed25519 public key"
printf 'ssh-ed25519 AAAAC3Nz!!!not*base64 oops\n' >"$B/bad-base64.pub"
expect_error "$B/bad-base64.pub" "base64 blob does not decode"
printf 'ssh-rsa %s mislabelled\n' "$(cut -d' ' -f2 "$K/ed25519.pub")" >"$B/mislabelled.pub"
expect_error "$B/mislabelled.pub" "OpenSSH public key: blob says ssh-ed25519 but the line says ssh-rsa"
cat "$K/ed25519.pub" "$K/rsa2048.pub" >"$B/two-keys.pub"
expect_error "$B/two-keys.pub" "more than one key in the input; give one key, the next one starts at line 2"
{ ssh_string "$(hexof ssh-foo)"; ssh_string "$(hexof 0123456789)"; } >"$WORK/foo.blob"
echo "ssh-foo $(base64 -w0 <"$WORK/foo.blob") unknown" >"$B/unknown-type.pub"
expect_error "$B/unknown-type.pub" "unknown key type ssh-foo"
ssh-keygen -q -t ed25519 -N '' -C ca -f "$WORK/ca"
cp "$K/ed25519.pub" "$WORK/user.pub"
ssh-keygen -q -s "$WORK/ca" -I test -n root -V +1d "$WORK/user.pub" 2>/dev/null
cp "$WORK/user-cert.pub" "$B/certificate.pub"
expect_error "$B/certificate.pub" "this is an SSH certificate"
openssl req -x509 -key "$K/rsa2048.pkcs1.pem" -subj /CN=fixture -days 1 -out "$B/wrong-armour.pem" 2>/dev/null
expect_error "$B/wrong-armour.pem" 'unsupported PEM block "CERTIFICATE"'
grep -v -- '---- END' "$K/ed25519-long.putty.rfc4716" >"$B/rfc4716-no-end.txt"
expect_error "$B/rfc4716-no-end.txt" "RFC 4716 public key: block ends early at line $(wc -l <"$B/rfc4716-no-end.txt")"
head -n 4 "$K/ed25519" >"$B/truncated-private"
expect_error "$B/truncated-private" "OpenSSH private key: the PEM armour is broken"
head -n 5 "$K/ed25519.v3.ppk" >"$B/truncated.ppk"
expect_error "$B/truncated.ppk" "PuTTY .ppk v3 key: public key ends early at line 5"
expect_error "$K/rsa2048-enc.pkcs1.pem" "PEM private key: encrypted PEM key: set passphrase"
expect_error "$K/rsa2048-enc.pkcs1.pem" "PEM private key: passphrase does not decrypt it" "wrong horse"
openssl pkcs8 -topk8 -v2 aes-256-cbc -passout "pass:$PASS" -in "$K/rsa2048.pkcs1.pem" -out "$B/encrypted.pkcs8.pem"
expect_error "$B/encrypted.pkcs8.pem" "encrypted PKCS#8 private keys are not supported" "$PASS"

# RSA keys no tool makes, built from the rsa2048 modulus: exponent 1, an even
# exponent, a 25-bit one; and a modulus one bit over ssh-keygen's 16384-bit maximum.
rsa_blob() { { ssh_string "$(hexof ssh-rsa)"; ssh_string "$1"; ssh_string "$2"; } | base64 -w0; }
n2048=$(blob_field "$K/rsa2048.pub" 2)
echo "ssh-rsa $(rsa_blob 01 "$n2048") e=1" >"$B/rsa-exponent-1.pub"
expect_error "$B/rsa-exponent-1.pub" "OpenSSH public key: the RSA public exponent is 1"
echo "ssh-rsa $(rsa_blob 010000 "$n2048") even" >"$B/rsa-exponent-even.pub"
expect_error "$B/rsa-exponent-even.pub" "the RSA public exponent 65536 is even"
echo "ssh-rsa $(rsa_blob 01000001 "$n2048") 25 bits" >"$B/rsa-exponent-large.pub"
expect_error "$B/rsa-exponent-large.pub" "the RSA public exponent is too large (25 bits; SSH allows at most 24 bits"
n16385=01$(head -c 2048 /dev/urandom | xxd -p | tr -d '\n')
echo "ssh-rsa $(rsa_blob 010001 "${n16385%?}f") 16385 bits" >"$B/rsa16385.pub"
expect_error "$B/rsa16385.pub" "RSA key of 16385 bits is too large: the limit is 16384 bits"
# Over the size bounds: a comment, an option list, a whole input.
echo "$(cut -d' ' -f1,2 "$K/ed25519.pub") $(head -c 1025 /dev/zero | tr '\0' c)" >"$B/comment-too-long.pub"
expect_error "$B/comment-too-long.pub" "the comment is 1025 bytes (1.0 KiB); the limit is 1024 bytes (1.0 KiB)"
printf 'from="%s" %s\n' "$(for i in $(seq 1 700); do printf '10.%d.%d.0/24,' $((i / 256)) $((i % 256)); done)10.255.255.0/24" \
	"$(cat "$K/ed25519.pub")" >"$B/options-too-long.authorized_keys"
expect_error "$B/options-too-long.authorized_keys" "authorized_keys line: the options before the key are"
for i in $(seq 1 1200); do echo "2026-01-01T00:00:00Z info request served in 12ms path=/v1/items/$i"; done >"$B/big.log"
expect_error "$B/big.log" "the limit for an SSH key is 65536 bytes (64.0 KiB)"

jq -s 'sort_by(.file, (.error // ""), .passphrase)' "$ENTRIES" >"$OUT/expectations.json"
echo "wrote $(jq length "$OUT/expectations.json") expectations for $(find "$K" "$B" -type f | wc -l) files into $OUT"
