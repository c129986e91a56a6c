package metal

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// PageSize is the page size of every list the client makes: the largest
// the API serves (PerPage.yaml), so a list costs as few requests as it can.
const PageSize = 1000

// pagingQuery asks for perPage items a page, PageSize when perPage is 0.
func pagingQuery(perPage int) url.Values {
	if perPage <= 0 {
		perPage = PageSize
	}
	return url.Values{"per_page": {strconv.Itoa(perPage)}}
}

// maxPages stops a server that keeps sending "next" from looping us forever.
const maxPages = 10000

type pageMeta struct {
	Next        *hrefJSON `json:"next"`
	CurrentPage int       `json:"current_page"`
	LastPage    int       `json:"last_page"`
}

// listAll GETs path and every following page, collecting the array under
// field. It follows meta.next.href when present, else meta.last_page.
func listAll[T any](ctx context.Context, c *Client, path string, query url.Values, field string) ([]T, error) {
	var all []T
	next := withQuery(path, query)
	seen := map[string]bool{}
	for range maxPages {
		seen[next] = true
		var page map[string]json.RawMessage
		if err := c.call(ctx, http.MethodGet, next, nil, &page); err != nil {
			return nil, err
		}
		if raw, ok := page[field]; ok && string(raw) != "null" {
			var items []T
			if err := json.Unmarshal(raw, &items); err != nil {
				return nil, fmt.Errorf("GET %s: decoding %q: %w", displayPath(next), field, err)
			}
			all = append(all, items...)
		}
		var meta pageMeta
		if raw, ok := page["meta"]; ok {
			if err := json.Unmarshal(raw, &meta); err != nil {
				return nil, fmt.Errorf("GET %s: decoding pagination: %w", displayPath(next), err)
			}
		}
		following, ok := c.nextPage(path, query, meta)
		if !ok {
			return all, nil
		}
		if seen[following] {
			return nil, fmt.Errorf("GET %s: pagination loops back to %s", displayPath(path), following)
		}
		next = following
	}
	return nil, fmt.Errorf("GET %s: more than %d pages", displayPath(path), maxPages)
}

// nextPage returns the relative path (with query) of the page after meta, if any.
func (c *Client) nextPage(path string, query url.Values, meta pageMeta) (string, bool) {
	if meta.Next != nil && meta.Next.Href != "" {
		return c.relativeLink(meta.Next.Href, query)
	}
	if meta.CurrentPage > 0 && meta.LastPage > meta.CurrentPage {
		q := cloneValues(query)
		q.Set("page", strconv.Itoa(meta.CurrentPage+1))
		return withQuery(path, q), true
	}
	return "", false
}

// relativeLink turns an API link ("/metal/v1/ssh-keys?page=2", or absolute)
// into a path relative to the base URL. Our query parameters are kept unless
// the link sets them itself.
func (c *Client) relativeLink(link string, query url.Values) (string, bool) {
	u, err := url.Parse(link)
	if err != nil || u.Path == "" {
		return "", false
	}
	path := strings.TrimPrefix(u.Path, c.basePath)
	q := cloneValues(query)
	for k, v := range u.Query() {
		q[k] = v
	}
	return withQuery(strings.TrimPrefix(path, "/"), q), true
}

func withQuery(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
