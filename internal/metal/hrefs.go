package metal

import (
	"fmt"
	"regexp"
	"strings"
)

// uuidPattern is the form the API uses for ids (as packngo checks it).
var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// validateID refuses an id that cannot be a UUID before anything is sent, so
// a typo is an error that names the id rather than a 404 or a path surprise.
func validateID(what, id string) error {
	if !uuidPattern.MatchString(id) {
		return fmt.Errorf("metal: %s id %q is not a valid UUID", what, id)
	}
	return nil
}

// hrefJSON is a link object; some responses embed the object's id as well.
type hrefJSON struct {
	ID   string `json:"id"`
	Href string `json:"href"`
}

// id returns the embedded id or else the last segment of the href.
func (h *hrefJSON) id() string {
	if h == nil {
		return ""
	}
	if h.ID != "" {
		return h.ID
	}
	path, _, _ := strings.Cut(h.Href, "?")
	path = strings.TrimRight(path, "/")
	return path[strings.LastIndex(path, "/")+1:]
}

// parseOwner reads ".../projects/<id>" or ".../users/<id>" (any prefix, such
// as /metal/v1). ok is false for anything else.
func parseOwner(href string) (Owner, bool) {
	path, _, _ := strings.Cut(href, "?")
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if len(segs) < 2 || segs[len(segs)-1] == "" {
		return Owner{}, false
	}
	id := segs[len(segs)-1]
	switch segs[len(segs)-2] {
	case "projects":
		return Owner{Kind: OwnerProject, ID: id}, true
	case "users":
		return Owner{Kind: OwnerUser, ID: id}, true
	}
	return Owner{}, false
}
