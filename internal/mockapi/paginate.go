package mockapi

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Paging limits from the spec's Page.yaml and PerPage.yaml.
const (
	defaultPerPage = 10
	maxPerPage     = 1000
	maxPage        = 100000
)

type metaJSON struct {
	First       *hrefJSON `json:"first,omitempty"`
	Previous    *hrefJSON `json:"previous,omitempty"`
	Self        *hrefJSON `json:"self,omitempty"`
	Next        *hrefJSON `json:"next,omitempty"`
	Last        *hrefJSON `json:"last,omitempty"`
	CurrentPage int       `json:"current_page"`
	LastPage    int       `json:"last_page"`
	Total       int       `json:"total"`
}

// paginateIfAsked is paginate for the lists the spec does not page (its
// SSHKeyList has no "meta"): without page and per_page the whole list
// comes back with no meta.
func paginateIfAsked[T any](r *http.Request, items []T) ([]T, *metaJSON, error) {
	q := r.URL.Query()
	if !q.Has("page") && !q.Has("per_page") {
		return items, nil, nil
	}
	return paginate(r, items)
}

// paginate cuts a list to the requested page, as the API pages the lists
// whose response carries "meta": page defaults to 1 and per_page to 10, so
// a client that gives no page size gets 10 items and a next page. per_page
// above the spec's maximum is clamped to it; a page past the end is empty.
func paginate[T any](r *http.Request, items []T) ([]T, *metaJSON, error) {
	q := r.URL.Query()
	page, err := queryInt(q, "page", 1, maxPage)
	if err != nil {
		return nil, nil, err
	}
	perPage, err := queryInt(q, "per_page", defaultPerPage, 1<<20)
	if err != nil {
		return nil, nil, err
	}
	perPage = min(perPage, maxPerPage)
	total := len(items)
	lastPage := max(1, (total+perPage-1)/perPage)
	link := func(n int) *hrefJSON {
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		v.Set("page", strconv.Itoa(n))
		v.Set("per_page", strconv.Itoa(perPage))
		return &hrefJSON{Href: r.URL.Path + "?" + v.Encode()}
	}
	meta := &metaJSON{First: link(1), Self: link(page), Last: link(lastPage), CurrentPage: page, LastPage: lastPage, Total: total}
	if page > 1 {
		meta.Previous = link(min(page-1, lastPage))
	}
	if page < lastPage {
		meta.Next = link(page + 1)
	}
	from := min((page-1)*perPage, total)
	to := min(from+perPage, total)
	return items[from:to], meta, nil
}

func queryInt(q url.Values, name string, def, maxValue int) (int, error) {
	raw := strings.TrimSpace(q.Get(name))
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > maxValue {
		return 0, errorf(http.StatusUnprocessableEntity, "%s must be an integer from 1 to %d", name, maxValue)
	}
	return n, nil
}

// searchTerm is the list filter: "search" as packngo sends it, or "query" as
// the spec names it for project keys.
func searchTerm(r *http.Request) string {
	q := r.URL.Query()
	if v := q.Get("search"); v != "" {
		return v
	}
	return q.Get("query")
}

// keyMatches: substring of label, key or fingerprint (case-insensitive).
func keyMatches(k SSHKey, term string) bool {
	if term == "" {
		return true
	}
	term = strings.ToLower(term)
	for _, field := range []string{k.Label, k.Key, k.Fingerprint} {
		if strings.Contains(strings.ToLower(field), term) {
			return true
		}
	}
	return false
}
