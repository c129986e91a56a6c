package mockapi

import (
	"net/http"
	"strings"
)

// RetiredMessage is the error of every API answer under Options.Retired.
// The retired API host answers 401 to everything; the text says why, so
// that whoever reads it in a log knows it is the platform's end and not
// their token.
const RetiredMessage = "Equinix Metal reached end of life on 2026-06-30: this API no longer answers (packet-mock --retired)"

// answerRetired answers one API request under Options.Retired and returns
// its counter key: requests still count, so a test can see what a client
// tried against the retired platform.
func (s *Server) answerRetired(w http.ResponseWriter, r *http.Request) string {
	key := r.Method + " (no route)"
	if path, ok := strings.CutPrefix(r.URL.Path, APIPrefix); ok {
		if rt, _, _ := match(r.Method, path); rt != nil {
			key = rt.key()
		}
	}
	s.counters.add(key)
	writeError(w, http.StatusUnauthorized, RetiredMessage)
	return key
}
