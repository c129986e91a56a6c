package authorizedkeys

import (
	"net/netip"
	"strings"
)

// MatchFrom reports whether a from= pattern list admits a client at addr,
// as sshd's match_host_and_ip does with UseDNS off (its default), where the
// client's host name is its address. Entries are comma-separated; ! negates
// one; * and ? are wildcards; addr/len is a CIDR block. A negated match, a
// malformed CIDR entry or no positive match refuses.
func MatchFrom(patterns string, addr netip.Addr) bool {
	addr = addr.Unmap()
	byAddr := matchAddrList(addr, patterns)
	if byAddr < 0 {
		return false
	}
	ip := addr.String()
	positive := false
	for _, p := range strings.Split(patterns, ",") {
		p, negated := strings.CutPrefix(p, "!")
		if wildcardMatch(ip, strings.ToLower(p)) {
			if negated {
				return false
			}
			positive = true
		}
	}
	return positive || byAddr == 1
}

// matchAddrList is sshd's addr_match_list: 1 on a match, 0 on none, -1 on
// a negated match, -2 on a malformed entry. Entries that are no address
// or block are matched as wildcards against the address text.
func matchAddrList(addr netip.Addr, patterns string) int {
	result := 0
	for _, p := range strings.Split(patterns, ",") {
		p, negated := strings.CutPrefix(p, "!")
		if p == "" {
			return -2
		}
		matched := false
		switch block, ok := parseBlock(p); {
		case ok && !block.IsValid():
			return -2
		case ok:
			matched = block.Addr().Is4() == addr.Is4() && block.Contains(addr)
		default:
			matched = wildcardMatch(addr.String(), p)
		}
		if matched {
			if negated {
				return -1
			}
			result = 1
		}
	}
	return result
}

// parseBlock reads "addr" or "addr/len". ok is false when p is no address
// at all; an address with a bad length or host bits set is ok with an
// invalid prefix, as sshd rejects such entries.
func parseBlock(p string) (block netip.Prefix, ok bool) {
	host, _, hasLen := strings.Cut(p, "/")
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Prefix{}, false
	}
	if !hasLen {
		return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), true
	}
	pr, err := netip.ParsePrefix(p)
	if err != nil || pr.Masked() != pr {
		return netip.Prefix{}, true
	}
	return pr, true
}

// wildcardMatch is sshd's match_pattern: * is any run, ? any one byte,
// everything else literal.
func wildcardMatch(s, pattern string) bool {
	for pattern != "" {
		switch pattern[0] {
		case '*':
			for i := len(s); i >= 0; i-- {
				if wildcardMatch(s[i:], pattern[1:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
		default:
			if s == "" || s[0] != pattern[0] {
				return false
			}
		}
		s, pattern = s[1:], pattern[1:]
	}
	return s == ""
}
